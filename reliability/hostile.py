"""Hypothesis strategies for hostile field values: what clients can send, valid or not.

Every strategy mixes four families, so each example is as likely to reach
deep into the engine as to be refused at the door:

* plausible values (names of objects that exist, well-formed quantities ...),
* known edge cases (off-by-one lengths, look-alike unicode, NUL bytes, ...),
* arbitrary unicode text,
* huge values (up to 30 KB each).
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Sequence

from hypothesis import strategies as st

# A DNS-1123 label, as namespaces and names must be.
DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_MAX_LABEL_KEY = ".".join(["p" * 63] * 3) + "." + "q" * 61 + "/" + "k" * 63

EDGE_TEXT = [
    "",
    " ",
    "-",
    "a-",
    "-a",
    "A",
    "Dev",
    "dev ",
    " dev",
    "dev\n",
    "dev\t",
    "d\x00ev",
    "dev\x00",
    "d\u00e9v",  # é
    "d\u0435v",  # a Cyrillic look-alike of "dev"
    "\uff44\uff45\uff56",  # fullwidth "dev"
    "\u202edev",  # right-to-left override
    "d\u200bev",  # zero-width space
    "de\u0301v",  # combining accent
    "\U0001f600",
    "a.b",
    "a_b",
    "a/b",
    "..",
    "*",
    "%",
    "%00",
    "'",
    '"',
    "\\",
    "a" * 63,
    "a" * 64,
    "1" * 63,
    "0",
    "xn--dev",
    "\ufeffdev",  # byte-order mark
]

# Repeated units: long, multi-byte, control, and separator-heavy strings of up
# to HUGE_BYTES, so that a request holding two of them still fits the fuzzed
# server's 64 KiB limit: gRPC takes a few hundred milliseconds to refuse a
# larger message, and test_requests_over_the_size_limit_... covers those.
HUGE_BYTES = 30_000
HUGE: st.SearchStrategy[str] = st.sampled_from(
    ["a", "9", "\u00e9", "\U0001f600", "\x00", "-", "%", "a=b,", "x/", "\u202e"]
).flatmap(
    lambda unit: st.integers(64, HUGE_BYTES // len(unit.encode())).map(lambda count: unit * count)
)


def text_field(plausible: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Any string field: plausible values, edge cases, valid labels, unicode, huge."""
    families: list[st.SearchStrategy[str]] = [
        st.sampled_from(EDGE_TEXT),
        st.from_regex(DNS_LABEL, fullmatch=True),
        st.text(max_size=80),
        HUGE,
    ]
    if plausible:
        # Four times, so that half the draws name something that exists.
        families = [st.sampled_from(list(plausible))] * 4 + families
    return st.one_of(families)


QUANTITY_EDGES = [
    "",
    "0",
    "-1",
    "+1",
    "1",
    "250m",
    "2Gi",
    "1e3",
    "1E3",
    "1e-3",
    "1e+3",
    "1e100",
    "1e101",
    "1e-101",
    "1.5Gi",
    ".5",
    "5.",
    "1..2",
    "1Ki",
    "1ki",
    "1KB",
    "1Gi ",
    " 1",
    "NaN",
    "Infinity",
    "inf",
    "-0",
    "0x1F",
    "1_000",
    "\u0661",  # Arabic-Indic digit one
    "1\u00a0Gi",
    "9" * 64,
    "9" * 65,
    "0.000000001n",
    "1e99999999999",
    "99999999999999999999Ei",
    "1Ei",
    "-1Gi",
    "1e",
    "e3",
    "m",
]
QUANTITIES: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(["1", "2", "500m", "1Gi", "4Gi"]),
    st.sampled_from(QUANTITY_EDGES),
    st.from_regex(
        r"[+-]?[0-9]{0,4}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,4}|[numkMGTPE]|[KMGTPE]i)?",
        fullmatch=True,
    ),
    st.text(max_size=12),
    HUGE,
)

VERSION_EDGES = [
    "",
    "1.31",
    "1.29.0",
    "1.33.7",
    "1.28",
    "1.34",
    "2.0",
    "1",
    "1.",
    ".1",
    "v1.31",
    "1.31.0-rc.1",
    "01.31",
    "1.031",
    "\u0661.\u0663\u0661",  # "1.31" in Arabic-Indic digits
    "1.31.\u0663",
    "1.31.1.1",
    "1.31 ",
    "1.3l",
]
VERSIONS: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(VERSION_EDGES),
    # Digit strings longer than int() converts (4,300 digits by default).
    st.builds(lambda n, tail: "1" * n + tail, st.integers(1, 6000), st.sampled_from([".31", ""])),
    st.builds(lambda n: "1.31." + "9" * n, st.integers(1, 6000)),
    st.text(max_size=12),
)

