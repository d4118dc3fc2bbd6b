"""TLS and mutual TLS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.config import ConfigError
from openvcluster_server.testing import running_server
from openvcluster_server.testing_certs import Certificates, write_certificates


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as files."""
    return write_certificates(tmp_path)


def _list(address: str, credentials: grpc.ChannelCredentials) -> None:
    with grpc.secure_channel(address, credentials) as channel:
        api_grpc.VClusterServiceStub(channel).ListVClusters(api.ListVClustersRequest(), timeout=10)


def test_tls(certs: Certificates) -> None:
    with running_server(**certs.server_settings()) as server:
        _list(server.address, grpc.ssl_channel_credentials(certs.ca.read_bytes()))
        with grpc.insecure_channel(server.address) as plain, pytest.raises(grpc.RpcError):
            api_grpc.VClusterServiceStub(plain).ListVClusters(api.ListVClustersRequest(), timeout=5)


def test_mutual_tls_requires_a_client_certificate(certs: Certificates) -> None:
    with running_server(**certs.server_settings(mutual=True)) as server:
        _list(
            server.address,
            grpc.ssl_channel_credentials(
                certs.ca.read_bytes(),
                private_key=certs.client_key.read_bytes(),
                certificate_chain=certs.client_cert.read_bytes(),
            ),
        )
        with pytest.raises(grpc.RpcError) as refused:
            _list(server.address, grpc.ssl_channel_credentials(certs.ca.read_bytes()))
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("files", [("cert",), ("key",), ("ca",)])
def test_incomplete_tls_settings_refuse_to_start(
    certs: Certificates, files: tuple[str, ...]
) -> None:
    settings = certs.server_settings(mutual=True)
    names = {"cert": "tls_cert_file", "key": "tls_key_file", "ca": "tls_client_ca_file"}
    overrides: dict[str, Any] = {names[f]: settings[names[f]] for f in files}
    with pytest.raises(ConfigError), running_server(**overrides):
        pass
