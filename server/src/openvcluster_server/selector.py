"""Kubernetes label selectors, as written after ``kubectl -l``: ``env=prod,tier in (web,api)``.

A parsed :class:`Selector` filters objects by their labels, and renders to a canonical text so
that two spellings of the same filter compare equal (a page token is bound to that text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from openvcluster import field_rules
from openvcluster.v1.vcluster_pb2 import VCluster

OPERATORS = ("exists", "!exists", "=", "!=", "in", "notin", ">", "<")
_SET_OPERATORS = ("in", "notin")
_INTEGER_OPERATORS = (">", "<")
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Integers compared with '>' and '<' are 64-bit in Kubernetes; larger ones are refused there.
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class SelectorError(ValueError):
    """A label selector that cannot be parsed; the message names the problem and where it is."""


def _as_integer(text: str) -> int | None:
    """Reads a '>'/'<' operand or label value; None when Kubernetes would not compare it."""
    if _INTEGER.fullmatch(text) is None:
        return None
    # int64 has at most 19 digits. Converting only the significant digits also
    # keeps int() (which refuses more than 4,300 digits) away from leading zeros.
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:
        return None
    number = -int(digits) if text.startswith("-") else int(digits)
    if not _INT64_MIN <= number <= _INT64_MAX:
        return None
    return number


@dataclass(frozen=True)
class Requirement:
    """One condition on one label key; ``values`` holds what the operator compares against."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuses requirements the parser could never produce, so every one renders and parses
        back the same."""
        if self.operator not in OPERATORS:
            raise ValueError(f"unknown operator {self.operator!r}; use one of {OPERATORS}")
        if self.operator in ("exists", "!exists"):
            count_ok = not self.values
        elif self.operator in _SET_OPERATORS:
            count_ok = bool(self.values)
        else:
            count_ok = len(self.values) == 1
        if not count_ok:
            raise ValueError(f"operator {self.operator!r} cannot take the values {self.values!r}")
        if self.operator in _INTEGER_OPERATORS and _as_integer(self.values[0]) is None:
            raise ValueError(f"operator {self.operator!r} needs an integer, not {self.values[0]!r}")

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether labels satisfy this condition; negative operators hold for an absent key."""
        value = labels.get(self.key)
        match self.operator:
            case "exists":
                return value is not None
            case "!exists":
                return value is None
            case "=":
                return value == self.values[0]
            case "!=":
                return value != self.values[0]
            case "in":
                return value is not None and value in self.values
            case "notin":
                return value is None or value not in self.values
            case _:
                if value is None:
                    return False
                actual = _as_integer(value)
                bound = _as_integer(self.values[0])
                if actual is None or bound is None:
                    return False
                return actual > bound if self.operator == ">" else actual < bound

    def __str__(self) -> str:
        """The text this requirement parses from, with values sorted and "==" written "="."""
        match self.operator:
            case "exists":
                return self.key
            case "!exists":
                return f"!{self.key}"
            case "in" | "notin":
                # A lone empty value is written "(,)", since "()" would be an empty set.
                listed = ",".join(sorted(set(self.values))) or ","
                return f"{self.key} {self.operator} ({listed})"
            case _:
                return f"{self.key}{self.operator}{self.values[0]}"


@dataclass(frozen=True)
class Selector:
    """Requirements that must all hold; no requirements selects everything."""

    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether labels satisfy every requirement."""
        return all(requirement.matches(labels) for requirement in self.requirements)

    def __str__(self) -> str:
        """The canonical text: requirements sorted by key then operator, duplicates dropped."""
        rendered = {
            (requirement.key, requirement.operator, str(requirement))
            for requirement in self.requirements
        }
        return ",".join(text for _, _, text in sorted(rendered))


EVERYTHING = Selector(())

_SINGLE_CHAR_TOKENS = frozenset("!=<>(),")


@dataclass(frozen=True)
class _Token:
    text: str
    position: int
    is_word: bool

    def describe(self) -> str:
        return "the end of the selector" if self.text == "" else repr(self.text)


def _tokenize(text: str) -> list[_Token]:
    """Splits text into words and punctuation; the list ends with an empty end-of-text token."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
        elif char in "!=" and text.startswith("=", position + 1):
            tokens.append(_Token(char + "=", position, is_word=False))
            position += 2
        elif char in _SINGLE_CHAR_TOKENS:
            tokens.append(_Token(char, position, is_word=False))
            position += 1
        else:
            start = position
            while (
                position < len(text)
                and not text[position].isspace()
                and text[position] not in _SINGLE_CHAR_TOKENS
            ):
                position += 1
            tokens.append(_Token(text[start:position], start, is_word=True))
    tokens.append(_Token("", len(text), is_word=False))
    return tokens


