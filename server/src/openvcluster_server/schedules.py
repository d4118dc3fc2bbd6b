"""Sleep schedules and expiry as pure functions: checking them, and what is due.

Cron expressions are read by cronsim and time zones by zoneinfo, never by
hand, so daylight-saving changes follow the libraries: a local time a change
skips comes at the first minute after it, one that happens twice comes once.
Both backends and the scheduler (scheduler.py) use these; nothing here does
I/O or reads the clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from google.protobuf.timestamp_pb2 import Timestamp

from openvcluster.v1.vcluster_pb2 import Condition, SleepSchedule, VCluster, VClusterSpec
from openvcluster_server.errors import FieldViolations

# Conditions the scheduler sets (see SleepSchedule and VClusterSpec.expire_time).
SCHEDULE_SKIPPED = "ScheduleSkipped"
EXPIRED = "Expired"
_FIELDS = 5
# The proto's limit on a cron expression's length.
MAX_CRON = 100
# The range of google.protobuf.Timestamp: 0001-01-01 to 9999-12-31.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799
# Zone names are looked up on disk by zoneinfo; refuse anything that is no
# plain IANA key before it gets there.
_ZONE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-")


class Action(enum.Enum):
    """What a schedule asks for."""

    SUSPEND = "suspend"
    RESUME = "resume"


@dataclass(frozen=True)
class NextTimes:
    """When a schedule acts next; None for an action it does not have."""

    suspend: datetime | None
    resume: datetime | None


def check_schedule(violations: FieldViolations, field: str, schedule: SleepSchedule) -> None:
    """Records each invalid cron or zone of ``schedule``, named under ``field``."""
    zone = _zone(violations, f"{field}.time_zone", schedule.time_zone)
    for name in ("suspend_cron", "resume_cron"):
        expression = getattr(schedule, name)
        if not expression or len(expression) > MAX_CRON:  # too long: the proto's rule says so
            continue
        problem = cron_problem(expression)
        if problem is None and zone is not None and _next(expression, zone, _EPOCH) is None:
            problem = "never comes"
        if problem is not None:
            violations.add(f"{field}.{name}", problem)


def check_expire_time(
    violations: FieldViolations, field: str, expire_time: Timestamp, now: float | None
) -> None:
    """An expiry must be a valid time and, at create (``now`` given), lie ahead; an
    update may set a past one, which expires the vcluster at once."""
    if not expire_time.ByteSize():
        return
    if not (
        _MIN_SECONDS <= expire_time.seconds <= _MAX_SECONDS
        and 0 <= expire_time.nanos < 1_000_000_000
    ):
        violations.add(field, "must be a time between 0001-01-01 and 9999-12-31 (UTC)")
    elif now is not None and expire_time.ToNanoseconds() / 1e9 <= now:
        violations.add(field, f"{expire_time.ToJsonString()} is not in the future")


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is no standard five-field cron expression, or None."""
    if not expression.isascii() or not expression.isprintable():
        return 'must be plain ASCII text, such as "0 19 * * 1-5"'
    fields = expression.split()
    if len(fields) != _FIELDS:
        return (
            f"must have 5 fields (minute hour day-of-month month day-of-week), "
            f'such as "0 19 * * 1-5"; got {len(fields)}'
        )
    try:
        CronSim(expression, _EPOCH)
    except (CronSimError, ValueError, IndexError, KeyError, OverflowError) as exc:
        return f'is not a valid cron expression: {str(exc).lower()} in "{expression}"'
    return None


def apply_schedule_defaults(spec: VClusterSpec) -> None:
    """An empty schedule is none; a schedule without a zone is read in UTC."""
    if not spec.HasField("sleep_schedule"):
        return
    schedule = spec.sleep_schedule
    if not schedule.suspend_cron and not schedule.resume_cron:
        spec.ClearField("sleep_schedule")
    elif not schedule.time_zone:
        schedule.time_zone = "UTC"


def zone_of(schedule: SleepSchedule) -> ZoneInfo:
    """The schedule's time zone (UTC when empty); the schedule was checked before."""
    return ZoneInfo(schedule.time_zone or "UTC")


