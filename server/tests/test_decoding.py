"""GuardedRegistrar: how the servicers' methods are registered with the grpc.aio server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import grpc

from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.decoding import GuardedRegistrar


class RecordingServer:
    """Stands in for grpc.aio.Server: records what is registered with it."""

    def __init__(self) -> None:
        self.generic: list[Any] = []
        self.registered: list[str] = []

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        self.registered.append(service)


# The generated base servicer: every method answers UNIMPLEMENTED (typed abstract).
_SERVICER: Any = api_grpc.VClusterServiceServicer


def _handler(server: RecordingServer, method: str) -> grpc.RpcMethodHandler[Any, Any] | None:
    found: grpc.RpcMethodHandler[Any, Any] | None = server.generic[0].service(
        SimpleNamespace(method=method)
    )
    return found


def test_every_method_is_served_by_one_generic_handler_and_none_is_registered() -> None:
    # grpc.aio waits on a pending request per registered method for every call
    # it accepts (issue 28): the server must have none.
    server = RecordingServer()
    registrar: Any = GuardedRegistrar(server)  # type: ignore[arg-type]
    api_grpc.add_VClusterServiceServicer_to_server(_SERVICER(), registrar)
    assert server.registered == []
    assert len(server.generic) == 1
    service = "/openvcluster.v1.VClusterService/"
    for method in ("GetVCluster", "CreateVCluster", "WatchVClusters"):
        assert _handler(server, service + method) is not None
    assert _handler(server, service + "NoSuchMethod") is None
    assert _handler(server, "/other.Service/GetVCluster") is None


def test_the_served_handlers_are_guarded_against_undecodable_requests() -> None:
    server = RecordingServer()
    registrar: Any = GuardedRegistrar(server)  # type: ignore[arg-type]
    api_grpc.add_VClusterServiceServicer_to_server(_SERVICER(), registrar)
    handler = _handler(server, "/openvcluster.v1.VClusterService/GetVCluster")
    assert handler is not None and handler.request_deserializer is not None
    # The guard's deserializer never raises: the handler refuses with INVALID_ARGUMENT.
    undecodable = handler.request_deserializer(b"\xff\xff")
    assert type(undecodable).__name__ == "_Undecodable"