LABEL_KEYS: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(
        [
            "app",
            "tier",
            "x/y",
            "-bad",
            "a/b/c",
            "/x",
            "x/",
            "example.com/app",
            "EXAMPLE.com/app",
            "a" * 63,
            "a" * 64,
            _MAX_LABEL_KEY,
            "p" * 254 + "/x",
        ]
    ),
    st.from_regex(LABEL_NAME, fullmatch=True),
    st.text(max_size=70),
    HUGE,
)
LABEL_VALUES: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(["web", "", "a.b_c", "-x", "x-", "a" * 63, "a" * 64, "\u00e9"]),
    st.from_regex(LABEL_NAME, fullmatch=True),
    st.text(max_size=70),
    HUGE,
)


def many_labels(count: int, kind: str) -> dict[str, str]:
    """``count`` labels (around the limit of 64): all valid, all invalid, or all valid and
    of the longest size."""
    if kind == "valid":
        return {f"k{i}": "v" for i in range(count)}
    if kind == "invalid":
        return {f"-k{i}": "-v" for i in range(count)}
    return {_MAX_LABEL_KEY[:-3] + f"{i:03d}": "v" * 63 for i in range(count)}


LABELS: st.SearchStrategy[dict[str, str]] = st.one_of(
    st.just({}),
    st.dictionaries(LABEL_KEYS, LABEL_VALUES, max_size=4),
    st.builds(many_labels, st.integers(1, 70), st.sampled_from(["valid", "invalid", "longest"])),
)

SELECTOR_EDGES = [
    "",
    " ",
    "app=web",
    "app==web",
    "app!=web",
    "app",
    "!app",
    "tier in (front,back)",
    "tier notin (x)",
    "a>1",
    "a<-1",
    "a>9223372036854775807",
    "a>9223372036854775808",
    "a in ()",
    "a in (,)",
    "(",
    ")",
    ",",
    "=",
    "==",
    "a=b,",
    ",a",
    "a=b,,c",
    "a in (b",
    "a b",
    "!",
    "!!a",
    "a=\u00e9",
    "\u00e9=a",
    "a>1.5",
    "a>b",
    "x/y=z",
    "-a=b",
]
SELECTORS: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(SELECTOR_EDGES),
    st.builds(lambda n: "a>" + "9" * n, st.integers(1, 6000)),
    st.builds(lambda n: ",".join(f"k{i}=v" for i in range(n)), st.integers(1, 3000)),
    st.builds(
        lambda n, word: word * n, st.integers(1, 20_000), st.sampled_from(["k", "-", "\u00e9"])
    ),
    st.text(max_size=40),
    HUGE,
)

INT32_EDGES = [0, 1, 2, 3, 5, 6, 9, 10, -1, 1000, 1001, 2**31 - 1, -(2**31)]
INT32: st.SearchStrategy[int] = st.one_of(
    st.sampled_from(INT32_EDGES), st.integers(-(2**31), 2**31 - 1)
)

DESCRIPTIONS: st.SearchStrategy[str] = st.one_of(
    st.text(max_size=50),
    st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["x", "\u00e9", "\U0001f600"]),
        st.integers(1020, 1030),
    ),
    HUGE,
)

CIDRS: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(
        ["", "10.0.0.0/16", "fd00::/108", "10.0.0.1/8", "10.0.0.0/33", "::/0", "1.2.3.4", "x/8"]
    ),
    st.text(max_size=40),
    HUGE,
)


def request_ids(pool: Sequence[str]) -> st.SearchStrategy[str]:
    """Request ids: none, one of this example's UUIDs (so reuse happens), or malformed."""
    sample = pool[0]
    return st.one_of(
        st.just(""),
        st.sampled_from(list(pool)),
        st.sampled_from(list(pool)).map(str.upper),
        st.sampled_from(
            [
                "not-a-uuid",
                "{" + sample + "}",
                sample.replace("-", ""),
                sample + "\n",
                " " + sample,
                sample[:-1] + "\u0661",
                sample[:-1],
            ]
        ),
        st.text(max_size=40),
        HUGE,
    )


_B64 = string.ascii_letters + string.digits + "-_"


