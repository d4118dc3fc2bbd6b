"""What every RPC does around the engine, whichever port it came in on:
authenticate, apply test hooks, turn unexpected errors into INTERNAL, and
write one structured log line. The gRPC servicers (services.py) and the
Connect services (http/services.py) both call through CallRunner, so the two
ports answer alike; each turns an ApiError into its own protocol's status."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection
from typing import Any, TypeAlias, TypeVar

import grpc
from google.protobuf.message import Message

from openvcluster.field_rules import request_id_of
from openvcluster_server import tracing
from openvcluster_server.auth import Authenticator, Principal
from openvcluster_server.clock import CLOCK
from openvcluster_server.encoded import Encoded
from openvcluster_server.errors import ApiError, unavailable
from openvcluster_server.logformat import direct_handler, fields_record, write_fields_line
from openvcluster_server.metrics import SERVICE_OF, RpcMeter
from openvcluster_server.testhooks import NO_HOOKS, HookPlan, TestHooks

log = logging.getLogger("openvcluster_server.rpc")

Req = TypeVar("Req", bound=Message)
Resp = TypeVar("Resp", bound=Message)
Context = grpc.aio.ServicerContext[Any, Any]
# A call's metadata (gRPC) or headers (HTTP), as lower-case (key, value) pairs.
Metadata = Collection[tuple[str, str | bytes]]
# A unary handler answers a message, or the message already serialized
# (encoded.py), or something to await for one of them.
Answer: TypeAlias = Resp | Encoded[Resp]
UnaryHandler = Callable[[Principal, Req, HookPlan], Answer[Resp] | Awaitable[Answer[Resp]]]
StreamHandler = Callable[[Principal, Req], AsyncGenerator[Resp, None]]
INTERNAL_MESSAGE = "internal error; the server log has details"
# What a handler answers at once; anything else is awaited.
_ANSWERS = (Message, Encoded)


class CallRunner:
    """Runs one RPC's handler with the cross-cutting behaviour every RPC shares.

    Its methods raise only ApiError (or CancelledError): anything else a
    handler raises is logged with its traceback and becomes INTERNAL.
    """

    def __init__(
        self,
        authenticator: Authenticator,
        hooks: TestHooks,
        meter: RpcMeter | None = None,
        port: str = "grpc",
    ) -> None:
        self._auth = authenticator
        self._hooks = hooks
        self._meter = meter
        # Which port's calls these are ("grpc" or "http"), for the spans.
        self._port = port

    async def unary(
        self,
        method: str,
        request: Req,
        metadata: Metadata,
        handler: UnaryHandler[Req, Resp],
    ) -> Answer[Resp]:
        """Answers a unary call with the handler's response, after its log line
        (which the server writes within logformat.BATCH_SECONDS)."""
        record = CallRecord(method, request, self._meter, metadata, self._port)
        try:
            if record.span is None:
                # Without hooks and with a handler that answers at once (every
                # read), the whole call runs here, in this coroutine: no
                # coroutine of its own for the answer (issue 28).
                answer = self._start(request, metadata, record, handler)
                response = answer if isinstance(answer, _ANSWERS) else await _settled(answer)
            else:
                with tracing.use_span(record.span):
                    response = await self._answer(request, metadata, record, handler)
        except asyncio.CancelledError:
            record.log(_CANCELLED)
            raise
        except Exception as exc:
            raise _failed(record, exc) from None
        record.log(_OK)
        return response

    async def stream(
        self,
        method: str,
        request: Req,
        metadata: Metadata,
        handler: StreamHandler[Req, Resp],
    ) -> AsyncGenerator[Resp, None]:
        """Yields a server stream's messages until it ends or fails.

        The caller closes the generator when its client goes away (use
        ``contextlib.aclosing``); that is logged as CANCELLED.
        """
        record = CallRecord(method, request, self._meter, metadata, self._port)
        try:
            principal, _ = await self._admit(metadata, record)
            # Closed at once when the client goes: the handler's cleanup frees the watcher.
            async with contextlib.aclosing(handler(principal, request)) as messages:
                async for message in messages:
                    yield message
        except (asyncio.CancelledError, GeneratorExit):
            record.log(grpc.StatusCode.CANCELLED)
            raise
        except Exception as exc:
            raise _failed(record, exc) from None
        record.log(grpc.StatusCode.OK)

    def _start(
        self,
        request: Req,
        metadata: Metadata,
        record: CallRecord,
        handler: UnaryHandler[Req, Resp],
    ) -> Answer[Resp] | Awaitable[Answer[Resp]]:
        """The response, when the call needs no waiting; otherwise what to await for it."""
        # _admit inlined: one call less per call.
        principal = self._auth.authenticate(metadata)
        record.caller = principal.name
        plan = self._hooks.plan(metadata)
        if plan is not NO_HOOKS:
            return self._hooked(principal, request, plan, handler)
        # The Kubernetes backend's writes are coroutines; the simulated ones answer at once.
        return handler(principal, request, plan)

    async def _answer(
        self,
        request: Req,
        metadata: Metadata,
        record: CallRecord,
        handler: UnaryHandler[Req, Resp],
    ) -> Answer[Resp]:
        answer = self._start(request, metadata, record, handler)
        return answer if isinstance(answer, _ANSWERS) else await _settled(answer)

    async def _hooked(
        self, principal: Principal, request: Req, plan: HookPlan, handler: UnaryHandler[Req, Resp]
    ) -> Answer[Resp]:
        """The call with what the test hooks ask before and after it."""
        await self._apply(plan)
        answer = handler(principal, request, plan)
        response = answer if isinstance(answer, _ANSWERS) else await _settled(answer)
        if plan.fail_after:
            raise unavailable("test hook: the call was carried out, its answer dropped")
        return response

    async def _admit(self, metadata: Metadata, record: CallRecord) -> tuple[Principal, HookPlan]:
        principal = self._auth.authenticate(metadata)
        record.caller = principal.name
        plan = self._hooks.plan(metadata)
        await self._apply(plan)
        return principal, plan

    @staticmethod
    async def _apply(plan: HookPlan) -> None:
        """What the hooks ask before the call: a later clock, a delay, an injected failure."""
        if plan.clock_advance_seconds:
            await CLOCK.advance(plan.clock_advance_seconds)
        if plan.delay_seconds:
            await asyncio.sleep(plan.delay_seconds)
        if plan.fail_before:
            raise unavailable("test hook: injected UNAVAILABLE before the call")


async def _settled(answer: Answer[Resp] | Awaitable[Answer[Resp]]) -> Answer[Resp]:
    """A handler's answer that is not a message: awaited if it is awaitable."""
    return await answer if inspect.isawaitable(answer) else answer


