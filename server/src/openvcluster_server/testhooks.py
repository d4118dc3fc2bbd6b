"""Failure injection through request metadata, for testing SDKs against this server.

Honoured only when the server runs with ``--enable-test-hooks``; otherwise
the metadata is ignored. The hooks:

``ovc-test-unavailable: <key>:<n>``
    Calls carrying the same key fail with UNAVAILABLE, before doing anything,
    until ``n`` of them have failed; later calls with that key proceed. An SDK
    resends the same metadata on every retry, so "fail twice, then succeed"
    needs no coordination. Use a key per test.
``ovc-test-unavailable-after: <key>:<n>``
    The same, but the call is carried out first and only its answer is
    replaced by UNAVAILABLE: a lost response, which request ids make safe.
``ovc-test-delay-ms: <ms>``
    The server waits this long before handling the call (deadline tests).
``ovc-test-fail-transition: <message>``
    The transition this mutation starts ends in FAILED with this status message.
``ovc-test-transition-delay-ms: <ms>``
    Each step of the transition this mutation starts takes this long instead
    of the configured delay. A long one holds a vcluster in its intermediate
    phase (SUSPENDING, ...) or a snapshot unfinished, so a client can see how
    calls are answered there.
``ovc-test-clock-advance-seconds: <seconds>``
    Moves the server's clock (clock.py) this far forward before the call, for
    good: timestamps, sleep schedules and expiry follow it, so a test sees a
    scheduled suspend fire without waiting for its time. The call is handled
    once the scheduler has acted on the new time (started what fell due and
    recorded its next times); transitions it started go on as usual. The clock never goes
    back; a test that needs a particular local time asks GetServerInfo for
    ``server_time`` and advances by the difference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openvcluster_server.errors import invalid_field

UNAVAILABLE = "ovc-test-unavailable"
UNAVAILABLE_AFTER = "ovc-test-unavailable-after"
DELAY_MS = "ovc-test-delay-ms"
FAIL_TRANSITION = "ovc-test-fail-transition"
TRANSITION_DELAY_MS = "ovc-test-transition-delay-ms"
CLOCK_ADVANCE_SECONDS = "ovc-test-clock-advance-seconds"
MAX_DELAY_MS = 60_000
MAX_TRANSITION_DELAY_MS = 3_600_000
# Ten years: far enough for any schedule, small enough for every timestamp type.
MAX_CLOCK_ADVANCE_SECONDS = 10 * 366 * 86_400


@dataclass(frozen=True)
class HookPlan:
    """What the hooks ask of one call."""

    delay_seconds: float = 0.0
    fail_before: bool = False
    fail_after: bool = False
    fail_transition: str | None = None
    # Seconds per transition step; None keeps the configured delay.
    transition_delay: float | None = None
    clock_advance_seconds: int = 0


NO_HOOKS = HookPlan()


class TestHooks:
    """Reads hook metadata and keeps the per-key failure counters."""

    __test__ = False  # not a pytest test class

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._failed: dict[tuple[str, str], int] = {}

    def plan(self, metadata: Iterable[tuple[str, str | bytes]]) -> HookPlan:
        """The hooks requested by a call's metadata; NO_HOOKS when disabled."""
        if not self.enabled:
            return NO_HOOKS
        values = {k: str(v) for k, v in metadata if k.startswith("ovc-test-")}
        if not values:
            return NO_HOOKS
        delay = 0.0
        if DELAY_MS in values:
            delay = _int(values[DELAY_MS], DELAY_MS, 0, MAX_DELAY_MS) / 1000
        transition_delay = None
        if TRANSITION_DELAY_MS in values:
            transition_delay = (
                _int(values[TRANSITION_DELAY_MS], TRANSITION_DELAY_MS, 0, MAX_TRANSITION_DELAY_MS)
                / 1000
            )
        return HookPlan(
            delay_seconds=delay,
            fail_before=UNAVAILABLE in values and self._take(UNAVAILABLE, values[UNAVAILABLE]),
            fail_after=UNAVAILABLE_AFTER in values
            and self._take(UNAVAILABLE_AFTER, values[UNAVAILABLE_AFTER]),
            fail_transition=values.get(FAIL_TRANSITION),
            transition_delay=transition_delay,
            clock_advance_seconds=_int(
                values.get(CLOCK_ADVANCE_SECONDS, "0"),
                CLOCK_ADVANCE_SECONDS,
                0,
                MAX_CLOCK_ADVANCE_SECONDS,
            ),
        )

    def _take(self, hook: str, value: str) -> bool:
        """Whether this call is one of the ``n`` that fail for the value's key."""
        key, sep, count = value.rpartition(":")
        if not sep or not key:
            raise invalid_field(f"metadata.{hook}", 'must read "<key>:<count>"')
        limit = _int(count, hook, 0, 1000)
        failed = self._failed.get((hook, key), 0)
        if failed >= limit:
            return False
        self._failed[(hook, key)] = failed + 1
        return True


def _int(text: str, hook: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise invalid_field(f"metadata.{hook}", f"must be a whole number from {low} to {high}")
    return value
