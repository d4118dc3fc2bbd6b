"""Connection settings from arguments and the environment, and what goes on the wire."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

import openvcluster
from openvcluster import ConnectionConfig
from openvcluster._enums import to_distro, to_expose_type, to_phase, to_snapshot_phase
from openvcluster.v1 import vcluster_pb2
from openvcluster.v1 import vcluster_service_pb2 as vs


def test_defaults() -> None:
    config = ConnectionConfig.resolve(environ={})
    assert config.endpoint == openvcluster.DEFAULT_ENDPOINT == "127.0.0.1:50051"
    assert (config.token, config.tls, config.ca_file) == (None, False, None)
    assert config.auth_metadata() == ()
    assert config.credentials() is None


def test_environment(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    env = {
        "OVC_ENDPOINT": "ovc.example:443",
        "OVC_TOKEN": "s3cret",
        "OVC_CA_FILE": str(ca),
        "OVC_TLS_SERVER_NAME": "ovc.internal",
    }
    config = ConnectionConfig.resolve(environ=env)
    assert config.endpoint == "ovc.example:443"
    assert config.tls is True  # a CA file implies TLS
    assert config.ca_file == ca
    assert config.auth_metadata() == (("authorization", "Bearer s3cret"),)
    assert ("grpc.ssl_target_name_override", "ovc.internal") in config.options()
    assert "s3cret" not in repr(config)


def test_arguments_win_over_the_environment() -> None:
    env = {"OVC_ENDPOINT": "env:1", "OVC_TOKEN": "env-token", "OVC_TLS": "true"}
    config = ConnectionConfig.resolve(endpoint="arg:2", token="arg-token", tls=False, environ=env)
    assert (config.endpoint, config.token, config.tls) == ("arg:2", "arg-token", False)


@pytest.mark.parametrize(
    ("endpoint", "tls_env", "expected"),
    [
        ("https://ovc.example:443", None, ("ovc.example:443", True)),
        ("http://127.0.0.1:50051/", None, ("127.0.0.1:50051", False)),
        ("ovc.example:443", "yes", ("ovc.example:443", True)),
        ("ovc.example:443", "0", ("ovc.example:443", False)),
        ("https://ovc.example:443", "off", ("ovc.example:443", False)),
    ],
)
def test_tls_switch(endpoint: str, tls_env: str | None, expected: tuple[str, bool]) -> None:
    env = {} if tls_env is None else {"OVC_TLS": tls_env}
    config = ConnectionConfig.resolve(endpoint=endpoint, environ=env)
    assert (config.endpoint, config.tls) == expected


def test_inconsistent_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="OVC_TLS"):
        ConnectionConfig.resolve(environ={"OVC_TLS": "maybe"})
    with pytest.raises(ValueError, match="key"):
        ConnectionConfig.resolve(client_cert_file=tmp_path / "c.pem", environ={})
    with pytest.raises(ValueError, match="TLS is switched off"):
        ConnectionConfig.resolve(ca_file=tmp_path / "ca.pem", tls=False, environ={})


def test_user_agent_and_extra_channel_options() -> None:
    config = ConnectionConfig.resolve(channel_options=[("grpc.max_receive_message_length", 1)])
    options = dict(config.options())
    assert options["grpc.primary_user_agent"] == (
        f"open-vcluster-api-python/{openvcluster.__version__}"
    )
    assert options["grpc.max_receive_message_length"] == 1


def test_friendly_enum_names() -> None:
    phase = openvcluster.Phase
    assert to_phase("RUNNING") == to_phase("running") == to_phase("PHASE_RUNNING")
    assert to_phase("RUNNING") == phase.PHASE_RUNNING
    assert to_phase(phase.PHASE_FAILED) == phase.PHASE_FAILED
    assert to_snapshot_phase("ready") == openvcluster.SnapshotPhase.PHASE_READY
    assert to_snapshot_phase("in-progress") == openvcluster.SnapshotPhase.PHASE_IN_PROGRESS
    assert to_distro("k3s") == openvcluster.Distro.DISTRO_K3S
    assert to_expose_type("load_balancer") == openvcluster.ExposeType.EXPOSE_TYPE_LOAD_BALANCER
    with pytest.raises(ValueError, match="expected one of PROVISIONING, RUNNING"):
        to_phase("SLEEPING")
    with pytest.raises(ValueError):
        to_phase("UNSPECIFIED")
    with pytest.raises(ValueError):
        to_phase(vcluster_pb2.VCluster.Phase.ValueType(42))


class _Recorder:
    """A fake VClusterService that remembers the metadata and requests it receives."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, str | bytes]] = []
        self.requests: list[vs.DeleteVClusterRequest] = []

    def get(self, request: vs.GetVClusterRequest, context: grpc.ServicerContext) -> object:
        self.metadata.append(dict(context.invocation_metadata()))
        return vs.GetVClusterResponse(vcluster=vcluster_pb2.VCluster(name=request.name))

    def delete(self, request: vs.DeleteVClusterRequest, context: grpc.ServicerContext) -> object:
        self.requests.append(request)
        if len(self.requests) < 3:
            context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
        return vs.DeleteVClusterResponse(vcluster=vcluster_pb2.VCluster(name=request.name))


