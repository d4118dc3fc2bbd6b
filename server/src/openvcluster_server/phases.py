"""The contract's phase table as data: which call is allowed in which phase.

Every refusal the engine gives for a phase comes from ``require_phase``, so
the table in the API contract and the server cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Collection

from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.errors import failed_precondition

Phase = VCluster.Phase

# Where each intermediate phase ends on its own. DELETING ends with the vcluster gone.
TRANSITION_END: dict[int, int | None] = {
    Phase.PHASE_PROVISIONING: Phase.PHASE_RUNNING,
    Phase.PHASE_SCALING: Phase.PHASE_RUNNING,
    Phase.PHASE_SUSPENDING: Phase.PHASE_SUSPENDED,
    Phase.PHASE_RESUMING: Phase.PHASE_RUNNING,
    Phase.PHASE_RESTORING: Phase.PHASE_RUNNING,
    Phase.PHASE_UPGRADING: Phase.PHASE_RUNNING,
    Phase.PHASE_DELETING: None,
}
INTERMEDIATE = frozenset(TRANSITION_END)

SCALE_FROM = frozenset({Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDED})
SUSPEND_FROM = frozenset({Phase.PHASE_RUNNING})
SUSPEND_NOOP = frozenset({Phase.PHASE_SUSPENDING, Phase.PHASE_SUSPENDED})
RESUME_FROM = frozenset({Phase.PHASE_SUSPENDED})
RESUME_NOOP = frozenset({Phase.PHASE_RESUMING, Phase.PHASE_RUNNING})
SNAPSHOT_FROM = frozenset({Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDED})
RESTORE_IN_PLACE_FROM = frozenset({Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDED})
DELETE_NOOP = frozenset({Phase.PHASE_DELETING})
# Labels and deletion protection change in any resting phase; an upgrade only from RUNNING.
UPDATE_FROM = frozenset({Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDED, Phase.PHASE_FAILED})
UPGRADE_FROM = frozenset({Phase.PHASE_RUNNING})
# Phases without a usable API server endpoint.
NO_KUBECONFIG = frozenset({Phase.PHASE_PROVISIONING, Phase.PHASE_DELETING, Phase.PHASE_FAILED})
KUBECONFIG_FROM = frozenset(set(Phase.values()) - NO_KUBECONFIG - {Phase.PHASE_UNSPECIFIED})


def phase_name(phase: int) -> str:
    """The short name of a vcluster phase, such as ``RUNNING``."""
    return Phase.Name(Phase.ValueType(phase)).removeprefix("PHASE_")


def snapshot_phase_name(phase: int) -> str:
    """The short name of a snapshot phase, such as ``READY``."""
    return Snapshot.Phase.Name(Snapshot.Phase.ValueType(phase)).removeprefix("PHASE_")


def require_phase(vcluster: VCluster, allowed: Collection[int], action: str) -> None:
    """Raises FAILED_PRECONDITION (reason INVALID_PHASE) unless the vcluster's phase is allowed."""
    phase = vcluster.status.phase
    if phase in allowed:
        return
    names = [phase_name(p) for p in sorted(allowed)]
    raise failed_precondition(
        f"cannot {action} vcluster {vcluster.namespace}/{vcluster.name} while it is "
        f"{phase_name(phase)}; allowed in {', '.join(names)}",
        reason="INVALID_PHASE",
        metadata={"phase": phase_name(phase), "allowed_phases": ",".join(names)},
    )


def require_snapshot_ready(snapshot: Snapshot) -> None:
    """Raises FAILED_PRECONDITION (reason INVALID_PHASE) unless the snapshot is READY."""
    if snapshot.phase == Snapshot.Phase.PHASE_READY:
        return
    phase = snapshot_phase_name(snapshot.phase)
    raise failed_precondition(
        f"cannot restore snapshot {snapshot.namespace}/{snapshot.name} while it is {phase}; "
        "only a READY snapshot can be restored",
        reason="INVALID_PHASE",
        metadata={"phase": phase, "allowed_phases": "READY", "resource": "snapshot"},
    )
