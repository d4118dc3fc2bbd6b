"""The Connect and gRPC-Web services: every method of every API service
(api_services.py), made from the proto's descriptors and handed to
ConnectCalls, which runs it through the same CallRunner and handler table as
the gRPC port. A new RPC needs no line here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any

from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from connectrpc.request import RequestContext
from connectrpc.server import ConnectASGIApplication, Endpoint
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions
from google.protobuf.message_factory import GetMessageClass

from openvcluster_server.api_services import SERVICES
from openvcluster_server.calls import CallRunner, Metadata
from openvcluster_server.encoded import Encoded
from openvcluster_server.errors import ApiError
from openvcluster_server.handlers import Handlers
from openvcluster_server.http.errors import connect_error

Ctx = RequestContext[Any, Any]


class ConnectCalls:
    """Runs a call of the HTTP port through CallRunner; an ApiError becomes a
    ConnectError with the same code, message and details."""

    def __init__(self, runner: CallRunner, handlers: Handlers) -> None:
        self._runner = runner
        self._handlers = handlers

    async def unary(self, method: str, request: Any, ctx: Ctx) -> Any:
        """Answers the unary call ``method``."""
        try:
            response = await self._runner.unary(
                method, request, _metadata(ctx), self._handlers.unary[method]
            )
        except ApiError as error:
            raise connect_error(error) from None
        # connectrpc's codecs (JSON among them) take a message.
        return response.message() if isinstance(response, Encoded) else response

    async def stream(self, method: str, request: Any, ctx: Ctx) -> AsyncGenerator[Any, None]:
        """The server stream ``method``'s messages; connectrpc closes this generator
        when the client goes."""
        events = self._runner.stream(
            method, request, _metadata(ctx), self._handlers.streams[method]
        )
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    yield event
            except ApiError as error:
                raise connect_error(error) from None


def _metadata(ctx: Ctx) -> Metadata:
    """The request's headers as the lower-case (key, value) pairs gRPC metadata is."""
    return [(key.lower(), value) for key, value in ctx.request_headers.allitems()]


class ServiceApplication(ConnectASGIApplication[ConnectCalls]):
    """One API service over Connect and gRPC-Web, as the generated
    ``*ServiceASGIApplication`` would serve it, but with every method from the
    service's descriptor."""

    def __init__(self, service: ServiceDescriptor, calls: ConnectCalls, **settings: Any) -> None:
        self._path = f"/{service.full_name}"
        super().__init__(
            service=calls,
            endpoints=lambda calls: {
                f"{self._path}/{method.name}": _endpoint(method, calls)
                for method in service.methods
            },
            **settings,
        )

    @property
    def path(self) -> str:
        """The path prefix of the service's methods."""
        return self._path


def applications(calls: ConnectCalls, **settings: Any) -> list[ServiceApplication]:
    """The Connect application of every API service."""
    return [ServiceApplication(service, calls, **settings) for service in SERVICES]


_IDEMPOTENCY = {
    MethodOptions.IDEMPOTENCY_UNKNOWN: IdempotencyLevel.UNKNOWN,
    MethodOptions.NO_SIDE_EFFECTS: IdempotencyLevel.NO_SIDE_EFFECTS,
    MethodOptions.IDEMPOTENT: IdempotencyLevel.IDEMPOTENT,
}


def _endpoint(method: MethodDescriptor, calls: ConnectCalls) -> Any:
    """The method's endpoint (Any: connectrpc types the endpoints an application
    takes as a union of classes it does not export)."""
    name = method.name
    info: MethodInfo[Any, Any] = MethodInfo(
        name=name,
        service_name=method.containing_service.full_name,
        input=GetMessageClass(method.input_type),
        output=GetMessageClass(method.output_type),
        idempotency_level=_IDEMPOTENCY[method.GetOptions().idempotency_level],
        stream_type=StreamType.SERVER_STREAM if method.server_streaming else StreamType.UNARY,
    )
    if method.server_streaming:
        return Endpoint.server_stream(
            method=info, function=lambda request, ctx: calls.stream(name, request, ctx)
        )

    async def unary(request: Any, ctx: Ctx) -> Any:
        return await calls.unary(name, request, ctx)

    return Endpoint.unary(method=info, function=unary)
