"""The VCluster custom resource definition, and installing it.

A VCluster resource is the API's vcluster kept in the host cluster: its spec
holds the API's VClusterSpec in proto3 JSON form (so ``kubectl apply`` of a
VCluster makes a vcluster, as GitOps users expect), plus the desired power
state; its status holds what the backend observed.
"""

from __future__ import annotations

from typing import Any

import yaml

from openvcluster.v1.vcluster_pb2 import NetworkSpec, VClusterSpec
from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import KubeApi, KubeError
from openvcluster_server.phases import Phase, phase_name

NAME = f"{kinds.VCLUSTERS.plural}.{kinds.GROUP}"

_STRING = {"type": "string"}
_INT = {"type": "integer", "format": "int64"}


def _enum(names: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": names}


def _named(values: Any) -> list[str]:
    """An enum's value names but UNSPECIFIED."""
    return [name for name in values if not name.endswith("UNSPECIFIED")]


def _spec_schema() -> dict[str, Any]:
    distros = _named(VClusterSpec.Distro.DESCRIPTOR.values_by_name)
    exposes = _named(NetworkSpec.ExposeType.DESCRIPTOR.values_by_name)
    return {
        "type": "object",
        "description": "The API's VClusterSpec (proto3 JSON names), with defaults applied.",
        "properties": {
            "kubernetesVersion": _STRING,
            "distro": _enum(distros),
            "resources": {
                "type": "object",
                "properties": {"cpu": _STRING, "memory": _STRING, "storage": _STRING},
            },
            "replicas": {"type": "integer", "minimum": 1, "maximum": 5},
            "network": {
                "type": "object",
                "properties": {"serviceCidr": _STRING, "exposeType": _enum(exposes)},
            },
            "storage": {
                "type": "object",
                "properties": {
                    "persistence": {"type": "boolean"},
                    "size": _STRING,
                    "storageClass": _STRING,
                },
            },
            "enableHa": {"type": "boolean"},
            "suspended": {
                "type": "boolean",
                "description": "Desired power state: true suspends (vcluster pause).",
            },
            "hostNamespace": {
                "type": "string",
                "description": "Host namespace of the control plane; derived when empty.",
            },
        },
    }


def _status_schema() -> dict[str, Any]:
    phases = [phase_name(p) for p in Phase.values() if p != Phase.PHASE_UNSPECIFIED]
    condition = {
        "type": "object",
        "required": ["type", "status"],
        "properties": {
            "type": _STRING,
            "status": _enum(["True", "False", "Unknown"]),
            "reason": _STRING,
            "message": _STRING,
            "lastTransitionTime": {"type": "string", "format": "date-time"},
        },
    }
    return {
        "type": "object",
        "properties": {
            "phase": _enum(phases),
            "message": _STRING,
            "conditions": {"type": "array", "items": condition},
            "apiServerEndpoint": _STRING,
            "currentUsage": {
                "type": "object",
                "properties": {"cpu": _STRING, "memory": _STRING, "podCount": {"type": "integer"}},
            },
            "observedGeneration": _INT,
            "kubernetesVersion": {
                "type": "string",
                "description": "The spec's Kubernetes version as last rolled out.",
            },
            "releasedValues": {
                "type": "string",
                "description": "A digest of the chart values last released with Helm.",
            },
            "phaseTime": {"type": "string", "format": "date-time"},
            "updateTime": {"type": "string", "format": "date-time"},
            "uninstalled": {"type": "boolean"},
        },
    }


def definition() -> dict[str, Any]:
    """The CustomResourceDefinition of vclusters.openvcluster.io."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": NAME},
        "spec": {
            "group": kinds.GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": "VCluster",
                "listKind": "VClusterList",
                "plural": kinds.VCLUSTERS.plural,
                "singular": "vcluster",
                "shortNames": ["ovc"],
            },
            "versions": [
                {
                    "name": kinds.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                        {
                            "name": "Version",
                            "type": "string",
                            "jsonPath": ".spec.kubernetesVersion",
                        },
                        {"name": "CPU", "type": "string", "jsonPath": ".spec.resources.cpu"},
                        {"name": "Memory", "type": "string", "jsonPath": ".spec.resources.memory"},
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                        {
                            "name": "Host-Namespace",
                            "type": "string",
                            "jsonPath": ".spec.hostNamespace",
                            "priority": 1,
                        },
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": _spec_schema(), "status": _status_schema()},
                        }
                    },
                }
            ],
        },
    }


def manifest() -> str:
    """The CRD as YAML, for ``kubectl apply -f -``."""
    return yaml.safe_dump(definition(), sort_keys=False)


async def ensure(api: KubeApi, install: bool) -> None:
    """Makes sure the CRD is served: installs or updates it when allowed, else checks it.

    Raises RuntimeError with what to do when it is missing and may not be installed.
    """
    wanted = definition()
    try:
        current = await api.get(kinds.CRDS, None, NAME)
    except KubeError as exc:
        if not exc.not_found:
            raise
        if not install:
            raise RuntimeError(
                f"the {NAME} custom resource definition is not installed; install it with "
                "`openvcluster-server crds | kubectl apply -f -` or start the server with "
                "--install-crds"
            ) from None
        await api.create(kinds.CRDS, None, wanted)
        return
    if install and current.get("spec") != wanted["spec"]:
        wanted["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        await api.replace(kinds.CRDS, None, NAME, wanted)
