"""The decisions of the wait helpers, free of I/O so both clients share them.

A vcluster wait follows one WatchVClusters stream of that vcluster, whose
deadline is the time left of the wait. The stream starts with the current
state (an ADDED event when the vcluster exists) and then one SYNCED event, so
the waiter knows the exact state at the start without a separate read: a
SYNCED with no event of the vcluster before it means the vcluster does not
exist. Every later event is a change; DELETED means gone.

A watch the server ended because it fell behind (RESOURCE_EXHAUSTED) is simply
started again, and one that failed with a retryable code (UNAVAILABLE by
default) is started again under the client's retry policy. When the watch
cannot be used otherwise (not implemented, retries used up, the stream ended
without an error, ...), the wait polls GetVCluster with a growing interval
instead. Snapshots have no watch and are always polled.

A waiter also reports progress: each state it takes in that differs from the
last one it reported (another etag; for a snapshot, any other field) goes to
its ``on_change`` callback before it decides whether the wait is over. The
loops that feed it are in ``_async/wait_loops.py`` (AsyncClient) and the
``_sync`` twin written from it (Client).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

import grpc

from openvcluster._enums import phase_name, snapshot_phase_name
from openvcluster._options import CallSettings
from openvcluster._retry import RetryPolicy, RetryState
from openvcluster.errors import (
    DeadlineExceededError,
    NotFoundError,
    OpenVClusterError,
    SnapshotFailedError,
    VClusterFailedError,
    WaitTimeoutError,
)
from openvcluster.v1 import snapshot_pb2, vcluster_pb2
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse

__all__ = ["SnapshotWaiter", "VClusterWaiter", "resting_phase"]

_State = TypeVar("_State", vcluster_pb2.VCluster, snapshot_pb2.Snapshot)

_Phase = vcluster_pb2.VCluster.Phase
_RESTING: dict[int, vcluster_pb2.VCluster.Phase.ValueType] = {
    _Phase.PHASE_PROVISIONING: _Phase.PHASE_RUNNING,
    _Phase.PHASE_SCALING: _Phase.PHASE_RUNNING,
    _Phase.PHASE_SUSPENDING: _Phase.PHASE_SUSPENDED,
    _Phase.PHASE_RESUMING: _Phase.PHASE_RUNNING,
    _Phase.PHASE_RESTORING: _Phase.PHASE_RUNNING,
    _Phase.PHASE_UPGRADING: _Phase.PHASE_RUNNING,
}
_STATES = (WatchVClustersResponse.EVENT_TYPE_ADDED, WatchVClustersResponse.EVENT_TYPE_MODIFIED)

_FIRST_POLL = 0.05
_MAX_POLL = 1.0


def resting_phase(
    phase: vcluster_pb2.VCluster.Phase.ValueType,
) -> vcluster_pb2.VCluster.Phase.ValueType:
    """The phase an intermediate phase ends in on its own (itself for a resting phase).

    A phase this SDK does not know (one a newer server added) counts as
    intermediate, as the contract asks; it is taken to end in RUNNING, as
    most intermediate phases do.
    """
    if phase not in _Phase.DESCRIPTOR.values_by_number:
        return _Phase.PHASE_RUNNING
    return _RESTING.get(phase, phase)


class _Waiter(Generic[_State]):
    """What every wait tracks: what it waits for, how much time is left, what it
    saw last, and what it last reported to ``on_change``."""

    def __init__(
        self,
        namespace: str,
        name: str,
        timeout: float | None,
        clock: Callable[[], float],
        on_change: Callable[[_State], None] | None,
    ) -> None:
        self.namespace = namespace
        self.name = name
        self.last_seen: _State | None = None
        self._clock = clock
        self._timeout = timeout
        self._deadline = None if timeout is None else clock() + timeout
        self._poll = _FIRST_POLL
        self._on_change: Callable[[_State], None] | None = on_change
        self._reported: _State | None = None

    def _take(self, state: _State) -> None:
        """Records ``state`` as the last seen, and reports it when it is new."""
        self.last_seen = state
        if self._on_change is None:
            return
        if self._reported is not None and self._same(self._reported, state):
            return
        self._reported = state
        self._on_change(state)

    @staticmethod
    def _same(reported: _State, state: _State) -> bool:
        return reported == state

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

    def read_timed_out(self, read_timeout: float | None, timeout: float | None) -> bool:
        """Whether a read that ended with DEADLINE_EXCEEDED ran out of the wait's
        time: the time is up, or the read's deadline (``read_timeout``, from
        call_timeout) was the time left, shorter than the call's own ``timeout``.
        The read's deadline may pass a moment before the wait's clock says the
        time is up, so where the deadline came from decides, not the clock alone."""
        if self.expired():
            return True
        return read_timeout is not None and (timeout is None or read_timeout < timeout)

    def poll_delay(self) -> float:
        """The next pause between two reads: 50 ms, growing to 1 s, cut to the time left."""
        delay = self._poll
        self._poll = min(self._poll * 2, _MAX_POLL)
        return self._cut(delay)

    def _cut(self, delay: float) -> float:
        remaining = self.remaining()
        return delay if remaining is None else min(delay, remaining)

    def _timeout_text(self) -> str:
        return f"within {self._timeout:g} s" if self._timeout is not None else "in time"


class VClusterWaiter(_Waiter[vcluster_pb2.VCluster]):
    """Waits for a vcluster to reach ``target``, or to be gone when ``target`` is ``None``.

    The loops feed it: the state a mutation returned (:meth:`start_from`),
    then the events of a watch (:meth:`watch_started`, :meth:`observe_event`,
    :meth:`watch_ended`), or, once it says to poll, the results of GetVCluster
    (:meth:`observe`, :meth:`observe_gone`, :meth:`poll_delay`). Each new state
    of the vcluster goes to ``on_change`` first.
    """

    def __init__(
        self,
        namespace: str,
        name: str,
        target: vcluster_pb2.VCluster.Phase.ValueType | None,
        timeout: float | None,
        *,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
    ) -> None:
        super().__init__(namespace, name, timeout, clock, on_change)
        self.target = target
        self._retry = retry
        self._retries = RetryState(retry, clock=clock)
        self._rewatch_pause = _FIRST_POLL
        # What the current watch has sent: the vcluster's state, and SYNCED.
        self._present = False
        self._synced = False

    @classmethod
    def under(
        cls,
        namespace: str,
        name: str,
        target: vcluster_pb2.VCluster.Phase.ValueType | None,
        options: CallSettings,
        on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
    ) -> VClusterWaiter:
        """A waiter under the options of a call: its wait timeout and retry policy."""
        return cls(
            namespace, name, target, options.wait_timeout, retry=options.retry, on_change=on_change
        )

    @staticmethod
    def _same(reported: vcluster_pb2.VCluster, state: vcluster_pb2.VCluster) -> bool:
        # The etag changes with every change; without one, compare it all.
        if reported.etag or state.etag:
            return reported.etag == state.etag
        return reported == state

    def start_from(self, vcluster: vcluster_pb2.VCluster) -> bool:
        """Takes in the state a mutation returned: ``True`` when the wait is over.

        A deletion only remembers it (the vcluster is DELETING; the watch tells
        when it is gone); a wait for a phase observes it.
        """
        if self.target is None:
            self.last_seen = vcluster
            return False
        return self.observe(vcluster)

    def observe(self, vcluster: vcluster_pb2.VCluster) -> bool:
        """Takes a state in: ``True`` when the wait is over.

        Every phase but the awaited one and FAILED is a step on the way, UPGRADING
        and phases this SDK does not know included. Raises VClusterFailedError
        when the vcluster is FAILED and another phase is awaited.
        """
        self._take(vcluster)
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
        vcluster, phase = f"vcluster {self.namespace}/{self.name}", phase_name(self.target)
        if self.last_seen is None:
            raise NotFoundError(f"{vcluster} does not exist, so it cannot reach {phase}")
        raise NotFoundError(f"{vcluster} was deleted while waiting for {phase}")

    def watch_started(self) -> None:
        """A new watch begins: it sends the current state again, then SYNCED."""
        self._present = False
        self._synced = False

    def observe_event(self, event: WatchVClustersResponse) -> bool:
        """Takes a watch event in: ``True`` when the wait is over.

        SYNCED with no state of the vcluster before it means the vcluster does
        not exist; DELETED means it is gone. Events of other vclusters and of
        types this SDK does not know are ignored.
        """
        if event.type == WatchVClustersResponse.EVENT_TYPE_SYNCED:
            self._synced = True
            return False if self._present else self.observe_gone()
        if not event.HasField("vcluster"):
            return False
        if event.vcluster.name != self.name or event.vcluster.namespace != self.namespace:
            return False
        if event.type == WatchVClustersResponse.EVENT_TYPE_DELETED:
            self.last_seen = event.vcluster
            self._present = False
            return self.observe_gone()
        if event.type in _STATES:
            self._present = True
            return self.observe(event.vcluster)
        return False

    def watch_timeout(self) -> float | None:
        """The deadline of a watch: the time left of the wait (``None``: no limit)."""
        return self.call_timeout(None)

    def watch_ended(self, error: OpenVClusterError | None) -> float | None:
        """A watch ended before the wait was over (``error`` is ``None`` when the
        stream just ended): the seconds to pause before watching again, or
        ``None`` to poll from now on.

        Raises the timeout error when the time is up: the watch's deadline is
        the wait's.
        """
        if self.expired() or (
            isinstance(error, DeadlineExceededError) and self._deadline is not None
        ):
            raise self.timeout_error() from error
        if error is None:
            return None
        if self._synced:
            # The watch worked: its failure starts a fresh round of retries.
            self._retries = RetryState(self._retry, clock=self._clock)
            self._rewatch_pause = _FIRST_POLL
        if error.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            # The server ended a watcher that fell behind: watch again. Pause
            # only when the watch never got through its initial state, so a
            # server that refuses every watch is not called in a busy loop.
            if self._synced:
                return 0.0
            pause = self._rewatch_pause
            self._rewatch_pause = min(pause * 2, _MAX_POLL)
            return self._cut(pause)
        backoff = self._retries.next_backoff(error.code)
        return None if backoff is None else self._cut(backoff)

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


class SnapshotWaiter(_Waiter[snapshot_pb2.Snapshot]):
    """Waits for a snapshot to reach ``target`` (READY by default) by polling.

    Each read that differs from the last one reported goes to ``on_change`` first.
    """

    def __init__(
        self,
        namespace: str,
        name: str,
        target: snapshot_pb2.Snapshot.Phase.ValueType,
        timeout: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[snapshot_pb2.Snapshot], None] | None = None,
    ) -> None:
        super().__init__(namespace, name, timeout, clock, on_change)
        self.target = target

    def observe(self, snapshot: snapshot_pb2.Snapshot) -> bool:
        """Takes a state in: ``True`` when reached; SnapshotFailedError on FAILED."""
        self._take(snapshot)
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
