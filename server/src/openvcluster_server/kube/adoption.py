"""vclusters found on the host without a VCluster resource (made by the vcluster CLI or Helm).

They are listed as ``vcluster list`` finds them: a StatefulSet or Deployment
labelled ``app=vcluster``, named by its ``release`` label, in its host
namespace, which becomes its API namespace. Their phase is read from the
host, as the vcluster CLI reads it. The first mutation through the API
records one with a VCluster resource (``resource``), after which it is
managed like any other.
"""

from __future__ import annotations

import json

from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.kube import objects, values, workloads
from openvcluster_server.kube.api import Obj
from openvcluster_server.kube.conventions import ANNOTATION_ADOPTED, ANNOTATION_UID
from openvcluster_server.phases import Phase, phase_name


def phase_of(workload: Obj, pods: list[Obj]) -> int:
    """The phase of a control plane as found on the host."""
    if workload["metadata"].get("deletionTimestamp"):
        return Phase.PHASE_DELETING
    if workloads.is_paused(workload):
        return Phase.PHASE_SUSPENDED
    if workloads.crash_message(pods):
        return Phase.PHASE_FAILED
    if workloads.ready(workload):
        return Phase.PHASE_RUNNING
    return Phase.PHASE_PROVISIONING


def view(workload: Obj, service: Obj | None, pods: list[Obj]) -> VCluster:
    """The API's view of an adopted vcluster."""
    meta = workload["metadata"]
    service_type = str((service or {}).get("spec", {}).get("type", "ClusterIP"))
    phase = phase_of(workload, pods)
    vcluster = VCluster(
        namespace=meta["namespace"],
        name=meta["labels"]["release"],
        uid=meta.get("uid", ""),
        spec=values.spec_of_workload(workload, service_type),
    )
    created = objects.timestamp(meta.get("creationTimestamp", ""))
    vcluster.create_time.CopyFrom(created)
    vcluster.update_time.CopyFrom(created)
    vcluster.status.phase = phase  # type: ignore[assignment]
    vcluster.status.message = workloads.crash_message(pods) or "found on the host cluster"
    vcluster.status.conditions.append(objects.ready_condition(phase, created))
    vcluster.etag = objects.etag_of(vcluster)
    return vcluster


def resource(adopted: VCluster) -> Obj:
    """The VCluster resource that records an adopted vcluster where it already lives.

    Its uid stays the one clients have seen (the workload's). Until the
    reconciler records it, its phase is the one it was found in, and its
    release counts as deployed with the spec it was found with (annotation
    ``openvcluster.io/adopted``), so Helm runs only when the spec changes.
    """
    created = objects.new_resource(
        adopted.namespace,
        adopted.name,
        adopted.spec,
        dict(adopted.labels),
        host_namespace=adopted.namespace,
        annotations={
            ANNOTATION_UID: adopted.uid,
            ANNOTATION_ADOPTED: json.dumps(
                {"phase": phase_name(adopted.status.phase), "spec": objects.spec_json(adopted.spec)}
            ),
        },
    )
    created["spec"][objects.SUSPENDED] = adopted.status.phase == Phase.PHASE_SUSPENDED
    return created
