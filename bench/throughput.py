"""Part 1: unary GetVCluster throughput and latency, reference server vs bare grpcio.

Both servers run as subprocesses at once; the Go load generator measures one
at a time, alternating which goes first, round after round, and the table
reports medians over the rounds. The bare server answers with the very bytes
the reference server returns for the same vcluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.loadgen import LoadGenerator, unary_medians, unary_metric
from bench.profiles import Profile
from bench.report import PartResult, Ratio, Table, Target, fmt, progress
from bench.servers import (
    TARGET_NAME,
    TARGET_NAMESPACE,
    bare_command,
    create_target,
    reference_command,
    serve,
)
from bench.stats import alternate, paired_ratio

TITLE = "1. Server throughput and latency (unary GetVCluster)"
SERVERS = ("reference", "bare")
TARGET = Target(0.90, at_least=True)
P99_TARGET = Target(1.20, at_least=False)


def connections_for(concurrency: int) -> int:
    """Connections the load generator spreads its workers over."""
    return min(concurrency, 4)


def run(profile: Profile, workdir: Path, loadgen: LoadGenerator) -> PartResult:
    """Measures both servers at every concurrency of the profile."""
    part = PartResult("throughput", TITLE)
    runs: dict[int, dict[str, list[dict[str, Any]]]] = {
        c: {s: [] for s in SERVERS} for c in profile.concurrencies
    }
    with serve("reference", reference_command(), workdir) as reference:
        response = create_target(reference.address)
        response_file = workdir / "get_vcluster_response.bin"
        response_file.write_bytes(response)
        with serve("bare", bare_command(response_file), workdir) as bare:
            addresses = {"reference": reference.address, "bare": bare.address}
            for round_index in range(profile.throughput_rounds):
                for concurrency in profile.concurrencies:
                    for server in alternate(round_index, SERVERS):
                        flags: dict[str, object] = {
                            "address": addresses[server],
                            "namespace": TARGET_NAMESPACE,
                            "name": TARGET_NAME,
                            "concurrency": concurrency,
                            "connections": connections_for(concurrency),
                            "duration": f"{profile.throughput_seconds}s",
                            "warmup": f"{profile.throughput_warmup}s",
                        }
                        limit = profile.throughput_warmup + profile.throughput_seconds + 60
                        result = loadgen.run("unary", flags, timeout=limit)
                        runs[concurrency][server].append(result)
                        progress(
                            f"  [throughput] round {round_index + 1} c={concurrency} "
                            f"{server}: {result['rps']:.0f} rps, "
                            f"p99 {result['latency']['p99_ms']:.2f} ms"
                        )

    table = Table(
        "Requests per second and latency (medians over rounds; the ratio is the median of "
        "the rounds' ratios)",
        [
            "concurrency",
            "reference rps",
            "bare rps",
            "reference/bare",
            "reference p50 ms",
            "bare p50 ms",
            "reference p99 ms",
            "bare p99 ms",
        ],
    )
    summary: dict[str, Any] = {}
    errors = 0
    for concurrency, by_server in runs.items():
        stats = {s: unary_medians(by_server[s]) for s in SERVERS}
        errors += sum(r["errors"] for s in SERVERS for r in by_server[s])
        share = _paired(by_server, "rps")
        part.ratios.append(
            Ratio(f"throughput c={concurrency}: reference/bare requests per second", share, TARGET)
        )
        for q in ("p50", "p99"):
            latency = _paired(by_server, q)
            goal = P99_TARGET if q == "p99" else None
            part.ratios.append(Ratio(f"latency {q} c={concurrency}: reference/bare", latency, goal))
        table.rows.append(
            [
                str(concurrency),
                fmt(stats["reference"]["rps"], 0),
                fmt(stats["bare"]["rps"], 0),
                fmt(share),
                fmt(stats["reference"]["p50"]),
                fmt(stats["bare"]["p50"]),
                fmt(stats["reference"]["p99"]),
                fmt(stats["bare"]["p99"]),
            ]
        )
        summary[str(concurrency)] = {"median": stats, "runs": by_server}
    part.tables.append(table)
    part.data = {
        "response_bytes": len(response),
        "rounds": profile.throughput_rounds,
        "seconds_per_run": profile.throughput_seconds,
        "warmup_seconds": profile.throughput_warmup,
        "errors": errors,
        "by_concurrency": summary,
    }
    part.notes += [
        f"GetVCluster answers of {len(response)} bytes; Go load generator (bench/loadgen), "
        f"{profile.throughput_rounds} interleaved round(s) of {profile.throughput_seconds:g} s "
        f"after {profile.throughput_warmup:g} s of warm-up per server and concurrency.",
        "The reference server runs as shipped (memory store, one text log line per RPC "
        "at INFO, written to a file; part 7 says what each part of its work costs).",
    ]
    if errors:
        part.notes.append(f"**{errors} call(s) failed** (see latest.json)")
    return part


def _paired(by_server: dict[str, list[dict[str, Any]]], metric: str) -> float:
    """The median over rounds of the round's reference/bare ratio of ``metric``
    ("rps", "p50" or "p99")."""
    return paired_ratio(
        [unary_metric(r, metric) for r in by_server["reference"]],
        [unary_metric(r, metric) for r in by_server["bare"]],
    )
