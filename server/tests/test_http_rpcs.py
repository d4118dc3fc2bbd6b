"""Every RPC over the HTTP port, for each protocol (Connect JSON and binary,
gRPC-Web) over HTTP/1.1 and HTTP/2, from the engine the gRPC port serves."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.rpc import error_details_pb2
from http_support import COMBINATIONS, HttpApi, detail, http_api

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import Resources, VCluster
from openvcluster_server.config import Quota
from openvcluster_server.testing import RunningServer, running_server
from support import connect, failure

Phase = VCluster.Phase
EventType = api.WatchVClustersResponse.EventType


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(quotas={"no-room": Quota(max_vclusters=0)}) as running:
        yield running


def _wait_phase(
    http: HttpApi, namespace: str, name: str, phase: VCluster.Phase.ValueType
) -> VCluster:
    """Follows a watch over HTTP until the vcluster is in ``phase``."""
    events = http.vclusters.watch_v_clusters(
        api.WatchVClustersRequest(namespace=namespace, name=name)
    )
    for event in events:
        if event.vcluster.status.phase == phase:
            events.close()  # type: ignore[attr-defined]
            return event.vcluster
    raise AssertionError(f"the watch of {namespace}/{name} ended before {Phase.Name(phase)}")


def _snapshot_ready(http: HttpApi, namespace: str, name: str) -> Snapshot:
    """Polls GetSnapshot until READY; snapshots have no watch."""
    for _ in range(2000):
        got = http.snapshots.get_snapshot(
            snap_api.GetSnapshotRequest(namespace=namespace, name=name)
        )
        if got.snapshot.phase == Snapshot.Phase.PHASE_READY:
            return got.snapshot
    raise AssertionError(f"snapshot {namespace}/{name} did not become READY")


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_rpc(server: RunningServer, combination: str) -> None:
    namespace = "http-" + combination.replace("/", "-")
    with http_api(server.http_url, combination) as http:
        v = http.vclusters
        created = v.create_v_cluster(
            api.CreateVClusterRequest(namespace=namespace, name="dev", request_id=str(uuid.uuid4()))
        ).vcluster
        assert created.status.phase == Phase.PHASE_PROVISIONING
        _wait_phase(http, namespace, "dev", Phase.PHASE_RUNNING)
        got = v.get_v_cluster(api.GetVClusterRequest(namespace=namespace, name="dev")).vcluster
        assert got.uid == created.uid
        listed = v.list_v_clusters(api.ListVClustersRequest(namespace=namespace))
        assert [vc.name for vc in listed.vclusters] == ["dev"]
        scaled = v.scale_v_cluster(
            api.ScaleVClusterRequest(namespace=namespace, name="dev", resources=Resources(cpu="2"))
        ).vcluster
        assert scaled.spec.resources.cpu == "2"
        _wait_phase(http, namespace, "dev", Phase.PHASE_RUNNING)
        kubeconfig = v.get_v_cluster_kubeconfig(
            api.GetVClusterKubeconfigRequest(namespace=namespace, name="dev")
        )
        assert "kind: Config" in kubeconfig.vcluster.status.kubeconfig
        v.suspend_v_cluster(api.SuspendVClusterRequest(namespace=namespace, name="dev"))
        _wait_phase(http, namespace, "dev", Phase.PHASE_SUSPENDED)
        v.resume_v_cluster(api.ResumeVClusterRequest(namespace=namespace, name="dev"))
        _wait_phase(http, namespace, "dev", Phase.PHASE_RUNNING)
        v.snapshot_v_cluster(
            api.SnapshotVClusterRequest(namespace=namespace, name="dev", snapshot_name="snap")
        )
        _snapshot_ready(http, namespace, "snap")
        snapshots = http.snapshots.list_snapshots(
            snap_api.ListSnapshotsRequest(namespace=namespace)
        )
        assert [s.name for s in snapshots.snapshots] == ["snap"]
        restored = v.restore_v_cluster(
            api.RestoreVClusterRequest(
                namespace=namespace, snapshot_name="snap", target_name="copy"
            )
        ).vcluster
        assert restored.name == "copy"
        _wait_phase(http, namespace, "copy", Phase.PHASE_RUNNING)
        http.snapshots.delete_snapshot(
            snap_api.DeleteSnapshotRequest(namespace=namespace, name="snap")
        )
        v.delete_v_cluster(api.DeleteVClusterRequest(namespace=namespace, name="copy"))
        v.delete_v_cluster(api.DeleteVClusterRequest(namespace=namespace, name="dev"))
        with pytest.raises(ConnectError) as gone:
            http.snapshots.get_snapshot(
                snap_api.GetSnapshotRequest(namespace=namespace, name="snap")
            )
        assert gone.value.code == Code.NOT_FOUND


def test_both_ports_serve_one_engine(server: RunningServer) -> None:
    stubs = connect(server)
    with http_api(server.http_url, "connect-json/http2") as http:
        events = http.vclusters.watch_v_clusters(api.WatchVClustersRequest(namespace="shared"))
        assert next(events).type == EventType.EVENT_TYPE_SYNCED
        made = stubs.create("shared", "over-grpc")
        assert next(events).vcluster.uid == made.uid
        over_http = http.vclusters.create_v_cluster(
            api.CreateVClusterRequest(namespace="shared", name="over-http")
        ).vcluster
        assert stubs.get("shared", "over-http").uid == over_http.uid
        events.close()  # type: ignore[attr-defined]
    stubs.channel.close()


def _same_error(http_call: Callable[[], object], grpc_call: Callable[[], object]) -> ConnectError:
    """Makes the same failing call over both ports; asserts they answer alike."""
    with pytest.raises(ConnectError) as over_http:
        http_call()
    over_grpc = failure(grpc_call)
    assert over_grpc.status is not None
    assert over_http.value.code.name == over_grpc.code.name
    assert over_http.value.message == over_grpc.message
    assert [(d.type_name, d.message_bytes) for d in over_http.value.details] == [
        (d.TypeName(), d.value) for d in over_grpc.status.details
    ]
    return over_http.value


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_errors_carry_the_same_code_message_and_details(
    server: RunningServer, combination: str
) -> None:
    namespace = "errors-" + combination.replace("/", "-")
    stubs = connect(server)
    # Held in PROVISIONING for a minute, so that a Scale is in the wrong phase.
    stubs.vclusters.CreateVCluster(
        api.CreateVClusterRequest(namespace=namespace, name="held"),
        metadata=(("ovc-test-transition-delay-ms", "60000"),),
    )
    invalid = api.CreateVClusterRequest(namespace=namespace, name="Not_A_Name")
    wrong_phase = api.ScaleVClusterRequest(namespace=namespace, name="held", replicas=3)
    over_quota = api.CreateVClusterRequest(namespace="no-room", name="dev")
    with http_api(server.http_url, combination) as http:
        error = _same_error(
            lambda: http.vclusters.create_v_cluster(invalid),
            lambda: stubs.vclusters.CreateVCluster(invalid),
        )
        assert error.code == Code.INVALID_ARGUMENT
        violations = detail(error, error_details_pb2.BadRequest).field_violations
        assert [v.field for v in violations] == ["name"]
        error = _same_error(
            lambda: http.vclusters.scale_v_cluster(wrong_phase),
            lambda: stubs.vclusters.ScaleVCluster(wrong_phase),
        )
        assert error.code == Code.FAILED_PRECONDITION
        assert detail(error, error_details_pb2.ErrorInfo).reason == "INVALID_PHASE"
        error = _same_error(
            lambda: http.vclusters.create_v_cluster(over_quota),
            lambda: stubs.vclusters.CreateVCluster(over_quota),
        )
        assert error.code == Code.RESOURCE_EXHAUSTED
        assert detail(error, error_details_pb2.QuotaFailure).violations
    stubs.channel.close()
