"""Fan-out of vcluster changes to watchers, each with a bounded buffer.

Publishing never waits: an event is appended to each matching watcher's
buffer, and a watcher whose buffer is full is marked overflowed and ended,
so one slow client cannot hold up the server or the other watchers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable

from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse

EventType = WatchVClustersResponse.EventType
Matcher = Callable[[VCluster], bool]


class WatcherOverflowError(Exception):
    """The watcher fell further behind than its buffer allows."""


class WatchHubClosedError(Exception):
    """The server is shutting down: every watch ends, so clients watch elsewhere."""


class Watcher:
    """One open watch stream: its filter and the events waiting to be sent."""

    def __init__(self, hub: WatchHub, matches: Matcher, limit: int) -> None:
        self._hub = hub
        self.matches = matches
        self._limit = limit
        self._events: deque[WatchVClustersResponse] = deque()
        # How many of the buffered events are the initial ADDED ones, which
        # do not count against the limit.
        self._initial = 0
        self._ready = asyncio.Event()
        self.overflowed = False
        self.ended = False

    def deliver(self, event: WatchVClustersResponse) -> None:
        """Buffers an event, or marks the watcher overflowed when the buffer is full."""
        if self.overflowed:
            return
        if len(self._events) - self._initial >= self._limit:
            self.overflowed = True
            self._events.clear()
        else:
            self._events.append(event)
        self._ready.set()

    def preload(self, current: Iterable[VCluster]) -> None:
        """Queues an ADDED event per vcluster that matches now, then the SYNCED marker.

        These initial events do not count against the buffer.
        """
        self._events.extend(
            WatchVClustersResponse(type=EventType.EVENT_TYPE_ADDED, vcluster=vcluster)
            for vcluster in current
            if self.matches(vcluster)
        )
        self._events.append(WatchVClustersResponse(type=EventType.EVENT_TYPE_SYNCED))
        self._initial = len(self._events)
        self._ready.set()

    def end(self) -> None:
        """Ends the watch at once, buffered events or not (the server is stopping)."""
        self.ended = True
        self._ready.set()

    async def next(self) -> WatchVClustersResponse:
        """The next event; raises WatcherOverflowError once the watcher fell behind,
        WatchHubClosedError once the hub closed."""
        while not self._events or self.ended:
            if self.ended:
                raise WatchHubClosedError
            if self.overflowed:
                raise WatcherOverflowError
            self._ready.clear()
            await self._ready.wait()
        if self._initial:
            self._initial -= 1
        return self._events.popleft()

    def close(self) -> None:
        """Stops receiving events."""
        self._hub.unsubscribe(self)


class WatchHub:
    """Delivers every committed change to the watchers it matches."""

    def __init__(self, buffer_size: int) -> None:
        self.buffer_size = buffer_size
        self._watchers: set[Watcher] = set()
        self._closed = False

    def subscribe(self, matches: Matcher) -> Watcher:
        """A new watcher for the vclusters ``matches`` accepts."""
        watcher = Watcher(self, matches, self.buffer_size)
        if self._closed:
            watcher.end()
        self._watchers.add(watcher)
        return watcher

    def close(self) -> None:
        """Ends every watch now and each one opened later: the server is stopping."""
        self._closed = True
        for watcher in list(self._watchers):
            watcher.end()

    def unsubscribe(self, watcher: Watcher) -> None:
        """Forgets a watcher; unknown ones are ignored."""
        self._watchers.discard(watcher)

    def publish(self, before: VCluster | None, after: VCluster | None) -> None:
        """Tells each watcher what the change means to it (ADDED, MODIFIED or DELETED).

        ``before`` is None for a creation and ``after`` is None for a removal.
        """
        for watcher in list(self._watchers):
            was = before is not None and watcher.matches(before)
            now = after is not None and watcher.matches(after)
            if now and not was:
                event_type, subject = EventType.EVENT_TYPE_ADDED, after
            elif now and was:
                event_type, subject = EventType.EVENT_TYPE_MODIFIED, after
            elif was:
                event_type, subject = EventType.EVENT_TYPE_DELETED, after or before
            else:
                continue
            watcher.deliver(WatchVClustersResponse(type=event_type, vcluster=subject))
