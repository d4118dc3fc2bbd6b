"""Part 8, API requests per operation: what the backend (the server and its helm) sends
the API server for one create, suspend, resume, scale and delete of a vcluster on an
otherwise idle cluster, side by side with what the vcluster CLI sends (vcluster_cli.py).

Each operation is called through the Python SDK with ``wait=True``, so it is
counted to its end (RUNNING, SUSPENDED, or gone), and then a few seconds
more, for whatever the reconciler does after the phase it reports.
"""

from __future__ import annotations

import math
import time

import openvcluster
from bench.kube_audit import Tally, tally
from bench.report import PartResult, Ratio, Table, Target, fmt, progress
from bench.stats import median, ratio
from bench.vcluster_cli import CLI
from k8s_testenv.audit import AuditLog

OPERATIONS = ("create", "suspend", "resume", "scale", "delete")
TARGET = Target(1.00, at_least=False)
# Seconds after an operation's end that still count as the operation's.
SETTLE = 3.0


def measure(client: openvcluster.Client, audit: AuditLog, repeats: int) -> dict[str, list[Tally]]:
    """Each operation's requests, once per repetition, each repetition on a new vcluster."""
    tallies: dict[str, list[Tally]] = {op: [] for op in OPERATIONS}
    for repeat in range(repeats):
        namespace = f"ops-{repeat}"
        time.sleep(SETTLE)  # what came before is over
        for op in OPERATIONS:
            mark = audit.mark()
            _operate(client, op, namespace, "vc")
            time.sleep(SETTLE)
            tallies[op].append(tally(audit.events(since=mark)))
        counts = ", ".join(f"{op} {tallies[op][-1].total}" for op in OPERATIONS)
        progress(f"  [kube] requests per operation, repetition {repeat + 1}: {counts}")
    return tallies


def _operate(client: openvcluster.Client, op: str, namespace: str, name: str) -> None:
    """One operation, waited for until its end."""
    if op == "create":
        client.create_vcluster(namespace, name, wait=True)
    elif op == "suspend":
        client.suspend_vcluster(namespace, name, wait=True)
    elif op == "resume":
        client.resume_vcluster(namespace, name, wait=True)
    elif op == "scale":  # a change of the chart's values: a helm upgrade, as a resize is
        client.scale_vcluster(namespace, name, cpu="3", wait=True)
    else:
        client.delete_vcluster(namespace, name, wait=True)


def report(part: PartResult, tallies: dict[str, list[Tally]]) -> None:
    """The table side by side with the CLI, the ratios, and what the server sent."""
    table = Table(
        "Kube API requests per operation (not watches; medians over repetitions)",
        [
            "operation",
            "server",
            "helm",
            "ours",
            "vcluster CLI",
            "CLI itself",
            "CLI helm",
            "ours/CLI",
            "CLI command",
        ],
    )
    sent = Table(
        "What the server sent per operation (first repetition; helm's are in latest.json)",
        ["operation", "server's requests"],
    )
    data: dict[str, object] = {}
    for op in OPERATIONS:
        runs = tallies[op]
        cli = CLI[op]
        server = median([t.server_total for t in runs])
        helm = median([t.helm_total for t in runs])
        ours = median([t.total for t in runs])
        # The helm run both sides make is the one measured here; the CLI's helm
        # runs make at least that many (vcluster_cli.py).
        cli_helm = helm + cli.helm_extra
        cli_total = cli.own + cli_helm
        versus = ratio(ours, cli_total)
        table.rows.append(
            [
                op,
                _count(server),
                _count(helm),
                _count(ours),
                _count(cli_total),
                str(cli.own),
                _count(cli_helm),
                fmt(versus),
                f"`{cli.command}`",
            ]
        )
        part.ratios.append(
            Ratio(f"kube API requests per {op}: ours / vcluster CLI", versus, TARGET)
        )
        if runs:
            first = runs[0].server
            sent.rows.append([op, ", ".join(f"{k} x{n}" for k, n in sorted(first.items()))])
        data[op] = {
            "median_server": server,
            "median_helm": helm,
            "median_ours": ours,
            "cli_own": cli.own,
            "cli_helm_extra": cli.helm_extra,
            "cli_total": cli_total,
            "ours_over_cli": versus,
            "runs": [t.as_json() for t in runs],
        }
    part.tables += [table, sent]
    part.data["requests_per_operation"] = data
    part.notes.append(
        "Requests per operation: from the API server's audit log, the server's requests "
        "(user agent openvcluster-server/...) and its helm's (Helm/...), watches and Lease "
        f"requests left out, from the call until {SETTLE:g} s after the SDK saw the end "
        "(`wait=True`), one new vcluster in a new API namespace per repetition, the cluster "
        "otherwise idle. The CLI's side is counted from loft-sh/vcluster's source "
        "(bench/vcluster_cli.py, a lower bound) plus the same helm run as ours. A create is "
        "the first vcluster of its API namespace, as the CLI's is of its namespace: the "
        "server's first write of the VCluster is refused (404, no such namespace) and it "
        "creates the API namespace, then the host namespace. Every mutation also stores its "
        "request_id (the SDK sends one) in a ConfigMap, which the CLI has no counterpart for."
    )


def _count(value: float) -> str:
    """A count, or a median between two counts."""
    if math.isnan(value):
        return "-"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
