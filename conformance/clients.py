"""The clients under test: which exist (clients.yaml), and running one over many cases."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml
from google.protobuf import json_format

from conformance.plan import CaseRun
from conformance.protocol import StepResult, decode_line, encode_line

ROOT = Path(__file__).resolve().parent.parent
CLIENTS_FILE = Path(__file__).resolve().parent / "clients.yaml"
KNOWN_FAILING_DIR = Path(__file__).resolve().parent / "known-failing"
PORTS = ("grpc", "http")


@dataclass(frozen=True)
class ClientSpec:
    """One client under test: how to start it, and how to build it first."""

    name: str
    command: tuple[str, ...]
    build: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    # Which port of the server the client calls: "grpc", or "http" for
    # clients speaking Connect or gRPC-Web to the HTTP port.
    port: str = "grpc"

    def argv(self, args: Sequence[str]) -> list[str]:
        """``args`` with ``{python}`` and ``{root}`` filled in."""
        return [_expand(arg) for arg in args]

    def environment(self) -> dict[str, str]:
        """The client's environment: the suite's, without OVC_* settings that
        would change what the cases ask for, plus the client's own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OVC_")}
        paths = [str(ROOT), env.get("PYTHONPATH", "")]
        for key, value in self.env:
            if key == "PYTHONPATH":
                paths.insert(0, _expand(value))
            else:
                env[key] = _expand(value)
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        return env


def _expand(arg: str) -> str:
    return arg.replace("{python}", sys.executable).replace("{root}", str(ROOT))


def load_clients(path: Path = CLIENTS_FILE) -> list[ClientSpec]:
    """The clients of clients.yaml, in file order."""
    raw = yaml.safe_load(path.read_text())
    specs = []
    for name, entry in raw["clients"].items():
        port = str(entry.get("port", "grpc"))
        if port not in PORTS:
            raise ValueError(f"{path}: client {name}: port must be one of {PORTS}, not {port!r}")
        specs.append(
            ClientSpec(
                name=name,
                command=tuple(str(a) for a in entry["command"]),
                build=tuple(str(a) for a in entry.get("build", ())),
                env=tuple((str(k), str(v)) for k, v in entry.get("env", {}).items()),
                port=port,
            )
        )
    return specs


def known_failing(client: str, directory: Path = KNOWN_FAILING_DIR) -> frozenset[str]:
    """Case names listed in known-failing/CLIENT.txt (one per line, # comments)."""
    path = directory / f"{client}.txt"
    if not path.exists():
        return frozenset()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line)


@dataclass
class ClientRun:
    """What a client under test reported for a batch of cases."""

    # case name -> step index -> result
    results: dict[str, dict[int, StepResult]] = field(default_factory=dict)
    stderr: str = ""
    returncode: int | None = None
    # Lines that broke the protocol; any makes the run fail.
    protocol_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False

    def add(self, later: ClientRun) -> None:
        """Folds in the report of a later batch of the same client."""
        self.results.update(later.results)
        self.stderr += later.stderr
        if later.returncode not in (0, None) or self.returncode is None:
            self.returncode = later.returncode
        self.protocol_errors += later.protocol_errors
        self.seconds += later.seconds
        self.timed_out = self.timed_out or later.timed_out


def build_client(spec: ClientSpec) -> None:
    """Runs the client's build command, if any; CalledProcessError when it fails."""
    if spec.build:
        subprocess.run(spec.argv(spec.build), cwd=ROOT, env=spec.environment(), check=True)


def run_client(
    spec: ClientSpec, runs: Sequence[CaseRun], timeout: float, concurrency: int = 0
) -> ClientRun:
    """Sends every case to one client process and collects its step results.

    The process gets the cases on stdin, closed after the last; it is killed
    after ``timeout`` seconds, and whatever it reported until then counts.
    ``concurrency`` (``--concurrency``, which every client takes) limits how
    many cases it runs at once; 0 leaves the client's default.
    """
    started = time.monotonic()
    limit = ["--concurrency", str(concurrency)] if concurrency else []
    process = subprocess.Popen(
        spec.argv(spec.command) + limit,
        cwd=ROOT,
        env=spec.environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert process.stdin is not None and process.stdout is not None
    report = ClientRun()
    expected = {run.case.name: len(run.request.steps) for run in runs}
    stderr: list[str] = []
    threads = [
        threading.Thread(target=_feed, args=(process.stdin, runs), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True),
    ]
    for thread in threads:
        thread.start()
    watchdog = threading.Timer(timeout, _kill, args=(process, report))
    watchdog.start()
    try:
        for line in process.stdout:
            _record(line, expected, report)
        report.returncode = process.wait()
    finally:
        watchdog.cancel()
    for thread in threads:
        thread.join(timeout=10)
    report.stderr = "".join(stderr)
    report.seconds = time.monotonic() - started
    return report


def _feed(stdin: IO[str], runs: Sequence[CaseRun]) -> None:
    try:
        for run in runs:
            stdin.write(encode_line(run.request) + "\n")
            stdin.flush()
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass  # the client died; its missing results tell the story


def _drain(stream: IO[str], into: list[str]) -> None:
    into.extend(stream)


def _kill(process: subprocess.Popen[str], report: ClientRun) -> None:
    report.timed_out = True
    process.kill()


def _record(line: str, expected: dict[str, int], report: ClientRun) -> None:
    line = line.strip()
    if not line:
        return
    try:
        result = decode_line(line, StepResult())
    except json_format.ParseError as exc:
        report.protocol_errors.append(f"not a StepResult line ({exc}): {line[:200]}")
        return
    steps = expected.get(result.case_name)
    if steps is None or not 0 <= result.step_index < steps:
        report.protocol_errors.append(
            f"result for an unknown case or step: {result.case_name!r} #{result.step_index}"
        )
        return
    case_results = report.results.setdefault(result.case_name, {})
    if result.step_index in case_results:
        report.protocol_errors.append(
            f"two results for {result.case_name!r} step #{result.step_index}"
        )
        return
    case_results[result.step_index] = result
