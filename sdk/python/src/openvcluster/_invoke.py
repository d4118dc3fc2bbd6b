"""Runs one logical unary call: attempts, retries, logging and typed errors."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from openvcluster import field_rules
from openvcluster._options import CallSettings, WireMetadata
from openvcluster._retry import RetryState
from openvcluster.errors import from_rpc_error

__all__ = ["ainvoke", "invoke", "logger"]

logger = logging.getLogger("openvcluster")

_Req = TypeVar("_Req", bound=Message)
_Resp = TypeVar("_Resp")


def _log_attempt(
    method: str, attempt: int, request_id: str | None, code: grpc.StatusCode, backoff: float | None
) -> None:
    # Never log metadata: it carries the token.
    if backoff is None:
        logger.debug(
            "%s attempt %d request_id=%s code=%s", method, attempt, request_id or "-", code.name
        )
    else:
        logger.debug(
            "%s attempt %d request_id=%s code=%s retrying in %.3fs",
            method,
            attempt,
            request_id or "-",
            code.name,
            backoff,
        )


def invoke(
    method: str,
    callable_: grpc.UnaryUnaryMultiCallable[_Req, _Resp],
    request: _Req,
    options: CallSettings,
    metadata: WireMetadata,
    request_id: str | None,
) -> _Resp:
    """Calls ``callable_`` under ``options``; raises an OpenVClusterError subclass
    (InvalidArgumentError before any attempt when the request breaks a field rule)."""
    if options.validate_requests:
        field_rules.check(request, request_id=request_id)
    state = RetryState(options.retry)
    while True:
        attempt = state.attempt
        try:
            response = callable_(
                request, timeout=state.attempt_timeout(options.timeout), metadata=metadata
            )
        except grpc.RpcError as exc:
            error = from_rpc_error(exc, request_id=request_id)
            backoff = state.next_backoff(error.code)
            _log_attempt(method, attempt, request_id, error.code, backoff)
            if backoff is None:
                raise error from exc
            time.sleep(backoff)
            continue
        _log_attempt(method, attempt, request_id, grpc.StatusCode.OK, None)
        return response


async def ainvoke(
    method: str,
    callable_: grpc.aio.UnaryUnaryMultiCallable[_Req, _Resp],
    request: _Req,
    options: CallSettings,
    metadata: WireMetadata,
    request_id: str | None,
) -> _Resp:
    """The ``grpc.aio`` twin of :func:`invoke`."""
    if options.validate_requests:
        field_rules.check(request, request_id=request_id)
    state = RetryState(options.retry)
    while True:
        attempt = state.attempt
        try:
            response = await callable_(
                request, timeout=state.attempt_timeout(options.timeout), metadata=metadata
            )
        except grpc.RpcError as exc:
            error = from_rpc_error(exc, request_id=request_id)
            backoff = state.next_backoff(error.code)
            _log_attempt(method, attempt, request_id, error.code, backoff)
            if backoff is None:
                raise error from exc
            await asyncio.sleep(backoff)
            continue
        _log_attempt(method, attempt, request_id, grpc.StatusCode.OK, None)
        return response
