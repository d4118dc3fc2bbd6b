"""Requests whose bytes do not decode: INVALID_ARGUMENT instead of grpcio's UNKNOWN."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import grpc
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2

from openvcluster_server.calls import CallRecord, Context
from openvcluster_server.errors import ApiError
from openvcluster_server.metrics import RpcMeter


class _Undecodable:
    """Stands in for a request whose bytes do not decode as the method's message."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


class GuardedRegistrar:
    """Stands in for the server when a generated ``add_*Servicer_to_server`` runs,
    registering each method's handler with a guard against undecodable requests.

    grpcio answers a request that does not decode with UNKNOWN, but the
    contract promises that no input a client can send gets UNKNOWN or
    INTERNAL. Guarding the handlers once, at registration, costs nothing per
    call; a server interceptor did the same at a measurable cost in
    throughput. Client-streaming methods pass through untouched.

    Every method goes into one table, served as the server's first generic
    handler, and none is registered with ``add_registered_method_handlers``:
    grpc.aio's serving loop keeps a pending request per registered method and
    waits on all of them (``asyncio.wait`` over every method and one more) for
    each call it accepts, so each call paid for all ~25 methods served (the
    API's, health's, reflection's): issue 28. A generic handler is found with
    one dict lookup instead.
    """

    def __init__(self, server: grpc.aio.Server, meter: RpcMeter | None = None) -> None:
        self._meter = meter
        self._methods = _MethodTable()
        server.add_generic_rpc_handlers((self._methods,))

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        """Ignored: the generated code also registers the same methods below."""

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        """Serves ``handlers`` of ``service``, each behind the decoding guard."""
        for method, handler in handlers.items():
            self._methods.handlers[f"/{service}/{method}"] = _guard(handler, method, self._meter)


class _MethodTable(grpc.GenericRpcHandler):
    """The handler of every method the registrar was given, by its full path."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        """The method's handler; None for a method of none of the services."""
        return self.handlers.get(handler_call_details.method)


def _guard(handler: grpc.RpcMethodHandler[Any, Any], method: str, meter: RpcMeter | None) -> Any:
    if handler.request_streaming or handler.request_deserializer is None:
        return handler
    return _wrap(handler, method, meter)


def _wrap(handler: grpc.RpcMethodHandler[Any, Any], method: str, meter: RpcMeter | None) -> Any:
    """``handler`` with a deserializer that never raises and a refusal of what it
    could not decode."""
    parse = handler.request_deserializer
    assert parse is not None  # _guard passes only handlers that have one

    def deserialize(raw: bytes) -> Any:
        try:
            return parse(raw)
        except DecodeError as exc:
            return _Undecodable(str(exc))

    async def refuse(request: _Undecodable, context: Context) -> NoReturn:
        # No field is to blame, so the one violation names none.
        problem = f"the request does not decode: {request.problem}"
        violation = error_details_pb2.BadRequest.FieldViolation(field="", description=problem)
        error = ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"invalid request: {problem}",
            [error_details_pb2.BadRequest(field_violations=[violation])],
        )
        CallRecord(method, Message(), meter).log(error.code)
        await context.abort(error.code, error.message, trailing_metadata=error.trailing_metadata())

    # The servicers' behaviours are coroutine functions (or async generators).
    unary: Any = handler.unary_unary
    stream: Any = handler.unary_stream
    serialize = handler.response_serializer
    if unary is not None:

        async def unary_unary(request: Any, context: Context) -> Any:
            if isinstance(request, _Undecodable):
                await refuse(request, context)
            return await unary(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, request_deserializer=deserialize, response_serializer=serialize
        )
    if inspect.isasyncgenfunction(stream):

        async def stream_generator(request: Any, context: Context) -> AsyncIterator[Any]:
            if isinstance(request, _Undecodable):
                await refuse(request, context)
            async for message in stream(request, context):
                yield message

        return grpc.unary_stream_rpc_method_handler(
            stream_generator, request_deserializer=deserialize, response_serializer=serialize
        )

    async def stream_writer(request: Any, context: Context) -> Any:
        if isinstance(request, _Undecodable):
            await refuse(request, context)
        return await stream(request, context)

    return grpc.unary_stream_rpc_method_handler(
        stream_writer, request_deserializer=deserialize, response_serializer=serialize
    )
