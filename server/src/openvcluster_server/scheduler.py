"""Carries out sleep schedules and expiry, for either backend.

Level-triggered: each pass reads every vcluster from the backend's view and
acts on what is due by the server clock (status.next_suspend_time,
next_resume_time, spec.expire_time), through the same mutations a caller
uses, as the identity ``system:scheduler``, so every action is in the
operation history. After an action (or a refusal) the vcluster's next times
are counted from now, which is what makes a time missed while the server was
down fire once, not once per missed occurrence. The pass then sleeps until the
next time due, a change to any vcluster, or a move of the test clock.

On the Kubernetes backend only the leader runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server import phases, schedules
from openvcluster_server.auth import EDITOR, Principal
from openvcluster_server.backend import VClusterWrites
from openvcluster_server.clock import CLOCK, Clock
from openvcluster_server.errors import ApiError
from openvcluster_server.phases import Phase, phase_name
from openvcluster_server.resources import key_of
from openvcluster_server.store import Key, Store
from openvcluster_server.watch import WatchHub

log = logging.getLogger(__name__)

SCHEDULER = Principal(
    name="system:scheduler", role=EDITOR, namespaces=None, scope="system:scheduler"
)
# The longest a pass sleeps with nothing due: a bound on missing a wake-up.
_IDLE_SECONDS = 60.0
# Writes a vcluster's status as ``edit`` changes it (re-read first; no write
# when nothing changed).
Recorder = Callable[[Key, Callable[[VCluster], None]], Awaitable[None]]


class Scheduler:
    """The loop that suspends, resumes and expires vclusters on time."""

    def __init__(
        self,
        view: Store,
        hub: WatchHub,
        writes: VClusterWrites,
        record: Recorder,
        clock: Clock = CLOCK,
    ) -> None:
        self._view = view
        self._hub = hub
        self._writes = writes
        self._record = record
        self._clock = clock
        self._wake = asyncio.Event()
        # One pass at a time: the loop's, or one a clock advance asks for.
        self._passing = asyncio.Lock()
        # What was acted on, by vcluster: a backend whose view lags its writes
        # (a watch cache) still shows the old next time for a moment.
        self._done: dict[Key, set[tuple[str, str]]] = {}

    async def run(self) -> None:
        """Runs passes until cancelled."""
        stop_listening = self._clock.on_advance(self._catch_up)
        self._hub.observers.append(self._changed)
        try:
            while True:
                self._wake.clear()
                wait = await self.run_pass()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
        finally:
            stop_listening()
            self._hub.observers.remove(self._changed)

    async def _catch_up(self) -> None:
        await self.run_pass()
        self._wake.set()  # the loop's wait was counted from the old time

    async def run_pass(self) -> float:
        """Acts on everything due; the seconds until the next thing is."""
        async with self._passing:
            return await self._pass()

    async def _pass(self) -> float:
        now = self._clock.datetime()
        coming: list[datetime] = []
        seen: set[Key] = set()
        for vcluster in list(self._view.scan_vclusters(namespace=None, phase=None, after=None)):
            if not _scheduled(vcluster):
                continue
            seen.add(key_of(vcluster))
            if vcluster.status.phase == Phase.PHASE_DELETING:
                continue
            try:
                await self._act(vcluster, now)
            except Exception:  # one vcluster's trouble must not stop the others' schedules
                log.exception("scheduled action on %s/%s failed", *key_of(vcluster))
            coming += _upcoming(vcluster, now)
        for gone in self._done.keys() - seen:
            del self._done[gone]
        if not coming:
            return _IDLE_SECONDS
        return min(_IDLE_SECONDS, max(0.0, (min(coming) - self._clock.datetime()).total_seconds()))

    def _changed(self, before: VCluster | None, after: VCluster | None) -> None:
        if after is not None and _scheduled(after):
            self._wake.set()

    async def _act(self, vcluster: VCluster, now: datetime) -> None:
        key = key_of(vcluster)
        done = self._done.setdefault(key, set())
        if schedules.expired(vcluster.spec, now):
            await self._expire(vcluster, now, done)
            return
        if any(c.type == schedules.EXPIRED for c in vcluster.status.conditions):
            await self._record(key, lambda vc: _clear(vc, schedules.EXPIRED))
        action = schedules.due_action(vcluster, now)
        if action is None:
            return
        due = (
            vcluster.status.next_suspend_time
            if action is schedules.Action.SUSPEND
            else vcluster.status.next_resume_time
        )
        fired = (action.value, due.ToJsonString())
        if fired in done:
            return
        done.clear()
        done.add(fired)
        refusal = await self._call(action, vcluster)
        current = self._clock.datetime()

        def settle(vc: VCluster) -> None:
            schedules.set_next_times(vc, current)
            if refusal is None:
                schedules.clear_condition(vc, schedules.SCHEDULE_SKIPPED)
                return
            reason = "SuspendRefused" if action is schedules.Action.SUSPEND else "ResumeRefused"
            schedules.set_condition(vc, schedules.SCHEDULE_SKIPPED, reason, refusal, current)

        await self._record(key, settle)

    async def _call(self, action: schedules.Action, vcluster: VCluster) -> str | None:
        """Suspends or resumes; why it was refused, or None. A vcluster already
        there (or on its way) is left alone: no call, no operation."""
        namespace, name = key_of(vcluster)
        resting = phases.SUSPEND_NOOP if action is schedules.Action.SUSPEND else phases.RESUME_NOOP
        if vcluster.status.phase in resting:
            return None
        try:
            if action is schedules.Action.SUSPEND:
                await _settled(
                    self._writes.suspend_vcluster(
                        SCHEDULER, api.SuspendVClusterRequest(namespace=namespace, name=name)
                    )
                )
            else:
                await _settled(
                    self._writes.resume_vcluster(
                        SCHEDULER, api.ResumeVClusterRequest(namespace=namespace, name=name)
                    )
                )
        except ApiError as exc:
            log.info("scheduled %s of %s/%s skipped: %s", action.value, namespace, name, exc)
            return (
                f"the scheduled {action.value} was skipped while the vcluster was "
                f"{phase_name(vcluster.status.phase)}: {exc.message}"
            )
        log.info("scheduled %s of %s/%s", action.value, namespace, name)
        return None

    async def _expire(self, vcluster: VCluster, now: datetime, done: set[tuple[str, str]]) -> None:
        namespace, name = key_of(vcluster)
        expiry = ("expire", vcluster.spec.expire_time.ToJsonString())
        if vcluster.spec.deletion_protection:
            reason, message = (
                "DeletionProtected",
                "expire_time has passed; the vcluster is kept while deletion_protection is on",
            )
        elif expiry in done:
            return
        else:
            done.add(expiry)
            request = api.DeleteVClusterRequest(
                namespace=namespace,
                name=name,
                delete_snapshots=vcluster.spec.delete_snapshots_on_expiry,
            )
            try:
                await _settled(self._writes.delete_vcluster(SCHEDULER, request))
                log.info("expired %s/%s deleted", namespace, name)
                return
            except ApiError as exc:
                reason, message = "DeletionRefused", f"expire_time has passed: {exc.message}"
        if not any(
            c.type == schedules.EXPIRED and c.reason == reason for c in vcluster.status.conditions
        ):
            await self._record(
                key_of(vcluster),
                lambda vc: schedules.set_condition(vc, schedules.EXPIRED, reason, message, now),
            )


def _scheduled(vcluster: VCluster) -> bool:
    spec = vcluster.spec
    return spec.HasField("sleep_schedule") or spec.HasField("expire_time")


def _upcoming(vcluster: VCluster, now: datetime) -> list[datetime]:
    """The times still ahead at which this vcluster has something due."""
    stamps = [vcluster.status.next_suspend_time, vcluster.status.next_resume_time]
    if vcluster.spec.HasField("expire_time"):
        stamps.append(vcluster.spec.expire_time)
    times = [stamp.ToDatetime(now.tzinfo) for stamp in stamps if stamp.ByteSize()]
    return [time for time in times if time > now]


def _clear(vcluster: VCluster, kind: str) -> None:
    schedules.clear_condition(vcluster, kind)


async def _settled(answer: object) -> None:
    if inspect.isawaitable(answer):
        await answer
