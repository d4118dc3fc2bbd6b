"""Part 6: GetVCluster on the reference server's HTTP port (Connect JSON and
gRPC-Web) against its gRPC port, and what the HTTP port, metrics and tracing cost gRPC.

Four reference servers run at once: one with its HTTP port, one started
with ``--http-address off``, one with metrics on (``--metrics-address``) and
one with tracing on (spans made and dropped by a no-op exporter). Each
round the Go load generator measures six sides one after the other, in a
rotating order: gRPC, Connect JSON and gRPC-Web on the first server, gRPC
on the other three. gRPC on the first server is the baseline of every
comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf import json_format

from bench.loadgen import UNARY_METRICS, LoadGenerator, unary_medians, unary_metric
from bench.profiles import Profile
from bench.report import PartResult, Ratio, Table, Target, fmt, progress
from bench.servers import (
    TARGET_NAME,
    TARGET_NAMESPACE,
    ServerProcess,
    create_target,
    reference_command,
    serve,
)
from bench.stats import alternate, paired_ratio
from bench.throughput import connections_for
from openvcluster.v1 import vcluster_service_pb2 as api

TITLE = (
    "6. The HTTP port, metrics and tracing "
    "(GetVCluster over Connect and gRPC-Web; their cost to gRPC)"
)
TARGET = Target(0.95, at_least=True)
# Each side: (the server, "on" or "off" for its HTTP port; the loadgen's -protocol).
# In this order, rotated round after round, the two sides of the target run back
# to back in three rounds out of four (the first two among them).
SIDES: dict[str, tuple[str, str]] = {
    "connect-json": ("on", "connect-json"),
    "grpc": ("on", "grpc"),
    "grpc, HTTP off": ("off", "grpc"),
    "grpc-web": ("on", "grpc-web"),
    "grpc, metrics on": ("metrics", "grpc"),
    "grpc, tracing on": ("traced", "grpc"),
}
HTTP_PROTOCOLS = ("connect-json", "grpc-web")
# The loadgen results of each side, one per round.
Runs = dict[str, list[dict[str, Any]]]


def run(profile: Profile, workdir: Path, loadgen: LoadGenerator) -> PartResult:
    """Measures every side at every HTTP concurrency of the profile."""
    part = PartResult("http", TITLE)
    runs: dict[int, Runs] = {c: {side: [] for side in SIDES} for c in profile.http_concurrencies}
    with (
        serve("reference-http-on", reference_command(), workdir) as with_http,
        serve("reference-http-off", reference_command(http=False), workdir) as without,
        serve("reference-metrics", reference_command(metrics=True), workdir) as metered,
        serve("reference-traced", reference_command(traced=True), workdir) as traced,
    ):
        if not with_http.http_address or without.http_address:
            raise RuntimeError(
                "expected one server with an HTTP port and one without, got http "
                f"{with_http.http_address or 'off'} and {without.http_address or 'off'}"
            )
        response = create_target(with_http.address)
        create_target(without.address)
        create_target(metered.address)
        create_target(traced.address)
        servers = {"on": with_http, "off": without, "metrics": metered, "traced": traced}
        for round_index in range(profile.http_rounds):
            for concurrency in profile.http_concurrencies:
                for side in alternate(round_index, list(SIDES)):
                    result = _measure(profile, loadgen, servers, side, concurrency)
                    runs[concurrency][side].append(result)
                    progress(
                        f"  [http] round {round_index + 1} c={concurrency} {side}: "
                        f"{result['rps']:.0f} rps, p99 {result['latency']['p99_ms']:.2f} ms"
                    )
    _report(part, profile, runs, response)
    return part


def _report(part: PartResult, profile: Profile, runs: dict[int, Runs], response: bytes) -> None:
    """Fills the part's ratios, tables, data and notes from the runs."""
    protocols = Table(
        "Per protocol, on the server with the HTTP port (medians over rounds; each ratio "
        "to gRPC is the median of the rounds' ratios)",
        ["concurrency", "protocol", "rps", "p50 ms", "p99 ms", "rps/grpc", "p50/grpc", "p99/grpc"],
    )
    on_off = Table(
        "gRPC with the HTTP port on and off (medians over rounds)",
        [
            "concurrency",
            "rps on",
            "rps off",
            "on/off",
            "p50 ms on",
            "p50 ms off",
            "p99 ms on",
            "p99 ms off",
        ],
    )
    summary: dict[str, Any] = {}
    for concurrency, by_side in runs.items():
        stats = {side: unary_medians(by_side[side]) for side in SIDES}
        protocols.rows.append(_protocol_row(concurrency, "grpc", stats["grpc"], {}))
        for protocol in HTTP_PROTOCOLS:
            ratios = {m: _paired(by_side, protocol, "grpc", m) for m in UNARY_METRICS}
            part.ratios += [
                Ratio(f"{protocol}/grpc {key} c={concurrency}", value)
                for key, value in ratios.items()
            ]
            protocols.rows.append(_protocol_row(concurrency, protocol, stats[protocol], ratios))
        share = _paired(by_side, "grpc", "grpc, HTTP off", "rps")
        part.ratios.append(Ratio(f"gRPC rps, HTTP port on/off c={concurrency}", share, TARGET))
        metered = _paired(by_side, "grpc, metrics on", "grpc", "rps")
        part.ratios.append(Ratio(f"gRPC rps, metrics on/off c={concurrency}", metered, TARGET))
        # Informational: the target is for metrics on and tracing off.
        traced = _paired(by_side, "grpc, tracing on", "grpc", "rps")
        part.ratios.append(Ratio(f"gRPC rps, tracing on/off c={concurrency}", traced))
        on, off = stats["grpc"], stats["grpc, HTTP off"]
        on_off.rows.append(
            [
                str(concurrency),
                fmt(on["rps"], 0),
                fmt(off["rps"], 0),
                fmt(share),
                fmt(on["p50"]),
                fmt(off["p50"]),
                fmt(on["p99"]),
                fmt(off["p99"]),
            ]
        )
        summary[str(concurrency)] = {"median": stats, "runs": by_side}
    part.tables += [protocols, on_off]

    errors = sum(r["errors"] for by_side in runs.values() for rs in by_side.values() for r in rs)
    json_bytes = len(
        json_format.MessageToJson(api.GetVClusterResponse.FromString(response), indent=None)
    )
    part.data = {
        "response_bytes": len(response),
        "response_json_bytes": json_bytes,
        "rounds": profile.http_rounds,
        "seconds_per_run": profile.http_seconds,
        "warmup_seconds": profile.http_warmup,
        "errors": errors,
        "by_concurrency": summary,
    }
    part.notes += [
        f"GetVCluster answers of {len(response)} bytes of protobuf (about {json_bytes} as "
        "JSON), from the reference server as shipped (memory store, INFO logging to a file). "
        "gRPC over up to 4 connections; Connect JSON and gRPC-Web on the HTTP port over "
        "HTTP/1.1 with keep-alive, one connection per worker, no compression. The Go load "
        "generator builds every request from the generated messages and decodes every "
        "answer (protojson; the gRPC-Web data frame, and its trailer's grpc-status).",
        "HTTP port on/off: the gRPC throughput of that server against a second one started "
        "with `--http-address off`, measured in the same rounds: what an idle HTTP port "
        "costs the gRPC port. Metrics on/off: a third server with `--metrics-address` "
        "(never scraped) against the first: what counting every call costs. Tracing on/off: "
        "a fourth server with tracing on, its spans batched and dropped by a no-op exporter "
        "(`bench/traced_server.py`), against the first; the load generator sends no trace "
        "context, so every call starts a trace of its own.",
        f"{profile.http_rounds} interleaved round(s) of {profile.http_seconds:g} s after "
        f"{profile.http_warmup:g} s of warm-up per side and concurrency.",
    ]
    if errors:
        part.notes.append(f"**{errors} call(s) failed** (see latest.json)")