def _failed(record: CallRecord, exc: Exception) -> ApiError:
    """The ApiError a failed call answers with, after its log line."""
    if isinstance(exc, ApiError):
        record.log(exc.code)
        return exc
    log.error("internal error in %s", record.method, exc_info=exc)
    record.log(grpc.StatusCode.INTERNAL)
    return ApiError(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)


# The names of the status codes (StatusCode.name is a property, looked up per call),
# by the code's id: hashing an Enum member runs Enum.__hash__, a Python call.
_CODE_NAMES = {id(code): code.name for code in grpc.StatusCode}
_OK = grpc.StatusCode.OK
_CANCELLED = grpc.StatusCode.CANCELLED


class CallRecord:
    """The fields of a call's log line. Never holds tokens or kubeconfigs."""

    __slots__ = (
        "_meter",
        "_started",
        "caller",
        "code",
        "method",
        "request_id",
        "seconds",
        "span",
        "trace_id",
    )

    def __init__(
        self,
        method: str,
        request: Message,
        meter: RpcMeter | None = None,
        metadata: Metadata = (),
        port: str = "grpc",
    ) -> None:
        self.method = method
        self.request_id = request_id_of(request)
        self.caller = "-"
        # How the call ended and how long it took, once it has (log).
        self.code = ""
        self.seconds = 0.0
        # The caller's trace, so its log line can be found from it.
        self.trace_id = tracing.trace_id(metadata)
        self.span = (
            tracing.start_rpc_span(port, SERVICE_OF.get(method, ""), method, metadata)
            if tracing.enabled()
            else None
        )
        self._meter = meter
        if meter is not None:
            meter.started(method)
        self._started = time.perf_counter()

    def log(self, code: grpc.StatusCode) -> None:
        """Writes the call's one log line: the message ``call`` and the fields on the record.

        The line is written for every call, so it is made cheaply: the fields
        go on the record as they are, for the formatter of the log format to
        write, and the record is made directly, because looking up the
        caller's source line (what ``log.info`` does) would cost as much as
        all the rest. When the only thing logging would do with the record is
        hand it to one plain StreamHandler of the server's log format (as the
        command line sets it up), its formatter writes the same line without
        a record at all (logformat.direct_handler).
        """
        seconds = time.perf_counter() - self._started
        name = _CODE_NAMES.get(id(code)) or code.name
        if self._meter is not None:
            self._meter.finished(self.method, name, seconds)
        if self.span is not None:
            tracing.end_rpc_span(self.span, name)
        if not log.isEnabledFor(logging.INFO):
            return
        self.code = name
        self.seconds = seconds
        # The line as logging would write it, without the record when nothing
        # but one plain handler of the server's log format would see it; then
        # even the fields are made later, with the line (logformat.write_fields_line).
        handler = direct_handler(log, logging.INFO)
        if handler is not None:
            write_fields_line(handler, log, logging.INFO, "call", self.fields)
        else:
            log.handle(fields_record(log, logging.INFO, "call", self.fields()))

    def fields(self) -> dict[str, object]:
        """The fields of the call's log line, once it has ended."""
        fields: dict[str, object] = {
            "method": self.method,
            "code": self.code,
            "latency_ms": round(self.seconds * 1000, 3),
            "request_id": self.request_id,
            "caller": self.caller,
        }
        if self.trace_id:
            fields["trace_id"] = self.trace_id
        return fields
