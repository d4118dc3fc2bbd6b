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
from openvcluster_server.testhooks import NO_HOOKS, HookPlan

log = logging.getLogger(__name__)

# A step gets the resource's key and the test hooks of the call that started
# the transition (NO_HOOKS normally): they may fail it or change its delay.
Step = Callable[[Key, HookPlan], None]
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
        hooks: HookPlan = NO_HOOKS,
        delay: float | None = None,
    ) -> None:
        """Runs ``step`` after the transition delay, replacing any pending step of the key.

        The delay is ``delay`` if given, else the hooks' transition delay, else
        the configured one.
        """
        assert self._loop is not None, "Timers.bind() was not called"
        self.cancel(kind, key)
        if delay is None:
            delay = self._delay if hooks.transition_delay is None else hooks.transition_delay
        self._handles[(kind, key)] = self._loop.call_later(delay, self._run, kind, key, step, hooks)

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

    def _run(self, kind: str, key: Key, step: Step, hooks: HookPlan) -> None:
        self._handles.pop((kind, key), None)
        try:
            step(key, hooks)
        except Exception:
            log.exception("transition of %s %s/%s failed; retrying", kind, *key)
            self.schedule(kind, key, step, hooks, delay=RETRY_SECONDS)
