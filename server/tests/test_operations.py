"""Health, reflection, logging, listen-address safety and configuration."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.app import is_loopback
from openvcluster_server.cli import build_parser, config_from_args
from openvcluster_server.config import ConfigError, Quota
from openvcluster_server.logformat import JsonFormatter, TextFormatter, record_fields
from openvcluster_server.testing import RunningServer, running_server, write_tokens_file
from support import Api, connect


def test_health_reports_serving(server: RunningServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub: Any = health_pb2_grpc.HealthStub(channel)  # its stubs declare no methods
        for service in ("", "openvcluster.v1.VClusterService", "openvcluster.v1.SnapshotService"):
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_both_services(server: RunningServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        services = ProtoReflectionDescriptorDatabase(channel).get_services()
    assert {
        "openvcluster.v1.VClusterService",
        "openvcluster.v1.SnapshotService",
        "grpc.health.v1.Health",
    } <= set(services)


def test_one_log_line_per_rpc_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens: [{token: very-secret-token, role: editor, name: ci-bot}]")
    with running_server(tokens_file=tokens) as server:
        client = connect(server, (("authorization", "Bearer very-secret-token"),))
        with caplog.at_level(logging.INFO, logger="openvcluster_server.rpc"):
            client.vclusters.CreateVCluster(
                api.CreateVClusterRequest(
                    namespace="team-a",
                    name="dev",
                    request_id="11111111-2222-4333-8444-555555555555",
                )
            )
            client.wait_phase("team-a", "dev", 2)
            config = client.vclusters.GetVClusterKubeconfig(
                api.GetVClusterKubeconfigRequest(namespace="team-a", name="dev")
            )
    lines = [record_fields(r) for r in caplog.records if r.name == "openvcluster_server.rpc"]
    create = next(line for line in lines if line["method"] == "CreateVCluster")
    assert create["code"] == "OK" and create["caller"] == "ci-bot"
    assert create["request_id"] == "11111111-2222-4333-8444-555555555555"
    assert isinstance(create["latency_ms"], float)
    assert any(line["method"] == "WatchVClusters" for line in lines)
    kubeconfig_token = config.vcluster.status.kubeconfig.split("token: ")[1].split()[0]
    written = "\n".join(
        formatter.format(r)
        for r in caplog.records
        for formatter in (TextFormatter(), JsonFormatter())
    )
    assert "very-secret-token" not in written
    assert kubeconfig_token not in written


def test_errors_are_logged_with_their_code(client: Api, caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, logger="openvcluster_server.rpc"),
        pytest.raises(grpc.RpcError),
    ):
        client.get("team-a", "ghost")
    assert record_fields(caplog.records[-1])["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:50051", True),
        ("localhost:1", True),
        ("[::1]:5", True),
        ("0.0.0.0:50051", False),
        ("[::]:50051", False),
        ("10.1.2.3:1", False),
    ],
)
def test_loopback_detection(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_a_second_server_on_a_taken_address_refuses_to_start() -> None:
    with (
        running_server() as first,
        pytest.raises(ConfigError, match="address is taken"),
        running_server(address=first.address),
    ):
        pass


def test_listening_beyond_loopback_without_tokens_needs_insecure(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--insecure"), running_server(address="0.0.0.0:0"):
        pass
    with running_server(address="0.0.0.0:0", insecure=True) as server:
        assert server.port > 0
    tokens = write_tokens_file(tmp_path / "tokens.yaml", [{"token": "t", "role": "viewer"}])
    with running_server(address="0.0.0.0:0", tokens_file=tokens) as server:
        assert server.port > 0


def test_flags_override_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "server.yaml"
    path.write_text(
        "address: 127.0.0.1:6000\ntransition-delay: 0.5\nstore: sqlite\ndata_dir: data\n"
        "kubernetes_versions: ['1.30', '1.31']\n"
        "quotas: {team-a: {max_vclusters: 3, cpu: '8'}}\n"
    )
    args = build_parser().parse_args(
        ["serve", "--config", str(path), "--address", "127.0.0.1:7000", "--enable-test-hooks"]
    )
    config = config_from_args(args)
    assert config.address == "127.0.0.1:7000"
    assert config.transition_delay == 0.5
    assert (config.store, config.data_dir) == ("sqlite", Path("data"))
    assert config.kubernetes_versions == ("1.30", "1.31")
    assert config.quotas == {"team-a": Quota(max_vclusters=3, cpu="8")}
    assert config.enable_test_hooks is True
    assert config.insecure is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour: blue\n", "unknown setting 'colour'"),
        ("quotas: {team-a: {gpus: 1}}\n", "may only set"),
        ("quotas: {team: {cpu: lots}}\n", "quota of 'team': cpu 'lots' must be a Kubernetes"),
        ("quotas: {team: {memory: '1e120'}}\n", r"quota of 'team': memory '1e120'"),
        ("quotas: {team: {cpu: '-2'}}\n", "cpu '-2' must not be negative"),
        ("quotas: {team: {max_vclusters: many}}\n", "max_vclusters must be a whole number"),
        ("quotas: {team: {max_snapshots: -1}}\n", "max_snapshots must not be negative"),
        ("- a list\n", "must hold a mapping"),
        ("transition-delay: soon\n", "transition-delay cannot be 'soon'"),
        ("transition-delay: -1\n", "must not be negative"),
        ("watch_buffer: 0\n", "at least 1"),
        ("store: etcd\n", "memory or sqlite"),
        ("leader-elect-lease-duration: 0.5\n", "leader-elect-lease-duration must be at least 1"),
    ],
)
def test_config_file_errors_are_clear(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "server.yaml"
    path.write_text(text)
    args = build_parser().parse_args(["serve", "--config", str(path)])
    with pytest.raises(ConfigError, match=message):
        config_from_args(args)


def test_sqlite_needs_a_data_dir() -> None:
    with pytest.raises(ConfigError, match="--data-dir"):
        config_from_args(build_parser().parse_args(["serve", "--store", "sqlite"]))


def test_supported_versions_are_configurable() -> None:
    with running_server(kubernetes_versions=("1.30", "1.31")) as server:
        client = connect(server)
        assert client.create().spec.kubernetes_version == "1.31"


def test_messages_over_the_size_limit_are_refused() -> None:
    with running_server(max_message_bytes=4096) as server:
        client = connect(server)
        request = api.CreateVClusterRequest(namespace="team-a", name="big")
        request.labels.update({f"k{i}": "v" * 60 for i in range(100)})
        with pytest.raises(grpc.RpcError) as refused:
            client.vclusters.CreateVCluster(request)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert client.create("team-a", "small").name == "small"
