"""The decisions of the wait helpers, free of I/O so both clients share them.

A vcluster wait alternates two steps until it is done or out of time: read
the current state with GetVCluster, then follow WatchVClusters for a while
(the stream replays the current state first, so nothing is missed). When the
watch cannot be used (not implemented, unavailable, ...), it polls GetVCluster
with a growing interval instead. Snapshots have no watch and are polled.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from openvcluster._enums import phase_name, snapshot_phase_name
from openvcluster.errors import (
    NotFoundError,
    SnapshotFailedError,
    VClusterFailedError,
    WaitTimeoutError,
)
from openvcluster.v1 import snapshot_pb2, vcluster_pb2
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse

__all__ = ["SnapshotWaiter", "VClusterWaiter", "resting_phase"]

_Phase = vcluster_pb2.VCluster.Phase
_RESTING: dict[int, vcluster_pb2.VCluster.Phase.ValueType] = {
    _Phase.PHASE_PROVISIONING: _Phase.PHASE_RUNNING,
    _Phase.PHASE_SCALING: _Phase.PHASE_RUNNING,
    _Phase.PHASE_SUSPENDING: _Phase.PHASE_SUSPENDED,
    _Phase.PHASE_RESUMING: _Phase.PHASE_RUNNING,
    _Phase.PHASE_RESTORING: _Phase.PHASE_RUNNING,
}

# A watch is followed at most this long before the state is read again: it
# bounds how late a deletion that raced with the start of the watch is seen.
WATCH_SEGMENT = 10.0
_FIRST_DELETION_SEGMENT = 0.5
_FIRST_POLL = 0.05
_MAX_POLL = 1.0


def resting_phase(
    phase: vcluster_pb2.VCluster.Phase.ValueType,
) -> vcluster_pb2.VCluster.Phase.ValueType:
    """The phase an intermediate phase ends in on its own (itself for a resting phase)."""
    return _RESTING.get(phase, phase)


class _Waiter:
    def __init__(self, timeout: float | None, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._timeout = timeout
        self._deadline = None if timeout is None else clock() + timeout
        self._poll = _FIRST_POLL

    def remaining(self) -> float | None:
        """Seconds left, or ``None`` for no limit."""
        return None if self._deadline is None else max(self._deadline - self._clock(), 0.0)

    def expired(self) -> bool:
        """Whether the time is up."""
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def call_timeout(self, timeout: float | None) -> float | None:
        """The deadline of one call made while waiting: never beyond the wait's end."""
        remaining = self.remaining()
        if remaining is None:
            return timeout
        remaining = max(remaining, 0.001)
        return remaining if timeout is None else min(timeout, remaining)

    def poll_delay(self) -> float:
        """The next pause between two reads: 50 ms, growing to 1 s, cut to the time left."""
        delay = self._poll
        self._poll = min(self._poll * 2, _MAX_POLL)
        remaining = self.remaining()
        return delay if remaining is None else min(delay, remaining)

    def _timeout_text(self) -> str:
        return f"within {self._timeout:g} s" if self._timeout is not None else "in time"


class VClusterWaiter(_Waiter):
    """Waits for a vcluster to reach ``target``, or to be gone when ``target`` is ``None``."""

    def __init__(
        self,
        namespace: str,
        name: str,
        target: vcluster_pb2.VCluster.Phase.ValueType | None,
        timeout: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(timeout, clock)
        self.namespace = namespace
        self.name = name
        self.target = target
        self.last_seen: vcluster_pb2.VCluster | None = None
        self.use_watch = True
        self._segment = _FIRST_DELETION_SEGMENT

    def observe(self, vcluster: vcluster_pb2.VCluster) -> bool:
        """Takes a state in: ``True`` when the wait is over.

        Raises VClusterFailedError when the vcluster is FAILED and another phase is awaited.
        """
        self.last_seen = vcluster
        phase = vcluster.status.phase
        if self.target is not None and phase == self.target:
            return True
        if phase == _Phase.PHASE_FAILED and self.target != _Phase.PHASE_FAILED:
            raise VClusterFailedError(vcluster)
        return False

    def observe_gone(self) -> bool:
        """The vcluster does not exist: done when awaiting deletion, NotFoundError otherwise."""
        if self.target is None:
            return True
        raise NotFoundError(
            f"vcluster {self.namespace}/{self.name} does not exist "
            f"(it was deleted while waiting for {phase_name(self.target)})"
        )

    def observe_event(self, event: WatchVClustersResponse) -> bool:
        """Takes a watch event in: ``True`` when the wait is over."""
        if event.vcluster.name != self.name or event.vcluster.namespace != self.namespace:
            return False
        if event.type == WatchVClustersResponse.EVENT_TYPE_DELETED:
            self.last_seen = event.vcluster
            return self.observe_gone()
        return self.observe(event.vcluster)

    def watch_failed(self) -> None:
        """The watch cannot be used: poll from now on."""
        self.use_watch = False

    def watch_timeout(self) -> float:
        """How long to follow the watch before reading the state again.

        A deletion that happens between the read and the start of the watch
        leaves no trace in the watch, so deletion waits start with short
        stretches, doubling up to the regular one.
        """
        segment = WATCH_SEGMENT
        if self.target is None:
            segment = self._segment
            self._segment = min(self._segment * 2, WATCH_SEGMENT)
        remaining = self.remaining()
        return segment if remaining is None else max(min(segment, remaining), 0.001)

    def timeout_error(self) -> WaitTimeoutError:
        """The error to raise when the time is up."""
        goal = (
            "was not deleted" if self.target is None else f"did not reach {phase_name(self.target)}"
        )
        seen = ""
        if self.last_seen is not None:
            seen = f" (last seen {phase_name(self.last_seen.status.phase)})"
        return WaitTimeoutError(
            f"vcluster {self.namespace}/{self.name} {goal} {self._timeout_text()}{seen}",
            last_seen=self.last_seen,
        )


class SnapshotWaiter(_Waiter):
    """Waits for a snapshot to reach ``target`` (READY by default) by polling."""

    def __init__(
        self,
        namespace: str,
        name: str,
        target: snapshot_pb2.Snapshot.Phase.ValueType,
        timeout: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(timeout, clock)
        self.namespace = namespace
        self.name = name
        self.target = target
        self.last_seen: snapshot_pb2.Snapshot | None = None

    def observe(self, snapshot: snapshot_pb2.Snapshot) -> bool:
        """Takes a state in: ``True`` when reached; SnapshotFailedError on FAILED."""
        self.last_seen = snapshot
        if snapshot.phase == self.target:
            return True
        if snapshot.phase == snapshot_pb2.Snapshot.PHASE_FAILED:
            raise SnapshotFailedError(snapshot)
        return False

    def timeout_error(self) -> WaitTimeoutError:
        """The error to raise when the time is up."""
        seen = ""
        if self.last_seen is not None:
            seen = f" (last seen {snapshot_phase_name(self.last_seen.phase)})"
        return WaitTimeoutError(
            f"snapshot {self.namespace}/{self.name} did not reach "
            f"{snapshot_phase_name(self.target)} {self._timeout_text()}{seen}",
            last_seen=self.last_seen,
        )
