"""TLS and mutual TLS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
import trustme

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.config import ConfigError
from openvcluster_server.testing import running_server


@pytest.fixture
def certs(tmp_path: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as files."""
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("client@example.com")
    files = {
        "ca": tmp_path / "ca.pem",
        "cert": tmp_path / "server.pem",
        "key": tmp_path / "server.key",
        "client": tmp_path / "client.pem",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    server.cert_chain_pems[0].write_to_path(str(files["cert"]))
    server.private_key_pem.write_to_path(str(files["key"]))
    client.private_key_and_cert_chain_pem.write_to_path(str(files["client"]))
    return files


def _list(address: str, credentials: grpc.ChannelCredentials) -> None:
    with grpc.secure_channel(address, credentials) as channel:
        api_grpc.VClusterServiceStub(channel).ListVClusters(api.ListVClustersRequest(), timeout=10)


def test_tls(certs: dict[str, Path]) -> None:
    with running_server(tls_cert_file=certs["cert"], tls_key_file=certs["key"]) as server:
        _list(server.address, grpc.ssl_channel_credentials(certs["ca"].read_bytes()))
        with grpc.insecure_channel(server.address) as plain, pytest.raises(grpc.RpcError):
            api_grpc.VClusterServiceStub(plain).ListVClusters(api.ListVClustersRequest(), timeout=5)


def test_mutual_tls_requires_a_client_certificate(certs: dict[str, Path]) -> None:
    with running_server(
        tls_cert_file=certs["cert"], tls_key_file=certs["key"], tls_client_ca_file=certs["ca"]
    ) as server:
        pem = certs["client"].read_bytes()
        _list(
            server.address,
            grpc.ssl_channel_credentials(
                certs["ca"].read_bytes(), private_key=pem, certificate_chain=pem
            ),
        )
        with pytest.raises(grpc.RpcError) as refused:
            _list(server.address, grpc.ssl_channel_credentials(certs["ca"].read_bytes()))
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("files", [("cert",), ("key",), ("ca",)])
def test_incomplete_tls_settings_refuse_to_start(
    certs: dict[str, Path], files: tuple[str, ...]
) -> None:
    names = {"cert": "tls_cert_file", "key": "tls_key_file", "ca": "tls_client_ca_file"}
    overrides: dict[str, Any] = {names[f]: certs[f] for f in files}
    with pytest.raises(ConfigError), running_server(**overrides):
        pass
