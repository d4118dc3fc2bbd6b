"""Runs one logical unary call: attempts, retries, logging and typed errors."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from openvcluster import field_rules
from openvcluster._options import CallSettings, WireMetadata
from openvcluster._requests import new_request_id
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


def fill_request_id(request: Message) -> str | None:
    """The request's idempotency key: a mutation's request_id, set to a new one
    when the caller left it empty, before the first attempt so that every
    retry of the call sends the same; None for a request without one (a read).
    Every mutation of the API, and nothing else, has a request_id field, so a
    new mutation gets this without code of its own."""
    if "request_id" not in request.DESCRIPTOR.fields_by_name:
        return None
    mutation: Any = request  # a request with the field, which Message does not declare
    if not mutation.request_id:
        mutation.request_id = new_request_id()
    return str(mutation.request_id)


def invoke(
    method: str,
    callable_: grpc.UnaryUnaryMultiCallable[_Req, _Resp],
    request: _Req,
    options: CallSettings,
    metadata: WireMetadata,
) -> _Resp:
    """Calls ``callable_`` under ``options``; raises an OpenVClusterError subclass
    (InvalidArgumentError before any attempt when the request breaks a field rule).
    A mutation's empty request_id is filled first (:func:`fill_request_id`)."""
    request_id = fill_request_id(request)
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
) -> _Resp:
    """The ``grpc.aio`` twin of :func:`invoke`."""
    request_id = fill_request_id(request)
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
