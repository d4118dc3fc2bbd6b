"""Part 8: the Kubernetes backend on a real API server (the k8s_testenv test environment).

One environment is started for the part and always stopped. On it, in this
order (each step keeps the cluster as the next needs it):

1. time to RUNNING (kube_create.py), sequential creates through a reconciling
   server (stand-in chart);
2. API requests per operation (kube_requests.py), with the vclusters of step 1
   idle, against the vcluster CLI's counted from its source (vcluster_cli.py);
3. the idle cost (kube_idle.py): RUNNING vclusters brought up to 100, then
   requests counted over a window;
4. reads (kube_reads.py): the reconciling server stopped, a memory-store and a
   non-reconciling Kubernetes-backed server seeded alike and timed side by side.
   Last, because vclusters written with no reconciler would be installed by any
   reconciling server that came after.

A step that fails is reported as the part's error; the others still report.
When the environment is not built, the part says so and measures nothing.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import openvcluster
from bench import kube_create, kube_idle, kube_reads, kube_requests
from bench.kube_env import (
    PHASE_TIMEOUT,
    environment,
    missing_build,
    reconciling_settings,
)
from bench.profiles import Profile
from bench.report import PartResult, Table, fmt, progress
from k8s_testenv.audit import AuditLog
from openvcluster_server.testing import running_server

TITLE = "8. The Kubernetes backend (reads, API requests per operation, idle cost, time to RUNNING)"
T = TypeVar("T")


class Steps:
    """Runs the part's steps, timing each and keeping the failures, so that one
    failed step leaves the others' results."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.errors: list[str] = []

    def run(self, name: str, step: Callable[[], T]) -> T | None:
        """``step()``, or None when it raised (its error is kept)."""
        progress(f"  [kube] {name} ...")
        started = time.perf_counter()
        try:
            return step()
        except Exception as exc:
            traceback.print_exc()
            self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            return None
        finally:
            self.seconds[name] = time.perf_counter() - started


def run(profile: Profile, workdir: Path) -> PartResult:
    """Every measurement of the part on one test environment."""
    part = PartResult("kube", TITLE)
    unbuilt = missing_build()
    if unbuilt:
        part.notes.append(f"Skipped: {unbuilt}.")
        part.data["skipped"] = unbuilt
        return part
    steps = Steps()
    started = time.perf_counter()
    with environment(workdir) as cluster:
        steps.seconds["start the test environment"] = time.perf_counter() - started
        audit = AuditLog(cluster.audit_log)
        with (
            running_server(**reconciling_settings(cluster)) as server,
            openvcluster.Client(server.address, wait_timeout=PHASE_TIMEOUT) as client,
        ):
            created = steps.run(
                "time to RUNNING",
                lambda: kube_create.measure(client, profile.kube_create_samples),
            )
            tallies = steps.run(
                "requests per operation",
                lambda: kube_requests.measure(client, audit, profile.kube_operation_repeats),
            )
            idle = steps.run(
                "idle vclusters",
                lambda: kube_idle.measure(
                    client,
                    audit,
                    profile.kube_idle_vclusters,
                    profile.kube_idle_seconds,
                ),
            )
        reads = steps.run("reads", lambda: kube_reads.measure(profile, cluster))
        stopping = time.perf_counter()
    steps.seconds["stop the test environment"] = time.perf_counter() - stopping
    if reads is not None:
        kube_reads.report(part, reads, profile)
    if tallies is not None:
        kube_requests.report(part, tallies)
    if idle is not None:
        kube_idle.report(part, idle)
    if created is not None:
        kube_create.report(part, created)
    _report_steps(part, steps)
    if steps.errors:
        part.error = "; ".join(steps.errors)
    return part


def _report_steps(part: PartResult, steps: Steps) -> None:
    """How long each step took (the part's whole time is its "took" line)."""
    table = Table("Where the part's time went", ["step", "seconds"])
    table.rows = [[name, fmt(seconds, 0)] for name, seconds in steps.seconds.items()]
    part.tables.append(table)
    part.data["step_seconds"] = steps.seconds
