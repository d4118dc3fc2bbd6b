"""Snapshot resources (JSON) and the API's Snapshot messages, both ways.

As for vclusters, API calls write a resource's spec (what to capture,
where to store it) and the snapshot reconciler its status (how far the
vcluster's snapshot request or pod got). A resource being deleted is gone
for the API at once (DeleteSnapshot is immediate); its finalizer lets the
reconciler cancel the request and remove the stored snapshot first.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import Obj
from openvcluster_server.kube.conventions import FINALIZER
from openvcluster_server.kube.objects import timestamp

KIND = "Snapshot"
API_VERSION = f"{kinds.GROUP}/{kinds.VERSION}"
# How the snapshot is taken: a request the running vcluster serves, or a
# pod on the data volume of a paused one.
BY_REQUEST = "request"
BY_POD = "pod"

_PHASES = {
    name.removeprefix("PHASE_"): number
    for name, number in Snapshot.Phase.items()
    if number != Snapshot.Phase.PHASE_UNSPECIFIED
}
UNFINISHED = frozenset({"PENDING", "IN_PROGRESS"})
_MESSAGES = {
    "PENDING": "waiting for the vcluster to start the snapshot",
    "IN_PROGRESS": "copying the control-plane state",
    "READY": "",
}


def new_resource(
    source: VCluster,
    name: str,
    description: str,
    labels: dict[str, str],
    host_namespace: str,
    url: str,
    method: str,
    annotations: dict[str, str],
) -> Obj:
    """The Snapshot resource SnapshotVCluster writes: PENDING until the reconciler moves it."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": source.namespace,
            "labels": labels,
            "annotations": annotations,
            "finalizers": [FINALIZER],
        },
        "spec": {
            "vcluster": source.name,
            "description": description,
            "sourceSpec": json_format.MessageToDict(source.spec),
            "sourceLabels": dict(source.labels),
            "hostNamespace": host_namespace,
            "location": url,
            "method": method,
        },
    }


def phase_of(resource: Obj) -> str:
    """The recorded phase name (PENDING before the reconciler records one)."""
    return str(resource.get("status", {}).get("phase") or "PENDING")


def source_spec(resource: Obj) -> VClusterSpec:
    """The spec the snapshot captured."""
    fields: dict[str, Any] = resource.get("spec", {}).get("sourceSpec", {})
    return json_format.ParseDict(fields, VClusterSpec(), ignore_unknown_fields=True)


def deleted(resource: Obj) -> bool:
    """Whether DeleteSnapshot (or its vcluster's deletion) removed it for the API."""
    return bool(resource["metadata"].get("deletionTimestamp"))


def to_snapshot(resource: Obj) -> Snapshot:
    """The API's Snapshot of a resource."""
    meta = resource["metadata"]
    spec = resource.get("spec", {})
    status = resource.get("status", {})
    phase = phase_of(resource)
    snapshot = Snapshot(
        name=meta["name"],
        namespace=meta["namespace"],
        vcluster=str(spec.get("vcluster", "")),
        uid=str(meta.get("uid", "")),
        phase=_PHASES.get(phase, Snapshot.Phase.PHASE_PENDING),
        source_spec=source_spec(resource),
        description=str(spec.get("description", "")),
        labels=meta.get("labels") or {},
        message=str(status.get("message") or _MESSAGES.get(phase, "")),
    )
    snapshot.create_time.CopyFrom(timestamp(str(meta.get("creationTimestamp", ""))))
    if phase == "READY":
        snapshot.size_bytes = int(status.get("sizeBytes", 0))
        snapshot.ready_time.CopyFrom(timestamp(str(status.get("readyTime", ""))))
    return snapshot
