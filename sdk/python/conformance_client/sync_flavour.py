"""The sync flavour: every step through ``openvcluster.Client``."""

from __future__ import annotations

import threading

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


class SyncFlavour:
    """Opens a SyncSession per case."""

    def open(self, connection: Connection) -> SyncSession:
        """A session for one case."""
        return SyncSession(connection)

    def close(self) -> None:
        """Nothing is shared between cases."""


class SyncSession:
    """One ``Client`` per token the case uses, and the case's watches."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._clients: dict[str, openvcluster.Client] = {}
        self._watches = Watches()

    def execute(self, step: Step, request: Message, call: Call) -> StepResult:
        """Runs one step through the sync client."""
        if call.shape == WATCH_COLLECT:
            return self._watches.collect(step.watch_collect)
        client = self._client(client_key(step, self._connection))
        result = StepResult()
        method = getattr(client, call.method)
        if call.shape == WATCH_START:
            watch = method(*call.args, **call.kwargs)
            buffer = self._watches.start(step.name, watch.cancel)
            threading.Thread(target=_follow, args=(watch, buffer), daemon=True).start()
            fill(result, call.outcome, None)
            return result
        value = method(*call.args, **call_kwargs(call, result))
        if call.shape == LIST_ALL:
            value = list(value)
        elif call.shape == LIST_PAGE:
            value = next(iter(value.pages))
        fill(result, call.outcome, value)
        return result

    def close(self) -> None:
        """Stops the watches and closes the clients."""
        self._watches.stop_all()
        for client in self._clients.values():
            client.close()

    def _client(self, key: str) -> openvcluster.Client:
        if key not in self._clients:
            address, kwargs = client_kwargs(key, self._connection)
            self._clients[key] = openvcluster.Client(address, **kwargs)
        return self._clients[key]


def _follow(watch: openvcluster.Watch, buffer: WatchBuffer) -> None:
    failure: BaseException | None = None
    try:
        for event in watch:
            buffer.add(event)
    except Exception as exc:
        failure = exc
    buffer.end(failure)
