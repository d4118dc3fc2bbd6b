"""The gRPC port's methods: every method of every API service (api_services.py),
made from the proto's descriptors and handed to GrpcCalls, which runs it
through CallRunner with the backend call the handler table (handlers.py)
names. A new RPC needs no line here."""

from __future__ import annotations

import contextlib
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from openvcluster_server import encoded
from openvcluster_server.api_services import SERVICES
from openvcluster_server.calls import CallRunner, Context
from openvcluster_server.errors import ApiError
from openvcluster_server.handlers import Handlers


class GrpcCalls:
    """Runs a call of the gRPC port through CallRunner; an ApiError becomes its
    status, with the details in the grpc-status-details-bin trailer."""

    def __init__(self, runner: CallRunner, handlers: Handlers) -> None:
        self._runner = runner
        self._handlers = handlers

    async def unary(self, method: str, request: Any, context: Context) -> Any:
        """Answers the unary call ``method``."""
        try:
            return await self._runner.unary(
                method, request, context.invocation_metadata() or (), self._handlers.unary[method]
            )
        except ApiError as error:
            await context.abort(
                error.code, error.message, trailing_metadata=error.trailing_metadata()
            )

    async def stream(self, method: str, request: Any, context: Context) -> None:
        """Writes the server stream ``method``'s messages until it ends or its client goes away."""
        events = self._runner.stream(
            method, request, context.invocation_metadata() or (), self._handlers.streams[method]
        )
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    if not await _write(context, event):
                        return
            except ApiError as error:
                await context.abort(
                    error.code, error.message, trailing_metadata=error.trailing_metadata()
                )


async def _write(context: Context, message: Message) -> bool:
    """Sends one stream message; False when the client has gone away.

    A write fails only when the stream is over from the client's side
    (cancelled, deadline passed, connection closed), sometimes before
    ``context.done()`` says so: nobody to answer, and no fault of the server's.
    """
    try:
        await context.write(message)
    except Exception:
        return False
    return True


def method_handlers(calls: GrpcCalls) -> dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]]:
    """The handler of every method, by service name and method name, as a
    generated ``add_*Servicer_to_server`` would register them."""
    return {
        service.full_name: {method.name: _handler(method, calls) for method in service.methods}
        for service in SERVICES
    }


def _handler(method: MethodDescriptor, calls: GrpcCalls) -> grpc.RpcMethodHandler[Any, Any]:
    name = method.name
    parse = GetMessageClass(method.input_type).FromString
    if method.server_streaming:

        async def stream(request: Any, context: Context) -> None:
            await calls.stream(name, request, context)

        return grpc.unary_stream_rpc_method_handler(
            stream,
            request_deserializer=parse,
            response_serializer=GetMessageClass(method.output_type).SerializeToString,
        )

    async def unary(request: Any, context: Context) -> Any:
        return await calls.unary(name, request, context)

    # A read may answer with the stored bytes (encoded.py).
    return grpc.unary_unary_rpc_method_handler(
        unary, request_deserializer=parse, response_serializer=encoded.serialize
    )
