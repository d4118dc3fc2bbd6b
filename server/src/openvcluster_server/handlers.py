"""What each RPC asks of the backend: one table, shared by the gRPC port
(services.py) and the HTTP port (http/services.py), so both answer alike."""

from __future__ import annotations

import contextlib
import inspect
import re
import typing
from collections.abc import AsyncGenerator
from typing import Any

import grpc

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.api_services import SERVICES
from openvcluster_server.auth import Principal
from openvcluster_server.backend import Backend
from openvcluster_server.calls import StreamHandler, UnaryHandler
from openvcluster_server.errors import ApiError
from openvcluster_server.server_info import ServerInfoReader
from openvcluster_server.watch import WatcherOverflowError, WatchHubClosedError


class Handlers:
    """The backend call behind every RPC, by method name (as in the proto).

    A unary RPC's call is the method of its name in snake_case on the part of
    the Backend whose protocol declares it (backend.py), or on the server
    info reader; the method takes the test hooks when it declares them (the
    mutations). So a new RPC needs no entry here.
    """

    def __init__(self, engine: Backend, info: ServerInfoReader) -> None:
        self._engine = engine
        self.unary: dict[str, UnaryHandler[Any, Any]] = {
            method.name: _handler(engine, info, method.name)
            for service in SERVICES
            for method in service.methods
            if not method.client_streaming and not method.server_streaming
        }
        self.streams: dict[str, StreamHandler[Any, Any]] = {
            "WatchVClusters": self.watch_vclusters,
        }

    async def watch_vclusters(
        self, principal: Principal, request: api.WatchVClustersRequest
    ) -> AsyncGenerator[api.WatchVClustersResponse, None]:
        """WatchVClusters' events, until the watcher is ended or the caller stops."""
        watcher = self._engine.reads.watch_vclusters(principal, request)
        with contextlib.closing(watcher):
            try:
                while True:
                    yield await watcher.next()
            except WatcherOverflowError:
                raise ApiError(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"this watch fell more than {self._engine.hub.limits.buffer} events "
                    "behind and was ended; watch again to receive the current state",
                ) from None
            except WatchHubClosedError:
                raise ApiError(grpc.StatusCode.UNAVAILABLE, "server shutting down") from None


def _handler(engine: Backend, info: ServerInfoReader, rpc: str) -> UnaryHandler[Any, Any]:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", rpc).lower()
    if hasattr(info, name):
        return lambda p, r, _: getattr(info, name)(p, r)
    # An RPC's backend method takes the caller's principal (the store's
    # methods of the same names do not).
    found = [
        (part, inspect.signature(getattr(protocol, name)).parameters)
        for part, protocol in _PARTS.items()
        if "principal" in inspect.signature(getattr(protocol, name, _none)).parameters
    ]
    if len(found) != 1:
        raise TypeError(
            f"{rpc} needs exactly one Backend protocol declaring {name}(principal, ...)"
        )
    part, parameters = found[0]
    # Looked up at each call: the Kubernetes backend makes its parts only when
    # it starts.
    if "hooks" in parameters:
        return lambda p, r, h: getattr(getattr(engine, part), name)(p, r, h)
    return lambda p, r, _: getattr(getattr(engine, part), name)(p, r)


def _none() -> None:
    """Stands in for a method a protocol does not declare."""


# Each part of a Backend and the protocol that declares its methods.
_PARTS: dict[str, type] = {
    name: typing.get_type_hints(member.fget)["return"]
    for name, member in vars(Backend).items()
    if isinstance(member, property) and member.fget is not None
}
