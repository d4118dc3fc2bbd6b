"""UpdateVCluster's changes and deletion protection, as both backends apply them."""

from __future__ import annotations

from collections.abc import Sequence

from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server import upgrades
from openvcluster_server.checks import Update
from openvcluster_server.errors import ApiError, failed_precondition


def is_upgrade(vcluster: VCluster, change: Update, supported: Sequence[str]) -> bool:
    """Whether the update moves the vcluster to another Kubernetes version;
    FAILED_PRECONDITION when the upgrade rules refuse that version."""
    requested = change.kubernetes_version
    current = vcluster.spec.kubernetes_version
    if requested is None or upgrades.same_version(current, requested):
        return False
    refusal = upgrades.upgrade_refusal(
        vcluster.namespace, vcluster.name, current, requested, supported
    )
    if refusal is not None:
        raise refusal
    return True


def apply_update(vcluster: VCluster, change: Update, upgrade: bool) -> None:
    """Writes an update's changes into ``vcluster`` (a version only when it is an upgrade)."""
    if change.labels is not None:
        vcluster.labels.clear()
        vcluster.labels.update(change.labels)
    if change.deletion_protection is not None:
        vcluster.spec.deletion_protection = change.deletion_protection
    if upgrade and change.kubernetes_version is not None:
        vcluster.spec.kubernetes_version = change.kubernetes_version


def require_unprotected(vcluster: VCluster) -> None:
    """FAILED_PRECONDITION (reason DELETION_PROTECTED) while deletion protection is on."""
    if vcluster.spec.deletion_protection:
        raise deletion_protected(vcluster)


def deletion_protected(vcluster: VCluster) -> ApiError:
    """The refusal of a protected vcluster's deletion."""
    return failed_precondition(
        f"vcluster {vcluster.namespace}/{vcluster.name} is protected against deletion; "
        "turn spec.deletion_protection off with UpdateVCluster first",
        reason="DELETION_PROTECTED",
        metadata={"vcluster": f"{vcluster.namespace}/{vcluster.name}"},
    )
