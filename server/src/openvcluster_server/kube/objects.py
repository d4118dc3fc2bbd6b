"""VCluster resources (JSON) and the API's VCluster messages, both ways.

Writers split along Kubernetes lines: API calls change the resource's spec
(the desired state: configuration and power state), the reconciler its
status (what it observed and achieved). The API's phase is derived from
both, so every mutation is one write and takes effect atomically:

- a deletion timestamp means DELETING;
- status FAILED stays FAILED; no status yet means PROVISIONING (also for a
  vcluster restored to a new name);
- a restore of the current generation not rolled out yet is RESTORING;
- ``spec.suspended`` with status SUSPENDED is SUSPENDED, otherwise SUSPENDING;
- not suspended with status SUSPENDED (or on the way there) is RESUMING;
- RUNNING with a spec generation not yet rolled out is UPGRADING when its
  Kubernetes version is not the one rolled out, otherwise SCALING.

Deletion protection is the annotation vcluster's CLI honours,
``loft.sh/non-deletable``, on the resource (metadata, so turning it on or
off is no new generation to roll out); the reconciler copies it onto the
control plane's workload, where ``vcluster delete`` looks. The sleep
schedule and the expiry are annotations too (schedule_objects.py).

The API sees only phase-level changes: status details the reconciler keeps
for itself (which generation Helm applied, ...) never change what a client
reads, and the etag is a digest of what a client reads, so it changes
exactly when the vcluster visibly does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from openvcluster.v1.vcluster_pb2 import Condition, ResourceUsage, VCluster, VClusterSpec
from openvcluster_server.clock import CLOCK
from openvcluster_server.kube import kinds, schedule_objects
from openvcluster_server.kube.api import Obj
from openvcluster_server.kube.conventions import (
    ANNOTATION_ADOPTED,
    ANNOTATION_UID,
    ANNOTATION_UPDATED,
    FINALIZER,
    NON_DELETABLE,
)
from openvcluster_server.phases import INTERMEDIATE, Phase, phase_name
from openvcluster_server.resources import READY

KIND = "VCluster"
API_VERSION = f"{kinds.GROUP}/{kinds.VERSION}"
# The spec fields of ours beside the API's VClusterSpec.
SUSPENDED = "suspended"
HOST_NAMESPACE = "hostNamespace"
# The restore a RestoreVCluster call asked for: {snapshot, location,
# generation}, the generation it wrote (see restore_of).
RESTORE = "restore"
# The VClusterSpec field kept as an annotation instead.
DELETION_PROTECTION = "deletionProtection"

_PHASES = {phase_name(p): p for p in Phase.values() if p != Phase.PHASE_UNSPECIFIED}
RESTING = frozenset({Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDED, Phase.PHASE_FAILED})
_MESSAGES: dict[int, str] = {
    Phase.PHASE_PROVISIONING: "creating the control plane",
    Phase.PHASE_RUNNING: "the control plane is serving",
    Phase.PHASE_SCALING: "rolling out new resources and replicas",
    Phase.PHASE_SUSPENDING: "pausing the control plane and its workloads",
    Phase.PHASE_SUSPENDED: "the control plane is paused; its state is kept",
    Phase.PHASE_RESUMING: "starting the control plane again",
    Phase.PHASE_RESTORING: "replacing the state from a snapshot",
    Phase.PHASE_UPGRADING: "rolling out the new Kubernetes version",
    Phase.PHASE_DELETING: "removing the vcluster and its host objects",
    Phase.PHASE_FAILED: "the vcluster failed",
}


def now_text() -> str:
    """The current time as Kubernetes writes it, with microseconds."""
    return CLOCK.datetime().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def spec_json(spec: VClusterSpec, *, complete: bool = False) -> dict[str, Any]:
    """A VClusterSpec as the resource's spec holds it (proto3 JSON names).

    ``complete`` writes fields at their zero values too, so a merge patch
    replaces every field (``enableHa: false`` included). Deletion protection
    is left out: it is an annotation (see protection_annotation).
    """
    fields = json_format.MessageToDict(spec, always_print_fields_with_no_presence=complete)
    for name in (DELETION_PROTECTION, *schedule_objects.SPEC_FIELDS):
        fields.pop(name, None)
    return fields


def protection_annotation(protected: bool) -> dict[str, str | None]:
    """The annotation (a merge patch of it) that records deletion protection."""
    return {NON_DELETABLE: "true" if protected else None}


def protected(resource: Obj) -> bool:
    """Whether a resource is protected against deletion."""
    return (resource["metadata"].get("annotations") or {}).get(NON_DELETABLE) == "true"


def spec_of(resource: Obj) -> VClusterSpec:
    """The API's VClusterSpec from a resource's spec (and its protection annotation)."""
    fields = {
        k: v
        for k, v in resource.get("spec", {}).items()
        if k not in (SUSPENDED, HOST_NAMESPACE, DELETION_PROTECTION, RESTORE)
        and k not in schedule_objects.SPEC_FIELDS
    }
    spec = json_format.ParseDict(fields, VClusterSpec(), ignore_unknown_fields=True)
    spec.deletion_protection = protected(resource)
    schedule_objects.read_settings(resource["metadata"].get("annotations") or {}, spec)
    return spec


def new_resource(
    namespace: str,
    name: str,
    spec: VClusterSpec,
    labels: dict[str, str],
    host_namespace: str,
    annotations: dict[str, str] | None = None,
) -> Obj:
    """The VCluster resource CreateVCluster writes: PROVISIONING until the reconciler is done."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {
                ANNOTATION_UPDATED: now_text(),
                **({NON_DELETABLE: "true"} if spec.deletion_protection else {}),
                **schedule_objects.new_annotations(spec),
                **(annotations or {}),
            },
            "finalizers": [FINALIZER],
        },
        "spec": {**spec_json(spec), SUSPENDED: False, HOST_NAMESPACE: host_namespace},
    }


