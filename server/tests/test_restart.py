"""Durability on SQLite: a real server process killed with SIGKILL, then restarted."""

from __future__ import annotations

import signal
import subprocess
import uuid
from pathlib import Path

import grpc

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import snapshot_service_pb2_grpc as snap_grpc
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster_server.testing import ServerProcess, serve_command
from support import WAIT_DEADLINE, Phase


def test_acknowledged_mutations_survive_sigkill_and_transitions_finish(tmp_path: Path) -> None:
    request_id = str(uuid.uuid4())
    create_held = api.CreateVClusterRequest(namespace="team-a", name="held", request_id=request_id)
    # A day-long delay keeps every vcluster in its intermediate phase until the kill.
    with ServerProcess(serve_command(tmp_path, 86_400)) as server:
        with grpc.insecure_channel(server.address) as channel:
            stub = api_grpc.VClusterServiceStub(channel)
            first = stub.CreateVCluster(create_held).vcluster
            for index in range(20):
                stub.CreateVCluster(api.CreateVClusterRequest(namespace="bulk", name=f"vc-{index}"))
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)

    with (
        ServerProcess(serve_command(tmp_path, 0)) as server,
        grpc.insecure_channel(server.address) as channel,
    ):
        stub = api_grpc.VClusterServiceStub(channel)
        # The interrupted transition finishes after the restart.
        _wait_running(channel, "team-a", "held")
        held = stub.GetVCluster(api.GetVClusterRequest(namespace="team-a", name="held")).vcluster
        assert held.uid == first.uid
        # The request_id is remembered across the restart.
        assert stub.CreateVCluster(create_held).vcluster == first
        listed = stub.ListVClusters(api.ListVClustersRequest(namespace="bulk", page_size=100))
        assert len(listed.vclusters) == 20


def _ready_snapshot(channel: grpc.Channel, namespace: str, name: str) -> None:
    stub = snap_grpc.SnapshotServiceStub(channel)
    request = snap_api.GetSnapshotRequest(namespace=namespace, name=name)
    for _ in range(10_000):
        if stub.GetSnapshot(request).snapshot.phase == Snapshot.Phase.PHASE_READY:
            return
    raise AssertionError("the snapshot never became READY")


def test_snapshots_and_page_tokens_survive_a_graceful_restart(tmp_path: Path) -> None:
    with ServerProcess(serve_command(tmp_path, 0)) as server:
        with grpc.insecure_channel(server.address) as channel:
            stub = api_grpc.VClusterServiceStub(channel)
            for name in ("a", "b", "c"):
                stub.CreateVCluster(api.CreateVClusterRequest(namespace="team-a", name=name))
            token = stub.ListVClusters(api.ListVClustersRequest(page_size=1)).next_page_token
            stub.SnapshotVCluster(
                api.SnapshotVClusterRequest(namespace="team-a", name="a", snapshot_name="s1")
            )
            _ready_snapshot(channel, "team-a", "s1")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0

    with (
        ServerProcess(serve_command(tmp_path, 0)) as server,
        grpc.insecure_channel(server.address) as channel,
    ):
        stub = api_grpc.VClusterServiceStub(channel)
        page = stub.ListVClusters(api.ListVClustersRequest(page_size=1, page_token=token))
        assert [vc.name for vc in page.vclusters] == ["b"]
        restored = stub.RestoreVCluster(
            api.RestoreVClusterRequest(namespace="team-a", snapshot_name="s1", target_name="copy")
        ).vcluster
        assert restored.status.phase == Phase.PHASE_PROVISIONING


def test_a_snapshot_interrupted_by_sigkill_completes_after_restart(tmp_path: Path) -> None:
    with ServerProcess(serve_command(tmp_path, 0)) as server:
        with grpc.insecure_channel(server.address) as channel:
            api_grpc.VClusterServiceStub(channel).CreateVCluster(
                api.CreateVClusterRequest(namespace="team-a", name="src")
            )
            _wait_running(channel, "team-a", "src")
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
    # A day-long delay holds the new snapshot in PENDING until the kill.
    with ServerProcess(serve_command(tmp_path, 86_400)) as server:
        with grpc.insecure_channel(server.address) as channel:
            pending = (
                api_grpc.VClusterServiceStub(channel)
                .SnapshotVCluster(
                    api.SnapshotVClusterRequest(namespace="team-a", name="src", snapshot_name="s1")
                )
                .snapshot
            )
            assert pending.phase == Snapshot.Phase.PHASE_PENDING
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    with (
        ServerProcess(serve_command(tmp_path, 0)) as server,
        grpc.insecure_channel(server.address) as channel,
    ):
        _ready_snapshot(channel, "team-a", "s1")


def _wait_running(channel: grpc.Channel, namespace: str, name: str) -> None:
    watch = api_grpc.VClusterServiceStub(channel).WatchVClusters(
        api.WatchVClustersRequest(namespace=namespace, name=name), timeout=WAIT_DEADLINE
    )
    for event in watch:
        if event.vcluster.status.phase == Phase.PHASE_RUNNING:
            watch.cancel()
            return
    raise AssertionError(f"{namespace}/{name} never became RUNNING")


def test_a_second_server_on_the_same_data_dir_refuses_to_start(tmp_path: Path) -> None:
    with ServerProcess(serve_command(tmp_path, 0)):
        second = subprocess.run(
            serve_command(tmp_path, 0),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert second.returncode == 2
    assert "another process uses the store" in second.stderr
