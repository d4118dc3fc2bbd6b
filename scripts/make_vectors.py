"""Writes the cross-language wire vectors in conformance/vectors/.

Each vector is one message in binary (``.binpb``, deterministic encoding) and
canonical proto JSON (``.json``). ``manifest.json`` lists them with their
message type and a few field values that every language's tests check through
their typed API. The vectors are built here with the Python generated code;
the other languages prove they agree by decoding and re-encoding them.
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Callable
from typing import Any

from google.protobuf import any_pb2, json_format, message, timestamp_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "conformance" / "vectors"
sys.path.insert(0, str(ROOT / "sdk" / "python" / "src"))

from openvcluster.v1 import (  # noqa: E402  (needs the path above)
    snapshot_pb2,
    vcluster_pb2,
    vcluster_service_pb2,
)

VCluster = vcluster_pb2.VCluster
Phase = vcluster_pb2.VCluster.Phase


def ts(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def packed(detail: message.Message) -> any_pb2.Any:
    result = any_pb2.Any()
    result.Pack(detail, deterministic=True)
    return result


def full_spec() -> vcluster_pb2.VClusterSpec:
    return vcluster_pb2.VClusterSpec(
        kubernetes_version="1.31.2",
        distro=vcluster_pb2.VClusterSpec.DISTRO_K3S,
        resources=vcluster_pb2.Resources(cpu="2500m", memory="4Gi", storage="20Gi"),
        replicas=3,
        network=vcluster_pb2.NetworkSpec(
            service_cidr="10.96.0.0/12",
            expose_type=vcluster_pb2.NetworkSpec.EXPOSE_TYPE_LOAD_BALANCER,
        ),
        storage=vcluster_pb2.StorageSpec(persistence=True, size="5Gi", storage_class="fast-ssd"),
        enable_ha=True,
    )


def vcluster_full() -> VCluster:
    """Every field of VCluster set, with nested messages, maps and repeated."""
    return VCluster(
        name="dev",
        namespace="team-a",
        uid="0f8fad5b-d9cb-469f-a165-70867728950e",
        labels={"app.kubernetes.io/name": "demo", "empty-value": "", "tier": "gold"},
        spec=full_spec(),
        status=vcluster_pb2.VClusterStatus(
            phase=Phase.PHASE_RUNNING,
            message="vcluster is running",
            conditions=[
                vcluster_pb2.Condition(
                    type="Ready",
                    status=vcluster_pb2.Condition.STATUS_TRUE,
                    reason="Running",
                    message="control plane is serving",
                    last_transition_time=ts(1_795_000_000, 500_000_000),
                ),
                vcluster_pb2.Condition(
                    type="Suspended",
                    status=vcluster_pb2.Condition.STATUS_FALSE,
                    reason="Resumed",
                    last_transition_time=ts(1_794_999_000),
                ),
            ],
            api_server_endpoint="https://dev.team-a.vcluster.local:443",
            current_usage=vcluster_pb2.ResourceUsage(cpu="250m", memory="900Mi", pod_count=12),
            kubeconfig="apiVersion: v1\nkind: Config\n",
        ),
        create_time=ts(1_794_990_000, 123_456_789),
        update_time=ts(1_795_000_000, 500_000_000),
        etag='W/"7"',
    )


def vcluster_unicode() -> VCluster:
    """Non-ASCII text in every string that may carry it (multi-byte UTF-8)."""
    return VCluster(
        name="dev",
        namespace="team-a",
        labels={"note": "ünïcödé"},
        status=vcluster_pb2.VClusterStatus(
            phase=Phase.PHASE_FAILED,
            message="集群已暂停 ✓ — déjà vu 🚀",
        ),
    )


def vcluster_max_lengths() -> VCluster:
    """Names, labels and numbers at the limits the contract allows."""
    label_key = "a" * 253 + "/" + "b" * 63
    return VCluster(
        name="n" * 63,
        namespace="s" * 63,
        labels={label_key: "v" * 63},
        spec=vcluster_pb2.VClusterSpec(replicas=5, enable_ha=True),
        status=vcluster_pb2.VClusterStatus(
            current_usage=vcluster_pb2.ResourceUsage(pod_count=2_147_483_647)
        ),
        # The latest instant a Timestamp can hold.
        update_time=ts(253_402_300_799, 999_999_999),
    )


def vcluster_edge_values() -> VCluster:
    """Values a newer or buggy peer may send: unknown enum numbers, negative
    int32 (a ten-byte varint), the earliest Timestamp, explicit false."""
    return VCluster(
        name="edge",
        spec=vcluster_pb2.VClusterSpec(
            replicas=-1,
            distro=42,  # type: ignore[arg-type]  # an enum value from the future
            storage=vcluster_pb2.StorageSpec(persistence=False),
        ),
        status=vcluster_pb2.VClusterStatus(phase=99),  # type: ignore[arg-type]
        create_time=ts(-62_135_596_800),
    )


def snapshot_ready() -> snapshot_pb2.Snapshot:
    return snapshot_pb2.Snapshot(
        name="dev-nightly",
        namespace="team-a",
        vcluster="dev",
        uid="6fa459ea-ee8a-3ca4-894e-db77e160355e",
        phase=snapshot_pb2.Snapshot.PHASE_READY,
        source_spec=full_spec(),
        size_bytes=9_223_372_036_854_775_807,
        description="nightly backup: état « stable »",
        labels={"schedule": "nightly"},
        create_time=ts(1_795_000_000),
        ready_time=ts(1_795_000_042, 1_000),
    )


def list_vclusters_page() -> vcluster_service_pb2.ListVClustersResponse:
    return vcluster_service_pb2.ListVClustersResponse(
        vclusters=[vcluster_full(), VCluster(name="prod", namespace="team-a")],
        next_page_token="b3BhcXVlLXRva2Vu",
    )


def watch_deleted() -> vcluster_service_pb2.WatchVClustersResponse:
    return vcluster_service_pb2.WatchVClustersResponse(
        type=vcluster_service_pb2.WatchVClustersResponse.EVENT_TYPE_DELETED,
        vcluster=VCluster(
            name="dev",
            namespace="team-a",
            status=vcluster_pb2.VClusterStatus(phase=Phase.PHASE_DELETING),
        ),
    )


def watch_synced() -> vcluster_service_pb2.WatchVClustersResponse:
    """The marker after a watch's initial ADDED events: a type and no vcluster."""
    return vcluster_service_pb2.WatchVClustersResponse(
        type=vcluster_service_pb2.WatchVClustersResponse.EVENT_TYPE_SYNCED
    )


