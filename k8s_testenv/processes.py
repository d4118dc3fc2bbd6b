"""Starting and stopping the environment's processes, by recorded PID.

Each component runs in its own process group, and ``processes.json`` in the
state directory records its PID with the kernel's start time of that
process, so ``stop`` signals exactly what ``start`` started: never a process
that later reused the PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

_RECORD = "processes.json"
_SETPRIV = "setpriv"  # util-linux, part of every Debian


@dataclass(frozen=True)
class Started:
    """One running component."""

    name: str
    pid: int
    start_ticks: int
    log: str
    argv: list[str]


def spawn(
    name: str, argv: list[str], state: Path, *, tied: bool
) -> tuple[Started, subprocess.Popen[bytes]]:
    """Starts ``argv`` in a new process group, logging to ``state/logs/NAME.log``.

    ``tied`` makes the kernel end the process when the caller dies (a test
    run that is killed leaves nothing behind); without it the process outlives
    the caller, as ``k8s-testenv start`` needs.
    """
    log = state / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # setpriv sets the parent-death signal and then runs the component in its
    # place: no Python runs in the forked child, which is unsafe in a process
    # with threads (a test with gRPC clients, say). KILL, because a component
    # whose peers died with the test may never finish a graceful shutdown
    # (kube-apiserver waits for its etcd).
    command = [_SETPRIV, "--pdeathsig", "KILL", "--", *argv] if tied else argv
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Started(name, process.pid, _start_ticks(process.pid) or 0, str(log), argv)
    _record(state, [s for s in recorded(state) if s.name != name] + [started])
    return started, process


def recorded(state: Path) -> list[Started]:
    """The processes ``start`` recorded, in start order."""
    try:
        raw = json.loads((state / _RECORD).read_text())
    except FileNotFoundError:
        return []
    return [Started(**entry) for entry in raw]


def stop_all(state: Path, grace: float = 10.0) -> list[str]:
    """Stops every recorded process still running (newest first); returns their names."""
    stopped = []
    for started in reversed(recorded(state)):
        if is_running(started):
            terminate(started, grace)
            stopped.append(started.name)
    (state / _RECORD).unlink(missing_ok=True)
    return stopped


def is_running(started: Started) -> bool:
    """Whether the recorded process still runs (the same one, not a reused PID)."""
    return _start_ticks(started.pid) == started.start_ticks


def terminate(started: Started, grace: float) -> None:
    """SIGTERM to the process group, then SIGKILL after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(started.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            _reap(started.pid)
            if not is_running(started):
                return
            time.sleep(0.05)


def stop_one(state: Path, name: str, grace: float = 10.0) -> Started:
    """Stops one recorded component (a fault test); ``spawn`` its argv to start it again."""
    for started in recorded(state):
        if started.name == name:
            if is_running(started):
                terminate(started, grace)
            return started
    raise KeyError(name)


def _record(state: Path, entries: list[Started]) -> None:
    path = state / _RECORD
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps([asdict(s) for s in entries], indent=2))
    partial.replace(path)


def _start_ticks(pid: int) -> int | None:
    """The process's start time (field 22 of /proc/PID/stat); None once it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def _reap(pid: int) -> None:
    """Collects the exit status of a child of ours, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
