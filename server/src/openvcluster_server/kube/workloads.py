"""What a vcluster's host objects say about it: paused, ready, rolled out, crashing."""

from __future__ import annotations

from openvcluster_server.kube.api import Obj
from openvcluster_server.kube.conventions import PAUSED, PAUSED_REPLICAS, RESTORING

CRASHING = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError")


def is_paused(workload: Obj) -> bool:
    """Paused the vcluster way (``loft.sh/paused=true``)."""
    return (workload["metadata"].get("annotations") or {}).get(PAUSED) == "true"


def is_restoring(workload: Obj) -> bool:
    """Paused for a restore (``loft.sh/restoring=true``)."""
    return (workload["metadata"].get("annotations") or {}).get(RESTORING) == "true"


def paused_replicas(workload: Obj) -> int:
    """The replica count to resume with."""
    annotations = workload["metadata"].get("annotations") or {}
    try:
        return max(int(annotations.get(PAUSED_REPLICAS, "1")), 1)
    except ValueError:
        return 1


def desired_replicas(workload: Obj) -> int:
    """spec.replicas (Kubernetes' default is 1)."""
    return int(workload.get("spec", {}).get("replicas", 1))


def ready(workload: Obj) -> bool:
    """At least one control-plane replica is Ready and replicas are wanted."""
    return (
        desired_replicas(workload) > 0
        and int(workload.get("status", {}).get("readyReplicas", 0)) > 0
    )


def rolled_out(workload: Obj) -> bool:
    """The controller has seen the latest spec and every replica is updated and Ready."""
    status = workload.get("status", {})
    replicas = desired_replicas(workload)
    return (
        int(status.get("observedGeneration", 0)) >= int(workload["metadata"].get("generation", 0))
        and int(status.get("updatedReplicas", 0)) >= replicas
        and int(status.get("readyReplicas", 0)) >= replicas
        and int(status.get("replicas", 0)) == replicas
    )


def crash_message(pods: list[Obj]) -> str:
    """Why a control-plane pod keeps failing, or "" when none does."""
    for pod in pods:
        for container in pod.get("status", {}).get("containerStatuses", []):
            waiting = container.get("state", {}).get("waiting", {})
            if waiting.get("reason") in CRASHING:
                last = container.get("lastState", {}).get("terminated", {})
                detail = last.get("message") or waiting.get("message") or ""
                name, reason = container.get("name"), waiting["reason"]
                message = f"the control plane's {name} container is in {reason}"
                return f"{message}: {detail}" if detail else message
    return ""