def error_status(code: int, text: str, detail: message.Message) -> status_pb2.Status:
    """A google.rpc.Status as a server sends it: code, message, one detail."""
    return status_pb2.Status(code=code, message=text, details=[packed(detail)])


def status_invalid_argument() -> status_pb2.Status:
    """The error a server sends for a request with two bad fields."""
    violation = error_details_pb2.BadRequest.FieldViolation
    return error_status(
        code_pb2.INVALID_ARGUMENT,
        "2 invalid fields: name, spec.resources.memory",
        error_details_pb2.BadRequest(
            field_violations=[
                violation(
                    field="name",
                    description="must be a DNS-1123 label: lower-case letters, "
                    "digits and '-', starting and ending with a letter or digit",
                ),
                violation(
                    field="spec.resources.memory",
                    description="'4GB' is not a Kubernetes quantity; did you mean '4Gi'?",
                ),
            ]
        ),
    )


def status_failed_precondition() -> status_pb2.Status:
    return error_status(
        code_pb2.FAILED_PRECONDITION,
        "cannot resume vcluster team-a/dev in phase PROVISIONING",
        error_details_pb2.ErrorInfo(
            reason="INVALID_PHASE",
            domain="openvcluster.io",
            metadata={"allowed_phases": "SUSPENDED,RESUMING,RUNNING", "phase": "PROVISIONING"},
        ),
    )