@pytest.fixture
def recorder() -> Iterator[tuple[_Recorder, str]]:
    recorder = _Recorder()
    handler = grpc.method_handlers_generic_handler(
        "openvcluster.v1.VClusterService",
        {
            "GetVCluster": grpc.unary_unary_rpc_method_handler(
                recorder.get,
                request_deserializer=vs.GetVClusterRequest.FromString,
                response_serializer=vs.GetVClusterResponse.SerializeToString,
            ),
            "DeleteVCluster": grpc.unary_unary_rpc_method_handler(
                recorder.delete,
                request_deserializer=vs.DeleteVClusterRequest.FromString,
                response_serializer=vs.DeleteVClusterResponse.SerializeToString,
            ),
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield recorder, f"127.0.0.1:{port}"
    server.stop(None)


def test_wire_metadata(recorder: tuple[_Recorder, str]) -> None:
    fake, address = recorder
    with openvcluster.Client(address, token="t0k", metadata={"x-team": "a"}) as client:
        client.with_options(metadata=[("x-more", "b")]).get_vcluster("ns", "n")
    seen = fake.metadata[0]
    assert str(seen["user-agent"]).startswith(
        f"open-vcluster-api-python/{openvcluster.__version__}"
    )
    assert seen["authorization"] == "Bearer t0k"
    assert (seen["x-team"], seen["x-more"]) == ("a", "b")


def test_one_request_id_for_every_attempt(recorder: tuple[_Recorder, str]) -> None:
    fake, address = recorder
    policy = openvcluster.RetryPolicy(initial_backoff=0.001, max_backoff=0.01)
    with openvcluster.Client(address, retry=policy) as client:
        client.delete_vcluster("ns", "n")
    ids = {r.request_id for r in fake.requests}
    assert len(fake.requests) == 3 and len(ids) == 1
    (request_id,) = ids
    assert str(uuid.UUID(request_id)) == request_id  # canonical text form


def test_certificate_files_are_read_at_construction(tmp_path: Path) -> None:
    missing = tmp_path / "missing-ca.pem"
    with pytest.raises(FileNotFoundError):
        openvcluster.Client("127.0.0.1:1", ca_file=missing)
    with pytest.raises(FileNotFoundError):
        openvcluster.AsyncClient("127.0.0.1:1", ca_file=missing)


def test_repr_shows_the_endpoint_but_not_the_token() -> None:
    client = openvcluster.Client("127.0.0.1:1", token="hush-hush")
    with client:
        assert repr(client) == "Client(endpoint='127.0.0.1:1', tls=False)"
        assert "hush-hush" not in repr(client.config)
