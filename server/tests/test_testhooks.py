"""Failure injection through ovc-test-* metadata, only with --enable-test-hooks."""

from __future__ import annotations

import grpc

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.testing import running_server
from support import Api, Phase, connect, failure


def test_unavailable_before_fails_n_calls_then_lets_them_through(client: Api) -> None:
    hook = (("ovc-test-unavailable", "create-1:2"),)
    request = api.CreateVClusterRequest(namespace="team-a", name="dev")
    for _ in range(2):
        result = failure(client.vclusters.CreateVCluster, request, metadata=hook)
        assert result.code == grpc.StatusCode.UNAVAILABLE
        assert failure(client.get).code == grpc.StatusCode.NOT_FOUND  # nothing happened
    client.vclusters.CreateVCluster(request, metadata=hook)
    assert client.get().name == "dev"


def test_unavailable_after_carries_the_call_out_and_drops_the_answer(client: Api) -> None:
    hook = (("ovc-test-unavailable-after", "lost-1:1"),)
    request = api.CreateVClusterRequest(
        namespace="team-a", name="dev", request_id="6f1c7d8e-2b3a-4c5d-9e8f-0a1b2c3d4e5f"
    )
    assert (
        failure(client.vclusters.CreateVCluster, request, metadata=hook).code
        == grpc.StatusCode.UNAVAILABLE
    )
    first = client.get()
    # The retry with the same request_id gets the original answer.
    again = client.vclusters.CreateVCluster(request, metadata=hook).vcluster
    assert again.uid == first.uid


def test_delay_makes_deadlines_expire(client: Api) -> None:
    result = failure(
        client.vclusters.ListVClusters,
        api.ListVClustersRequest(),
        metadata=(("ovc-test-delay-ms", "2000"),),
        timeout=0.1,
    )
    assert result.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_fail_transition_ends_in_failed(client: Api) -> None:
    client.vclusters.CreateVCluster(
        api.CreateVClusterRequest(namespace="team-a", name="dev"),
        metadata=(("ovc-test-fail-transition", "disk on fire"),),
    )
    failed = client.wait_phase("team-a", "dev", Phase.PHASE_FAILED)
    assert failed.status.message == "disk on fire"
    assert failed.status.conditions[0].status == 2
    # FAILED allows only Delete.
    refused = failure(
        client.vclusters.SuspendVCluster, api.SuspendVClusterRequest(namespace="team-a", name="dev")
    )
    assert refused.info.metadata["phase"] == "FAILED"
    client.vclusters.DeleteVCluster(api.DeleteVClusterRequest(namespace="team-a", name="dev"))
    client.wait_gone("team-a", "dev")


def test_transition_delay_holds_the_intermediate_phase(client: Api) -> None:
    client.running()
    hold = (("ovc-test-transition-delay-ms", "3600000"),)
    request = api.SuspendVClusterRequest(namespace="team-a", name="dev")
    assert client.vclusters.SuspendVCluster(request, metadata=hold).vcluster.status.phase == (
        Phase.PHASE_SUSPENDING
    )
    # Held: calls see SUSPENDING for as long as the hook says.
    assert client.vclusters.SuspendVCluster(request).vcluster.status.phase == (
        Phase.PHASE_SUSPENDING
    )
    refused = failure(
        client.vclusters.ResumeVCluster, api.ResumeVClusterRequest(namespace="team-a", name="dev")
    )
    assert refused.info.metadata["phase"] == "SUSPENDING"
    # A later transition with no hook takes the configured (zero) delay again.
    client.vclusters.DeleteVCluster(api.DeleteVClusterRequest(namespace="team-a", name="dev"))
    client.wait_gone("team-a", "dev")


def test_transition_delay_holds_a_snapshot_unfinished(client: Api) -> None:
    client.running()
    snapshot = client.vclusters.SnapshotVCluster(
        api.SnapshotVClusterRequest(namespace="team-a", name="dev", snapshot_name="s1"),
        metadata=(("ovc-test-transition-delay-ms", "3600000"),),
    ).snapshot
    assert snapshot.phase == snapshot.Phase.PHASE_PENDING
    refused = failure(
        client.vclusters.RestoreVCluster,
        api.RestoreVClusterRequest(namespace="team-a", snapshot_name="s1", target_name="copy"),
    )
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION


def test_malformed_hook_metadata_is_invalid(client: Api) -> None:
    request = api.GetVClusterRequest(namespace="team-a", name="dev")
    result = failure(
        client.vclusters.GetVCluster, request, metadata=(("ovc-test-unavailable", "no-count"),)
    )
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    delay = failure(
        client.vclusters.GetVCluster, request, metadata=(("ovc-test-delay-ms", "soon"),)
    )
    assert list(delay.violations) == ["metadata.ovc-test-delay-ms"]
    hold = failure(
        client.vclusters.GetVCluster,
        request,
        metadata=(("ovc-test-transition-delay-ms", "-1"),),
    )
    assert list(hold.violations) == ["metadata.ovc-test-transition-delay-ms"]


def test_hooks_are_ignored_unless_enabled() -> None:
    with running_server(enable_test_hooks=False) as server:
        client = connect(server)
        client.vclusters.CreateVCluster(
            api.CreateVClusterRequest(namespace="team-a", name="dev"),
            metadata=(("ovc-test-unavailable", "k:5"), ("ovc-test-fail-transition", "x")),
        )
        assert client.wait_phase("team-a", "dev", Phase.PHASE_RUNNING).name == "dev"
