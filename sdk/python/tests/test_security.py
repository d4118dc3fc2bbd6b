"""TLS, mutual TLS and bearer tokens, and the token's absence from logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import grpc
import pytest

import openvcluster
from openvcluster.v1 import vcluster_service_pb2, vcluster_service_pb2_grpc
from openvcluster_server.testing import RunningServer, running_server
from openvcluster_server.testing_certs import SERVER_NAMES, Certificates, write_certificates

EDITOR = "editor-secret-3f9a1c"
VIEWER = "viewer-secret-77b2e0"
TEAM_A = "team-a-secret-0c41d5"

TOKENS = f"""
tokens:
  - token: "{EDITOR}"
    role: editor
    namespaces: ["*"]
  - token: "{VIEWER}"
    role: viewer
    namespaces: ["*"]
  - token: "{TEAM_A}"
    role: editor
    namespaces: ["team-a"]
"""


# A name the server certificate carries besides the loopback ones, for the
# server name override.
OTHER_NAME = "vcluster.example"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA with a server certificate (127.0.0.1, localhost and
    OTHER_NAME) and a client one, and a CA that issued neither."""
    return write_certificates(tmp_path_factory.mktemp("pki"), (*SERVER_NAMES, OTHER_NAME))


@pytest.fixture(scope="module")
def tls_server(pki: Certificates) -> Iterator[RunningServer]:
    with running_server(**pki.server_settings()) as running:
        yield running


@pytest.fixture(scope="module")
def mtls_server(pki: Certificates) -> Iterator[RunningServer]:
    with running_server(**pki.server_settings(mutual=True)) as running:
        yield running


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tokens = tmp_path_factory.mktemp("auth") / "tokens.yaml"
    tokens.write_text(TOKENS)
    with running_server(tokens_file=tokens) as running:
        yield running


def test_tls(tls_server: RunningServer, pki: Certificates, ns: str) -> None:
    with openvcluster.Client(tls_server.address, ca_file=pki.ca) as client:
        assert client.config.tls
        client.create_vcluster(ns, "dev", wait=True)
        assert client.get_vcluster(ns, "dev").name == "dev"


def test_tls_server_name_override(tls_server: RunningServer, pki: Certificates, ns: str) -> None:
    with openvcluster.Client(
        tls_server.address, ca_file=pki.ca, tls_server_name=OTHER_NAME
    ) as client:
        assert list(client.list_vclusters(ns)) == []


def test_tls_rejects_an_unknown_ca(tls_server: RunningServer, pki: Certificates, ns: str) -> None:
    client = openvcluster.Client(tls_server.address, ca_file=pki.other_ca, retry=None)
    with client, pytest.raises(openvcluster.UnavailableError):
        client.get_vcluster(ns, "dev", timeout=5)


def test_plaintext_to_a_tls_server_fails(tls_server: RunningServer, ns: str) -> None:
    client = openvcluster.Client(tls_server.address, retry=None)
    with client, pytest.raises(openvcluster.UnavailableError):
        client.get_vcluster(ns, "dev", timeout=5)


def test_mutual_tls(mtls_server: RunningServer, pki: Certificates, ns: str) -> None:
    with openvcluster.Client(
        mtls_server.address,
        ca_file=pki.ca,
        client_cert_file=pki.client_cert,
        client_key_file=pki.client_key,
    ) as client:
        client.create_vcluster(ns, "dev", wait=True)
    # Without a client certificate the handshake fails.
    anonymous = openvcluster.Client(mtls_server.address, ca_file=pki.ca, retry=None)
    with anonymous, pytest.raises(openvcluster.UnavailableError):
        anonymous.get_vcluster(ns, "dev", timeout=5)