class _Parser:
    """A recursive-descent parser over the tokens of one selector."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._index = 0

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        if token.text:
            self._index += 1
        return token

    def parse(self) -> Selector:
        requirements = [self._requirement()]
        while True:
            token = self._next()
            if token.text == "":
                return Selector(tuple(requirements))
            if token.text != ",":
                raise SelectorError(
                    f"expected ',' or the end of the selector at position {token.position}, "
                    f"found {token.describe()}"
                )
            requirements.append(self._requirement())

    def _key(self, after: str) -> str:
        token = self._next()
        if not token.is_word:
            raise SelectorError(
                f"expected a label key {after}at position {token.position}, "
                f"found {token.describe()}"
            )
        problem = _label_problem(token.text, "")
        if problem is not None:
            raise SelectorError(f"label key {token.text!r} at position {token.position} {problem}")
        return token.text

    def _value(self, token: _Token) -> str:
        problem = _label_problem("a", token.text)
        if problem is not None:
            raise SelectorError(
                f"label value {token.text!r} at position {token.position} {problem}"
            )
        return token.text

    def _requirement(self) -> Requirement:
        if self._peek().text == "!":
            self._next()
            return Requirement(self._key("after '!' "), "!exists")
        after = "after ',' " if self._index > 0 else ""
        key = self._key(after)
        token = self._peek()
        if token.text in ("", ","):
            return Requirement(key, "exists")
        self._next()
        if token.text in ("=", "==", "!="):
            operator = "!=" if token.text == "!=" else "="
            return Requirement(key, operator, (self._single_value(token.text),))
        if token.is_word and token.text in _SET_OPERATORS:
            return Requirement(key, token.text, self._value_set(token.text))
        if token.text in _INTEGER_OPERATORS:
            return Requirement(key, token.text, (self._integer(token.text),))
        raise SelectorError(
            f"expected an operator (=, ==, !=, in, notin, >, <), ',' or the end of the selector "
            f"after label key {key!r} at position {token.position}, found {token.describe()}"
        )

    def _single_value(self, operator: str) -> str:
        token = self._peek()
        if token.text in ("", ","):
            return ""
        self._next()
        if not token.is_word:
            raise SelectorError(
                f"expected a label value after '{operator}' at position {token.position}, "
                f"found {token.describe()}"
            )
        return self._value(token)

    def _value_set(self, operator: str) -> tuple[str, ...]:
        opening = self._next()
        if opening.text != "(":
            raise SelectorError(
                f"expected '(' after '{operator}' at position {opening.position}, "
                f"found {opening.describe()}"
            )
        if self._peek().text == ")":
            raise SelectorError(
                f"'{operator}' needs at least one value between the parentheses at position "
                f"{opening.position}"
            )
        values: set[str] = set()
        while True:
            token = self._next()
            if token.is_word:
                values.add(self._value(token))
                token = self._next()
            elif token.text in (",", ")"):
                values.add("")
            if token.text == ")":
                return tuple(sorted(values))
            if token.text != ",":
                missing = "; is a ')' missing?" if token.text == "" else ""
                raise SelectorError(
                    f"expected a label value, ',' or ')' in the list after '{operator}' "
                    f"at position {token.position}, found {token.describe()}{missing}"
                )

    def _integer(self, operator: str) -> str:
        token = self._next()
        if not token.is_word or _INTEGER.fullmatch(token.text) is None:
            raise SelectorError(
                f"expected a whole number such as 3 or -1 after '{operator}' "
                f"at position {token.position}, found {token.describe()}"
            )
        number = _as_integer(token.text)
        if number is None:
            raise SelectorError(
                f"the number {token.text} after '{operator}' at position {token.position} "
                f"is out of range; it must be from {_INT64_MIN} to {_INT64_MAX}"
            )
        return str(number)


@dataclass(frozen=True)
class SelectorLimits:
    """How large a selector may be (the proto states the defaults).

    A watch evaluates its selector on every change, so an unbounded one would
    make every write slow for every caller.
    """

    # Characters, values inside ``in (...)`` included.
    max_length: int = 4096
    max_requirements: int = 64


def parse_selector(text: str, limits: SelectorLimits = SelectorLimits()) -> Selector:
    """Parses label selector text; empty or blank text selects everything.

    Selectors over the limits are refused before they are parsed.
    """
    if len(text) > limits.max_length:
        raise SelectorError(
            f"is {len(text)} characters long; at most {limits.max_length} are allowed"
        )
    if not text.strip():
        return EVERYTHING
    requirements = _count_requirements(text)
    if requirements > limits.max_requirements:
        raise SelectorError(
            f"has {requirements} requirements; at most {limits.max_requirements} are allowed"
        )
    return _Parser(text).parse()


def _count_requirements(text: str) -> int:
    """The requirements a selector lists: its commas outside ``in (...)``, plus one."""
    depth = 0
    count = 1
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            count += 1
    return count


def _label_problem(key: str, value: str) -> str | None:
    """What the proto's label rules say of one label, asked as a vcluster's
    labels are, without their "the key"/"the value" ("must be ...")."""
    found = dict(field_rules.violations(VCluster(labels={key: value})))
    problem = found.get(f"labels[{key}]")
    return problem and problem.removeprefix("the key ").removeprefix("the value ")
