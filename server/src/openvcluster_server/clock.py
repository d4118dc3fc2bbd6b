"""The server's wall clock: every time it shows or decides by comes from here.

Timestamps, operation retention, request-id expiry, sleep schedules and
expiry read ``CLOCK``. It is real time, plus however far the test hook
``ovc-test-clock-advance-seconds`` (testhooks.py) has moved it forward, so a
test sees a scheduled suspend fire without waiting for the evening. Durations
the server measures for itself (transition steps, phase timeouts, leader
leases) use the monotonic clock instead: moving the wall clock must not make
a rollout time out.

One clock per process, as there is one server per process; tests that run
several servers in one process put it back with ``reset``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

Listener = Callable[[], Coroutine[Any, Any, None]]


class Clock:
    """Real time plus an offset that only grows."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        # Each listener with the event loop it runs on: in-process test servers
        # each have a loop (and a thread) of their own.
        self._listeners: list[tuple[asyncio.AbstractEventLoop, Listener]] = []

    def time(self) -> float:
        """Seconds since the epoch, as ``time.time()``."""
        return self._source() + self._offset

    def datetime(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        return datetime.fromtimestamp(self.time(), UTC)

    def timestamp(self) -> Timestamp:
        """The current time at microsecond precision, which every SDK flavour keeps exactly."""
        stamp = Timestamp()
        stamp.FromMicroseconds(int(self.time() * 1_000_000))
        return stamp

    async def advance(self, seconds: float) -> None:
        """Moves the clock forward, then waits for the listeners (the scheduler's
        pass), so what fell due has been acted on when this returns."""
        if seconds <= 0:
            return
        self._offset += seconds
        here = asyncio.get_running_loop()
        for loop, listener in list(self._listeners):
            if loop is here:
                await listener()
            elif not loop.is_closed():
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(listener(), loop))

    def on_advance(self, listener: Listener) -> Callable[[], None]:
        """Awaits ``listener`` (on the calling event loop) after each advance;
        returns what removes it again."""
        entry = (asyncio.get_running_loop(), listener)
        self._listeners.append(entry)
        return lambda: self._listeners.remove(entry)

    def reset(self) -> None:
        """Back to real time (for tests that share a process)."""
        self._offset = 0.0


CLOCK = Clock()
