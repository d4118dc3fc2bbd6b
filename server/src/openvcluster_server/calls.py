"""What every RPC does around the engine: authenticate, apply test hooks, turn
errors into rich statuses, and write one structured log line."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf.message import Message

from openvcluster_server.auth import Authenticator, Principal
from openvcluster_server.errors import ApiError, unavailable
from openvcluster_server.logformat import FIELDS
from openvcluster_server.testhooks import HookPlan, TestHooks

log = logging.getLogger("openvcluster_server.rpc")

Req = TypeVar("Req", bound=Message)
Resp = TypeVar("Resp", bound=Message)
Context = grpc.aio.ServicerContext[Any, Any]


class CallRunner:
    """Runs one RPC's handler with the cross-cutting behaviour every RPC shares."""

    def __init__(self, authenticator: Authenticator, hooks: TestHooks) -> None:
        self._auth = authenticator
        self._hooks = hooks

    async def unary(
        self,
        method: str,
        request: Req,
        context: Context,
        handler: Callable[[Principal, Req, HookPlan], Resp | Awaitable[Resp]],
    ) -> Resp:
        """Answers a unary call with the handler's response or its ApiError.

        The log line is written before the answer leaves, so whoever sees the
        answer can also see the line.
        """
        record = CallRecord(method, request)
        try:
            principal, plan = await self._admit(context, record)
            answer = handler(principal, request, plan)
            # The Kubernetes backend's writes are coroutines; the simulated ones answer at once.
            response = await answer if inspect.isawaitable(answer) else answer
            if plan.fail_after:
                raise unavailable("test hook: the call was carried out, its answer dropped")
        except asyncio.CancelledError:
            record.log(grpc.StatusCode.CANCELLED)
            raise
        except Exception as exc:
            await self._fail(context, record, exc)
        record.log(grpc.StatusCode.OK)
        return response

    async def stream(
        self,
        method: str,
        request: Req,
        context: Context,
        handler: Callable[[Principal, Req], AsyncIterator[Resp]],
    ) -> None:
        """Writes a server stream's messages until it ends, fails or is cancelled."""
        record = CallRecord(method, request)
        try:
            principal, _ = await self._admit(context, record)
            async for message in handler(principal, request):
                if not await _write(context, message):
                    record.log(grpc.StatusCode.CANCELLED)
                    return
        except asyncio.CancelledError:
            record.log(grpc.StatusCode.CANCELLED)
            raise
        except Exception as exc:
            await self._fail(context, record, exc)
        record.log(grpc.StatusCode.OK)

    async def _admit(self, context: Context, record: CallRecord) -> tuple[Principal, HookPlan]:
        metadata = tuple(context.invocation_metadata() or ())
        principal = self._auth.authenticate(metadata)
        record.caller = principal.name
        plan = self._hooks.plan(metadata)
        if plan.delay_seconds:
            await asyncio.sleep(plan.delay_seconds)
        if plan.fail_before:
            raise unavailable("test hook: injected UNAVAILABLE before the call")
        return principal, plan

    async def _fail(self, context: Context, record: CallRecord, exc: Exception) -> NoReturn:
        if isinstance(exc, ApiError):
            record.log(exc.code)
            await context.abort(exc.code, exc.message, trailing_metadata=exc.trailing_metadata())
        log.exception("internal error in %s", record.method)
        record.log(grpc.StatusCode.INTERNAL)
        await context.abort(grpc.StatusCode.INTERNAL, "internal error; the server log has details")


async def _write(context: Context, message: Message) -> bool:
    """Sends one stream message; False when the client has gone away.

    A write fails only when the stream is over from the client's side
    (cancelled, deadline passed, connection closed), sometimes before
    ``context.done()`` says so: nobody to answer, and no fault of the server's.
    """
    try:
        await context.write(message)
    except asyncio.CancelledError:
        raise
    except Exception:
        return False
    return True


class CallRecord:
    """The fields of a call's log line. Never holds tokens or kubeconfigs."""

    def __init__(self, method: str, request: Message) -> None:
        self.method = method
        self.request_id = str(getattr(request, "request_id", ""))
        self.caller = "-"
        self._started = time.perf_counter()

    def log(self, code: grpc.StatusCode) -> None:
        """Writes the call's one log line: the message ``call`` and the fields on the record.

        The line is written for every call, so it is made cheaply: the fields
        go on the record as they are, for the formatter of the log format to
        write, and the record is made directly, because looking up the
        caller's source line (what ``log.info`` does) would cost as much as
        all the rest.
        """
        if not log.isEnabledFor(logging.INFO):
            return
        fields = {
            "method": self.method,
            "code": code.name,
            "latency_ms": round((time.perf_counter() - self._started) * 1000, 3),
            "request_id": self.request_id,
            "caller": self.caller,
        }
        record = log.makeRecord(
            log.name, logging.INFO, __file__, 0, "call", (), None, extra={FIELDS: fields}
        )
        log.handle(record)