def _measure(
    profile: Profile,
    loadgen: LoadGenerator,
    servers: dict[str, ServerProcess],
    side: str,
    concurrency: int,
) -> dict[str, Any]:
    """One loadgen run of ``side`` at ``concurrency``."""
    server_key, protocol = SIDES[side]
    server = servers[server_key]
    flags: dict[str, object] = {
        "protocol": protocol,
        "address": server.address if protocol == "grpc" else server.http_address,
        "namespace": TARGET_NAMESPACE,
        "name": TARGET_NAME,
        "concurrency": concurrency,
        "connections": connections_for(concurrency),
        "duration": f"{profile.http_seconds}s",
        "warmup": f"{profile.http_warmup}s",
    }
    limit = profile.http_warmup + profile.http_seconds + 60
    return loadgen.run("unary", flags, timeout=limit)


def _paired(by_side: Runs, numerator: str, denominator: str, metric: str) -> float:
    """The median over rounds of the round's numerator/denominator ratio of ``metric``
    ("rps", "p50" or "p99")."""
    return paired_ratio(
        [unary_metric(r, metric) for r in by_side[numerator]],
        [unary_metric(r, metric) for r in by_side[denominator]],
    )


def _protocol_row(
    concurrency: int, protocol: str, stats: dict[str, float], ratios: dict[str, float]
) -> list[str]:
    """A row of the per-protocol table; the ratio columns are "-" for gRPC itself."""
    cells = [fmt(ratios[m]) if m in ratios else "-" for m in UNARY_METRICS]
    row = [str(concurrency), protocol, fmt(stats["rps"], 0), fmt(stats["p50"]), fmt(stats["p99"])]
    return row + cells
