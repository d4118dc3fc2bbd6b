"""A work queue of object keys and the workers that handle them, as client-go's.

A key is never handled twice at once: one that changes while it is being
handled is handled again afterwards. A key comes back on its own only at a
deadline (``later``) or after a backoff (``backoff``, or a handler that
raised): everything else arrives as watch events.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from openvcluster_server.kube.api import KubeError
from openvcluster_server.kube.reflector import Key

log = logging.getLogger(__name__)

_RETRY_FIRST = 0.25
_RETRY_MAX = 10.0


class WorkQueue:
    """Keys waiting for ``handle``; it returns False when the key must be looked at again soon."""

    def __init__(self, name: str, handle: Callable[[Key], Awaitable[bool]]) -> None:
        self._name = name
        self._handle = handle
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._processing: set[Key] = set()
        self._dirty: set[Key] = set()
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._failures: dict[Key, int] = {}
        # Told how long each handling took, in seconds (the metrics' histogram).
        self.observe: Callable[[float], None] = lambda seconds: None

    @property
    def depth(self) -> int:
        """Keys waiting for a worker."""
        return self._queue.qsize()

    def enqueue(self, key: Key) -> None:
        """Asks for the key to be handled."""
        if key in self._processing:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def later(self, key: Key, delay: float) -> None:
        """Handles the key again after ``delay`` seconds (a deadline or a backoff)."""
        previous = self._timers.pop(key, None)
        if previous is not None:
            previous.cancel()
        self._timers[key] = asyncio.get_running_loop().call_later(
            max(delay, 0.0), self.enqueue, key
        )

    def backoff(self, key: Key) -> None:
        """Handles the key again after a delay that doubles while it keeps failing."""
        attempts = self._failures.get(key, 0)
        self._failures[key] = attempts + 1
        delay = min(_RETRY_FIRST * 2**attempts, _RETRY_MAX)
        self.later(key, delay * random.uniform(0.5, 1.0))

    def run(self, workers: int) -> list[asyncio.Task[None]]:
        """Starts the workers; they run until cancelled."""
        return [asyncio.create_task(self._work(), name=f"{self._name} {i}") for i in range(workers)]

    def stop(self) -> None:
        """Cancels the pending deadlines and backoffs."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            self._processing.add(key)
            started = time.perf_counter()
            try:
                if await self._handle(key):
                    self._failures.pop(key, None)
            except KubeError as exc:
                # Gone under the step, or changed by another writer: the watch
                # brings the deletion or the newer version, which is looked at then.
                if not (exc.not_found or exc.conflict):
                    log.warning("%s %s/%s: %s; retrying", self._name, *key, exc)
                    self.backoff(key)
            except Exception:
                log.exception("%s %s/%s failed; retrying", self._name, *key)
                self.backoff(key)
            finally:
                self.observe(time.perf_counter() - started)
                self._processing.discard(key)
                if key in self._dirty:
                    self._dirty.discard(key)
                    self.enqueue(key)