@pytest.mark.asyncio
async def test_async_mutual_tls_from_environment(
    mtls_server: RunningServer, pki: Certificates, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVC_ENDPOINT", mtls_server.address)
    monkeypatch.setenv("OVC_CA_FILE", str(pki.ca))
    monkeypatch.setenv("OVC_CLIENT_CERT_FILE", str(pki.client_cert))
    monkeypatch.setenv("OVC_CLIENT_KEY_FILE", str(pki.client_key))
    async with openvcluster.AsyncClient() as client:
        vc = await client.create_vcluster(ns, "dev", wait=True)
        assert vc.status.phase == openvcluster.Phase.PHASE_RUNNING


def test_missing_or_unknown_token_is_unauthenticated(token_server: RunningServer, ns: str) -> None:
    with openvcluster.Client(token_server.address) as anonymous:
        with pytest.raises(openvcluster.UnauthenticatedError) as caught:
            anonymous.get_vcluster(ns, "dev")
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED
    stranger = openvcluster.Client(token_server.address, token="not-a-token")
    with stranger, pytest.raises(openvcluster.UnauthenticatedError):
        list(stranger.list_vclusters(ns))


def test_viewer_reads_but_may_not_mutate(token_server: RunningServer, ns: str) -> None:
    with openvcluster.Client(token_server.address, token=EDITOR) as editor:
        editor.create_vcluster(ns, "dev", wait=True)
    with openvcluster.Client(token_server.address, token=VIEWER) as viewer:
        assert viewer.get_vcluster(ns, "dev").name == "dev"
        assert [v.name for v in viewer.list_vclusters(ns)] == ["dev"]
        with viewer.watch_vclusters(ns) as watch:
            assert next(watch).vcluster.name == "dev"
        with pytest.raises(openvcluster.PermissionDeniedError) as caught:
            viewer.suspend_vcluster(ns, "dev")
        assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(openvcluster.PermissionDeniedError):
            viewer.create_vcluster(ns, "other")
        # A kubeconfig is a credential, not a read.
        with pytest.raises(openvcluster.PermissionDeniedError):
            viewer.get_kubeconfig(ns, "dev")


def test_namespaces_outside_a_token_do_not_exist(token_server: RunningServer) -> None:
    with openvcluster.Client(token_server.address, token=EDITOR) as editor:
        editor.create_vcluster("team-b", "hidden", wait=True)
    with openvcluster.Client(token_server.address, token=TEAM_A) as team_a:
        team_a.create_vcluster("team-a", "mine", wait=True)
        with pytest.raises(openvcluster.NotFoundError):
            team_a.get_vcluster("team-b", "hidden")
        assert [v.name for v in team_a.list_vclusters()] == ["mine"]


def test_token_from_environment(
    token_server: RunningServer, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVC_ENDPOINT", token_server.address)
    monkeypatch.setenv("OVC_TOKEN", EDITOR)
    with openvcluster.Client() as client:
        client.create_vcluster(ns, "dev")
        # Metadata of your own may carry another authorization and then wins.
        with pytest.raises(openvcluster.PermissionDeniedError):
            client.delete_vcluster(ns, "dev", metadata={"authorization": f"Bearer {VIEWER}"})


def test_create_channel_adds_the_token(token_server: RunningServer, ns: str) -> None:
    with openvcluster.create_channel(token_server.address, token=EDITOR) as channel:
        stub = vcluster_service_pb2_grpc.VClusterServiceStub(channel)
        request = vcluster_service_pb2.CreateVClusterRequest(namespace=ns, name="raw")
        assert stub.CreateVCluster(request, timeout=10).vcluster.name == "raw"
        watch = stub.WatchVClusters(vcluster_service_pb2.WatchVClustersRequest(namespace=ns))
        assert next(watch).vcluster.name == "raw"
        watch.cancel()


@pytest.mark.asyncio
async def test_async_token_auth(token_server: RunningServer, ns: str) -> None:
    async with openvcluster.AsyncClient(token_server.address, token=VIEWER) as viewer:
        with pytest.raises(openvcluster.PermissionDeniedError):
            await viewer.create_vcluster(ns, "dev")
    async with openvcluster.AsyncClient(token_server.address) as anonymous:
        with pytest.raises(openvcluster.UnauthenticatedError):
            await anonymous.get_vcluster(ns, "dev")


def test_the_token_never_reaches_the_logs(
    token_server: RunningServer, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fast = openvcluster.RetryPolicy(initial_backoff=0.001, max_backoff=0.01)
    with openvcluster.Client(token_server.address, token=EDITOR, retry=fast) as client:
        client.create_vcluster(
            ns, "dev", metadata={"ovc-test-unavailable": f"{hook_key}:2"}, wait=True
        )
        with pytest.raises(openvcluster.NotFoundError) as caught:
            client.get_vcluster(ns, "ghost")
        texts = [repr(client), repr(client.config), str(caught.value), repr(caught.value)]
    assert any("attempt 3" in r.getMessage() for r in caplog.records)
    assert EDITOR not in caplog.text
    assert all(EDITOR not in text for text in texts)