def status_resource_exhausted() -> status_pb2.Status:
    return error_status(
        code_pb2.RESOURCE_EXHAUSTED,
        "quota exceeded in namespace team-a",
        error_details_pb2.QuotaFailure(
            violations=[
                error_details_pb2.QuotaFailure.Violation(
                    subject="namespace:team-a", description="at most 10 vclusters; 10 exist"
                )
            ]
        ),
    )


# name -> (builder, checks). A check is a path of proto field names, list
# indexes and map keys, and the value a typed read of it gives: enums by
# number, 64-bit integers as decimal strings (as in proto JSON).
Check = tuple[list[str | int], Any]
VECTORS: dict[str, tuple[Callable[[], message.Message], list[Check]]] = {
    "vcluster_full": (
        vcluster_full,
        [
            (["name"], "dev"),
            (["labels", "app.kubernetes.io/name"], "demo"),
            (["labels", "empty-value"], ""),
            (["spec", "resources", "memory"], "4Gi"),
            (["spec", "replicas"], 3),
            (["spec", "storage", "persistence"], True),
            (["spec", "network", "expose_type"], 3),
            (["status", "phase"], 2),
            (["status", "conditions", 0, "type"], "Ready"),
            (["status", "conditions", 1, "status"], 2),
            (["status", "current_usage", "pod_count"], 12),
            (["create_time", "seconds"], "1794990000"),
            (["create_time", "nanos"], 123_456_789),
        ],
    ),
    "vcluster_empty": (
        VCluster,
        [(["name"], ""), (["spec", "replicas"], 0), (["status", "phase"], 0)],
    ),
    "vcluster_unicode": (vcluster_unicode, [(["status", "message"], "集群已暂停 ✓ — déjà vu 🚀")]),
    "vcluster_max_lengths": (
        vcluster_max_lengths,
        [
            (["name"], "n" * 63),
            (["status", "current_usage", "pod_count"], 2_147_483_647),
            (["update_time", "seconds"], "253402300799"),
        ],
    ),
    "vcluster_edge_values": (
        vcluster_edge_values,
        [
            (["spec", "replicas"], -1),
            (["spec", "distro"], 42),
            (["status", "phase"], 99),
            (["spec", "storage", "persistence"], False),
            (["create_time", "seconds"], "-62135596800"),
        ],
    ),
    "snapshot_ready": (
        snapshot_ready,
        [
            (["size_bytes"], "9223372036854775807"),
            (["phase"], 3),
            (["source_spec", "kubernetes_version"], "1.31.2"),
        ],
    ),
    "list_vclusters_page": (
        list_vclusters_page,
        [(["vclusters", 1, "name"], "prod"), (["next_page_token"], "b3BhcXVlLXRva2Vu")],
    ),
    "watch_deleted": (watch_deleted, [(["type"], 3), (["vcluster", "status", "phase"], 8)]),
    "watch_synced": (watch_synced, [(["type"], 4), (["vcluster", "name"], "")]),
    "status_invalid_argument": (status_invalid_argument, [(["code"], 3)]),
    "status_failed_precondition": (status_failed_precondition, [(["code"], 9)]),
    "status_resource_exhausted": (status_resource_exhausted, [(["code"], 8)]),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in [*OUT.glob("*.binpb"), *OUT.glob("*.json")]:
        stale.unlink()
    manifest = []
    for name, (build, checks) in VECTORS.items():
        msg = build()
        (OUT / f"{name}.binpb").write_bytes(msg.SerializeToString(deterministic=True))
        # Sorted keys: protobuf-python does not iterate maps in a stable order.
        as_json = json_format.MessageToDict(msg)
        (OUT / f"{name}.json").write_text(
            json.dumps(as_json, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        )
        manifest.append(
            {
                "name": name,
                "type": msg.DESCRIPTOR.full_name,
                "binary": f"{name}.binpb",
                "json": f"{name}.json",
                "checks": [{"path": path, "value": value} for path, value in checks],
            }
        )
    (OUT / "manifest.json").write_text(
        json.dumps({"vectors": manifest}, indent=2, ensure_ascii=False) + "\n"
    )


if __name__ == "__main__":
    main()
