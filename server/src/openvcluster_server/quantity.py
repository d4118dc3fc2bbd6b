"""Kubernetes resource quantities ("500m", "2", "4Gi", "1e3"), parsed to exact decimals.

Quotas and requests are compared and summed as :class:`~decimal.Decimal` values in base units
(CPU cores, bytes), so that no rounding happens between what a user writes and what is checked.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal

MAX_QUANTITY_LENGTH = 64
# Exponents beyond this range describe no real resource and would only cost memory.
MAX_EXPONENT = 100

QUANTITY_RULE = 'must be a Kubernetes quantity such as "500m", "2" or "4Gi"'

_BINARY_SUFFIXES: dict[str, int] = {
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}
_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_KNOWN_SUFFIXES = "Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent such as e3"

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)")

# Wide enough that no arithmetic on a quantity of at most 64 characters is ever rounded;
# the Inexact trap turns any rounding into an error instead of a silently wrong value.
_EXACT = decimal.Context(
    prec=400,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.Overflow, decimal.InvalidOperation, decimal.DivisionByZero],
)


def _tidy(value: Decimal) -> Decimal:
    """Drops trailing zeros and exponents that carry no meaning, so "1e3" reads back as 1000."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize(_EXACT)


def parse_quantity(text: str) -> Decimal:
    """Returns the exact value of a quantity in base units; raises ValueError with a sentence."""
    if not text:
        raise ValueError(f"{QUANTITY_RULE}; it is empty")
    if len(text) > MAX_QUANTITY_LENGTH:
        raise ValueError(
            f"is {len(text)} characters; at most {MAX_QUANTITY_LENGTH} are allowed in a quantity"
        )
    if any(char.isspace() for char in text):
        raise ValueError(f"{QUANTITY_RULE}; it must not contain spaces")
    number = _NUMBER.match(text)
    if number is None:
        raise ValueError(f"{QUANTITY_RULE}; it must start with a number, optionally signed")
    suffix = text[number.end() :]
    mantissa = Decimal(number.group())
    if suffix in _BINARY_SUFFIXES:
        return _tidy(_EXACT.multiply(mantissa, Decimal(_BINARY_SUFFIXES[suffix])))
    if suffix in _DECIMAL_SUFFIXES:
        return _tidy(_EXACT.scaleb(mantissa, _DECIMAL_SUFFIXES[suffix]))
    exponent = _EXPONENT.fullmatch(suffix)
    if exponent is not None:
        power = int(exponent.group(1))
        if abs(power) > MAX_EXPONENT:
            raise ValueError(
                f"has the exponent {power}; exponents from {-MAX_EXPONENT} "
                f"to {MAX_EXPONENT} are allowed"
            )
        return _tidy(_EXACT.scaleb(mantissa, power))
    if suffix.startswith("."):
        raise ValueError(f"{QUANTITY_RULE}; it has more than one decimal point")
    raise ValueError(f"{QUANTITY_RULE}; {suffix!r} is not a known suffix (use {_KNOWN_SUFFIXES})")


def is_positive_quantity_problem(text: str) -> str | None:
    """Checks a resource amount that must be a quantity above zero, such as a CPU quota."""
    try:
        value = parse_quantity(text)
    except ValueError as exc:
        return str(exc)
    if value <= 0:
        return "must be greater than zero"
    return None


def _ceiling(value: Decimal, scale: int) -> int:
    """Returns ``ceil(value * scale)`` exactly, whatever the precision of ``value``."""
    if not value.is_finite():
        raise ValueError(f"cannot format {value} as a quantity; it is not a finite number")
    numerator, denominator = value.as_integer_ratio()
    return -(-numerator * scale // denominator)


def format_cpu(value: Decimal) -> str:
    """Renders CPU cores the way users write them: "2" for whole cores, else "250m".

    Fractions of a millicore are rounded up, so the text never asks for less than the value.
    """
    millicores = _ceiling(value, 1000)
    if millicores % 1000 == 0:
        return str(millicores // 1000)
    return f"{millicores}m"


def format_bytes(value: Decimal) -> str:
    """Renders bytes with the largest binary suffix that divides them: "4Gi", "1536Mi", "1000".

    Fractions of a byte are rounded up, so the text never asks for less than the value.
    """
    count = _ceiling(value, 1)
    if count == 0:
        return "0"
    for suffix, factor in reversed(_BINARY_SUFFIXES.items()):
        if count % factor == 0:
            return f"{count // factor}{suffix}"
    return str(count)
