"""Helpers for the tests of the HTTP port: Connect and gRPC-Web clients
(connectrpc's generated ones, over pyqwest) for each protocol and HTTP version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TypeVar

from connectrpc.codec import Codec
from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.errors import ConnectError
from connectrpc.protocol import ProtocolType
from google.protobuf.message import Message
from pyqwest import HTTPVersion, SyncClient, SyncHTTPTransport

from openvcluster.v1.monitor_service_connect import MonitorServiceClientSync
from openvcluster.v1.server_info_service_connect import ServerInfoServiceClientSync
from openvcluster.v1.snapshot_service_connect import SnapshotServiceClientSync
from openvcluster.v1.vcluster_service_connect import VClusterServiceClientSync

M = TypeVar("M", bound=Message)

# (protocol, codec) by the name tests are parametrised with.
PROTOCOLS: dict[str, tuple[ProtocolType, Codec]] = {
    "connect-json": (ProtocolType.CONNECT, google_protobuf_json_codec()),
    "connect-proto": (ProtocolType.CONNECT, google_protobuf_binary_codec()),
    "grpc-web": (ProtocolType.GRPC_WEB, google_protobuf_binary_codec()),
}
HTTP_VERSIONS = {"http1": HTTPVersion.HTTP1, "http2": HTTPVersion.HTTP2}
# Every protocol over both HTTP versions (HTTP/2 without TLS is h2c).
COMBINATIONS = [f"{p}/{v}" for p in PROTOCOLS for v in HTTP_VERSIONS]


@dataclass
class HttpApi:
    """Connect clients of both services, sharing one HTTP client."""

    vclusters: VClusterServiceClientSync
    snapshots: SnapshotServiceClientSync
    monitor: MonitorServiceClientSync
    info: ServerInfoServiceClientSync
    http: SyncClient


@contextmanager
def http_api(
    url: str,
    combination: str = "connect-json/http1",
    *,
    ca: bytes | None = None,
    client_pem: bytes | None = None,
) -> Iterator[HttpApi]:
    """Clients for the server at ``url`` speaking ``combination`` ("protocol/http-version")."""
    protocol_name, version = combination.split("/")
    protocol, codec = PROTOCOLS[protocol_name]
    with ExitStack() as stack:
        transport = SyncHTTPTransport(
            http_version=HTTP_VERSIONS[version],
            tls_ca_cert=ca,
            tls_cert=client_pem,
            tls_key=client_pem,
            # A proxy of the machine must not see loopback calls.
            proxy=[],
        )
        stack.enter_context(transport)
        http = SyncClient(transport)
        options = {"protocol": protocol, "codec": codec, "http_client": http, "timeout_ms": 20_000}
        yield HttpApi(
            vclusters=stack.enter_context(VClusterServiceClientSync(url, **options)),  # type: ignore[arg-type]
            snapshots=stack.enter_context(SnapshotServiceClientSync(url, **options)),  # type: ignore[arg-type]
            monitor=stack.enter_context(MonitorServiceClientSync(url, **options)),  # type: ignore[arg-type]
            info=stack.enter_context(ServerInfoServiceClientSync(url, **options)),  # type: ignore[arg-type]
            http=http,
        )


def detail(error: ConnectError, kind: type[M]) -> M:
    """The one detail of type ``kind`` in a Connect error."""
    name = kind.DESCRIPTOR.full_name
    found = [d for d in error.details if d.type_name == name]
    assert len(found) == 1, f"expected one {name} in {[d.type_name for d in error.details]}"
    return kind.FromString(found[0].message_bytes)
