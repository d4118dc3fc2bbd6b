"""Reference servers for tests: ``with running_server() as server`` in process,
``ServerProcess`` for a real process to kill and restart, and
``write_tokens_file`` for the tokens a server with authentication reads.

The server runs on its own event loop in a background thread, so both
synchronous and asyncio tests can call it. Defaults suit tests: a free port
on loopback, the memory store, zero transition delay and test hooks on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml

from openvcluster_server.app import ReferenceServer
from openvcluster_server.config import ServerConfig

T = TypeVar("T")

TEST_DEFAULTS: dict[str, Any] = {
    "address": "127.0.0.1:0",
    "http_address": "127.0.0.1:0",
    "transition_delay": 0.0,
    "enable_test_hooks": True,
    "shutdown_grace": 0.0,
}


class RunningServer:
    """A reference server running in a background thread."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._started: Future[ReferenceServer] = Future()
        self._thread = threading.Thread(target=self._run, name="openvcluster-server", daemon=True)
        self._stop: asyncio.Event | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._started.result().port

    @property
    def address(self) -> str:
        """host:port to dial."""
        host = self.config.address.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    @property
    def http_url(self) -> str:
        """Base URL of the HTTP port (Connect, gRPC-Web), such as http://127.0.0.1:8080."""
        host = self.config.http_address.rsplit(":", 1)[0] if self.config.http_address else ""
        scheme = "https" if self.config.tls_cert_file is not None else "http"
        return f"{scheme}://{host}:{self._started.result().http_port}"

    @property
    def server(self) -> ReferenceServer:
        """The server object; touch its engine only through ``call``."""
        return self._started.result()

    def call(self, fn: Callable[[ReferenceServer], T]) -> T:
        """Runs ``fn`` on the server's event loop thread (the only safe place to touch
        its engine or store) and returns its result."""

        async def run(server: ReferenceServer) -> T:
            return fn(server)

        return self.call_async(run)

    def call_async(self, fn: Callable[[ReferenceServer], Coroutine[Any, Any, T]]) -> T:
        """Like ``call``, for a coroutine: awaits ``fn(server)`` on the server's event loop."""
        return asyncio.run_coroutine_threadsafe(fn(self.server), self._loop).result(timeout=30)

    def start(self) -> None:
        """Starts the thread and waits until the server accepts calls (or fails)."""
        self._thread.start()
        self._started.result(timeout=30)

    def stop(self) -> None:
        """Stops the server and joins its thread."""
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            server = ReferenceServer(self.config)
            await server.start()
        except BaseException as exc:
            self._started.set_exception(exc)
            return
        self._started.set_result(server)
        await self._stop.wait()
        await server.stop()


@contextmanager
def running_server(config: ServerConfig | None = None, **overrides: Any) -> Iterator[RunningServer]:
    """Runs a reference server for the duration of the ``with`` block.

    ``overrides`` are ServerConfig fields applied over the test defaults (or
    over ``config`` when given).
    """
    base = config if config is not None else ServerConfig(**TEST_DEFAULTS)
    running = RunningServer(base.replace(**overrides))
    running.start()
    try:
        yield running
    finally:
        running.stop()


def write_tokens_file(path: Path, grants: Iterable[Mapping[str, object]]) -> Path:
    """Writes ``grants`` at ``path`` as a tokens file (``tokens_file``,
    ``--tokens-file``) and returns the path.

    Each grant is one entry of the file: ``token``, ``role`` and optionally
    ``namespaces`` (every one when left out) and ``name``. A YAML dumper
    writes it, so any token or name comes back as given; tests that build
    their grants from data use this rather than formatting YAML by hand.
    """
    path.write_text(yaml.safe_dump({"tokens": [dict(grant) for grant in grants]}))
    return path


_SERVING = re.compile(r"serving on (127\.0\.0\.1:\d+)")
START_TIMEOUT = 60.0


def serve_command(data_dir: Path, transition_delay: float, *extra: str) -> list[str]:
    """``openvcluster-server serve`` on the SQLite store in ``data_dir``, on a free port."""
    return [
        sys.executable,
        "-m",
        "openvcluster_server",
        "serve",
        "--store",
        "sqlite",
        "--data-dir",
        str(data_dir),
        "--address",
        "127.0.0.1:0",
        "--http-address",
        "127.0.0.1:0",
        "--transition-delay",
        str(transition_delay),
        *extra,
    ]


class ServerProcess:
    """``openvcluster-server serve`` as a real process (see serve_command), for
    tests that kill and restart it.

    Its log is read on a thread for the process's whole life: under load the
    server writes a line per call, and a full stderr pipe would block it. The
    last lines are kept for failure messages. It runs in a process group of
    its own, so a kill also ends what it started (helm), as a pod's end does.
    As a context manager it kills the group on exit.
    """

    def __init__(self, command: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        self.address = ""
        self._tail: deque[str] = deque(maxlen=40)
        self._serving = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._serving.wait(START_TIMEOUT) or not self.address:
            self.kill()
            raise AssertionError(f"the server did not start:\n{self.log_tail()}")

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._tail.append(line.rstrip())
            match = _SERVING.search(line)
            if match and not self.address:
                self.address = match.group(1)
                self._serving.set()
        self._serving.set()  # the process ended: stop waiting for it

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    def log_tail(self) -> str:
        """The last lines the server logged."""
        return "\n".join(self._tail)

    def kill(self) -> None:
        """SIGKILL to the group: no handler runs, nothing is flushed or closed."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)

    def terminate(self) -> int:
        """SIGTERM: a graceful stop; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        return code
