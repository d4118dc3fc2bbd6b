"""How every mutation of the Kubernetes backend runs: once per request id, one at a
time per object in this process, retrying a write that lost a race.

A race is lost when another writer changed a resource since the cache read
it (a resourceVersion precondition failed): the action then runs again on
a fresh read, so an etag the caller sent is checked against the winner.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from google.protobuf.message import Message

from openvcluster_server import idempotency
from openvcluster_server.auth import Principal
from openvcluster_server.clock import CLOCK
from openvcluster_server.errors import ApiError, failed_precondition, unavailable
from openvcluster_server.history import Subject, subject_of
from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import KubeApi, KubeError
from openvcluster_server.kube.history import KubeHistory
from openvcluster_server.kube.records import RequestRecords
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.world import World

R = TypeVar("R", bound=Message)
_ATTEMPTS = 3


class RetryError(Exception):
    """A write lost a race with another writer: read again and retry."""


class Mutations:
    """Runs mutations under request ids and per-object locks."""

    def __init__(
        self,
        kube: KubeApi,
        world: World,
        records: RequestRecords,
        request_id_ttl: float,
        history: KubeHistory,
    ) -> None:
        self._kube = kube
        self._world = world
        self._records = records
        self._ttl = request_id_ttl
        self._history = history
        # Locks nobody holds are dropped with their last reference.
        self._locks: weakref.WeakValueDictionary[Key, asyncio.Lock] = weakref.WeakValueDictionary()

    async def run(
        self,
        principal: Principal,
        method: str,
        request: Any,
        key: Key,
        response_type: type[R],
        action: Callable[[], Awaitable[R]],
        subject: Callable[[R], Subject | None] | None = None,
    ) -> R:
        """Runs ``action`` for the vcluster ``key`` (see the module comment), and
        records its operation (unless validate_only): its subject is the
        response's vcluster or snapshot, or what ``subject`` says."""
        claim = idempotency.ticket(principal, method, request)
        now = CLOCK.time()
        if claim is not None:
            remembered = self._records.recall_request(claim.key, now)
            if remembered is not None:
                return idempotency.replay(claim, remembered, response_type)
        lock = self._locks.get(key) or self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                for attempt in range(_ATTEMPTS):
                    # What the call found, for the operations it finds running.
                    before = self._world.mirror.get_vcluster(key)
                    try:
                        response = await action()
                        break
                    except RetryError:
                        if attempt == _ATTEMPTS - 1:
                            raise unavailable(
                                "the vcluster kept changing under this call; try again"
                            ) from None
                        await self._reread(key)
                if not getattr(request, "validate_only", False):
                    found = (
                        subject(response) if subject is not None else subject_of(request, response)
                    )
                    if found is not None:
                        found_before = before if key == (found.namespace, found.vcluster) else None
                        operation_id = await self._history.record(
                            principal, method, request, found, found_before
                        )
                        setattr(response, "operation_id", operation_id)  # noqa: B010
            if claim is not None:
                record = idempotency.record(claim, response, now + self._ttl)
                await self._records.remember(claim.key, record)
        except KubeError as exc:
            raise api_error(exc) from None
        return response

    async def _reread(self, key: Key) -> None:
        """Reads a resource that changed under a write, so the retry sees the winner."""
        try:
            self._world.apply(kinds.VCLUSTERS, await self._kube.get(kinds.VCLUSTERS, *key))
        except KubeError as exc:
            if not exc.not_found:
                raise


def api_error(exc: KubeError) -> ApiError:
    """A refusal of the Kubernetes API as this API's error."""
    if exc.unreachable or exc.status >= 500 or exc.status == 429:
        return unavailable(f"the Kubernetes API server is unavailable: {exc.message}")
    if exc.status == 403:
        return failed_precondition(
            f"the server may not do this on the host cluster: {exc.message}",
            reason="BACKEND_FORBIDDEN",
            metadata={"status": str(exc.status)},
        )
    return failed_precondition(
        f"the host cluster refused: {exc.message}",
        reason="BACKEND_REFUSED",
        metadata={"status": str(exc.status), "reason": exc.reason},
    )
