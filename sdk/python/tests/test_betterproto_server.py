"""The betterproto2 dataclass flavour against the reference server.

Its sync stubs take no timeout or metadata arguments, so the channel from
``openvcluster.create_channel`` carries the token, and errors are decoded
with ``openvcluster.errors.from_rpc_error``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest

import openvcluster
from openvcluster import betterproto as bp
from openvcluster.errors import from_rpc_error
from openvcluster_server.testing import RunningServer, running_server

TOKEN = "bp-editor-5d1e"


def test_create_get_list_delete(server: RunningServer, ns: str) -> None:
    with openvcluster.create_channel(server.address) as channel:
        stub = bp.VClusterServiceStub(channel)
        created = stub.create_v_cluster(
            bp.CreateVClusterRequest(
                namespace=ns,
                name="dev",
                spec=bp.VClusterSpec(
                    kubernetes_version="1.32", resources=bp.Resources(cpu="2", memory="4Gi")
                ),
                labels={"tier": "gold"},
                request_id=str(uuid.uuid4()),
            )
        ).vcluster
        assert created is not None and created.status is not None
        assert created.status.phase == bp.VClusterPhase.PROVISIONING
        assert created.spec is not None and created.spec.resources is not None
        assert created.spec.resources.cpu == "2"

        got = stub.get_v_cluster(bp.GetVClusterRequest(namespace=ns, name="dev")).vcluster
        assert got is not None and got.uid == created.uid and got.labels == {"tier": "gold"}

        stub.create_v_cluster(bp.CreateVClusterRequest(namespace=ns, name="dev2"))
        first = stub.list_v_clusters(bp.ListVClustersRequest(namespace=ns, page_size=1))
        assert [v.name for v in first.vclusters] == ["dev"] and first.next_page_token
        second = stub.list_v_clusters(
            bp.ListVClustersRequest(namespace=ns, page_size=1, page_token=first.next_page_token)
        )
        assert [v.name for v in second.vclusters] == ["dev2"] and not second.next_page_token

        deleting = stub.delete_v_cluster(bp.DeleteVClusterRequest(namespace=ns, name="dev"))
        assert deleting.vcluster is not None

        # The stubs have no wait helpers; the Client's work for any vcluster.
        with openvcluster.Client(server.address) as client:
            client.wait_for_deletion(ns, "dev", timeout=10)
        with pytest.raises(grpc.RpcError) as caught:
            stub.get_v_cluster(bp.GetVClusterRequest(namespace=ns, name="dev"))
        assert isinstance(from_rpc_error(caught.value), openvcluster.NotFoundError)


def test_snapshot_service_and_rich_errors(server: RunningServer, ns: str) -> None:
    with openvcluster.Client(server.address) as client:
        client.create_vcluster(ns, "dev", wait=True)
        client.snapshot_vcluster(ns, "dev", snapshot_name="s1", wait=True)
    with openvcluster.create_channel(server.address) as channel:
        snapshots = bp.SnapshotServiceStub(channel)
        snap = snapshots.get_snapshot(bp.GetSnapshotRequest(namespace=ns, name="s1")).snapshot
        assert snap is not None and snap.phase == bp.SnapshotPhase.READY
        listed = snapshots.list_snapshots(bp.ListSnapshotsRequest(namespace=ns, vcluster="dev"))
        assert [s.name for s in listed.snapshots] == ["s1"]

        stub = bp.VClusterServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.create_v_cluster(
                bp.CreateVClusterRequest(namespace=ns, name="x", spec=bp.VClusterSpec(replicas=9))
            )
        error = from_rpc_error(caught.value)
        assert isinstance(error, openvcluster.InvalidArgumentError)
        assert [v.field for v in error.field_violations] == ["spec.replicas"]


def test_token_through_create_channel(tmp_path: Path, ns: str) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(f'tokens:\n  - token: "{TOKEN}"\n    role: editor\n    namespaces: ["*"]\n')
    with running_server(tokens_file=tokens) as server:
        with openvcluster.create_channel(server.address, token=TOKEN) as channel:
            stub = bp.VClusterServiceStub(channel)
            vc = stub.create_v_cluster(bp.CreateVClusterRequest(namespace=ns, name="dev"))
            assert vc.vcluster is not None and vc.vcluster.name == "dev"
        with openvcluster.create_channel(server.address) as anonymous:
            with pytest.raises(grpc.RpcError) as caught:
                bp.VClusterServiceStub(anonymous).get_v_cluster(
                    bp.GetVClusterRequest(namespace=ns, name="dev")
                )
            assert isinstance(from_rpc_error(caught.value), openvcluster.UnauthenticatedError)


def test_watch(server: RunningServer, ns: str) -> None:
    with openvcluster.create_channel(server.address) as channel:
        stub = bp.VClusterServiceStub(channel)
        stub.create_v_cluster(bp.CreateVClusterRequest(namespace=ns, name="dev"))
        events = stub.watch_v_clusters(bp.WatchVClustersRequest(namespace=ns))
        first = next(events)
        assert first.type == bp.WatchVClustersResponseEventType.ADDED
        assert first.vcluster is not None and first.vcluster.name == "dev"
        synced = next(events)
        assert synced.type == bp.WatchVClustersResponseEventType.SYNCED
        assert synced.vcluster is None
