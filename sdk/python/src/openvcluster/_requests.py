"""Builds request messages from friendly arguments; shared by both clients.

Mutations get a fresh ``request_id`` here, once per logical call, so every
retry of that call carries the same key and the server applies it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from google.protobuf import field_mask_pb2, timestamp_pb2

from openvcluster._enums import (
    DistroLike,
    ExposeTypeLike,
    PhaseLike,
    to_distro,
    to_expose_type,
    to_phase,
)
from openvcluster.v1 import operation_service_pb2 as ops
from openvcluster.v1 import snapshot_service_pb2 as ss
from openvcluster.v1 import vcluster_pb2 as vc
from openvcluster.v1 import vcluster_service_pb2 as vs

__all__ = [
    "create_request",
    "delete_request",
    "delete_snapshot_request",
    "list_operations_request",
    "list_snapshots_request",
    "list_vclusters_request",
    "new_request_id",
    "restore_request",
    "resume_request",
    "scale_request",
    "snapshot_request",
    "suspend_request",
    "to_timestamp",
    "update_mask_of",
    "update_request",
    "watch_request",
]


def new_request_id() -> str:
    """A fresh idempotency key: a random UUID in canonical text form."""
    return str(uuid.uuid4())


def to_timestamp(
    value: datetime | timestamp_pb2.Timestamp, argument: str
) -> timestamp_pb2.Timestamp:
    """``value`` as a Timestamp; ``argument`` names it in the TypeError of a naive datetime.

    A naive datetime is refused rather than read as local time or as UTC: the
    two differ by hours, and an expiry off by hours deletes a vcluster early.
    """
    if isinstance(value, timestamp_pb2.Timestamp):
        return timestamp_pb2.Timestamp(seconds=value.seconds, nanos=value.nanos)
    if not isinstance(value, datetime):
        raise TypeError(f"{argument} is a datetime or a Timestamp, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise TypeError(
            f"{argument} is a naive datetime; pass an aware one, such as "
            "datetime.now(timezone.utc) + timedelta(days=7)"
        )
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _resources(
    base: vc.Resources | None, cpu: str | None, memory: str | None, storage: str | None
) -> vc.Resources:
    resources = vc.Resources()
    if base is not None:
        resources.CopyFrom(base)
    if cpu is not None:
        resources.cpu = cpu
    if memory is not None:
        resources.memory = memory
    if storage is not None:
        resources.storage = storage
    return resources


def create_request(
    namespace: str,
    name: str,
    *,
    spec: vc.VClusterSpec | None,
    kubernetes_version: str | None,
    distro: DistroLike | None,
    cpu: str | None,
    memory: str | None,
    storage: str | None,
    replicas: int | None,
    enable_ha: bool | None,
    expose_type: ExposeTypeLike | None,
    labels: Mapping[str, str] | None,
    deletion_protection: bool | None,
    sleep_schedule: vc.SleepSchedule | None,
    expire_time: datetime | timestamp_pb2.Timestamp | None,
    delete_snapshots_on_expiry: bool | None,
    validate_only: bool,
    request_id: str | None,
) -> vs.CreateVClusterRequest:
    """A CreateVClusterRequest: ``spec`` (if any) with the friendly arguments applied on top."""
    merged = vc.VClusterSpec()
    if spec is not None:
        merged.CopyFrom(spec)
    if kubernetes_version is not None:
        merged.kubernetes_version = kubernetes_version
    if distro is not None:
        merged.distro = to_distro(distro)
    if cpu is not None or memory is not None or storage is not None:
        merged.resources.CopyFrom(_resources(merged.resources, cpu, memory, storage))
    if replicas is not None:
        merged.replicas = replicas
    if enable_ha is not None:
        merged.enable_ha = enable_ha
    if expose_type is not None:
        merged.network.expose_type = to_expose_type(expose_type)
    if deletion_protection is not None:
        merged.deletion_protection = deletion_protection
    _apply_lifetime(merged, sleep_schedule, expire_time, delete_snapshots_on_expiry)
    return vs.CreateVClusterRequest(
        namespace=namespace,
        name=name,
        spec=merged,
        labels=dict(labels or {}),
        validate_only=validate_only,
        request_id=request_id or "",
    )


def _apply_lifetime(
    spec: vc.VClusterSpec,
    sleep_schedule: vc.SleepSchedule | None,
    expire_time: datetime | timestamp_pb2.Timestamp | None,
    delete_snapshots_on_expiry: bool | None,
) -> None:
    """Sets the schedule and expiry arguments given (``None``: not given) on ``spec``."""
    if sleep_schedule is not None:
        spec.sleep_schedule.CopyFrom(sleep_schedule)
    if expire_time is not None:
        spec.expire_time.CopyFrom(to_timestamp(expire_time, "expire_time"))
    if delete_snapshots_on_expiry is not None:
        spec.delete_snapshots_on_expiry = delete_snapshots_on_expiry


def list_vclusters_request(
    namespace: str,
    *,
    label_selector: str,
    phase: PhaseLike | None,
    page_size: int,
) -> vs.ListVClustersRequest:
    """The first-page request of a vcluster listing (the pager fills page_token)."""
    return vs.ListVClustersRequest(
        namespace=namespace,
        label_selector=label_selector,
        phase=to_phase(phase) if phase is not None else vc.VCluster.PHASE_UNSPECIFIED,
        page_size=page_size,
    )


def delete_request(
    namespace: str,
    name: str,
    *,
    etag: str,
    delete_snapshots: bool,
    keep_data: bool = False,
    request_id: str | None,
) -> vs.DeleteVClusterRequest:
    """A DeleteVClusterRequest with an idempotency key."""
    return vs.DeleteVClusterRequest(
        namespace=namespace,
        name=name,
        etag=etag,
        delete_snapshots=delete_snapshots,
        keep_data=keep_data,
        request_id=request_id or "",
    )


def scale_request(
    namespace: str,
    name: str,
    *,
    resources: vc.Resources | None,
    cpu: str | None,
    memory: str | None,
    storage: str | None,
    replicas: int | None,
    enable_ha: bool | None,
    etag: str,
    request_id: str | None,
) -> vs.ScaleVClusterRequest:
    """A ScaleVClusterRequest: what is left out keeps its current value on the server."""
    request = vs.ScaleVClusterRequest(
        namespace=namespace,
        name=name,
        replicas=replicas or 0,
        etag=etag,
        request_id=request_id or "",
    )
    if resources is not None or cpu is not None or memory is not None or storage is not None:
        request.resources.CopyFrom(_resources(resources, cpu, memory, storage))
    if enable_ha is not None:
        request.enable_ha = enable_ha
    return request


def update_mask_of(
    *,
    labels: Mapping[str, str] | None,
    kubernetes_version: str | None,
    deletion_protection: bool | None,
    sleep_schedule: vc.SleepSchedule | None,
    expire_time: datetime | timestamp_pb2.Timestamp | None,
    delete_snapshots_on_expiry: bool | None,
) -> list[str]:
    """The update_mask paths of the friendly arguments given (``None`` is "not given").

    Labels given, even empty ones (which clear them), name ``labels``; a
    version names ``spec.kubernetes_version``; protection given, on or off,
    names ``spec.deletion_protection``. A schedule, even an empty one (which
    clears it), names ``spec.sleep_schedule``; an expiry ``spec.expire_time``;
    ``delete_snapshots_on_expiry``, true or false,
    ``spec.delete_snapshots_on_expiry``.
    """
    given = {
        "labels": labels,
        "spec.kubernetes_version": kubernetes_version,
        "spec.deletion_protection": deletion_protection,
        "spec.sleep_schedule": sleep_schedule,
        "spec.expire_time": expire_time,
        "spec.delete_snapshots_on_expiry": delete_snapshots_on_expiry,
    }
    return [path for path, value in given.items() if value is not None]


def update_request(
    namespace: str,
    name: str,
    *,
    labels: Mapping[str, str] | None,
    kubernetes_version: str | None,
    deletion_protection: bool | None,
    sleep_schedule: vc.SleepSchedule | None,
    expire_time: datetime | timestamp_pb2.Timestamp | None,
    delete_snapshots_on_expiry: bool | None,
    update_mask: Iterable[str] | field_mask_pb2.FieldMask | None,
    etag: str,
    validate_only: bool,
    request_id: str | None,
) -> vs.UpdateVClusterRequest:
    """An UpdateVClusterRequest with an idempotency key.

    The mask comes from the arguments given (see :func:`update_mask_of`)
    unless ``update_mask`` is given, which is sent as it is: a path it names
    whose argument is not given is sent unset, which clears that field
    (``["spec.expire_time"]`` alone removes the expiry). An empty mask is
    sent too: the server answers it (INVALID_ARGUMENT).
    """
    vcluster = vc.VCluster(namespace=namespace, name=name)
    if labels is not None:
        vcluster.labels.update(labels)
    if kubernetes_version is not None:
        vcluster.spec.kubernetes_version = kubernetes_version
    if deletion_protection is not None:
        vcluster.spec.deletion_protection = deletion_protection
    _apply_lifetime(vcluster.spec, sleep_schedule, expire_time, delete_snapshots_on_expiry)
    if update_mask is None:
        paths = update_mask_of(
            labels=labels,
            kubernetes_version=kubernetes_version,
            deletion_protection=deletion_protection,
            sleep_schedule=sleep_schedule,
            expire_time=expire_time,
            delete_snapshots_on_expiry=delete_snapshots_on_expiry,
        )
    elif isinstance(update_mask, field_mask_pb2.FieldMask):
        paths = list(update_mask.paths)
    elif isinstance(update_mask, str):
        raise TypeError("update_mask is a list of paths, not a string")
    else:
        paths = list(update_mask)
    return vs.UpdateVClusterRequest(
        vcluster=vcluster,
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        etag=etag,
        validate_only=validate_only,
        request_id=request_id or "",
    )


def suspend_request(
    namespace: str, name: str, *, drain_workloads: bool, etag: str, request_id: str | None
) -> vs.SuspendVClusterRequest:
    """A SuspendVClusterRequest with an idempotency key."""
    return vs.SuspendVClusterRequest(
        namespace=namespace,
        name=name,
        drain_workloads=drain_workloads,
        etag=etag,
        request_id=request_id or "",
    )


def resume_request(
    namespace: str, name: str, *, etag: str, request_id: str | None
) -> vs.ResumeVClusterRequest:
    """A ResumeVClusterRequest with an idempotency key."""
    return vs.ResumeVClusterRequest(
        namespace=namespace, name=name, etag=etag, request_id=request_id or ""
    )


def snapshot_request(
    namespace: str,
    name: str,
    *,
    snapshot_name: str,
    description: str,
    labels: Mapping[str, str] | None,
    request_id: str | None,
) -> vs.SnapshotVClusterRequest:
    """A SnapshotVClusterRequest with an idempotency key."""
    return vs.SnapshotVClusterRequest(
        namespace=namespace,
        name=name,
        snapshot_name=snapshot_name,
        description=description,
        labels=dict(labels or {}),
        request_id=request_id or "",
    )


def restore_request(
    namespace: str, snapshot_name: str, *, target_name: str, etag: str, request_id: str | None
) -> vs.RestoreVClusterRequest:
    """A RestoreVClusterRequest with an idempotency key."""
    return vs.RestoreVClusterRequest(
        namespace=namespace,
        snapshot_name=snapshot_name,
        target_name=target_name,
        etag=etag,
        request_id=request_id or "",
    )


def watch_request(namespace: str, *, name: str, label_selector: str) -> vs.WatchVClustersRequest:
    """A WatchVClustersRequest."""
    return vs.WatchVClustersRequest(namespace=namespace, name=name, label_selector=label_selector)


def list_snapshots_request(
    namespace: str, *, vcluster: str, page_size: int
) -> ss.ListSnapshotsRequest:
    """The first-page request of a snapshot listing (the pager fills page_token)."""
    return ss.ListSnapshotsRequest(namespace=namespace, vcluster=vcluster, page_size=page_size)


def delete_snapshot_request(
    namespace: str, name: str, *, request_id: str | None
) -> ss.DeleteSnapshotRequest:
    """A DeleteSnapshotRequest with an idempotency key."""
    return ss.DeleteSnapshotRequest(namespace=namespace, name=name, request_id=request_id or "")


def list_operations_request(
    namespace: str, *, vcluster: str, page_size: int
) -> ops.ListOperationsRequest:
    """The first-page request of an operation listing (the pager fills page_token)."""
    return ops.ListOperationsRequest(namespace=namespace, vcluster=vcluster, page_size=page_size)
