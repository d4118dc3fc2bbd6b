"""request_id idempotency: the first answer to a request id is the answer.

A request id is scoped to the caller (two tenants cannot collide or probe
each other) and remembered with a fingerprint of the request, so a reuse with
another request is refused. Only successful answers are remembered: a call
that failed changed nothing, so running it again is what a retry should do.
The simulated stores keep the answer in the same store transaction as the
change it acknowledges (``RequestLog.run``), so after a restart a retry still
finds it; the Kubernetes backend, whose writes are asynchronous, uses
``ticket``, ``replay`` and ``record`` around its own write.

Answers that changed nothing (a Delete of a vcluster already DELETING, a
validate_only Create) are remembered too: run again later, the same call
might change something (delete a new vcluster of that name).

How many are kept is capped per caller and in total (request_caps.py).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from google.protobuf.message import Message

from openvcluster_server.auth import Principal
from openvcluster_server.clock import CLOCK
from openvcluster_server.errors import invalid_field
from openvcluster_server.request_caps import Forgetful, RequestCaps
from openvcluster_server.store import RememberedRequest
from openvcluster_server.store.base import request_key


class _HasRequestId(Protocol):
    request_id: str

    def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...  # noqa: N802


class RequestMemory(Forgetful, Protocol):
    """Where remembered answers live (the part of ``Store`` this module uses)."""

    def remember_request(self, request_key: str, remembered: RememberedRequest) -> None:
        """Stores the first answer to a request id."""
        ...

    def recall_request(self, request_key: str, now: float) -> RememberedRequest | None:
        """The first answer, unless it expired before ``now``."""
        ...

    def forget_expired_requests(self, now: float) -> int:
        """Drops expired answers; returns how many."""
        ...


R = TypeVar("R", bound=Message)


@dataclass(frozen=True)
class Ticket:
    """One call's claim on its request id: the key it is remembered under and its fingerprint."""

    key: str
    fingerprint: bytes
    method: str


def ticket(principal: Principal, method: str, request: _HasRequestId) -> Ticket | None:
    """The call's ticket; None when it has no request id (which the request's
    checks have found well formed)."""
    if not request.request_id:
        return None
    # Request ids are UUIDs, whose case carries no meaning: a retry may send
    # the same id in other case, and it is the same request. Copied only then:
    # this runs on every mutation.
    canonical = request
    if request.request_id != request.request_id.lower():
        canonical = copy.deepcopy(request)
        canonical.request_id = request.request_id.lower()
    fingerprint = hashlib.sha256(
        method.encode() + b"\x00" + canonical.SerializeToString(deterministic=True)
    ).digest()
    return Ticket(request_key(principal.scope, canonical.request_id), fingerprint, method)


def replay(claim: Ticket, remembered: RememberedRequest, response_type: type[R]) -> R:
    """The remembered answer; INVALID_ARGUMENT when the id was used for another request."""
    if remembered.fingerprint != claim.fingerprint or remembered.method != claim.method:
        raise invalid_field(
            "request_id",
            f"was already used for a different request ({remembered.method}); "
            "use a new request_id for a new request",
        )
    return response_type.FromString(remembered.response)


def record(claim: Ticket, response: Message, expires_at: float) -> RememberedRequest:
    """What is remembered of a successful answer."""
    return RememberedRequest(
        fingerprint=claim.fingerprint,
        method=claim.method,
        response=response.SerializeToString(deterministic=True),
        expires_at=expires_at,
    )


class RequestLog:
    """Runs mutations at most once per (caller, request_id)."""

    def __init__(
        self,
        memory: RequestMemory,
        ttl: float,
        caps: RequestCaps,
        clock: Callable[[], float] = CLOCK.time,
    ) -> None:
        self._memory = memory
        self._ttl = ttl
        self._caps = caps
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
        claim = ticket(principal, method, request)
        if claim is None:
            return mutate()
        now = self._clock()
        remembered = self._memory.recall_request(claim.key, now)
        if remembered is not None:
            return replay(claim, remembered, response_type)
        response = mutate()
        self._caps.make_room(self._memory, claim.key)
        self._memory.remember_request(claim.key, record(claim, response, now + self._ttl))
        return response

    def forget_expired(self) -> int:
        """Drops request ids older than the window; returns how many."""
        return self._memory.forget_expired_requests(self._clock())
