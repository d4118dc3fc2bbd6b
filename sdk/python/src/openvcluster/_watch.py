"""Watch streams as plain iterators that translate errors and end cleanly when cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self

import grpc

from openvcluster.errors import from_rpc_error
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersRequest, WatchVClustersResponse

if TYPE_CHECKING:
    _SyncCall = grpc._CallIterator[WatchVClustersResponse]
    _AsyncCall = grpc.aio.UnaryStreamCall[WatchVClustersRequest, WatchVClustersResponse]

__all__ = ["AsyncWatch", "Watch"]


class Watch:
    """The events of ``watch_vclusters``: ``for event in watch``.

    Each event has ``.type`` and ``.vcluster``. The stream first replays every
    matching vcluster as ``EventType.EVENT_TYPE_ADDED``, then sends one
    ``EVENT_TYPE_SYNCED`` event: the initial state is complete (like an
    informer's has-synced), so a vcluster with no ADDED event before it does
    not exist. SYNCED is the only event whose ``.vcluster`` is unset
    (``event.HasField("vcluster")`` is false). Every later event is a change:
    ``EVENT_TYPE_ADDED``, ``..._MODIFIED`` or ``..._DELETED``, with the full
    state (for DELETED, the last one). The stream runs until you ``cancel()``
    it or leave its ``with`` block; iteration then simply ends.
    """

    def __init__(self, start: Callable[[], _SyncCall]) -> None:
        # Started at once, unlike AsyncWatch (which needs the event loop of
        # its first iteration): events from now on are not missed.
        self._call = start()
        self._cancelled = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> WatchVClustersResponse:
        try:
            return next(self._call)
        except grpc.RpcError as exc:
            if self._cancelled and exc.code() == grpc.StatusCode.CANCELLED:
                raise StopIteration from None
            raise from_rpc_error(exc) from exc

    def cancel(self) -> None:
        """Ends the stream; a loop over it stops at its next step. Safe to call twice."""
        self._cancelled = True
        self._call.cancel()

    close = cancel

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()


class AsyncWatch:
    """The async twin of :class:`Watch`: ``async for event in watch``.

    It yields the same events: ADDED for every matching vcluster, one SYNCED
    (no ``.vcluster``) once that initial state is complete, then changes.
    The call starts at the first iteration (or on entering ``async with``).
    """

    def __init__(self, start: Callable[[], _AsyncCall]) -> None:
        self._start = start
        self._call: _AsyncCall | None = None
        self._cancelled = False

    def _ensure_started(self) -> _AsyncCall:
        if self._call is None:
            self._call = self._start()
        return self._call

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> WatchVClustersResponse:
        if self._cancelled:
            raise StopAsyncIteration
        call = self._ensure_started()
        try:
            event = await call.read()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._cancelled and (task is None or not task.cancelling()):
                raise StopAsyncIteration from None
            raise
        except grpc.RpcError as exc:
            if self._cancelled and exc.code() == grpc.StatusCode.CANCELLED:
                raise StopAsyncIteration from None
            raise from_rpc_error(exc) from exc
        if not isinstance(event, WatchVClustersResponse):  # grpc.aio.EOF
            raise StopAsyncIteration
        return event

    def cancel(self) -> None:
        """Ends the stream; a loop over it stops at its next step. Safe to call twice."""
        self._cancelled = True
        if self._call is not None:
            self._call.cancel()

    async def aclose(self) -> None:
        """Same as :meth:`cancel`, for ``contextlib.aclosing`` and friends."""
        self.cancel()

    async def __aenter__(self) -> Self:
        self._ensure_started()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()
