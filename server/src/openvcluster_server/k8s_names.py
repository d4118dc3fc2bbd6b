"""Kubernetes naming rules: DNS-1123 names, label keys and label values.

Each check returns ``None`` for a valid input, or a sentence in the predicate form ("must ...",
"is ...", "has ...") so that callers can put a field path in front of it when they build a
``google.rpc.BadRequest`` field violation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_NAME_MAX = 63
LABEL_VALUE_MAX = 63
MAX_LABELS = 64

_DNS1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_LABEL_NAME = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")

_DNS1123_LABEL_RULE = (
    "must be a DNS-1123 label: lower-case letters, digits and '-', "
    "starting and ending with a letter or digit, at most 63 characters"
)
_DNS1123_SUBDOMAIN_RULE = (
    "must be a DNS-1123 subdomain: one or more parts separated by '.', each part made of "
    "lower-case letters, digits and '-', starting and ending with a letter or digit "
    "and at most 63 characters long"
)
_LABEL_KEY_RULE = (
    "must be a label key: a name of letters, digits, '-', '_' and '.' that starts and ends "
    "with a letter or digit and has at most 63 characters, optionally preceded by a "
    "DNS-1123 subdomain prefix and '/' (as in 'example.com/app')"
)
_LABEL_VALUE_RULE = (
    "must be empty or a label value: letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit, at most 63 characters"
)


def _too_long(value: str, limit: int) -> str:
    return f"is {len(value)} characters; at most {limit} are allowed"


def is_dns1123_label(value: str) -> bool:
    """Whether dns1123_label_problem finds nothing wrong with ``value`` (cheaper to ask)."""
    return len(value) <= DNS1123_LABEL_MAX and _DNS1123_LABEL.fullmatch(value) is not None


def dns1123_label_problem(value: str) -> str | None:
    """Checks a name used as a DNS label, such as a namespace or vcluster name."""
    if not value:
        return "must not be empty"
    if len(value) > DNS1123_LABEL_MAX:
        return _too_long(value, DNS1123_LABEL_MAX)
    if _DNS1123_LABEL.fullmatch(value) is None:
        return _DNS1123_LABEL_RULE
    return None


def _is_dns1123_subdomain(value: str) -> bool:
    return all(
        len(part) <= DNS1123_LABEL_MAX and _DNS1123_LABEL.fullmatch(part) is not None
        for part in value.split(".")
    )


def dns1123_subdomain_problem(value: str) -> str | None:
    """Checks a dotted DNS name, such as the prefix of a label key."""
    if not value:
        return "must not be empty"
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return _too_long(value, DNS1123_SUBDOMAIN_MAX)
    if not _is_dns1123_subdomain(value):
        return _DNS1123_SUBDOMAIN_RULE
    return None


def label_key_problem(key: str) -> str | None:
    """Checks a label key: an optional ``prefix/`` and a name, as Kubernetes accepts them."""
    if not key:
        return "must not be empty"
    if key.count("/") > 1:
        return (
            f"has {key.count('/')} '/' characters; at most one is allowed, between a "
            "DNS-1123 subdomain prefix and the name (as in 'example.com/app')"
        )
    prefix, slash, name = key.rpartition("/")
    if slash:
        if not prefix:
            return "has nothing before '/'; put a DNS-1123 subdomain there or remove the '/'"
        if len(prefix) > DNS1123_SUBDOMAIN_MAX:
            return (
                f"has a prefix of {len(prefix)} characters before '/'; "
                f"at most {DNS1123_SUBDOMAIN_MAX} are allowed"
            )
        if not _is_dns1123_subdomain(prefix):
            return f"has the prefix {prefix!r}, which {_DNS1123_SUBDOMAIN_RULE}"
        if not name:
            return "has nothing after '/'; a label key needs a name there"
        if len(name) > LABEL_NAME_MAX:
            return (
                f"has a name of {len(name)} characters after '/'; "
                f"at most {LABEL_NAME_MAX} are allowed"
            )
    elif len(name) > LABEL_NAME_MAX:
        return _too_long(name, LABEL_NAME_MAX)
    if _LABEL_NAME.fullmatch(name) is None:
        return _LABEL_KEY_RULE
    return None


def label_value_problem(value: str) -> str | None:
    """Checks a label value; the empty string is a valid value."""
    if not value:
        return None
    if len(value) > LABEL_VALUE_MAX:
        return _too_long(value, LABEL_VALUE_MAX)
    if _LABEL_NAME.fullmatch(value) is None:
        return _LABEL_VALUE_RULE
    return None


def labels_problems(labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """Checks a whole label map, so that every problem can be reported in one response.

    Returns ``(key, sentence)`` pairs sorted by key. The key lets the caller name the field
    (``labels[app]``); a problem with the map as a whole has the key ``""``.
    """
    problems: list[tuple[str, str]] = []
    if len(labels) > MAX_LABELS:
        problems.append(("", f"has {len(labels)} labels; at most {MAX_LABELS} are allowed"))
    for key in sorted(labels):
        key_problem = label_key_problem(key)
        if key_problem is not None:
            problems.append((key, f"the key {key_problem}"))
        value_problem = label_value_problem(labels[key])
        if value_problem is not None:
            problems.append((key, f"the value {value_problem}"))
    return problems
