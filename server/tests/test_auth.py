"""Bearer tokens, roles and namespace isolation: the tokens file, the scheme, what lists,
watches, page tokens and request ids leave out. That every RPC refuses bad
credentials, a viewer's mutations and hidden namespaces alike is tested once, RPC
by RPC, in reliability/test_tenancy.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from openvcluster.v1 import monitor_service_pb2 as mon_api
from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1 import operation_service_pb2_grpc as op_grpc
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import Resources
from openvcluster_server.testing import RunningServer, running_server
from support import Api, Phase, connect, failure

TOKENS = """
tokens:
  - token: root-token
    role: editor
    namespaces: ["*"]
    name: root
  - token: a-editor-token
    role: editor
    namespaces: [team-a]
  - token: a-viewer-token
    role: viewer
    namespaces: [team-a]
"""


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with tokens, holding team-a/dev and team-b/dev with a snapshot each."""
    tokens = tmp_path_factory.mktemp("auth") / "tokens.yaml"
    tokens.write_text(TOKENS)
    with running_server(tokens_file=tokens) as server:
        root = as_caller(server, "root-token")
        for namespace in ("team-a", "team-b"):
            root.running(namespace, "dev")
            root.vclusters.SnapshotVCluster(
                api.SnapshotVClusterRequest(namespace=namespace, name="dev", snapshot_name="snap")
            )
            root.wait_snapshot(namespace, "snap", 3)
        yield server


def as_caller(server: RunningServer, token: str | None) -> Api:
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    return connect(server, metadata)


def operations(client: Api) -> op_grpc.OperationServiceStub:
    """OperationService on the client's channel (with its token)."""
    return op_grpc.OperationServiceStub(client.channel)


def test_authorization_must_be_a_bearer_token(secured: RunningServer) -> None:
    client = connect(secured, (("authorization", "Basic root-token"),))
    result = failure(
        lambda c, ns: c.vclusters.GetVCluster(api.GetVClusterRequest(namespace=ns, name="dev")),
        client,
        "team-a",
    )
    assert result.code == grpc.StatusCode.UNAUTHENTICATED
    assert "Bearer" in result.message


def test_lists_and_watches_leave_hidden_namespaces_out(secured: RunningServer) -> None:
    client = as_caller(secured, "a-viewer-token")
    listed = client.vclusters.ListVClusters(api.ListVClustersRequest())
    assert [(vc.namespace, vc.name) for vc in listed.vclusters] == [("team-a", "dev")]
    hidden = client.vclusters.ListVClusters(api.ListVClustersRequest(namespace="team-b"))
    assert list(hidden.vclusters) == []
    snapshots = client.snapshots.ListSnapshots(snap_api.ListSnapshotsRequest())
    assert [s.namespace for s in snapshots.snapshots] == ["team-a"]
    fleet = client.monitor.GetFleetSummary(mon_api.GetFleetSummaryRequest()).summary
    assert [n.namespace for n in fleet.namespaces] == ["team-a"]
    assert fleet.vcluster_count == 1
    hidden_fleet = client.monitor.GetFleetSummary(
        mon_api.GetFleetSummaryRequest(namespace="team-b")
    )
    assert hidden_fleet.summary.vcluster_count == 0 and not hidden_fleet.summary.namespaces
    listed_operations = operations(client).ListOperations(op_api.ListOperationsRequest())
    assert {op.namespace for op in listed_operations.operations} == {"team-a"}
    hidden_operations = operations(client).ListOperations(
        op_api.ListOperationsRequest(namespace="team-b")
    )
    assert not hidden_operations.operations and not hidden_operations.next_page_token
    stream = client.vclusters.WatchVClusters(api.WatchVClustersRequest(), timeout=20)
    initial = [next(stream), next(stream)]
    assert [e.vcluster.namespace for e in initial] == ["team-a", ""]  # then SYNCED
    # A change in team-b is not delivered; the next event is team-a's.
    root = as_caller(secured, "root-token")
    for namespace in ("team-b", "team-a"):
        root.vclusters.SnapshotVCluster(
            api.SnapshotVClusterRequest(
                namespace=namespace, name="dev", snapshot_name=f"w-{uuid.uuid4().hex[:8]}"
            )
        )
        root.vclusters.ScaleVCluster(
            api.ScaleVClusterRequest(namespace=namespace, name="dev", resources=Resources(cpu="2"))
        )
    assert next(stream).vcluster.namespace == "team-a"
    stream.cancel()
    root.wait_phase("team-a", "dev", Phase.PHASE_RUNNING)
    root.wait_phase("team-b", "dev", Phase.PHASE_RUNNING)


def test_page_tokens_belong_to_their_caller(secured: RunningServer) -> None:
    root = as_caller(secured, "root-token")
    token = root.vclusters.ListVClusters(api.ListVClustersRequest(page_size=1)).next_page_token
    assert token
    result = failure(
        as_caller(secured, "a-viewer-token").vclusters.ListVClusters,
        api.ListVClustersRequest(page_size=1, page_token=token),
    )
    assert list(result.violations) == ["page_token"]


def test_request_ids_are_scoped_to_the_caller(secured: RunningServer) -> None:
    request_id = str(uuid.uuid4())
    for token, namespace in (("root-token", "team-b"), ("a-editor-token", "team-a")):
        answer = as_caller(secured, token).vclusters.CreateVCluster(
            api.CreateVClusterRequest(
                namespace=namespace, name="scoped", validate_only=True, request_id=request_id
            )
        )
        assert answer.vcluster.namespace == namespace


def test_tokens_file_errors_are_clear(tmp_path: Path) -> None:
    from openvcluster_server.auth import load_authenticator
    from openvcluster_server.config import ConfigError

    cases = {
        "tokens: []": "non-empty list",
        "tokens: [{token: x, role: admin}]": "role must be",
        "tokens: [{role: viewer}]": "token must be",
        "tokens: [{token: x, role: viewer}, {token: x, role: editor}]": "same token twice",
        "tokens: [{token: x, role: viewer, namespaces: team-a}]": "namespaces must be a list",
    }
    for text, message in cases.items():
        path = tmp_path / "tokens.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_authenticator(path)


def test_tokens_with_the_same_name_do_not_share_scopes(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        "tokens:\n"
        "  - {token: first-secret, role: editor, name: twin}\n"
        "  - {token: second-secret, role: editor, name: twin}\n"
    )
    with running_server(tokens_file=tokens) as server:
        first, second = as_caller(server, "first-secret"), as_caller(server, "second-secret")
        first.create("team-a", "one")
        first.create("team-a", "two")
        page = first.vclusters.ListVClusters(api.ListVClustersRequest(page_size=1))
        refused = failure(
            second.vclusters.ListVClusters,
            api.ListVClustersRequest(page_size=1, page_token=page.next_page_token),
        )
        assert list(refused.violations) == ["page_token"]
        request_id = str(uuid.uuid4())
        for client, name in ((first, "three"), (second, "four")):
            client.vclusters.CreateVCluster(
                api.CreateVClusterRequest(namespace="team-a", name=name, request_id=request_id)
            )
        assert second.get("team-a", "four").name == "four"


def test_health_and_reflection_need_no_token(secured: RunningServer) -> None:
    with grpc.insecure_channel(secured.address) as channel:
        health: Any = health_pb2_grpc.HealthStub(channel)  # its stubs declare no methods
        answer = health.Check(health_pb2.HealthCheckRequest(service=""))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        services = ProtoReflectionDescriptorDatabase(channel).get_services()
        assert "openvcluster.v1.VClusterService" in services
        assert "openvcluster.v1.OperationService" in services
