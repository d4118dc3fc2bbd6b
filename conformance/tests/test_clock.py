"""Clock cases: the day they play on and the placeholders that move the server clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from conformance.clock import CaseClock, ClockDay, ClockError

SERVER_NOW = datetime(2026, 12, 6, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "picked"),
    [
        ("UTC", "next", date(2026, 12, 8)),
        ("America/New_York", "spring_forward", date(2027, 3, 14)),
        ("America/New_York", "fall_back", date(2027, 11, 7)),
        ("Europe/Berlin", "spring_forward", date(2027, 3, 28)),
        ("Australia/Sydney", "spring_forward", date(2027, 10, 3)),
    ],
)
def test_the_day_is_picked_from_the_server_time(zone: str, day: str, picked: date) -> None:
    assert CaseClock(ClockDay(zone, day), SERVER_NOW).day == picked


def test_at_is_local_time_on_the_day_in_utc() -> None:
    clock = CaseClock(ClockDay("America/New_York", "spring_forward"), SERVER_NOW)
    assert clock.resolve("at:-1 09:00") == "2027-03-13T14:00:00Z"
    assert clock.resolve("at:0 09:00") == "2027-03-14T13:00:00Z"
    assert clock.resolve("at:+1 02:30") == "2027-03-15T06:30:00Z"


def test_advances_start_where_the_last_one_ended() -> None:
    clock = CaseClock(ClockDay("UTC", "next"), SERVER_NOW)
    first = clock.resolve("advance:0 12:00")
    assert first == str(int((datetime(2026, 12, 8, 12, tzinfo=UTC) - SERVER_NOW).total_seconds()))
    assert clock.resolve("advance:0 20:00") == str(8 * 3600)
    assert clock.planned == datetime(2026, 12, 8, 20, tzinfo=UTC)
    with pytest.raises(ClockError, match="not after"):
        clock.resolve("advance:0 19:00")


def test_other_keys_are_left_to_the_caller_and_bad_ones_are_named() -> None:
    clock = CaseClock(ClockDay("UTC", "next"), SERVER_NOW)
    assert clock.resolve("ns") is None
    with pytest.raises(ClockError, match="must read"):
        clock.resolve("at:tomorrow")


def test_a_declaration_needs_a_zone_and_a_day() -> None:
    with pytest.raises(ClockError, match="mapping of zone and day"):
        ClockDay.parse({"zone": "UTC"}, "here")
    assert ClockDay.parse({"zone": "UTC", "day": "next"}, "here") == ClockDay("UTC", "next")
