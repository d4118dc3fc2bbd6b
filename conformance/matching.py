"""Comparing a step's result with what the case expects.

Results are compared as dictionaries of declared field names with default
values included (see ``protocol.as_dict``). An expectation is a partial
picture of the result:

- a mapping matches when each of its keys matches (other keys are ignored);
- a list matches a list of the same length, item by item;
- a scalar matches an equal value (int64 fields, which proto3 JSON writes as
  strings, compare as numbers);
- ``$nonempty``, ``$empty`` and ``$any`` match what they say;
- a one-key mapping with an operator: ``{$ne: X}``, ``{$len: N}``,
  ``{$contains: [...]}`` (each item matches some item of the list),
  ``{$excludes: [...]}`` (no item of the list matches any of these),
  ``{$regex: PATTERN}`` (searched, ``^`` and ``$`` at line ends too),
  ``{$in: [...]}``, ``{$gt: N}``.

``match`` returns the differences as sentences, empty when it matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_OPERATORS = frozenset({"$ne", "$len", "$contains", "$excludes", "$regex", "$in", "$gt"})


def match(expected: Any, actual: Any, path: str = "") -> list[str]:
    """The ways ``actual`` differs from ``expected``; empty when it matches."""
    where = path or "result"
    if isinstance(expected, str) and expected.startswith("$"):
        return _keyword(expected, actual, where)
    if isinstance(expected, Mapping):
        operators = [key for key in expected if str(key).startswith("$")]
        if operators and len(expected) > 1:
            raise ValueError(f"{where}: {operators[0]} must be the only key of its mapping")
        if operators:
            operator, operand = next(iter(expected.items()))
            if operator not in _OPERATORS:
                raise ValueError(f"{where}: unknown operator {operator}")
            return _operator(operator, operand, actual, where)
        if actual is None:
            actual = {}
        if not isinstance(actual, Mapping):
            return [f"{where}: expected a message, got {actual!r}"]
        problems: list[str] = []
        for key, value in expected.items():
            problems += match(value, actual.get(key), f"{path}.{key}" if path else str(key))
        return problems
    if isinstance(expected, list):
        actual_list = actual if actual is not None else []
        if not isinstance(actual_list, list):
            return [f"{where}: expected a list, got {actual!r}"]
        if len(actual_list) != len(expected):
            return [
                f"{where}: expected {len(expected)} item(s), got {len(actual_list)}: "
                f"{_brief(actual_list)}"
            ]
        problems = []
        for index, (want, got) in enumerate(zip(expected, actual_list, strict=True)):
            problems += match(want, got, f"{where}[{index}]")
        return problems
    if _equal(expected, actual):
        return []
    return [f"{where}: expected {expected!r}, got {_brief(actual)}"]


def _keyword(keyword: str, actual: Any, where: str) -> list[str]:
    if keyword == "$any":
        return []
    if keyword == "$nonempty":
        return (
            [] if actual not in (None, "", 0, [], {}) else [f"{where}: expected a value, got none"]
        )
    if keyword == "$empty":
        return (
            [] if actual in (None, "", 0, [], {}) else [f"{where}: expected none, got {actual!r}"]
        )
    raise ValueError(f"{where}: unknown matcher {keyword!r}")


def _operator(operator: str, operand: Any, actual: Any, where: str) -> list[str]:
    if operator == "$ne":
        same = _equal(operand, actual)
        return [f"{where}: expected anything but {operand!r}"] if same else []
    if operator == "$len":
        size = len(actual) if isinstance(actual, (list, str, Mapping)) else 0
        return [] if size == operand else [f"{where}: expected {operand} item(s), got {size}"]
    if operator == "$contains":
        items = actual if isinstance(actual, list) else []
        return [
            f"{where}: no item matches {want!r} among {_brief(items)}"
            for want in operand
            if not any(not match(want, item) for item in items)
        ]
    if operator == "$excludes":
        items = actual if isinstance(actual, list) else []
        return [
            f"{where}: {item!r} matches {unwanted!r}, which must not be there"
            for unwanted in operand
            for item in items
            if not match(unwanted, item)
        ]
    if operator == "$regex":
        text = actual if isinstance(actual, str) else ""
        found = re.search(operand, text, re.MULTILINE)
        return [] if found else [f"{where}: {text!r} does not match /{operand}/"]
    if operator == "$in":
        return (
            []
            if any(_equal(o, actual) for o in operand)
            else [f"{where}: expected one of {operand!r}, got {actual!r}"]
        )
    number = _number(actual)
    return (
        []
        if number is not None and number > operand
        else [f"{where}: expected more than {operand}, got {actual!r}"]
    )


def _equal(expected: Any, actual: Any) -> bool:
    if actual is None:  # a field of an unset message: its default
        return expected in (None, "", 0, False) or expected in ([], {})
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)):
        return _number(actual) == expected
    if expected is None:
        return actual in (None, "", 0, [], {})
    return bool(expected == actual)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _brief(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def lookup(result: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path`` (field names and list indexes); KeyError when missing."""
    value: Any = result
    for part in path:
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            raise KeyError(".".join(path))
    return value
