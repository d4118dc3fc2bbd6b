"""Reads cases from stdin, runs them concurrently, writes step results to stdout."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from google.protobuf import json_format
from google.protobuf.message import Message

from conformance.protocol import (
    CaseRequest,
    Connection,
    Error,
    Step,
    StepResult,
    decode_line,
    encode_line,
)
from conformance_client.calls import Call, UnresolvedRefError, request_of, sdk_call
from conformance_client.outcomes import error_of


class Session(Protocol):
    """The clients of one case in one flavour."""

    def execute(self, step: Step, request: Message, call: Call) -> StepResult:
        """Runs one step's call; raises what the SDK raised."""

    def close(self) -> None:
        """Releases the case's connections and watches."""


class Flavour(Protocol):
    """A way of using the SDK: the sync client or the async client."""

    def open(self, connection: Connection) -> Session:
        """A session for one case."""

    def close(self) -> None:
        """Releases what the flavour shares between cases."""


def main(argv: list[str] | None = None) -> int:
    """Runs every case read from stdin; 0 once all have finished."""
    parser = argparse.ArgumentParser(prog="python -m conformance_client")
    parser.add_argument("--flavour", choices=("sync", "async"), required=True)
    parser.add_argument("--concurrency", type=int, default=8, help="cases run at once")
    args = parser.parse_args(argv)
    flavour = _flavour(args.flavour)
    lock = threading.Lock()

    def emit(result: StepResult) -> None:
        line = encode_line(result)
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    try:
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = [
                pool.submit(run_case, flavour, decode_line(line, CaseRequest()), emit)
                for line in sys.stdin
                if line.strip()
            ]
            for future in futures:
                future.result()
    finally:
        flavour.close()
    return 0


def run_case(flavour: Flavour, case: CaseRequest, emit: Callable[[StepResult], None]) -> None:
    """Runs the steps of one case in order, emitting each result as it comes."""
    session = flavour.open(case.connection)
    earlier: dict[str, dict[str, Any]] = {}
    unsupported: StepResult | None = None
    try:
        for index, step in enumerate(case.steps):
            # After one unsupported step the case cannot be judged, so the
            # rest are not run (the runner counts the case as skipped).
            result = unsupported or _run_step(session, step, earlier)
            if result.error.kind == Error.KIND_UNSUPPORTED:
                unsupported = result
            result.case_name = case.case_name
            result.step_index = index
            result.step_name = step.name
            earlier[step.name] = json_format.MessageToDict(result)
            emit(result)
    finally:
        session.close()


def _run_step(session: Session, step: Step, earlier: dict[str, dict[str, Any]]) -> StepResult:
    try:
        request = request_of(step, earlier)
        return session.execute(step, request, sdk_call(step, request))
    except UnresolvedRefError as exc:
        return StepResult(error=Error(kind=Error.KIND_UNRESOLVED_REF, message=str(exc)))
    except Exception as exc:
        return StepResult(error=error_of(exc))


def _flavour(name: str) -> Flavour:
    # Imported here so that one flavour's imports are only paid when it runs.
    if name == "sync":
        from conformance_client.sync_flavour import SyncFlavour

        return SyncFlavour()
    from conformance_client.async_flavour import AsyncFlavour

    return AsyncFlavour()
