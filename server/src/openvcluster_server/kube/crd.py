"""The VCluster, Snapshot and Operation custom resource definitions, and installing them.

A VCluster resource is the API's vcluster kept in the host cluster: its spec
holds the API's VClusterSpec in proto3 JSON form (so ``kubectl apply`` of a
VCluster makes a vcluster, as GitOps users expect), plus the desired power
state; its status holds what the backend observed. A Snapshot resource is
the API's snapshot: what it captured and where it is stored (spec), and how
far the vcluster's snapshot request got (status). An Operation resource is
one entry of the API's operation history, the API's Operation in proto3
JSON form (spec); it has no status of its own.
"""

from __future__ import annotations

from typing import Any

import yaml

from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import NetworkSpec, VClusterSpec
from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import Kind, KubeApi, KubeError
from openvcluster_server.phases import Phase, phase_name

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
            "restore": {
                "type": "object",
                "description": "The snapshot RestoreVCluster asked to restore, for the spec "
                "generation it wrote.",
                "properties": {"snapshot": _STRING, "location": _STRING, "generation": _INT},
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
            "restoredGeneration": {
                "type": "integer",
                "format": "int64",
                "description": "The generation whose restore pod succeeded.",
            },
        },
    }


def _snapshot_spec_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "What the API's snapshot was asked to capture, and where it is stored.",
        "properties": {
            "vcluster": {"type": "string", "description": "The source vcluster's name."},
            "description": _STRING,
            "sourceSpec": {
                "type": "object",
                "description": "The source's VClusterSpec at snapshot time (proto3 JSON).",
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "sourceLabels": {"type": "object", "additionalProperties": _STRING},
            "hostNamespace": {
                "type": "string",
                "description": "Host namespace of the source's control plane.",
            },
            "location": {"type": "string", "description": "The snapshot's URL in the store."},
            "method": {
                "type": "string",
                "enum": ["request", "pod"],
                "description": "A snapshot request to the running vcluster, or a snapshot pod on "
                "the volume of a paused one.",
            },
        },
    }


def _snapshot_status_schema() -> dict[str, Any]:
    phases = _named(Snapshot.Phase.DESCRIPTOR.values_by_name)
    return {
        "type": "object",
        "properties": {
            "phase": _enum([p.removeprefix("PHASE_") for p in phases]),
            "message": _STRING,
            "sizeBytes": _INT,
            "readyTime": {"type": "string", "format": "date-time"},
            "requestPhase": {"type": "string", "description": "The vcluster request's phase."},
        },
    }


def _definition(
    kind: Kind,
    singular: str,
    short_names: list[str],
    columns: list[dict[str, Any]],
    spec: dict[str, Any],
    status: dict[str, Any],
    phase_column: bool = True,
) -> dict[str, Any]:
    phase = [{"name": "Phase", "type": "string", "jsonPath": ".status.phase"}]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.plural}.{kinds.GROUP}"},
        "spec": {
            "group": kinds.GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind.kind,
                "listKind": f"{kind.kind}List",
                "plural": kind.plural,
                "singular": singular,
                "shortNames": short_names,
            },
            "versions": [
                {
                    "name": kinds.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        *(phase if phase_column else []),
                        *columns,
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": spec, "status": status},
                        }
                    },
                }
            ],
        },
    }


def definitions() -> list[dict[str, Any]]:
    """The CustomResourceDefinitions of vclusters, snapshots and operations.openvcluster.io."""
    vclusters = _definition(
        kinds.VCLUSTERS,
        "vcluster",
        ["ovc"],
        [
            {"name": "Version", "type": "string", "jsonPath": ".spec.kubernetesVersion"},
            {"name": "CPU", "type": "string", "jsonPath": ".spec.resources.cpu"},
            {"name": "Memory", "type": "string", "jsonPath": ".spec.resources.memory"},
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
            {
                "name": "Host-Namespace",
                "type": "string",
                "jsonPath": ".spec.hostNamespace",
                "priority": 1,
            },
        ],
        _spec_schema(),
        _status_schema(),
    )
    snapshots = _definition(
        kinds.SNAPSHOTS,
        "snapshot",
        ["ovcsnap"],
        [
            {"name": "VCluster", "type": "string", "jsonPath": ".spec.vcluster"},
            {"name": "Location", "type": "string", "jsonPath": ".spec.location", "priority": 1},
        ],
        _snapshot_spec_schema(),
        _snapshot_status_schema(),
    )
    operations = _definition(
        kinds.OPERATIONS,
        "operation",
        ["ovcop"],
        [
            {"name": "VCluster", "type": "string", "jsonPath": ".spec.vcluster"},
            {"name": "Method", "type": "string", "jsonPath": ".spec.method"},
            {"name": "State", "type": "string", "jsonPath": ".spec.state"},
        ],
        {
            "type": "object",
            "description": "The API's Operation (proto3 JSON names).",
            "x-kubernetes-preserve-unknown-fields": True,
        },
        {"type": "object"},
        phase_column=False,
    )
    return [vclusters, snapshots, operations]


def manifest() -> str:
    """The CRDs as YAML, for ``kubectl apply -f -``."""
    return yaml.safe_dump_all(definitions(), sort_keys=False)


async def ensure(api: KubeApi, install: bool) -> None:
    """Makes sure the CRDs are served: installs or updates them when allowed, else checks them.

    Raises RuntimeError with what to do when one is missing and may not be installed.
    """
    for wanted in definitions():
        name = wanted["metadata"]["name"]
        try:
            current = await api.get(kinds.CRDS, None, name)
        except KubeError as exc:
            if not exc.not_found:
                raise
            if not install:
                raise RuntimeError(
                    f"the {name} custom resource definition is not installed; install it with "
                    "`openvcluster-server crds | kubectl apply -f -` or start the server with "
                    "--install-crds"
                ) from None
            await api.create(kinds.CRDS, None, wanted)
            continue
        if install and current.get("spec") != wanted["spec"]:
            wanted["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            await api.replace(kinds.CRDS, None, name, wanted)