def next_times(schedule: SleepSchedule, after: datetime) -> NextTimes:
    """When the schedule suspends and resumes next, strictly after ``after``."""
    zone = zone_of(schedule)
    return NextTimes(
        _next(schedule.suspend_cron, zone, after) if schedule.suspend_cron else None,
        _next(schedule.resume_cron, zone, after) if schedule.resume_cron else None,
    )


def due_action(vcluster: VCluster, now: datetime) -> Action | None:
    """The scheduled action to take now, if one's next time has come.

    When both have come (the server was down through a whole sleep window),
    the one whose latest occurrence is the more recent wins: catching up
    means reaching the state the schedule asks for now, once.
    """
    status = vcluster.status
    due = [
        action
        for action, stamp in (
            (Action.SUSPEND, status.next_suspend_time),
            (Action.RESUME, status.next_resume_time),
        )
        if stamp.ByteSize() and stamp.ToDatetime(UTC) <= now
    ]
    if len(due) < 2:
        return due[0] if due else None
    schedule = vcluster.spec.sleep_schedule
    zone = zone_of(schedule)
    last_suspend = _last(schedule.suspend_cron, zone, now)
    last_resume = _last(schedule.resume_cron, zone, now)
    return Action.SUSPEND if last_suspend >= last_resume else Action.RESUME


def expired(spec: VClusterSpec, now: datetime) -> bool:
    """Whether the vcluster's expire_time has come."""
    return spec.HasField("expire_time") and spec.expire_time.ToDatetime(UTC) <= now


def set_next_times(vcluster: VCluster, after: datetime) -> None:
    """Writes the schedule's next times into the status (clears them without one)."""
    status = vcluster.status
    status.ClearField("next_suspend_time")
    status.ClearField("next_resume_time")
    if not vcluster.spec.HasField("sleep_schedule"):
        return
    times = next_times(vcluster.spec.sleep_schedule, after)
    if times.suspend is not None:
        status.next_suspend_time.FromDatetime(times.suspend)
    if times.resume is not None:
        status.next_resume_time.FromDatetime(times.resume)


def set_condition(vcluster: VCluster, kind: str, reason: str, message: str, at: datetime) -> None:
    """Sets a true condition of ``kind`` (its transition time kept if it was true already)."""
    for condition in vcluster.status.conditions:
        if condition.type == kind:
            if condition.status != Condition.Status.STATUS_TRUE:
                condition.last_transition_time.FromDatetime(at)
            condition.status = Condition.Status.STATUS_TRUE
            condition.reason = reason
            condition.message = message
            return
    added = vcluster.status.conditions.add(
        type=kind, status=Condition.Status.STATUS_TRUE, reason=reason, message=message
    )
    added.last_transition_time.FromDatetime(at)


def clear_condition(vcluster: VCluster, kind: str) -> bool:
    """Removes the condition ``kind``; whether there was one."""
    kept = [c for c in vcluster.status.conditions if c.type != kind]
    if len(kept) == len(vcluster.status.conditions):
        return False
    del vcluster.status.conditions[:]
    vcluster.status.conditions.extend(kept)
    return True


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _zone(violations: FieldViolations, field: str, name: str) -> ZoneInfo | None:
    if not name:
        return ZoneInfo("UTC")
    if not set(name) <= _ZONE_CHARACTERS or name.startswith("/") or ".." in name:
        violations.add(field, f'"{name}" is not an IANA time zone name such as "Europe/Berlin"')
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        violations.add(field, f'"{name}" is not a known IANA time zone, such as "Europe/Berlin"')
        return None


def _next(expression: str, zone: ZoneInfo, after: datetime) -> datetime | None:
    try:
        return next(CronSim(expression, after.astimezone(zone))).astimezone(UTC)
    except (StopIteration, CronSimError, OverflowError, ValueError):
        return None


def _last(expression: str, zone: ZoneInfo, at_or_before: datetime) -> datetime:
    try:
        found = next(CronSim(expression, at_or_before.astimezone(zone), reverse=True))
    except (StopIteration, CronSimError, OverflowError, ValueError):
        return _EPOCH
    return found.astimezone(UTC)
