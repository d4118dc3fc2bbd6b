"""``--wait``: the SDK's wait helpers decide, a watch feeds the display.

The SDK's ``wait_for_*`` helpers do the waiting (timeouts, FAILED, deletion,
watch or poll). They report nothing until the end, so for the display a
best-effort follower runs in a thread and reports each phase it sees: a
second watch of the vcluster, or for a snapshot (which has no watch) a read
every half second. It never decides anything.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from openvcluster import DEFAULT, Client, Default, Watch, phase_name, snapshot_phase_name
from openvcluster.cli.progress import WaitDisplay
from openvcluster.v1 import snapshot_pb2, vcluster_pb2
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse

__all__ = ["wait_for_deletion", "wait_for_phase", "wait_for_snapshot"]

_STATES = (WatchVClustersResponse.EVENT_TYPE_ADDED, WatchVClustersResponse.EVENT_TYPE_MODIFIED)


class _Follower:
    """Reports the phases of one vcluster to a display, from a watch in a thread."""

    def __init__(self, client: Client, namespace: str, name: str, display: WaitDisplay) -> None:
        self._client = client
        self._namespace = namespace
        self._name = name
        self._display = display
        self._lock = threading.Lock()
        self._stopped = False
        self._watch: Watch | None = None
        self._thread = threading.Thread(target=self._run, name="ovc-wait-display", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._stopped = True
            if self._watch is not None:
                self._watch.cancel()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        try:
            with self._lock:
                if self._stopped:
                    return
                self._watch = self._client.watch_vclusters(self._namespace, name=self._name)
            for event in self._watch:
                if event.type in _STATES and event.vcluster.name == self._name:
                    status = event.vcluster.status
                    self._display.update(phase_name(status.phase), status.message)
        except Exception:  # the display is best effort; the wait itself reports failures
            return


class _SnapshotFollower:
    """Reports the phases of one snapshot to a display, reading it in a thread."""

    INTERVAL = 0.5

    def __init__(self, client: Client, namespace: str, name: str, display: WaitDisplay) -> None:
        self._client = client
        self._namespace = namespace
        self._name = name
        self._display = display
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ovc-wait-display", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopped.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stopped.wait(self.INTERVAL):
            try:
                snap = self._client.get_snapshot(
                    self._namespace, self._name, timeout=self.INTERVAL * 2, retry=None
                )
            except Exception:  # the display is best effort; the wait itself reports failures
                continue
            self._display.update(snapshot_phase_name(snap.phase), snap.message)


def _timeout(seconds: float | None) -> float | Default:
    return DEFAULT if seconds is None else seconds


def wait_for_phase(
    client: Client,
    vcluster: vcluster_pb2.VCluster,
    target: vcluster_pb2.VCluster.Phase.ValueType,
    timeout: float | None,
) -> vcluster_pb2.VCluster:
    """Waits until ``vcluster`` (as a mutation returned it) is in ``target``, showing progress."""
    namespace, name = vcluster.namespace, vcluster.name
    with WaitDisplay(f"vcluster/{name}") as display:
        display.update(phase_name(vcluster.status.phase), vcluster.status.message)
        with _Follower(client, namespace, name, display):
            result = client.wait_for_phase(namespace, name, target, timeout=_timeout(timeout))
        display.done(phase_name(result.status.phase))
    return result


def wait_for_deletion(
    client: Client, vcluster: vcluster_pb2.VCluster, timeout: float | None
) -> None:
    """Waits until ``vcluster`` is gone, showing progress."""
    namespace, name = vcluster.namespace, vcluster.name
    with WaitDisplay(f"vcluster/{name}") as display:
        display.update(phase_name(vcluster.status.phase), vcluster.status.message)
        with _Follower(client, namespace, name, display):
            client.wait_for_deletion(namespace, name, timeout=_timeout(timeout))
        display.done("deleted")


def wait_for_snapshot(
    client: Client, snapshot: snapshot_pb2.Snapshot, timeout: float | None
) -> snapshot_pb2.Snapshot:
    """Waits until ``snapshot`` is READY, showing progress."""
    with WaitDisplay(f"snapshot/{snapshot.name}") as display:
        display.update(snapshot_phase_name(snapshot.phase), snapshot.message)
        with _SnapshotFollower(client, snapshot.namespace, snapshot.name, display):
            result = client.wait_for_snapshot(
                snapshot.namespace, snapshot.name, timeout=_timeout(timeout)
            )
        display.done(snapshot_phase_name(result.phase))
    return result
