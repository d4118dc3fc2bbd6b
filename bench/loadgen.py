"""Builds and runs the Go load generator of bench/loadgen (see its main.go), and
reads the numbers of its unary runs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.report import ROOT
from bench.servers import clean_env
from bench.stats import median

SOURCE = ROOT / "bench" / "loadgen"
# Where a unary run's JSON holds the numbers the tables report.
UNARY_METRICS: dict[str, tuple[str, ...]] = {
    "rps": ("rps",),
    "p50": ("latency", "p50_ms"),
    "p99": ("latency", "p99_ms"),
}


class LoadGenerator:
    """The compiled ``loadgen`` binary."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary

    @classmethod
    def build(cls, into: Path) -> LoadGenerator:
        """Compiles bench/loadgen into ``into`` (Go's build cache makes repeats quick)."""
        go = shutil.which("go")
        if go is None:
            raise RuntimeError("the Go toolchain (go) is needed to build bench/loadgen")
        binary = into / "loadgen"
        done = subprocess.run(
            [go, "build", "-o", str(binary), "."],
            cwd=SOURCE,
            capture_output=True,
            text=True,
            env=clean_env(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"go build of bench/loadgen failed: {done.stderr.strip()}")
        return cls(binary)

    def run(self, mode: str, flags: dict[str, object], timeout: float) -> dict[str, Any]:
        """Runs ``loadgen MODE -flag=value ...`` and returns the JSON it prints; gives up
        after ``timeout`` seconds."""
        command = [str(self.binary), mode]
        for name, value in flags.items():
            command.append(f"-{name}={value}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"loadgen {mode} failed: {done.stderr.strip()}")
        result: dict[str, Any] = json.loads(done.stdout)
        return result


def unary_metric(run: dict[str, Any], metric: str) -> float:
    """One of UNARY_METRICS ("rps", "p50", "p99" in ms) of a unary run's JSON."""
    found: Any = run
    for key in UNARY_METRICS[metric]:
        found = found[key]
    return float(found)


def unary_medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Each of UNARY_METRICS, the median over ``runs``."""
    return {metric: median([unary_metric(r, metric) for r in runs]) for metric in UNARY_METRICS}
