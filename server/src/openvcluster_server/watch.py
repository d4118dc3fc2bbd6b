"""Fan-out of vcluster changes to watchers, each holding bounded memory.

A watch first lists what matches, then follows changes. The listing is read
from the store one slice at a time, as the client takes events (gRPC flow
control is the back-pressure), so a watch holds at most a slice and its
buffer whatever the store size. While it lists, a change to a vcluster the
listing has not reached yet is left to the listing, which shows its state
then; a change to one already listed waits in the buffer until after SYNCED.

Publishing never waits: an event is appended to each matching watcher's
buffer, and a watcher whose buffer is full is marked overflowed and ended,
so one slow client cannot hold up the server or the other watchers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse
from openvcluster_server.errors import limit_exceeded
from openvcluster_server.resources import key_of
from openvcluster_server.store import Key

EventType = WatchVClustersResponse.EventType
Matcher = Callable[[VCluster], bool]
# The vclusters a watch may show, in key order, strictly after a key (None: from the start).
Lister = Callable[[Key | None], Iterator[VCluster]]

# Stored vclusters a watch reads per step of its listing: enough to keep a
# client busy, few enough that a step never holds up other callers.
LIST_SLICE = 100


@dataclass(frozen=True)
class WatchLimits:
    """How many watches may be open, and how far each may fall behind."""

    # Events a watcher may lag behind before its stream is ended.
    buffer: int = 1000
    # Open watches on the server, and per caller (per token; all callers are
    # one when the server has no tokens).
    total: int = 1000
    per_caller: int = 100


class WatcherOverflowError(Exception):
    """The watcher fell further behind than its buffer allows."""


class WatchHubClosedError(Exception):
    """The server is shutting down: every watch ends, so clients watch elsewhere."""


class Watcher:
    """One open watch stream: its filter, where its listing is, and its buffered events."""

    def __init__(self, hub: WatchHub, caller: str, matches: Matcher, lister: Lister) -> None:
        self._hub = hub
        self.caller = caller
        self.matches = matches
        self._lister = lister
        self._limit = hub.limits.buffer
        self._listing = True
        # The last key the listing read; every vcluster up to it has been listed.
        self._listed_to: Key | None = None
        self._slice: deque[VCluster] = deque()
        self._events: deque[WatchVClustersResponse] = deque()
        self._ready = asyncio.Event()
        self.overflowed = False
        self.ended = False

    def _listed(self, vcluster: VCluster) -> bool:
        if not self._listing:
            return True
        return self._listed_to is not None and key_of(vcluster) <= self._listed_to

    def deliver(self, event: WatchVClustersResponse) -> None:
        """Buffers an event, or marks the watcher overflowed when the buffer is full."""
        if self.overflowed or not self._listed(event.vcluster):
            return
        if len(self._events) >= self._limit:
            self.overflowed = True
            self._events.clear()
            self._hub.dropped += 1
        else:
            self._events.append(event)
        self._ready.set()

    def end(self) -> None:
        """Ends the watch at once, buffered events or not (the server is stopping)."""
        self.ended = True
        self._ready.set()

    async def next(self) -> WatchVClustersResponse:
        """The next event: the listing's ADDED events, SYNCED, then the changes.

        Raises WatcherOverflowError once the watcher fell behind,
        WatchHubClosedError once the hub closed.
        """
        while True:
            if self.ended:
                raise WatchHubClosedError
            if self.overflowed:
                raise WatcherOverflowError
            if self._listing:
                if self._slice:
                    return WatchVClustersResponse(
                        type=EventType.EVENT_TYPE_ADDED, vcluster=self._slice.popleft()
                    )
                if not self._read_slice():
                    self._listing = False
                    return WatchVClustersResponse(type=EventType.EVENT_TYPE_SYNCED)
                await asyncio.sleep(0)  # a slice that matched nothing still took a turn
                continue
            if self._events:
                return self._events.popleft()
            self._ready.clear()
            await self._ready.wait()

    def _read_slice(self) -> bool:
        """Reads the listing's next slice; False once the listing is complete."""
        read = list(islice(self._lister(self._listed_to), LIST_SLICE))
        if not read:
            return False
        self._listed_to = key_of(read[-1])
        self._slice.extend(vcluster for vcluster in read if self.matches(vcluster))
        return True

    def close(self) -> None:
        """Stops receiving events."""
        self._hub.unsubscribe(self)


class WatchHub:
    """Delivers every committed change to the watchers it matches."""

    def __init__(self, limits: WatchLimits) -> None:
        self.limits = limits
        self._watchers: set[Watcher] = set()
        self._per_caller: dict[str, int] = {}
        self._closed = False
        # Watchers ended for falling behind, since the start (a metric).
        self.dropped = 0
        # Told of every change too, after the watchers (the metrics' phase clock).
        self.observers: list[Callable[[VCluster | None, VCluster | None], None]] = []

    @property
    def open_watches(self) -> int:
        """How many watches are open."""
        return len(self._watchers)

    def subscribe(self, caller: tuple[str, str], matches: Matcher, lister: Lister) -> Watcher:
        """A new watcher for the vclusters ``matches`` accepts, listing them with ``lister``.

        ``caller`` is (what tells callers apart, the name to show). RESOURCE_EXHAUSTED
        when the server or the caller has as many watches open as allowed.
        """
        scope, name = caller
        if len(self._watchers) >= self.limits.total:
            raise limit_exceeded(
                "server",
                f"the server has {self.limits.total} watches open, as many as it allows; "
                "try again later",
            )
        if self._per_caller.get(scope, 0) >= self.limits.per_caller:
            raise limit_exceeded(
                f"caller:{name}",
                f"{name} has {self.limits.per_caller} watches open, as many as one "
                "caller may; close one first",
            )
        watcher = Watcher(self, scope, matches, lister)
        if self._closed:
            watcher.end()
        self._watchers.add(watcher)
        self._per_caller[scope] = self._per_caller.get(scope, 0) + 1
        return watcher

    def close(self) -> None:
        """Ends every watch now and each one opened later: the server is stopping."""
        self._closed = True
        for watcher in list(self._watchers):
            watcher.end()

    def unsubscribe(self, watcher: Watcher) -> None:
        """Forgets a watcher; unknown ones are ignored."""
        if watcher not in self._watchers:
            return
        self._watchers.discard(watcher)
        remaining = self._per_caller[watcher.caller] - 1
        if remaining:
            self._per_caller[watcher.caller] = remaining
        else:
            del self._per_caller[watcher.caller]

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
        for observe in self.observers:
            observe(before, after)