def forge_token(genuine: str, other: str, position: int, operation: str) -> str:
    """A page token made from genuine ones by one forger's operation."""
    if not genuine:
        return ""
    index = position % len(genuine)
    if operation == "flip":
        replacement = _B64[(_B64.index(genuine[index]) + 1) % len(_B64)]
        return genuine[:index] + replacement + genuine[index + 1 :]
    if operation == "truncate":
        return genuine[:index]
    if operation == "extend":
        return genuine + "A" * (1 + position % 7)
    if operation == "pad":
        return genuine + "=="
    if operation == "double":
        return genuine + genuine
    if operation == "case":
        return genuine.swapcase()
    raw = base64.urlsafe_b64decode(genuine + "=" * (-len(genuine) % 4))
    other_raw = base64.urlsafe_b64decode(other + "=" * (-len(other) % 4))
    if operation == "splice":
        # The MAC of one token over the payload of another.
        forged = raw[:16] + other_raw[16:]
    else:
        # The MAC kept, the position moved to another namespace.
        payload = json.loads(raw[16:])
        payload[1] = "team-b" if payload[1] != "team-b" else "team-a"
        forged = raw[:16] + json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(forged).decode().rstrip("=")


def page_tokens(genuine: Sequence[str]) -> st.SearchStrategy[str]:
    """Page tokens: none, genuine (possibly for other filters), forged, or junk."""
    return st.one_of(
        st.just(""),
        st.sampled_from(list(genuine)),
        st.builds(
            forge_token,
            st.sampled_from(list(genuine)),
            st.sampled_from(list(genuine)),
            st.integers(0, 200),
            st.sampled_from(
                ["flip", "truncate", "extend", "pad", "double", "case", "splice", "move"]
            ),
        ),
        st.text(max_size=60),
        st.binary(max_size=120).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
        HUGE,
    )


CRON_EDGES = [
    "0 19 * * *",
    "0 7 * * 1-5",
    "*/15 * * * *",
    "0 0 L * *",
    "0 0 * * 5#3",
    "0 0 29 2 *",
    "0 0 30 2 *",
    "0 0 31 4 *",
    "61 * * * *",
    "* 24 * * *",
    "0 0 0 * *",
    "0 0 * 13 *",
    "0 0 * * 8",
    "*/0 * * * *",
    "1-0 * * * *",
    "0 0 * * *  ",
    "0\t0 * * *",
    "0 0 * * * *",
    "0 0 * *",
    "@daily",
    "@reboot",
    "0 0 ? * *",
    "0 0 15W * *",
    "0 0 * JAN,FEB MON-FRI",
    "\x00 * * * *",
    "\u0661 * * * *",  # an Arabic-Indic digit one
    "9" * 90 + " * * * *",
    ",,,,, * * * *",
    "0-59/1,0-59/2 * * * *",
]
# Cron expressions: crafted edges, arbitrary text, and huge strings.
CRONS = st.one_of(st.sampled_from(CRON_EDGES), st.text(max_size=40), HUGE)
ZONE_EDGES = [
    "",
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Etc/GMT+14",
    "europe/berlin",
    "Mars/Olympus_Mons",
    "../../etc/passwd",
    "/etc/localtime",
    "Europe/../UTC",
    "Europe/Berlin\x00",
    "Europe\\Berlin",
    "CET",
    "EST5EDT",
    "posixrules",
    "zone.tab",
    "tzdata.zi",
    "Factory",
    "a" * 64,
]
# Time zone names: crafted edges, arbitrary text, and huge strings.
ZONES = st.one_of(st.sampled_from(ZONE_EDGES), st.text(max_size=40), HUGE)
# Timestamps near and far, inside and outside the proto's range.
TIMESTAMP_SECONDS = st.one_of(
    st.sampled_from([0, -1, 1, 253402300799, 253402300800, -62135596800, -62135596801]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
)


def hook_metadata(pool: Sequence[str]) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """Test-hook metadata a client may send to a server with hooks on.

    Only values that are malformed, or valid but harmless, are drawn: a valid
    long delay would only slow the suite down, and a valid transition hook
    would move the store on its own, outside the call being checked.
    """
    entry = st.one_of(
        st.tuples(
            st.just("ovc-test-delay-ms"),
            st.sampled_from(["0", "1", "-1", "abc", "60001", "", "1e3", " 5"]),
        ),
        st.tuples(
            st.just("ovc-test-unavailable"),
            st.one_of(
                st.sampled_from(list(pool)).map(lambda key: f"{key}:1"),
                st.sampled_from(["x", ":1", "k:", "k:-1", "k:1001", "k:abc"]),
            ),
        ),
        st.tuples(
            st.just("ovc-test-unavailable-after"),
            st.sampled_from(["x", ":1", "k:", "k:abc", "k:1001"]),
        ),
        st.tuples(
            st.just("ovc-test-transition-delay-ms"),
            st.sampled_from(["-1", "abc", "3600001", "", "1.5"]),
        ),
        st.tuples(
            st.just("ovc-test-clock-advance-seconds"),
            st.sampled_from(["-1", "abc", "", "1.5", " 5", "316224001", "0"]),
        ),
    )
    return st.one_of(st.just(()), st.just(()), st.lists(entry, max_size=2).map(tuple))
