"""The sleep-schedule and expiry flags of ``ovc create`` and ``ovc update``, and
how an update merges them into the schedule a vcluster has."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click

from openvcluster.cli.base import POSITIVE_DURATION
from openvcluster.v1 import vcluster_pb2

__all__ = ["created_schedule", "expire_time_in", "merged_schedule", "schedule_options"]

F = TypeVar("F", bound=Callable[..., Any])


def schedule_options(f: F) -> F:
    """``--sleep-at``, ``--wake-at``, ``--timezone`` and ``--expire-in``."""
    f = click.option(
        "--expire-in",
        type=POSITIVE_DURATION,
        metavar="DURATION",
        help="Delete it this long from now: 30m, 72h, 7d.",
    )(f)
    f = click.option(
        "--timezone",
        metavar="TZ",
        help="IANA time zone the crons are read in: Europe/Berlin (default UTC).",
    )(f)
    f = click.option(
        "--wake-at",
        metavar="CRON",
        help='When to resume it, a cron: "0 7 * * 1-5" (weekdays at 07:00).',
    )(f)
    return click.option(
        "--sleep-at",
        metavar="CRON",
        help='When to suspend it, a cron: "0 19 * * 1-5" (weekdays at 19:00).',
    )(f)


def expire_time_in(seconds: float | None) -> datetime | None:
    """The time ``seconds`` from now (by this machine's clock), or ``None``."""
    if seconds is None:
        return None
    return datetime.now(UTC) + timedelta(seconds=seconds)


def created_schedule(
    sleep_at: str | None, wake_at: str | None, timezone: str | None
) -> vcluster_pb2.SleepSchedule | None:
    """The schedule of ``ovc create``'s flags, or ``None`` without any."""
    if sleep_at is None and wake_at is None:
        if timezone is not None:
            raise click.UsageError("--timezone needs --sleep-at or --wake-at")
        return None
    return vcluster_pb2.SleepSchedule(
        suspend_cron=sleep_at or "", resume_cron=wake_at or "", time_zone=timezone or ""
    )


def merged_schedule(
    current: vcluster_pb2.VCluster, sleep_at: str | None, wake_at: str | None, timezone: str | None
) -> vcluster_pb2.SleepSchedule:
    """``current``'s schedule with the flags given applied: each changes its own
    part (``""`` removes a cron), the rest stays.

    A schedule left with no cron is no schedule: the update removes it. A
    ``--timezone`` alone for a vcluster without a schedule is a usage error,
    not a silent no-op.
    """
    merged = vcluster_pb2.SleepSchedule()
    merged.CopyFrom(current.spec.sleep_schedule)
    if sleep_at is not None:
        merged.suspend_cron = sleep_at
    if wake_at is not None:
        merged.resume_cron = wake_at
    if timezone is not None:
        merged.time_zone = timezone
    if sleep_at is None and wake_at is None and not (merged.suspend_cron or merged.resume_cron):
        raise click.UsageError(
            f"vcluster/{current.name} has no sleep schedule for --timezone to change; "
            "give --sleep-at or --wake-at too"
        )
    return merged
