"""UpdateVCluster's changes and deletion protection, as both backends apply them."""

from __future__ import annotations

from collections.abc import Sequence

from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import schedules, upgrades
from openvcluster_server.checks import SET_AT_ONCE, Update
from openvcluster_server.clock import CLOCK
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
    for path in change.set_at_once:
        _copy_setting(vcluster.spec, change.spec, path)
    schedules.apply_schedule_defaults(vcluster.spec)
    if "spec.sleep_schedule" in change.set_at_once:
        schedules.set_next_times(vcluster, CLOCK.datetime())
    if "spec.expire_time" in change.set_at_once:
        schedules.clear_condition(vcluster, schedules.EXPIRED)
    if upgrade and change.kubernetes_version is not None:
        vcluster.spec.kubernetes_version = change.kubernetes_version


def keep_settings(restored: VClusterSpec, current: VClusterSpec | None) -> None:
    """A restore brings the snapshot's spec but not its settings: deletion
    protection, the sleep schedule and the expiry stay as the vcluster had
    them (in place), or start off (a new vcluster, ``current`` None)."""
    kept = current if current is not None else VClusterSpec()
    for path in SET_AT_ONCE:
        _copy_setting(restored, kept, path)


def _copy_setting(spec: VClusterSpec, source: VClusterSpec, path: str) -> None:
    """Sets one SET_AT_ONCE field of ``spec`` as ``source`` has it (an empty message clears)."""
    if path == "spec.deletion_protection":
        spec.deletion_protection = source.deletion_protection
    elif path == "spec.delete_snapshots_on_expiry":
        spec.delete_snapshots_on_expiry = source.delete_snapshots_on_expiry
    elif path == "spec.sleep_schedule" and source.sleep_schedule.ByteSize():
        spec.sleep_schedule.CopyFrom(source.sleep_schedule)
    elif path == "spec.sleep_schedule":
        spec.ClearField("sleep_schedule")
    elif path == "spec.expire_time" and source.expire_time.ByteSize():
        spec.expire_time.CopyFrom(source.expire_time)
    elif path == "spec.expire_time":
        spec.ClearField("expire_time")


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
