"""The timers that end intermediate phases, one per resource at most.

Starting a new transition replaces the resource's pending timer, so a stale
step never runs over a newer one. A step that raises (say, the store is
briefly unwritable) runs again a little later instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from openvcluster_server.store import Key

log = logging.getLogger(__name__)

# A step gets the resource's key and the failure message of the
# ovc-test-fail-transition hook (None normally).
Step = Callable[[Key, str | None], None]
RETRY_SECONDS = 1.0


class Timers:
    """Schedules transition steps on the server's event loop."""

    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handles: dict[tuple[str, Key], asyncio.TimerHandle] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Sets the loop the steps run on; call before scheduling."""
        self._loop = loop

    def schedule(
        self,
        kind: str,
        key: Key,
        step: Step,
        fail_message: str | None,
        delay: float | None = None,
    ) -> None:
        """Runs ``step`` after the transition delay, replacing any pending step of the key."""
        assert self._loop is not None, "Timers.bind() was not called"
        self.cancel(kind, key)
        self._handles[(kind, key)] = self._loop.call_later(
            self._delay if delay is None else delay, self._run, kind, key, step, fail_message
        )

    def cancel(self, kind: str, key: Key) -> None:
        """Forgets the pending step of a resource, if any."""
        handle = self._handles.pop((kind, key), None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        """Forgets every pending step (the store keeps the intermediate phases)."""
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()

    def _run(self, kind: str, key: Key, step: Step, fail_message: str | None) -> None:
        self._handles.pop((kind, key), None)
        try:
            step(key, fail_message)
        except Exception:
            log.exception("transition of %s %s/%s failed; retrying", kind, *key)
            self.schedule(kind, key, step, fail_message, delay=RETRY_SECONDS)
