"""Events of a background watch, handed from the thread or task reading the
stream to the watch_collect steps that read them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from conformance.protocol import StepResult, WatchCollect
from conformance_client.outcomes import watch_events
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse

DEFAULT_COLLECT_SECONDS = 5.0


class WatchBuffer:
    """Thread-safe: the reader calls ``add`` and ``end``; steps call ``collect``."""

    def __init__(self) -> None:
        self._events: list[WatchVClustersResponse] = []
        self._ended = False
        self._failure: BaseException | None = None
        self._changed = threading.Condition()

    def add(self, event: WatchVClustersResponse) -> None:
        """Records one event of the stream."""
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def end(self, failure: BaseException | None) -> None:
        """Records the end of the stream, with the error that ended it if any."""
        with self._changed:
            self._ended = True
            self._failure = failure
            self._changed.notify_all()

    def collect(
        self, count: int, timeout_ms: int
    ) -> tuple[list[WatchVClustersResponse], bool, BaseException | None]:
        """Up to ``count`` events, waiting for them until the timeout or the stream's end.

        Returns the events taken, whether the stream ended, and its error.
        """
        seconds = timeout_ms / 1000 if timeout_ms else DEFAULT_COLLECT_SECONDS
        deadline = time.monotonic() + seconds
        with self._changed:
            while len(self._events) < count and not self._ended:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            taken, self._events = self._events[:count], self._events[count:]
            ended = self._ended and not self._events
            return taken, ended, self._failure if ended else None


class Watches:
    """The background watches of one case, by the name of their watch_start step."""

    def __init__(self) -> None:
        self._buffers: dict[str, WatchBuffer] = {}
        self._stops: dict[str, Callable[[], None]] = {}

    def start(self, name: str, stop: Callable[[], None]) -> WatchBuffer:
        """Registers a watch; ``stop`` cancels its stream."""
        buffer = WatchBuffer()
        self._buffers[name] = buffer
        self._stops[name] = stop
        return buffer

    def collect(self, request: WatchCollect) -> StepResult:
        """Runs a watch_collect step."""
        buffer = self._buffers[request.watch]
        events, ended, failure = buffer.collect(request.count, request.timeout_ms)
        if request.stop:
            self._stops[request.watch]()
        return watch_events(events, ended, failure)

    def stop_all(self) -> None:
        """Cancels every stream (the case is over)."""
        for stop in self._stops.values():
            stop()
