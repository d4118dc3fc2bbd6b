"""``openvcluster-server serve`` as a real process: started, killed, restarted.

Unlike ``server/tests/test_restart.py``'s helper, this one keeps reading the
server's log on a thread for the process's whole life: under load the server
writes a line per call, and a full stderr pipe would block it. The last
lines are kept for failure messages.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path

_SERVING = re.compile(r"serving on (127\.0\.0\.1:\d+)")
START_TIMEOUT = 60.0


class ServerProcess:
    """One server process on the SQLite store in ``data_dir``, on a free port."""

    def __init__(self, data_dir: Path, transition_delay: float, *extra: str) -> None:
        command: Sequence[str] = [
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
            "--transition-delay",
            str(transition_delay),
            *extra,
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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

    def log_tail(self) -> str:
        """The last lines the server logged."""
        return "\n".join(self._tail)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)

    def terminate(self) -> int:
        """SIGTERM: a graceful stop; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        return code