def restore_of(resource: Obj) -> dict[str, Any] | None:
    """The restore the resource's current generation asks for and has not finished, if any.

    A restore is bound to the generation its call wrote, so a later scale
    or upgrade is no restore again.
    """
    restore = resource.get("spec", {}).get(RESTORE)
    generation = int(resource["metadata"].get("generation", 1))
    if not isinstance(restore, dict) or int(restore.get("generation", 0)) != generation:
        return None
    observed = int(resource.get("status", {}).get("observedGeneration", 0))
    return restore if observed < generation else None


def stored_phase(resource: Obj) -> int | None:
    """The phase the reconciler last recorded, or None before it recorded one."""
    return _PHASES.get(str(resource.get("status", {}).get("phase", "")))


def adopted(resource: Obj) -> tuple[int, VClusterSpec] | None:
    """The phase and spec a vcluster was found with, on a resource that adopted it."""
    raw = (resource["metadata"].get("annotations") or {}).get(ANNOTATION_ADOPTED)
    if not raw:
        return None
    found = json.loads(raw)
    spec = json_format.ParseDict(found.get("spec", {}), VClusterSpec(), ignore_unknown_fields=True)
    return _PHASES.get(str(found.get("phase")), Phase.PHASE_RUNNING), spec


def derived_phase(resource: Obj) -> int:
    """The API's phase of a resource (see the module comment)."""
    if resource["metadata"].get("deletionTimestamp"):
        return Phase.PHASE_DELETING
    stored = stored_phase(resource)
    found = adopted(resource) if stored is None else None
    if found is not None:
        stored = found[0]  # as it was found, until the reconciler records it
    if stored == Phase.PHASE_FAILED:
        return stored
    if stored in (None, Phase.PHASE_PROVISIONING):
        return Phase.PHASE_PROVISIONING
    if restore_of(resource) is not None:
        return Phase.PHASE_RESTORING
    if resource.get("spec", {}).get(SUSPENDED):
        return Phase.PHASE_SUSPENDED if stored == Phase.PHASE_SUSPENDED else Phase.PHASE_SUSPENDING
    if stored in (Phase.PHASE_SUSPENDED, Phase.PHASE_SUSPENDING, Phase.PHASE_RESUMING):
        return Phase.PHASE_RESUMING
    generation = int(resource["metadata"].get("generation", 1))
    # A resource recording a vcluster found on the host starts rolled out.
    status = resource.get("status", {})
    observed = int(status.get("observedGeneration", 1 if found else 0))
    if generation <= observed:
        return Phase.PHASE_RUNNING
    rolled_out = status.get("kubernetesVersion")
    wanted = resource.get("spec", {}).get("kubernetesVersion")
    return Phase.PHASE_UPGRADING if rolled_out and rolled_out != wanted else Phase.PHASE_SCALING


