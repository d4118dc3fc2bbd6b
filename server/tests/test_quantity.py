"""Kubernetes quantities parse to exact values and format back to their short canonical form."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openvcluster_server.quantity import (
    format_bytes,
    format_cpu,
    is_positive_quantity_problem,
    parse_quantity,
)

VALID_QUANTITIES = [
    ("0", "0"),
    ("2", "2"),
    ("500m", "0.5"),
    ("250m", "0.25"),
    ("1m", "0.001"),
    ("1.5", "1.5"),
    (".5", "0.5"),
    ("5.", "5"),
    ("+3", "3"),
    ("-3", "-3"),
    ("-.5", "-0.5"),
    ("007", "7"),
    ("1n", "0.000000001"),
    ("1u", "0.000001"),
    ("100k", "100000"),
    ("1M", "1000000"),
    ("10G", "10000000000"),
    ("1T", "1000000000000"),
    ("1P", "1000000000000000"),
    ("1E", "1000000000000000000"),
    ("1Ki", "1024"),
    ("512Mi", "536870912"),
    ("4Gi", "4294967296"),
    ("1.5Gi", "1610612736"),
    ("0.5Ki", "512"),
    ("1Ti", str(1024**4)),
    ("1Pi", str(1024**5)),
    ("2Ei", str(2 * 1024**6)),
    ("1e3", "1000"),
    ("1E3", "1000"),
    ("1e+3", "1000"),
    ("1.5e3", "1500"),
    ("5E-2", "0.05"),
    ("1e0", "1"),
    ("1e-100", "1e-100"),
    ("1e100", "1e100"),
    ("0.000000000000000000000000000000001", "1e-33"),
]


@pytest.mark.parametrize(("text", "expected"), VALID_QUANTITIES)
def test_valid_quantities(text: str, expected: str) -> None:
    assert parse_quantity(text) == Decimal(expected)


def test_parsing_is_exact_beyond_float_and_default_decimal_precision() -> None:
    value = parse_quantity("123456789012345678901234567890.123456789Ei")
    mantissa = 123456789012345678901234567890123456789
    assert Fraction(value) == Fraction(mantissa * 1024**6, 10**9)
    assert parse_quantity("0.1") + parse_quantity("0.2") == parse_quantity("300m")


def test_integral_results_have_no_exponent() -> None:
    assert str(parse_quantity("1e3")) == "1000"
    assert str(parse_quantity("4Gi")) == "4294967296"
    assert str(parse_quantity("500m")) == "0.5"


INVALID_QUANTITIES = [
    ("", "it is empty"),
    ("Gi", "must start with a number"),
    ("m", "must start with a number"),
    ("--1", "must start with a number"),
    ("+-1", "must start with a number"),
    ("-", "must start with a number"),
    (".", "must start with a number"),
    ("e3", "must start with a number"),
    ("abc", "must start with a number"),
    ("1.2.3", "more than one decimal point"),
    ("1..", "more than one decimal point"),
    ("1 Gi", "must not contain spaces"),
    (" 1", "must not contain spaces"),
    ("1\n", "must not contain spaces"),
    ("1gi", "'gi' is not a known suffix"),
    ("1GB", "'GB' is not a known suffix"),
    ("1K", "'K' is not a known suffix"),
    ("1mi", "'mi' is not a known suffix"),
    ("1Kii", "'Kii' is not a known suffix"),
    ("1e", "'e' is not a known suffix"),
    ("1e3.5", "'e3.5' is not a known suffix"),
    ("1e3Gi", "'e3Gi' is not a known suffix"),
    ("1Gi2", "'Gi2' is not a known suffix"),
    ("1,5", "',5' is not a known suffix"),
    ("NaN", "must start with a number"),
    ("Infinity", "must start with a number"),
    ("inf", "must start with a number"),
    ("٣", "must start with a number"),
    ("1e101", "has the exponent 101; exponents from -100 to 100 are allowed"),
    ("1e-101", "has the exponent -101"),
    ("1e99999999999999999999", "has the exponent 99999999999999999999"),
    ("1" * 65, "is 65 characters; at most 64 are allowed"),
]


@pytest.mark.parametrize(("text", "expected"), INVALID_QUANTITIES)
def test_invalid_quantities(text: str, expected: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_quantity(text)
    assert expected in str(excinfo.value)


def test_syntax_errors_show_an_example() -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_quantity("lots")
    assert str(excinfo.value).startswith(
        'must be a Kubernetes quantity such as "500m", "2" or "4Gi"'
    )


def test_sixty_four_characters_are_allowed() -> None:
    assert parse_quantity("1" * 64) == Decimal("1" * 64)


@pytest.mark.parametrize("text", ["1", "500m", "1n", "4Gi", "1e-9", "0.001"])
def test_positive_quantities(text: str) -> None:
    assert is_positive_quantity_problem(text) is None


@pytest.mark.parametrize("text", ["0", "0m", "-1", "-500m", "0Gi", "-0", "0e5"])
def test_quantities_that_are_not_positive(text: str) -> None:
    assert is_positive_quantity_problem(text) == "must be greater than zero"


@pytest.mark.parametrize("text", ["", "two", "1 Gi", "4GB", "1.2.3"])
def test_positive_check_of_malformed_quantities(text: str) -> None:
    problem = is_positive_quantity_problem(text)
    assert problem is not None
    assert problem.startswith('must be a Kubernetes quantity such as "500m", "2" or "4Gi"')


CPU_FORMS = [
    ("0", "0"),
    ("1", "1"),
    ("2", "2"),
    ("2.000", "2"),
    ("16", "16"),
    ("0.25", "250m"),
    ("0.5", "500m"),
    ("1.5", "1500m"),
    ("0.001", "1m"),
    ("0.0001", "1m"),
    ("0.0010001", "2m"),
    ("1.9999", "2"),
    ("1000", "1000"),
    ("1E+3", "1000"),
    ("-0.5", "-500m"),
    ("-0.0005", "0"),
]


@pytest.mark.parametrize(("value", "expected"), CPU_FORMS)
def test_format_cpu(value: str, expected: str) -> None:
    assert format_cpu(Decimal(value)) == expected


BYTE_FORMS = [
    ("0", "0"),
    ("1", "1"),
    ("1000", "1000"),
    ("1023", "1023"),
    ("1024", "1Ki"),
    ("1536", "1536"),
    ("1572864", "1536Ki"),
    (str(1536 * 1024**2), "1536Mi"),
    (str(4 * 1024**3), "4Gi"),
    (str(1024**4), "1Ti"),
    (str(3 * 1024**5), "3Pi"),
    (str(1024**6), "1Ei"),
    (str(2048 * 1024**6), "2048Ei"),
    ("0.5", "1"),
    ("1023.1", "1Ki"),
    ("-2048", "-2Ki"),
]


@pytest.mark.parametrize(("value", "expected"), BYTE_FORMS)
def test_format_bytes(value: str, expected: str) -> None:
    assert format_bytes(Decimal(value)) == expected


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_formatting_refuses_values_that_are_not_numbers(value: str) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        format_cpu(Decimal(value))
    with pytest.raises(ValueError, match="not a finite number"):
        format_bytes(Decimal(value))


@given(st.text(max_size=80))
def test_parse_raises_nothing_but_value_error(text: str) -> None:
    try:
        value = parse_quantity(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert value.is_finite()


_QUANTITY_TEXT = st.from_regex(
    r"[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})"
    r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]{1,2})?",
    fullmatch=True,
)


@given(_QUANTITY_TEXT)
def test_every_text_of_the_grammar_parses(text: str) -> None:
    assert parse_quantity(text).is_finite()


@given(st.integers(min_value=0, max_value=2**70))
def test_format_bytes_round_trips_whole_bytes(count: int) -> None:
    text = format_bytes(Decimal(count))
    assert parse_quantity(text) == count
    expected_problem = None if count else "must be greater than zero"
    assert is_positive_quantity_problem(text) == expected_problem


@given(st.integers(min_value=0, max_value=10**12))
def test_format_cpu_round_trips_whole_millicores(millicores: int) -> None:
    value = Decimal(millicores) / 1000
    assert parse_quantity(format_cpu(value)) == value


@given(st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, places=6))
def test_format_cpu_never_asks_for_less(value: Decimal) -> None:
    formatted = parse_quantity(format_cpu(value))
    assert value <= formatted < value + Decimal("0.001")
