"""The async flavour: every step through ``openvcluster.AsyncClient``.

All cases share one event loop, running in a thread of its own, so their
calls interleave on it the way an asyncio application's do; the case loop
(runner.py) hands each step over and waits for its result.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from google.protobuf.message import Message

import openvcluster
from conformance.protocol import Connection, Step, StepResult
from conformance_client.calls import (
    LIST_ALL,
    LIST_PAGE,
    WATCH_COLLECT,
    WATCH_START,
    Call,
    client_key,
    client_kwargs,
)
from conformance_client.outcomes import call_kwargs, fill
from conformance_client.watch_buffer import WatchBuffer, Watches


class AsyncFlavour:
    """Owns the event loop; opens an AsyncSession per case."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def open(self, connection: Connection) -> AsyncSession:
        """A session for one case."""
        return AsyncSession(connection, self._loop)

    def close(self) -> None:
        """Stops the loop."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


class AsyncSession:
    """One ``AsyncClient`` per token the case uses, and the case's watches."""

    def __init__(self, connection: Connection, loop: asyncio.AbstractEventLoop) -> None:
        self._connection = connection
        self._loop = loop
        self._clients: dict[str, openvcluster.AsyncClient] = {}
        self._watches = Watches()
        self._tasks: set[asyncio.Task[None]] = set()

    def execute(self, step: Step, request: Message, call: Call) -> StepResult:
        """Runs one step on the loop and waits for its result."""
        if call.shape == WATCH_COLLECT:
            return self._watches.collect(step.watch_collect)
        return asyncio.run_coroutine_threadsafe(self._execute(step, call), self._loop).result()

    async def _execute(self, step: Step, call: Call) -> StepResult:
        client = self._client(client_key(step, self._connection))
        result = StepResult()
        method = getattr(client, call.method)
        if call.shape == WATCH_START:
            watch = method(*call.args, **call.kwargs)
            buffer = self._watches.start(step.name, self._stopper(watch))
            task = asyncio.get_running_loop().create_task(_follow(watch, buffer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            fill(result, call.outcome, None)
            return result
        value: Any
        if call.shape == LIST_ALL:
            value = [item async for item in method(*call.args, **call.kwargs)]
        elif call.shape == LIST_PAGE:
            value = await anext(method(*call.args, **call.kwargs).pages)
        else:
            value = await method(*call.args, **call_kwargs(call, result))
        fill(result, call.outcome, value)
        return result

    def close(self) -> None:
        """Stops the watches and closes the clients."""
        self._watches.stop_all()

        async def close_all() -> None:
            for client in self._clients.values():
                await client.close()

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result()

    def _client(self, key: str) -> openvcluster.AsyncClient:
        if key not in self._clients:
            address, kwargs = client_kwargs(key, self._connection)
            self._clients[key] = openvcluster.AsyncClient(address, **kwargs)
        return self._clients[key]

    def _stopper(self, watch: openvcluster.AsyncWatch) -> Any:
        def stop() -> None:
            self._loop.call_soon_threadsafe(watch.cancel)

        return stop


async def _follow(watch: openvcluster.AsyncWatch, buffer: WatchBuffer) -> None:
    failure: BaseException | None = None
    try:
        async for event in watch:
            buffer.add(event)
    except Exception as exc:
        failure = exc
    buffer.end(failure)