def to_vcluster(resource: Obj) -> VCluster:
    """The API's VCluster of a resource, etag included."""
    meta = resource["metadata"]
    status = resource.get("status", {})
    phase = derived_phase(resource)
    recorded = stored_phase(resource) == phase
    vcluster = VCluster(
        namespace=meta["namespace"],
        name=meta["name"],
        uid=(meta.get("annotations") or {}).get(ANNOTATION_UID) or meta.get("uid", ""),
        labels=meta.get("labels") or {},
        spec=spec_of(resource),
    )
    vcluster.create_time.CopyFrom(timestamp(meta.get("creationTimestamp", "")))
    vcluster.update_time.CopyFrom(update_time(resource))
    vcluster.status.phase = phase  # type: ignore[assignment]
    vcluster.status.message = (status.get("message") if recorded else "") or _MESSAGES[phase]
    if phase != Phase.PHASE_PROVISIONING:
        vcluster.status.api_server_endpoint = str(status.get("apiServerEndpoint", ""))
    if phase == Phase.PHASE_RUNNING and recorded:
        vcluster.status.current_usage.CopyFrom(usage_of(status.get("currentUsage", {})))
    vcluster.status.conditions.append(ready_condition(phase, vcluster.update_time))
    if recorded and phase in RESTING:
        vcluster.status.conditions.extend(conditions_of(status.get("conditions", [])))
    schedule_objects.read_status(meta.get("annotations") or {}, vcluster)
    vcluster.etag = etag_of(vcluster)
    return vcluster


def ready_condition(phase: int, since: Timestamp) -> Condition:
    """The contract's Ready condition: true exactly when RUNNING."""
    running = phase == Phase.PHASE_RUNNING
    return Condition(
        type=READY,
        status=Condition.Status.STATUS_TRUE if running else Condition.Status.STATUS_FALSE,
        reason=phase_name(phase).title().replace("_", ""),
        message=_MESSAGES[phase],
        last_transition_time=since,
    )


def conditions_of(raw: list[dict[str, Any]]) -> list[Condition]:
    """The reconciler's conditions (Kubernetes style) as API conditions."""
    statuses = {
        "True": Condition.Status.STATUS_TRUE,
        "False": Condition.Status.STATUS_FALSE,
        "Unknown": Condition.Status.STATUS_UNKNOWN,
    }
    return [
        Condition(
            type=str(c.get("type", "")),
            status=statuses.get(str(c.get("status")), Condition.Status.STATUS_UNKNOWN),
            reason=str(c.get("reason", "")),
            message=str(c.get("message", "")),
            last_transition_time=timestamp(str(c.get("lastTransitionTime", ""))),
        )
        for c in raw
        if c.get("type") != READY
    ]


def usage_of(raw: dict[str, Any]) -> ResourceUsage:
    """status.currentUsage as the API's ResourceUsage."""
    return ResourceUsage(
        cpu=str(raw.get("cpu", "")),
        memory=str(raw.get("memory", "")),
        pod_count=int(raw.get("podCount", 0)),
    )


def update_time(resource: Obj) -> Timestamp:
    """The last visible change: the latest of creation, the API's last write (an
    annotation), the reconciler's last visible change (status) and the deletion."""
    meta = resource["metadata"]
    times = [
        meta.get("creationTimestamp", ""),
        (meta.get("annotations") or {}).get(ANNOTATION_UPDATED, ""),
        resource.get("status", {}).get("updateTime", ""),
        meta.get("deletionTimestamp", ""),
    ]
    return max(
        (timestamp(t) for t in times if t), key=lambda t: (t.seconds, t.nanos), default=Timestamp()
    )


def timestamp(text: str) -> Timestamp:
    """An RFC 3339 time (as Kubernetes writes them) as a Timestamp; empty for none."""
    stamp = Timestamp()
    if text:
        stamp.FromJsonString(text)
    return stamp


def etag_of(vcluster: VCluster) -> str:
    """A digest of everything a client reads of the vcluster, but the etag itself."""
    unsigned = VCluster()
    unsigned.CopyFrom(vcluster)
    unsigned.etag = ""
    return hashlib.sha256(unsigned.SerializeToString(deterministic=True)).hexdigest()[:20]


def is_intermediate(phase: int) -> bool:
    """Whether the phase ends on its own."""
    return phase in INTERMEDIATE
