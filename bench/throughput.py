"""Part 1: unary throughput and latency, reference server vs bare grpcio.

GetVCluster is the judged comparison; ListVClusters (a page of 50) and
ScaleVCluster (a new request_id per call) are reported beside it without a
target. For each method both servers run as subprocesses at once; the Go load
generator measures one at a time, alternating which goes first, round after
round, and the tables report medians over the rounds. The bare server answers
with the very bytes the reference server returned for the same call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import LoadGenerator, unary_medians, unary_metric
from bench.profiles import Profile
from bench.report import PartResult, Ratio, Table, Target, fmt, progress
from bench.servers import (
    LIST_NAMESPACE,
    LIST_PAGE_SIZE,
    SCALE_NAME,
    TARGET_NAME,
    TARGET_NAMESPACE,
    bare_command,
    create_list_targets,
    create_scale_target,
    create_target,
    reference_command,
    serve,
)
from bench.stats import alternate, paired_ratio

TITLE = "1. Server throughput and latency (unary GetVCluster; List and Scale beside it)"
SERVERS = ("reference", "bare")
TARGET = Target(0.90, at_least=True)
P99_TARGET = Target(1.20, at_least=False)
# Runs of each server, by concurrency.
Runs = dict[int, dict[str, list[dict[str, Any]]]]


@dataclass(frozen=True)
class Method:
    """A measured method: the loadgen's -method, what it calls, and how the
    reference server is prepared for it (returns the response the bare server sends)."""

    loadgen: str
    rpc: str
    namespace: str
    name: str
    prepare: Callable[[str], bytes]
    judged: bool = False


METHODS = (
    Method("get", "GetVCluster", TARGET_NAMESPACE, TARGET_NAME, create_target, judged=True),
    Method("list", "ListVClusters", LIST_NAMESPACE, "-", create_list_targets),
    Method("scale", "ScaleVCluster", TARGET_NAMESPACE, SCALE_NAME, create_scale_target),
)
LABELS = {
    "GetVCluster": "GetVCluster",
    "ListVClusters": f"ListVClusters (page of {LIST_PAGE_SIZE})",
    "ScaleVCluster": "ScaleVCluster (with request_id)",
}


def connections_for(concurrency: int) -> int:
    """Connections the load generator spreads its workers over."""
    return min(concurrency, 4)


def run(profile: Profile, workdir: Path, loadgen: LoadGenerator) -> PartResult:
    """Measures both servers at every concurrency of the profile, for each method."""
    part = PartResult("throughput", TITLE)
    by_method: dict[str, Runs] = {}
    sizes: dict[str, int] = {}
    with serve("reference", reference_command(), workdir) as reference:
        for method in METHODS:
            response = method.prepare(reference.address)
            sizes[method.rpc] = len(response)
            response_file = workdir / f"{method.rpc}_response.bin"
            response_file.write_bytes(response)
            with serve("bare", bare_command(response_file, method.rpc), workdir) as bare:
                addresses = {"reference": reference.address, "bare": bare.address}
                rounds = profile.throughput_rounds if method.judged else profile.method_rounds
                by_method[method.rpc] = _measure(profile, loadgen, method, addresses, rounds)

    get = by_method["GetVCluster"]
    part.tables.append(_get_table(part, get))
    part.tables.append(_methods_table(part, by_method))
    part.data = {
        "response_bytes": sizes["GetVCluster"],
        "rounds": profile.throughput_rounds,
        "method_rounds": profile.method_rounds,
        "seconds_per_run": profile.throughput_seconds,
        "warmup_seconds": profile.throughput_warmup,
        "errors": _errors(by_method),
        "by_concurrency": {
            str(c): {"median": _medians(runs), "runs": runs} for c, runs in get.items()
        },
        "methods": {
            rpc: {
                "response_bytes": sizes[rpc],
                "by_concurrency": {
                    str(c): {"median": _medians(runs), "runs": runs} for c, runs in found.items()
                },
            }
            for rpc, found in by_method.items()
            if rpc != "GetVCluster"
        },
    }
    part.notes += [
        f"GetVCluster answers of {sizes['GetVCluster']} bytes; Go load generator "
        f"(bench/loadgen), {profile.throughput_rounds} interleaved round(s) of "
        f"{profile.throughput_seconds:g} s after {profile.throughput_warmup:g} s of warm-up "
        "per server and concurrency; ListVClusters and ScaleVCluster "
        f"{profile.method_rounds} round(s) each.",
        "The reference server runs as shipped (memory store, one text log line per RPC "
        "at INFO, written to a file; part 7 says what each part of its work costs).",
        f"ListVClusters: a page of {LIST_PAGE_SIZE} of {2 * LIST_PAGE_SIZE} vclusters in one "
        f"namespace ({sizes['ListVClusters']} bytes). ScaleVCluster: a SUSPENDED vcluster "
        "(the new spec is stored, no transition), the replica count alternating and a new "
        "request_id per call, so each call is carried out: checked, stored, remembered for "
        "retries, written to the operation history and sent to watchers. The bare server "
        "answers both with one fixed response, so their ratios show what the server's work "
        "costs, not a goal.",
    ]
    errors = _errors(by_method)
    if errors:
        part.notes.append(f"**{errors} call(s) failed** (see latest.json)")
    return part


def _measure(
    profile: Profile,
    loadgen: LoadGenerator,
    method: Method,
    addresses: dict[str, str],
    rounds: int,
) -> Runs:
    """``rounds`` interleaved rounds of ``method`` at every concurrency."""
    runs: Runs = {c: {s: [] for s in SERVERS} for c in profile.concurrencies}
    for round_index in range(rounds):
        for concurrency in profile.concurrencies:
            for server in alternate(round_index, SERVERS):
                flags: dict[str, object] = {
                    "method": method.loadgen,
                    "address": addresses[server],
                    "namespace": method.namespace,
                    "name": method.name,
                    "page-size": LIST_PAGE_SIZE,
                    "concurrency": concurrency,
                    "connections": connections_for(concurrency),
                    "duration": f"{profile.throughput_seconds}s",
                    "warmup": f"{profile.throughput_warmup}s",
                }
                limit = profile.throughput_warmup + profile.throughput_seconds + 60
                result = loadgen.run("unary", flags, timeout=limit)
                runs[concurrency][server].append(result)
                progress(
                    f"  [throughput] {method.rpc} round {round_index + 1} c={concurrency} "
                    f"{server}: {result['rps']:.0f} rps, "
                    f"p99 {result['latency']['p99_ms']:.2f} ms"
                )
    return runs


def _get_table(part: PartResult, runs: Runs) -> Table:
    """GetVCluster's table, and its judged ratios."""
    table = Table(
        "GetVCluster: requests per second and latency (medians over rounds; the ratio is "
        "the median of the rounds' ratios)",
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
    for concurrency, by_server in runs.items():
        stats = _medians(by_server)
        share = _paired(by_server, "rps")
        part.ratios.append(
            Ratio(f"throughput c={concurrency}: reference/bare requests per second", share, TARGET)
        )
        for q in ("p50", "p99"):
            goal = P99_TARGET if q == "p99" else None
            part.ratios.append(
                Ratio(f"latency {q} c={concurrency}: reference/bare", _paired(by_server, q), goal)
            )
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
    return table


def _methods_table(part: PartResult, by_method: dict[str, Runs]) -> Table:
    """The other methods' table, and their ratios (no target)."""
    table = Table(
        "ListVClusters and ScaleVCluster against a bare server answering them with a "
        "fixed response (medians over rounds)",
        [
            "method",
            "concurrency",
            "reference rps",
            "bare rps",
            "reference/bare",
            "p50 reference/bare",
            "p99 reference/bare",
        ],
    )
    for rpc, runs in by_method.items():
        if rpc == "GetVCluster":
            continue
        for concurrency, by_server in runs.items():
            stats = _medians(by_server)
            share = _paired(by_server, "rps")
            part.ratios.append(
                Ratio(f"{LABELS[rpc]} throughput c={concurrency}: reference/bare", share)
            )
            table.rows.append(
                [
                    LABELS[rpc],
                    str(concurrency),
                    fmt(stats["reference"]["rps"], 0),
                    fmt(stats["bare"]["rps"], 0),
                    fmt(share),
                    fmt(_paired(by_server, "p50")),
                    fmt(_paired(by_server, "p99")),
                ]
            )
    return table


def _medians(by_server: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    return {s: unary_medians(by_server[s]) for s in SERVERS}


def _errors(by_method: dict[str, Runs]) -> int:
    return sum(
        r["errors"]
        for runs in by_method.values()
        for by_server in runs.values()
        for results in by_server.values()
        for r in results
    )


def _paired(by_server: dict[str, list[dict[str, Any]]], metric: str) -> float:
    """The median over rounds of the round's reference/bare ratio of ``metric``
    ("rps", "p50" or "p99")."""
    return paired_ratio(
        [unary_metric(r, metric) for r in by_server["reference"]],
        [unary_metric(r, metric) for r in by_server["bare"]],
    )
