"""request_id idempotency: the first answer to a request id is the answer.

A request id is scoped to the caller (two tenants cannot collide or probe
each other) and remembered with a fingerprint of the request, so a reuse with
another request is refused. Only successful answers are remembered: a call
that failed changed nothing, so running it again is what a retry should do.
The answer is stored in the same store transaction as the change it
acknowledges, so after a restart a retry still finds it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from google.protobuf.message import Message

from openvcluster_server.auth import Principal
from openvcluster_server.errors import FieldViolations, invalid_field
from openvcluster_server.store import RememberedRequest, Store
from openvcluster_server.validation import check_request_id


class _HasRequestId(Protocol):
    request_id: str

    def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...  # noqa: N802


R = TypeVar("R", bound=Message)


class RequestLog:
    """Runs mutations at most once per (caller, request_id)."""

    def __init__(self, store: Store, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock

    def run(
        self,
        principal: Principal,
        method: str,
        request: _HasRequestId,
        response_type: type[R],
        mutate: Callable[[], R],
    ) -> R:
        """The remembered answer to this request id, or ``mutate()``'s, remembered.

        Call it inside the store transaction of the mutation.
        """
        violations = FieldViolations()
        check_request_id(violations, request.request_id)
        violations.raise_if_any()
        if not request.request_id:
            return mutate()
        key = f"{principal.scope}\x00{request.request_id.lower()}"
        fingerprint = hashlib.sha256(
            method.encode() + b"\x00" + request.SerializeToString(deterministic=True)
        ).digest()
        now = self._clock()
        remembered = self._store.recall_request(key, now)
        if remembered is not None:
            if remembered.fingerprint != fingerprint or remembered.method != method:
                raise invalid_field(
                    "request_id",
                    f"was already used for a different request ({remembered.method}); "
                    "use a new request_id for a new request",
                )
            return response_type.FromString(remembered.response)
        response = mutate()
        self._store.remember_request(
            key,
            RememberedRequest(
                fingerprint=fingerprint,
                method=method,
                response=response.SerializeToString(deterministic=True),
                expires_at=now + self._ttl,
            ),
        )
        return response

    def forget_expired(self) -> int:
        """Drops request ids older than the window; returns how many."""
        return self._store.forget_expired_requests(self._clock())
