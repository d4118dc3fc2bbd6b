"""VClusterSpec <-> the vcluster chart's values: the one place the two meet.

``chart_values`` is what CreateVCluster and ScaleVCluster install; the
paths are those of loft-sh's vcluster chart 0.36 (chart/values.yaml).
``spec_of_workload`` reads a spec back from a control plane found on the
host (adoption), from the objects the chart made.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from openvcluster.v1.vcluster_pb2 import NetworkSpec, VClusterSpec
from openvcluster_server.kube.api import Obj
from openvcluster_server.kube.conventions import SYNCER_CONTAINER

# The Kubernetes image of each minor version the pinned chart ships
# (loft-sh/vcluster config/default_extra_values.go, v0.36).
KUBERNETES_IMAGE_TAGS = {
    "1.30": "v1.30.2",
    "1.31": "v1.31.1",
    "1.32": "v1.32.1",
    "1.33": "v1.33.4",
    "1.34": "v1.34.0",
    "1.35": "v1.35.0",
    "1.36": "v1.36.0",
}
SUPPORTED_VERSIONS = tuple(KUBERNETES_IMAGE_TAGS)

_SERVICE_TYPES = {
    NetworkSpec.ExposeType.EXPOSE_TYPE_CLUSTER_IP: "ClusterIP",
    NetworkSpec.ExposeType.EXPOSE_TYPE_NODE_PORT: "NodePort",
    NetworkSpec.ExposeType.EXPOSE_TYPE_LOAD_BALANCER: "LoadBalancer",
    NetworkSpec.ExposeType.EXPOSE_TYPE_INGRESS: "ClusterIP",
}


def image_tag(version: str) -> str:
    """The image tag of a spec version: "1.33" is the chart's v1.33.4, "1.33.2" is v1.33.2."""
    return KUBERNETES_IMAGE_TAGS.get(version, f"v{version}")


def chart_values(spec: VClusterSpec, *, server: str = "", ingress_host: str = "") -> dict[str, Any]:
    """The chart values of a spec (server defaults already applied).

    ``server`` is where the vcluster is reachable when known before install
    (exportKubeConfig.server, so the kubeconfig vcluster writes points there);
    ``ingress_host`` the host of an INGRESS-exposed one.
    """
    resources = spec.resources
    control_plane: dict[str, Any] = {
        "distro": {"k8s": {"enabled": True, "image": {"tag": image_tag(spec.kubernetes_version)}}},
        "statefulSet": {
            "resources": {
                "requests": {
                    "cpu": resources.cpu,
                    "memory": resources.memory,
                    "ephemeral-storage": resources.storage,
                },
                "limits": {"memory": resources.memory, "ephemeral-storage": resources.storage},
            },
            "highAvailability": {"replicas": spec.replicas},
            "persistence": {"volumeClaim": _volume_claim(spec)},
        },
        "backingStore": {"etcd": {"embedded": {"enabled": spec.enable_ha}}},
        "service": {"spec": {"type": _SERVICE_TYPES[spec.network.expose_type]}},
        "ingress": {
            "enabled": spec.network.expose_type == NetworkSpec.ExposeType.EXPOSE_TYPE_INGRESS
        },
    }
    if spec.network.service_cidr:
        control_plane["distro"]["k8s"]["apiServer"] = {
            "extraArgs": [f"--service-cluster-ip-range={spec.network.service_cidr}"]
        }
    if ingress_host:
        control_plane["ingress"]["host"] = ingress_host
    values: dict[str, Any] = {"controlPlane": control_plane}
    if server:
        values["exportKubeConfig"] = {"server": server}
        control_plane["proxy"] = {"extraSANs": [_host_of(server)]}
    return values


def for_host(spec: VClusterSpec, host: tuple[str, str], ingress_domain: str) -> dict[str, Any]:
    """The chart values of a spec for the vcluster at (host namespace, release)."""
    ingress_host = f"{host[0]}.{ingress_domain}"
    expose = spec.network.expose_type
    return chart_values(
        spec,
        server=known_endpoint(expose, host, ingress_host),
        ingress_host=ingress_host if expose == NetworkSpec.ExposeType.EXPOSE_TYPE_INGRESS else "",
    )


def known_endpoint(expose_type: int, host: tuple[str, str], ingress_host: str) -> str:
    """The endpoint known before install: the Service's cluster address, or the ingress host."""
    if expose_type == NetworkSpec.ExposeType.EXPOSE_TYPE_INGRESS:
        return f"https://{ingress_host}"
    if expose_type == NetworkSpec.ExposeType.EXPOSE_TYPE_CLUSTER_IP:
        return f"https://{host[1]}.{host[0]}.svc:443"
    return ""


def _volume_claim(spec: VClusterSpec) -> dict[str, Any]:
    if not spec.storage.persistence:
        return {"enabled": False}
    claim: dict[str, Any] = {"enabled": True, "size": spec.storage.size}
    if spec.storage.storage_class:
        claim["storageClass"] = spec.storage.storage_class
    return claim


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]


def spec_of_workload(workload: Obj, service_type: str) -> VClusterSpec:
    """The spec a control plane on the host runs with, read from its workload.

    For vclusters the API did not create (adoption). What the workload does
    not say takes the API's defaults; ``service_type`` is its Service's type.
    """
    spec = VClusterSpec(distro=VClusterSpec.Distro.DISTRO_K8S)
    pod = workload.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("initContainers", []) + pod.get("containers", []):
        image = str(container.get("image", ""))
        if "/kubernetes:" in image:
            spec.kubernetes_version = image.rsplit(":", 1)[1].removeprefix("v")
        if container.get("name") == SYNCER_CONTAINER:
            requests = container.get("resources", {}).get("requests", {})
            spec.resources.cpu = str(requests.get("cpu", ""))
            spec.resources.memory = str(requests.get("memory", ""))
            spec.resources.storage = str(requests.get("ephemeral-storage", ""))
    annotations = workload.get("metadata", {}).get("annotations") or {}
    replicas = workload.get("spec", {}).get("replicas", 1)
    spec.replicas = int(annotations.get("loft.sh/paused-replicas", replicas) or 1)
    claims = workload.get("spec", {}).get("volumeClaimTemplates") or []
    spec.storage.persistence = bool(claims)
    if claims:
        claim = claims[0].get("spec", {})
        spec.storage.size = str(claim.get("resources", {}).get("requests", {}).get("storage", ""))
        spec.storage.storage_class = str(claim.get("storageClassName", ""))
    by_type = {
        v: k for k, v in _SERVICE_TYPES.items() if k != NetworkSpec.ExposeType.EXPOSE_TYPE_INGRESS
    }
    spec.network.expose_type = by_type.get(
        service_type, NetworkSpec.ExposeType.EXPOSE_TYPE_CLUSTER_IP
    )
    return spec


def fingerprint(values: dict[str, Any]) -> str:
    """A digest of chart values: equal values, equal digests."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:32]


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it, mappings merged key by key."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result
