"""The host-side actions of each operation, done as vcluster does them.

Pause and resume follow loft-sh/vcluster pkg/lifecycle (``vcluster pause`` /
``vcluster resume``): pausing annotates the control-plane workload with
``loft.sh/paused``, ``loft.sh/paused-replicas`` and ``loft.sh/paused-date``
and scales it to zero in one patch, then deletes the pods it synced;
resuming restores the replica count and drops the annotations. So a
vcluster paused by the vcluster CLI reads as SUSPENDED here, and one
suspended here resumes with the vcluster CLI. Every action is idempotent:
the reconciler may repeat it after a restart.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import yaml

from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import (
    APP_VCLUSTER,
    LABEL_APP,
    LABEL_RELEASE,
    MANAGED_BY,
    PAUSED,
    PAUSED_DATE,
    PAUSED_REPLICAS,
    RESTORING,
)
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.workloads import (
    desired_replicas,
    is_paused,
    is_restoring,
    paused_replicas,
)


async def ensure_namespace(
    api: KubeApi, name: str, labels: dict[str, str], annotations: dict[str, str]
) -> None:
    """Creates a namespace unless it exists."""
    try:
        await api.create(
            kinds.NAMESPACES,
            None,
            {"metadata": {"name": name, "labels": labels, "annotations": annotations}},
        )
    except KubeError as exc:
        if not exc.conflict:
            raise


async def pause(api: KubeApi, workload: Obj, *, restoring: bool = False) -> Obj:
    """Scales the control plane to zero, remembering its replicas, as ``vcluster pause``
    does; for a restore, marked ``loft.sh/restoring`` instead of paused, as vcluster does."""
    meta = workload["metadata"]
    # A paused vcluster being restored keeps the count it was paused at.
    held = is_paused(workload) or is_restoring(workload)
    replicas = paused_replicas(workload) if held else max(desired_replicas(workload), 1)
    patch = {
        "metadata": {
            "annotations": {
                RESTORING if restoring else PAUSED: "true",
                PAUSED_REPLICAS: str(replicas),
                PAUSED_DATE: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            }
        },
        "spec": {"replicas": 0},
    }
    return await api.patch(kinds.workload_kind(workload), meta["namespace"], meta["name"], patch)


async def unpause(
    api: KubeApi, workload: Obj, pod_annotations: dict[str, str] | None = None
) -> Obj:
    """Scales the control plane back and drops the pause annotations, as ``vcluster resume``."""
    meta = workload["metadata"]
    patch: dict[str, Any] = {
        "metadata": {
            "annotations": {PAUSED: None, RESTORING: None, PAUSED_REPLICAS: None, PAUSED_DATE: None}
        },
        "spec": {"replicas": paused_replicas(workload)},
    }
    if pod_annotations:
        patch["spec"]["template"] = {"metadata": {"annotations": pod_annotations}}
    return await api.patch(kinds.workload_kind(workload), meta["namespace"], meta["name"], patch)


async def delete_synced_pods(api: KubeApi, host: Key) -> None:
    """Deletes the pods the vcluster synced to the host (its workloads)."""
    namespace, release = host
    await api.delete_collection(kinds.PODS, namespace, f"{MANAGED_BY}={release}")


async def delete_claims(api: KubeApi, host: Key) -> None:
    """Deletes the control plane's volume claims (the StatefulSet labels them with its selector)."""
    namespace, release = host
    selector = f"{LABEL_APP}={APP_VCLUSTER},{LABEL_RELEASE}={release}"
    await api.delete_collection(kinds.CLAIMS, namespace, selector)


async def annotate(api: KubeApi, pods: list[Obj], annotations: dict[str, str]) -> list[Obj]:
    """Adds annotations to pods (test hooks: how long each takes to go); returns them patched."""
    patched = []
    for pod in pods:
        meta = pod["metadata"]
        try:
            patched.append(
                await api.patch(
                    kinds.PODS,
                    meta["namespace"],
                    meta["name"],
                    {"metadata": {"annotations": annotations}},
                )
            )
        except KubeError as exc:
            if not exc.not_found:
                raise
    return patched


async def delete_now(api: KubeApi, pods: list[Obj]) -> None:
    """Deletes pods at once, without their grace period (test hooks: a hold is over)."""
    for pod in pods:
        meta = pod["metadata"]
        try:
            await api.delete(kinds.PODS, meta["namespace"], meta["name"], grace_period=0)
        except KubeError as exc:
            if not exc.not_found:
                raise


async def delete_if_present(api: KubeApi, kind: Any, namespace: str | None, name: str) -> None:
    """Deletes an object; one already gone is fine."""
    try:
        await api.delete(kind, namespace, name)
    except KubeError as exc:
        if not exc.not_found:
            raise


async def kubeconfig_secret(api: KubeApi, host: Key) -> str | None:
    """The kubeconfig vcluster wrote to Secret vc-<name> (key ``config``), or None."""
    namespace, release = host
    try:
        secret = await api.get(kinds.SECRETS, namespace, f"vc-{release}")
    except KubeError as exc:
        if exc.not_found:
            return None
        raise
    encoded = (secret.get("data") or {}).get("config")
    return base64.b64decode(encoded).decode() if encoded else None


def with_server(kubeconfig: str, server: str) -> str:
    """The kubeconfig with every cluster's server set to ``server``."""
    config = yaml.safe_load(kubeconfig) or {}
    for cluster in config.get("clusters") or []:
        cluster.setdefault("cluster", {})["server"] = server
    return yaml.safe_dump(config, sort_keys=False)
