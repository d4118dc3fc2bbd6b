"""The phase table as the reference server carries it out, beyond what the
contract's cases check.

Each row of the table (every allowed transition, no-op and refusal) is a case
of conformance/cases/transitions.yaml, run against this server by every
client; these tests hold what those cases leave open: the simulated
backend's endpoint and usage, creates over every intermediate phase, the
allowed phases a refusal names, and kubeconfigs in every phase that has one.
"""

from __future__ import annotations

import grpc
import pytest
import yaml

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster_server.testing import running_server
from support import Api, Phase, connect, failure

ALL = [p for p in Phase.values() if p != Phase.PHASE_UNSPECIFIED]
SNAPSHOT_OK = {Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDED}
KUBECONFIG_REFUSED = {Phase.PHASE_PROVISIONING, Phase.PHASE_DELETING, Phase.PHASE_FAILED}


def _name(phase: int) -> str:
    return Phase.Name(Phase.ValueType(phase)).removeprefix("PHASE_")


def _expect_invalid_phase(client: Api, phase: int, call: object, *args: object) -> None:
    result = failure(call, *args)
    assert result.code == grpc.StatusCode.FAILED_PRECONDITION
    assert result.info.reason == "INVALID_PHASE"
    assert result.info.domain == "openvcluster.io"
    assert result.info.metadata["phase"] == _name(phase)
    assert result.info.metadata["allowed_phases"]


def test_create_goes_through_provisioning_to_running(client: Api) -> None:
    created = client.create()
    assert created.status.phase == Phase.PHASE_PROVISIONING
    assert created.status.api_server_endpoint == ""
    running = client.wait_phase("team-a", "dev", Phase.PHASE_RUNNING)
    assert running.status.api_server_endpoint == "https://dev.team-a.vcluster.local:443"
    assert [(c.type, c.status) for c in running.status.conditions] == [("Ready", 1)]
    assert running.status.current_usage.pod_count > 0


@pytest.mark.parametrize("phase", ALL, ids=_name)
def test_create_refused_when_present_in_any_phase(client: Api, phase: int) -> None:
    client.running()
    client.force_phase("team-a", "dev", phase)
    assert failure(client.create).code == grpc.StatusCode.ALREADY_EXISTS


def test_suspend_running_goes_through_suspending_to_suspended(client: Api) -> None:
    client.running()
    suspended = client.vclusters.SuspendVCluster(
        api.SuspendVClusterRequest(namespace="team-a", name="dev", drain_workloads=True)
    ).vcluster
    assert suspended.status.phase == Phase.PHASE_SUSPENDING
    assert "draining" in suspended.status.message
    done = client.wait_phase("team-a", "dev", Phase.PHASE_SUSPENDED)
    assert done.status.current_usage.pod_count == 0
    assert done.status.conditions[0].status == 2  # Ready is false


@pytest.mark.parametrize("phase", sorted(SNAPSHOT_OK), ids=_name)
def test_snapshot_goes_pending_in_progress_ready(client: Api, phase: int) -> None:
    client.running(spec={"replicas": 3})
    client.force_phase("team-a", "dev", phase)
    snapshot = client.vclusters.SnapshotVCluster(
        api.SnapshotVClusterRequest(
            namespace="team-a",
            name="dev",
            snapshot_name="s1",
            description="before upgrade",
            labels={"kind": "manual"},
        )
    ).snapshot
    assert snapshot.phase == Snapshot.Phase.PHASE_PENDING
    assert snapshot.size_bytes == 0
    assert snapshot.source_spec.replicas == 3
    ready = client.wait_snapshot("team-a", "s1", Snapshot.Phase.PHASE_READY)
    assert ready.size_bytes > 0
    assert ready.ready_time.ToMicroseconds() >= ready.create_time.ToMicroseconds()
    assert client.get().status.phase == phase  # a snapshot leaves the vcluster's phase alone


