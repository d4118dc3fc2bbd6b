"""Label selectors parse like ``kubectl -l``, match like Kubernetes, and render canonically."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openvcluster_server.selector import (
    EVERYTHING,
    Requirement,
    Selector,
    SelectorError,
    SelectorLimits,
    parse_selector,
)

MAX_SELECTOR_LENGTH = SelectorLimits().max_length
MAX_SELECTOR_REQUIREMENTS = SelectorLimits().max_requirements

PARSED = [
    ("a", [Requirement("a", "exists")]),
    ("!a", [Requirement("a", "!exists")]),
    ("! a", [Requirement("a", "!exists")]),
    ("a=b", [Requirement("a", "=", ("b",))]),
    ("a==b", [Requirement("a", "=", ("b",))]),
    ("a!=b", [Requirement("a", "!=", ("b",))]),
    ("a=", [Requirement("a", "=", ("",))]),
    ("a==", [Requirement("a", "=", ("",))]),
    ("a!=", [Requirement("a", "!=", ("",))]),
    ("a in (x)", [Requirement("a", "in", ("x",))]),
    ("a in (y,x)", [Requirement("a", "in", ("x", "y"))]),
    ("a in(x,x)", [Requirement("a", "in", ("x",))]),
    ("a notin (x, y)", [Requirement("a", "notin", ("x", "y"))]),
    ("a in (,x)", [Requirement("a", "in", ("", "x"))]),
    ("a in (x,)", [Requirement("a", "in", ("", "x"))]),
    ("a in (,)", [Requirement("a", "in", ("",))]),
    ("a>5", [Requirement("a", ">", ("5",))]),
    ("a<-5", [Requirement("a", "<", ("-5",))]),
    ("a > +05", [Requirement("a", ">", ("5",))]),
    ("a=in", [Requirement("a", "=", ("in",))]),
    ("in", [Requirement("in", "exists")]),
    ("in in (notin)", [Requirement("in", "in", ("notin",))]),
    (
        "app.kubernetes.io/name=web",
        [Requirement("app.kubernetes.io/name", "=", ("web",))],
    ),
    (
        "  env = prod ,\ttier notin ( a , b ) , !legacy  ",
        [
            Requirement("env", "=", ("prod",)),
            Requirement("tier", "notin", ("a", "b")),
            Requirement("legacy", "!exists"),
        ],
    ),
    (
        "b,a=1,a",
        [Requirement("b", "exists"), Requirement("a", "=", ("1",)), Requirement("a", "exists")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parse(text: str, expected: list[Requirement]) -> None:
    assert parse_selector(text) == Selector(tuple(expected))


@pytest.mark.parametrize("text", ["", " ", "\t\n  "])
def test_empty_text_selects_everything(text: str) -> None:
    selector = parse_selector(text)
    assert selector == EVERYTHING
    assert selector.matches({})
    assert selector.matches({"a": "b"})
    assert str(selector) == ""


INVALID = [
    (",", "expected a label key at position 0, found ','"),
    (",a", "expected a label key at position 0, found ','"),
    ("a,", "expected a label key after ',' at position 2, found the end of the selector"),
    ("a,,b", "expected a label key after ',' at position 2, found ','"),
    ("!", "expected a label key after '!' at position 1, found the end of the selector"),
    ("!=a", "expected a label key at position 0, found '!='"),
    ("=a", "expected a label key at position 0, found '='"),
    ("!a=b", "expected ',' or the end of the selector at position 2, found '='"),
    ("a b", "expected an operator (=, ==, !=, in, notin, >, <)"),
    ("a b", "after label key 'a' at position 2, found 'b'"),
    ("a!b", "found '!'"),
    ("a>=1", "expected a whole number such as 3 or -1 after '>' at position 2, found '='"),
    ("a=b c", "expected ',' or the end of the selector at position 4, found 'c'"),
    ("a=b=c", "expected ',' or the end of the selector at position 3, found '='"),
    ("a=(b)", "expected a label value after '=' at position 2, found '('"),
    ("a!==b", "expected a label value after '!=' at position 3, found '='"),
    ("env in x", "expected '(' after 'in' at position 7, found 'x'"),
    ("a in", "expected '(' after 'in' at position 4, found the end of the selector"),
    ("a notin x", "expected '(' after 'notin' at position 8"),
    ("a in ()", "'in' needs at least one value between the parentheses at position 5"),
    ("a notin ( )", "'notin' needs at least one value"),
    ("a in (x", "found the end of the selector; is a ')' missing?"),
    ("a in (x,", "is a ')' missing?"),
    ("a in (x y)", "expected a label value, ',' or ')' in the list after 'in' at position 8"),
    ("a in (x)(y)", "expected ',' or the end of the selector at position 8, found '('"),
    ("a in (=)", "found '='"),
    ("a>", "expected a whole number such as 3 or -1 after '>' at position 2"),
    ("a>x", "found 'x'"),
    ("a<1.5", "after '<' at position 2, found '1.5'"),
    ("a>1,", "expected a label key after ','"),
    ("a>99999999999999999999", "is out of range"),
    ("a<-9223372036854775809", "is out of range"),
    ("-a", "label key '-a' at position 0 must be a label key"),
    ("A/b=c", "label key 'A/b' at position 0 has a prefix before '/' that is not a DNS-1123"),
    ("a/b/c", "has more than one '/'"),
    ("x" * 64, "is 64 characters; at most 63 are allowed"),
    ("a=-b", "label value '-b' at position 2 must be empty or a label value"),
    ("a = b_", "label value 'b_' at position 4"),
    ("a in (x,_)", "label value '_' at position 8"),
    ("a=" + "v" * 64, "is 64 characters; at most 63 are allowed"),
    ("a;b", "label key 'a;b'"),
]


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_invalid_selectors(text: str, expected: str) -> None:
    with pytest.raises(SelectorError) as excinfo:
        parse_selector(text)
    assert expected in str(excinfo.value)


def test_selector_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^expected '\(' after 'in' at position 7"):
        parse_selector("env in x")


def test_the_largest_integers_are_accepted() -> None:
    assert parse_selector("a<9223372036854775807,a>-9223372036854775808") == Selector(
        (
            Requirement("a", "<", ("9223372036854775807",)),
            Requirement("a", ">", ("-9223372036854775808",)),
        )
    )


@pytest.mark.parametrize("number", ["1" * 4301, "-" + "9" * 20, "0" * 5000 + "1" * 20])
def test_numbers_too_long_for_int64_are_selector_errors(number: str) -> None:
    # Python's int() refuses more than 4,300 digits with a plain ValueError,
    # which the server would have answered as INTERNAL.
    with pytest.raises(SelectorError):
        parse_selector(f"a>{number}")


def test_leading_zeros_do_not_count_against_the_digit_limit() -> None:
    assert parse_selector("a>" + "0" * 4000 + "7") == parse_selector("a>7")


ABSENT: dict[str, str] = {"other": "x"}

MATCHES = [
    # (selector, labels, expected)
    ("a", {"a": "1"}, True),
    ("a", {"a": ""}, True),
    ("a", ABSENT, False),
    ("!a", {"a": "1"}, False),
    ("!a", ABSENT, True),
    ("a=1", {"a": "1"}, True),
    ("a=1", {"a": "2"}, False),
    ("a=1", ABSENT, False),
    ("a==1", {"a": "1"}, True),
    ("a=", {"a": ""}, True),
    ("a=", ABSENT, False),
    ("a!=1", {"a": "1"}, False),
    ("a!=1", {"a": "2"}, True),
    ("a!=1", ABSENT, True),
    ("a!=", {"a": ""}, False),
    ("a!=", ABSENT, True),
    ("a in (x,y)", {"a": "x"}, True),
    ("a in (x,y)", {"a": "y"}, True),
    ("a in (x,y)", {"a": "z"}, False),
    ("a in (x,y)", ABSENT, False),
    ("a in (,x)", {"a": ""}, True),
    ("a notin (x,y)", {"a": "x"}, False),
    ("a notin (x,y)", {"a": "z"}, True),
    ("a notin (x,y)", ABSENT, True),
    ("a>5", {"a": "6"}, True),
    ("a>5", {"a": "5"}, False),
    ("a>5", {"a": "4"}, False),
    ("a>5", {"a": "10"}, True),
    ("a>5", {"a": "006"}, True),
    ("a>5", {"a": "x"}, False),
    ("a>5", {"a": ""}, False),
    ("a>5", {"a": "6.5"}, False),
    ("a>5", ABSENT, False),
    ("a>-1", {"a": "0"}, True),
    ("a<5", {"a": "4"}, True),
    ("a<5", {"a": "5"}, False),
    ("a<5", {"a": "-7"}, True),
    ("a<5", {"a": "x"}, False),
    ("a<5", ABSENT, False),
    ("a<5", {"a": "99999999999999999999"}, False),
    ("a=1,b", {"a": "1", "b": ""}, True),
    ("a=1,b", {"a": "1"}, False),
    ("a=1,!b", {"a": "1"}, True),
    ("a>1,a<3", {"a": "2"}, True),
    ("a>1,a<3", {"a": "3"}, False),
    ("x.io/k in (v)", {"x.io/k": "v"}, True),
    ("x.io/k in (v)", {"k": "v"}, False),
]


@pytest.mark.parametrize(("text", "labels", "expected"), MATCHES)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


CANONICAL = [
    ("a==b", "a=b"),
    (" a = b ", "a=b"),
    ("b=1,a=2", "a=2,b=1"),
    ("a in (y, x, y)", "a in (x,y)"),
    ("a notin(x)", "a notin (x)"),
    ("a in (x,)", "a in (,x)"),
    ("a in (,)", "a in (,)"),
    ("a notin (,,)", "a notin (,)"),
    ("a>+007", "a>7"),
    ("a<-0", "a<0"),
    ("!b, a", "a,!b"),
    ("a,a", "a"),
    ("a=1,a==1", "a=1"),
    ("a in (x),a", "a,a in (x)"),
    ("a!=1,a=1,a>0,a<9,!a,a notin (z),a in (y)", "a!=1,!a,a<9,a=1,a>0,a in (y),a notin (z)"),
    ("z.io/b=1,a", "a,z.io/b=1"),
]


@pytest.mark.parametrize(("text", "expected"), CANONICAL)
def test_canonical_text(text: str, expected: str) -> None:
    rendered = str(parse_selector(text))
    assert rendered == expected
    assert str(parse_selector(rendered)) == expected


def test_equivalent_spellings_render_the_same() -> None:
    spellings = [
        "env==prod, tier in (web,api), !legacy",
        "!legacy,tier in (api,web,api),env=prod",
        "  tier in ( api , web )  ,env = prod,! legacy",
    ]
    assert len({str(parse_selector(text)) for text in spellings}) == 1


@pytest.mark.parametrize(
    ("key", "operator", "values"),
    [
        ("a", "~", ()),
        ("a", "==", ("b",)),
        ("a", "exists", ("b",)),
        ("a", "!exists", ("b",)),
        ("a", "=", ()),
        ("a", "!=", ("b", "c")),
        ("a", "in", ()),
        ("a", "notin", ()),
        ("a", ">", ("x",)),
        ("a", "<", ()),
    ],
)
def test_requirement_refuses_inconsistent_fields(
    key: str, operator: str, values: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        Requirement(key, operator, values)


_KEY_NAME = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?", fullmatch=True)
_PREFIX = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,5}[a-z0-9])?(\.[a-z0-9]{1,5}){0,2}", fullmatch=True)
_KEYS = st.one_of(_KEY_NAME, st.builds(lambda p, n: f"{p}/{n}", _PREFIX, _KEY_NAME))
_VALUES = st.one_of(st.just(""), _KEY_NAME)
# Keywords are valid keys and values too; they must survive rendering.
_SMALL_KEYS = st.sampled_from(["a", "b", "in", "notin", "x.io/k"])
_SMALL_VALUES = st.sampled_from(["", "1", "2", "x", "in", "10"])
_LABEL_VALUES = st.sampled_from(
    ["", "1", "2", "x", "in", "10", "-3", "007", "99999999999999999999"]
)


def _requirements(
    keys: st.SearchStrategy[str], values: st.SearchStrategy[str]
) -> st.SearchStrategy[Requirement]:
    integers = st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str)
    return st.one_of(
        st.builds(Requirement, keys, st.sampled_from(["exists", "!exists"])),
        st.builds(
            lambda k, o, v: Requirement(k, o, (v,)), keys, st.sampled_from(["=", "!="]), values
        ),
        st.builds(
            lambda k, o, vs: Requirement(k, o, tuple(sorted(vs))),
            keys,
            st.sampled_from(["in", "notin"]),
            st.frozensets(values, min_size=1, max_size=4),
        ),
        st.builds(
            lambda k, o, v: Requirement(k, o, (v,)), keys, st.sampled_from([">", "<"]), integers
        ),
    )


_SELECTORS = st.lists(_requirements(_KEYS, _VALUES), max_size=6).map(
    lambda requirements: Selector(tuple(requirements))
)


@given(_SELECTORS)
def test_rendered_selectors_parse_back_to_the_same_text(selector: Selector) -> None:
    rendered = str(selector)
    reparsed = parse_selector(rendered)
    assert str(reparsed) == rendered
    assert set(reparsed.requirements) == set(selector.requirements)


_SMALL_SELECTORS = st.lists(_requirements(_SMALL_KEYS, _SMALL_VALUES), max_size=5).map(
    lambda requirements: Selector(tuple(requirements))
)


@given(_SMALL_SELECTORS, st.dictionaries(_SMALL_KEYS, _LABEL_VALUES))
def test_rendering_keeps_the_meaning(selector: Selector, labels: dict[str, str]) -> None:
    assert parse_selector(str(selector)).matches(labels) == selector.matches(labels)


@given(_SMALL_SELECTORS, st.dictionaries(_SMALL_KEYS, _LABEL_VALUES))
def test_a_selector_holds_when_every_requirement_holds(
    selector: Selector, labels: dict[str, str]
) -> None:
    assert selector.matches(labels) == all(
        Selector((requirement,)).matches(labels) for requirement in selector.requirements
    )


@given(st.text(alphabet="ab!=<>(),- \t019in/._x", max_size=30) | st.text(max_size=30))
def test_parse_raises_nothing_but_selector_error(text: str) -> None:
    try:
        selector = parse_selector(text)
    except SelectorError as exc:
        assert str(exc)
    else:
        rendered = str(selector)
        assert str(parse_selector(rendered)) == rendered


def test_a_selector_over_the_length_limit_is_refused_before_parsing() -> None:
    text = "a in (" + ",".join("v" * 60 for _ in range(70)) + ")"
    assert len(text) > MAX_SELECTOR_LENGTH
    with pytest.raises(SelectorError, match=f"at most {MAX_SELECTOR_LENGTH}"):
        parse_selector(text)


def test_a_selector_of_more_requirements_than_the_limit_is_refused() -> None:
    keys = [f"k{i}" for i in range(MAX_SELECTOR_REQUIREMENTS)]
    assert len(parse_selector(",".join(keys)).requirements) == MAX_SELECTOR_REQUIREMENTS
    with pytest.raises(SelectorError, match=f"at most {MAX_SELECTOR_REQUIREMENTS}"):
        parse_selector(",".join([*keys, "one-more"]))


def test_the_limits_are_the_callers_to_set() -> None:
    limits = SelectorLimits(max_length=10, max_requirements=2)
    assert len(parse_selector("a,b", limits).requirements) == 2
    with pytest.raises(SelectorError, match="at most 2 are allowed"):
        parse_selector("a,b,c", limits)
    with pytest.raises(SelectorError, match="at most 10 are allowed"):
        parse_selector("abcdefghijk", limits)


def test_values_inside_in_count_toward_the_length_not_the_requirements() -> None:
    many_values = "a in (" + ",".join(f"v{i}" for i in range(200)) + ")"
    assert len(parse_selector(many_values).requirements) == 1
