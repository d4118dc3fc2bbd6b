"""``--wait``: the SDK's wait helpers decide and report, the display shows.

The SDK's ``wait_for_*`` helpers do the waiting (timeouts, FAILED, deletion,
watch or poll) and call ``on_change`` with each new state they see, from the
same watch (or reads) they decide on; the display shows each phase change.
"""

from __future__ import annotations

from openvcluster import DEFAULT, Client, Default, phase_name, snapshot_phase_name
from openvcluster.cli.progress import WaitDisplay
from openvcluster.v1 import snapshot_pb2, vcluster_pb2

__all__ = ["wait_for_deletion", "wait_for_phase", "wait_for_snapshot"]


def _timeout(seconds: float | None) -> float | Default:
    return DEFAULT if seconds is None else seconds


def _show_vcluster(display: WaitDisplay, vcluster: vcluster_pb2.VCluster) -> None:
    display.update(phase_name(vcluster.status.phase), vcluster.status.message)


def _show_snapshot(display: WaitDisplay, snapshot: snapshot_pb2.Snapshot) -> None:
    display.update(snapshot_phase_name(snapshot.phase), snapshot.message)


def wait_for_phase(
    client: Client,
    vcluster: vcluster_pb2.VCluster,
    target: vcluster_pb2.VCluster.Phase.ValueType,
    timeout: float | None,
) -> vcluster_pb2.VCluster:
    """Waits until ``vcluster`` (as a mutation returned it) is in ``target``, showing progress."""
    with WaitDisplay(f"vcluster/{vcluster.name}") as display:
        _show_vcluster(display, vcluster)
        result = client.wait_for_phase(
            vcluster.namespace,
            vcluster.name,
            target,
            timeout=_timeout(timeout),
            on_change=lambda state: _show_vcluster(display, state),
        )
        display.done(phase_name(result.status.phase))
    return result


def wait_for_deletion(
    client: Client, vcluster: vcluster_pb2.VCluster, timeout: float | None
) -> None:
    """Waits until ``vcluster`` is gone, showing progress."""
    with WaitDisplay(f"vcluster/{vcluster.name}") as display:
        _show_vcluster(display, vcluster)
        client.wait_for_deletion(
            vcluster.namespace,
            vcluster.name,
            timeout=_timeout(timeout),
            on_change=lambda state: _show_vcluster(display, state),
        )
        display.done("deleted")


def wait_for_snapshot(
    client: Client, snapshot: snapshot_pb2.Snapshot, timeout: float | None
) -> snapshot_pb2.Snapshot:
    """Waits until ``snapshot`` is READY, showing progress."""
    with WaitDisplay(f"snapshot/{snapshot.name}") as display:
        _show_snapshot(display, snapshot)
        result = client.wait_for_snapshot(
            snapshot.namespace,
            snapshot.name,
            timeout=_timeout(timeout),
            on_change=lambda state: _show_snapshot(display, state),
        )
        display.done(snapshot_phase_name(result.phase))
    return result
