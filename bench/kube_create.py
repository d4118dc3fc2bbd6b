"""Part 8, time to RUNNING: CreateVCluster until the vcluster is RUNNING on the test
cluster, one create after another (each in an API namespace of its own, so each
pays for the same namespaces)."""

from __future__ import annotations

import time

import openvcluster
from bench.report import PartResult, Table, fmt, progress
from bench.stats import median


def measure(client: openvcluster.Client, samples: int) -> list[float]:
    """Seconds from each CreateVCluster call until the SDK saw the vcluster RUNNING."""
    seconds = []
    for index in range(samples):
        started = time.perf_counter()
        client.create_vcluster(f"create-{index}", "vc", wait=True)
        seconds.append(time.perf_counter() - started)
    progress(f"  [kube] create to RUNNING: median {median(seconds):.2f} s of {samples}")
    return seconds


def report(part: PartResult, seconds: list[float]) -> None:
    """The table of create times."""
    table = Table(
        "Time from CreateVCluster to RUNNING (seconds, sequential creates)",
        ["creates", "median s", "min s", "max s"],
    )
    table.rows.append(
        [str(len(seconds)), fmt(median(seconds)), fmt(min(seconds)), fmt(max(seconds))]
    )
    part.tables.append(table)
    part.data["create_to_running_s"] = seconds
    part.notes.append(
        "Time to RUNNING: the Python SDK's `create_vcluster(wait=True)` against a reconciling "
        "server, each vcluster in a new API namespace: the backend writes the VCluster, "
        "creates the host namespace, runs `helm upgrade --install` of the stand-in chart, "
        "kwok makes the control-plane pod Ready and the stand-in writes its kubeconfig "
        "Secret, as vcluster's syncer would. A real vcluster's images and start-up come on top."
    )