def _ready_snapshot(client: Api, replicas: int = 1) -> None:
    client.running(spec={"replicas": replicas}, labels={"app": "shop"})
    client.vclusters.SnapshotVCluster(
        api.SnapshotVClusterRequest(namespace="team-a", name="dev", snapshot_name="s1")
    )
    client.wait_snapshot("team-a", "s1", Snapshot.Phase.PHASE_READY)


def test_restore_refused_until_snapshot_is_ready() -> None:
    # A long delay holds the snapshot in PENDING.
    with running_server(transition_delay=3600) as server:
        client = connect(server)
        client.create()
        client.force_phase("team-a", "dev", Phase.PHASE_RUNNING)
        client.vclusters.SnapshotVCluster(
            api.SnapshotVClusterRequest(namespace="team-a", name="dev", snapshot_name="s1")
        )
        for target in ("", "copy"):
            result = failure(
                client.vclusters.RestoreVCluster,
                api.RestoreVClusterRequest(
                    namespace="team-a", snapshot_name="s1", target_name=target
                ),
            )
            assert result.code == grpc.StatusCode.FAILED_PRECONDITION
            assert result.info.metadata["phase"] == "PENDING"
            assert result.info.metadata["allowed_phases"] == "READY"


def test_restore_to_new_name_goes_through_provisioning_to_running(client: Api) -> None:
    _ready_snapshot(client, replicas=3)
    restored = client.vclusters.RestoreVCluster(
        api.RestoreVClusterRequest(namespace="team-a", snapshot_name="s1", target_name="copy")
    ).vcluster
    assert restored.status.phase == Phase.PHASE_PROVISIONING
    assert restored.uid != client.get().uid
    done = client.wait_phase("team-a", "copy", Phase.PHASE_RUNNING)
    assert done.spec.replicas == 3
    assert dict(done.labels) == {"app": "shop"}


def test_kept_snapshot_restores_to_new_name_after_source_is_deleted(client: Api) -> None:
    _ready_snapshot(client)
    client.vclusters.DeleteVCluster(api.DeleteVClusterRequest(namespace="team-a", name="dev"))
    client.wait_gone("team-a", "dev")
    in_place = failure(
        client.vclusters.RestoreVCluster,
        api.RestoreVClusterRequest(namespace="team-a", snapshot_name="s1"),
    )
    assert in_place.code == grpc.StatusCode.NOT_FOUND
    client.vclusters.RestoreVCluster(
        api.RestoreVClusterRequest(namespace="team-a", snapshot_name="s1", target_name="dev")
    )
    client.wait_phase("team-a", "dev", Phase.PHASE_RUNNING)


@pytest.mark.parametrize("phase", sorted(KUBECONFIG_REFUSED), ids=_name)
def test_kubeconfig_refused_without_usable_endpoint(client: Api, phase: int) -> None:
    client.running()
    client.force_phase("team-a", "dev", phase)
    request = api.GetVClusterKubeconfigRequest(namespace="team-a", name="dev")
    _expect_invalid_phase(client, phase, client.vclusters.GetVClusterKubeconfig, request)


@pytest.mark.parametrize("phase", sorted(set(ALL) - KUBECONFIG_REFUSED), ids=_name)
def test_kubeconfig_is_a_valid_config_for_the_endpoint(client: Api, phase: int) -> None:
    client.running()
    client.force_phase("team-a", "dev", phase)
    answer = client.vclusters.GetVClusterKubeconfig(
        api.GetVClusterKubeconfigRequest(namespace="team-a", name="dev")
    ).vcluster
    config = yaml.safe_load(answer.status.kubeconfig)
    assert config["kind"] == "Config"
    assert [c["cluster"]["server"] for c in config["clusters"]] == [
        "https://dev.team-a.vcluster.local:443"
    ]
    assert len(config["users"]) == len(config["contexts"]) == 1
    assert config["current-context"] == config["contexts"][0]["name"]
    assert client.get().status.kubeconfig == ""
