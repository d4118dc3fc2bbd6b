"""The expectation language of matching.py."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.matching import lookup, match


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": {"b": "x"}}, {"a": {"b": "x", "c": "y"}}),
        ([{"n": 1}, {"n": 2}], [{"n": 1, "m": 0}, {"n": 2}]),
        (5, "5"),  # int64 fields arrive as strings
        ("$nonempty", "x"),
        ("$empty", ""),
        ("$empty", None),
        ("$any", None),
        (False, None),
        ({"$ne": "a"}, "b"),
        ({"$len": 2}, [1, 2]),
        ({"$contains": [{"n": 2}]}, [{"n": 1}, {"n": 2}]),
        ({"$excludes": [{"n": 3}]}, [{"n": 1}, {"n": 2}]),
        ({"$excludes": [{"n": 3}]}, None),
        ({"$regex": "^kind: Config"}, "apiVersion: v1\nkind: Config\n"),
        ({"$in": ["A", "B"]}, "B"),
        ({"$gt": 0}, "12"),
        ({"missing": {"x": ""}}, {}),  # an unset message reads as defaults
    ],
)
def test_matches(expected: Any, actual: Any) -> None:
    assert match(expected, actual) == []


@pytest.mark.parametrize(
    ("expected", "actual", "says"),
    [
        ({"a": 1}, {"a": 2}, "a: expected 1, got 2"),
        ([1], [1, 2], "expected 1 item(s), got 2"),
        ("$nonempty", "", "expected a value"),
        ("$empty", "x", "expected none"),
        ({"$ne": "a"}, "a", "anything but 'a'"),
        ({"$len": 1}, [], "expected 1 item(s), got 0"),
        ({"$contains": [3]}, [1, 2], "no item matches 3"),
        ({"$excludes": [{"n": 2}]}, [{"n": 1}, {"n": 2}], "must not be there"),
        ({"$regex": "^b"}, "abc", "does not match"),
        ({"$in": ["A"]}, "B", "one of"),
        ({"$gt": 5}, "5", "more than 5"),
        (True, False, "expected True"),
        ({"a": {"b": 1}}, {"a": "text"}, "a: expected a message"),
    ],
)
def test_differences_name_the_path(expected: Any, actual: Any, says: str) -> None:
    problems = match(expected, actual)
    assert problems and says in problems[0]


def test_unknown_keyword_is_a_case_mistake() -> None:
    with pytest.raises(ValueError, match="unknown matcher"):
        match("$nonsense", "x")
    with pytest.raises(ValueError, match="unknown operator"):
        match({"$nonsense": 1}, "x")
    with pytest.raises(ValueError, match="only key"):
        match({"$len": 2, "$contains": [1]}, [1, 2])


def test_lookup_walks_fields_and_indexes() -> None:
    result = {"vclusters": {"items": [{"name": "a"}, {"name": "b"}]}}
    assert lookup(result, ["vclusters", "items", "1", "name"]) == "b"
    with pytest.raises(KeyError):
        lookup(result, ["vclusters", "items", "2", "name"])
