"""Cases that move the server's clock: which day they play on, and by how much.

A case that declares ``clock: {zone: ZONE, day: DAY}`` tests sleep schedules
or expiry. It runs alone, after a client's other cases (moving the clock under
them would expire their request ids), and its steps move the server's clock
with the test hook ``ovc-test-clock-advance-seconds``, never forward by more
than they say. The clock only goes forward, so the case's day ``D`` is chosen
when the case is planned, from the server's ``server_time`` then:

``day: next``
    the second day after the server's date in ZONE (a day whose previous
    day is still ahead, so ``${advance:-1 12:00}`` works);
``day: spring_forward`` / ``day: fall_back``
    the next day at least two days ahead on which ZONE's clocks go forward
    (or back) for daylight saving.

Placeholders:

``${at:N HH:MM}``
    the instant (RFC 3339, UTC) of local time HH:MM on day D+N in ZONE;
``${advance:N HH:MM}``
    the whole seconds that move the server clock from where the case left it
    to that instant: the case's steps run in order, so each advance starts
    where the one before ended. Real time passing during the run makes the
    clock a little later than planned; cases leave hours between what they
    move to and what they expect, so that never matters.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("next", "spring_forward", "fall_back")
_PLACEHOLDER = re.compile(r"^(at|advance):([-+]?\d+) (\d{2}):(\d{2})$")
# How far ahead a daylight-saving change is looked for.
_SEARCH_DAYS = 800


class ClockError(ValueError):
    """A clock declaration or placeholder that cannot be used."""


@dataclass(frozen=True)
class ClockDay:
    """A case's ``clock:`` declaration."""

    zone: str
    day: str

    @staticmethod
    def parse(raw: object, where: str) -> ClockDay:
        """The declaration of a case file; ClockError naming ``where`` when it is wrong."""
        if not isinstance(raw, dict) or set(raw) != {"zone", "day"}:
            raise ClockError(f"{where}: clock must be a mapping of zone and day")
        zone, day = str(raw["zone"]), str(raw["day"])
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ClockError(f"{where}: clock zone {zone!r} is no IANA time zone") from exc
        if day not in DAYS:
            raise ClockError(f"{where}: clock day must be one of {', '.join(DAYS)}")
        return ClockDay(zone, day)


class CaseClock:
    """Where one case run expects the server clock, step after step."""

    def __init__(self, declared: ClockDay, server_now: datetime) -> None:
        self.zone = ZoneInfo(declared.zone)
        self.day = _pick_day(declared.day, self.zone, server_now)
        self._planned = server_now

    @property
    def planned(self) -> datetime:
        """Where the clock is after the advances planned so far."""
        return self._planned

    def resolve(self, key: str) -> str | None:
        """The value of an ``at:`` or ``advance:`` placeholder; None for other keys."""
        match = _PLACEHOLDER.match(key)
        if match is None:
            if key.startswith(("at:", "advance:")):
                raise ClockError(f'${{{key}}} must read "at:N HH:MM" or "advance:N HH:MM"')
            return None
        kind, offset, hour, minute = match.groups()
        local = datetime.combine(
            self.day + timedelta(days=int(offset)), time(int(hour), int(minute))
        )
        instant = local.replace(tzinfo=self.zone).astimezone(UTC)
        if kind == "at":
            return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
        seconds = math.ceil((instant - self._planned).total_seconds())
        if seconds <= 0:
            raise ClockError(f"${{{key}}} is not after where the clock was moved before")
        self._planned = instant
        return str(seconds)


def _pick_day(day: str, zone: ZoneInfo, server_now: datetime) -> date:
    start = server_now.astimezone(zone).date() + timedelta(days=2)
    if day == "next":
        return start
    for ahead in range(_SEARCH_DAYS):
        candidate = start + timedelta(days=ahead)
        change = _offset_on(candidate + timedelta(days=1), zone) - _offset_on(candidate, zone)
        if (change > timedelta(0)) == (day == "spring_forward") and change != timedelta(0):
            return candidate
    raise ClockError(f"{zone.key} changes no clocks in the next {_SEARCH_DAYS} days")


def _offset_on(day: date, zone: ZoneInfo) -> timedelta:
    offset = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
    return offset if offset is not None else timedelta(0)
