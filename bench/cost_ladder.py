"""Part 7: where a GetVCluster's CPU time goes, from the bare grpcio server to the
reference server, one step at a time.

Each rung is a server one step closer to the reference server (see
bench/ladder_server.py for the middle ones); the load generator drives each
at one concurrency, and the server process's CPU time (user + system, from
/proc) divided by the calls it answered is the rung's cost per call. When a
server is CPU-bound, throughput goes as the inverse of that cost, so the
steps say what each part of the reference server's work costs in the
throughput ratio of part 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from bench.call_path import PATHS
from bench.loadgen import LoadGenerator
from bench.profiles import Profile
from bench.report import ROOT, PartResult, Ratio, Table, fmt, progress
from bench.servers import (
    TARGET_NAME,
    TARGET_NAMESPACE,
    ServerProcess,
    bare_command,
    clean_env,
    create_target,
    reference_command,
    serve,
)
from bench.stats import alternate, median

TITLE = "7. Where a call's time goes (CPU per GetVCluster, bare server to reference server)"
# (rung, what it adds to the rung before it)
RUNGS = (
    ("bare", "bench/bare_server.py: a fixed answer, registered by hand"),
    ("servicer", "the generated servicer class and registration"),
    ("guarded", "the guard that answers undecodable requests INVALID_ARGUMENT"),
    ("metadata", "reading the call's metadata (tokens, test hooks, trace context)"),
    ("stored", "the response framed per call from the stored vcluster's bytes (encoded.py)"),
    ("reference-quiet", "the reference server without its access log (bench/quiet_server.py)"),
    ("reference", "the reference server as shipped: one access-log line per call"),
)
CONCURRENCY = 16
_TICKS = os.sysconf("SC_CLK_TCK")


def _command(rung: str, response: Path) -> list[str]:
    if rung == "bare":
        return bare_command(response)
    if rung == "reference":
        return reference_command()
    if rung == "reference-quiet":
        command = reference_command()
        return [sys.executable, "-m", "bench.quiet_server", *command[3:]]
    return [
        sys.executable,
        "-m",
        "bench.ladder_server",
        "--rung",
        rung,
        "--address",
        "127.0.0.1:0",
        "--response",
        str(response),
    ]


def _call_path(profile: Profile, workdir: Path) -> dict[str, list[float]]:
    """bench/call_path.py's microseconds per call of each path, per round."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.call_path",
            "--calls",
            str(profile.call_path_calls),
            "--rounds",
            str(profile.ladder_rounds),
            "--log",
            str(workdir / "call_path.log"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean_env(),
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.call_path failed: {done.stderr.strip()[-2000:]}")
    progress("  [costs] in process: " + done.stdout.strip())
    result: dict[str, list[float]] = json.loads(done.stdout)
    return result


def _call_path_table(results: dict[str, list[float]]) -> Table:
    """The in-process table: the server's own Python per call."""
    table = Table(
        "The server's own Python per GetVCluster, in one process without grpc "
        "(bench/call_path.py; medians over rounds)",
        ["path", "CPU us per call", "over bare us"],
    )
    bare = median(results["bare"])
    for path in PATHS:
        spent = median(results[path])
        table.rows.append([path, fmt(spent, 1), "" if path == "bare" else f"{spent - bare:+.1f}"])
    return table


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _measure(server: ServerProcess, profile: Profile, loadgen: LoadGenerator) -> dict[str, float]:
    flags: dict[str, object] = {
        "address": server.address,
        "namespace": TARGET_NAMESPACE,
        "name": TARGET_NAME,
        "concurrency": CONCURRENCY,
        "connections": 4,
        "warmup": "0s",
    }
    limit = profile.ladder_seconds + 60
    loadgen.run("unary", {**flags, "duration": f"{profile.ladder_warmup}s"}, timeout=limit)
    before = _cpu_seconds(server.pid)
    result = loadgen.run(
        "unary", {**flags, "duration": f"{profile.ladder_seconds}s"}, timeout=limit
    )
    spent = _cpu_seconds(server.pid) - before
    calls = max(int(result["requests"]), 1)
    return {"cpu_us": spent / calls * 1e6, "rps": float(result["rps"]), "errors": result["errors"]}


def run(profile: Profile, workdir: Path, loadgen: LoadGenerator) -> PartResult:
    """Measures every rung, interleaved, round after round."""
    part = PartResult("costs", TITLE)
    names = [rung for rung, _ in RUNGS]
    runs: dict[str, list[dict[str, float]]] = {rung: [] for rung in names}
    response_file = workdir / "ladder_response.bin"
    with ExitStack() as stack:
        servers: dict[str, ServerProcess] = {}
        for rung in ("reference", "reference-quiet"):
            servers[rung] = stack.enter_context(serve(rung, _command(rung, response_file), workdir))
            response_file.write_bytes(create_target(servers[rung].address))
        for rung in names[:5]:
            servers[rung] = stack.enter_context(serve(rung, _command(rung, response_file), workdir))
        for round_index in range(profile.ladder_rounds):
            for rung in alternate(round_index, tuple(names)):
                measured = _measure(servers[rung], profile, loadgen)
                runs[rung].append(measured)
                progress(
                    f"  [costs] round {round_index + 1} {rung}: "
                    f"{measured['cpu_us']:.0f} us CPU per call, {measured['rps']:.0f} rps"
                )

    cost = {rung: median([r["cpu_us"] for r in runs[rung]]) for rung in names}
    extra = cost["reference"] - cost["bare"]
    table = Table(
        f"CPU time of the server process per call at concurrency {CONCURRENCY} (medians over "
        "rounds); each rung adds one thing to the rung above it",
        ["rung", "adds", "CPU us per call", "added us", "share of the reference's extra", "rps"],
    )
    previous = cost["bare"]
    for rung, adds in RUNGS:
        added = cost[rung] - previous
        share = "" if rung == "bare" or extra <= 0 else fmt(100 * added / extra, 0) + " %"
        table.rows.append(
            [
                rung,
                adds,
                fmt(cost[rung], 0),
                "" if rung == "bare" else f"{added:+.0f}",
                share,
                fmt(median([r["rps"] for r in runs[rung]]), 0),
            ]
        )
        previous = cost[rung]
    part.tables.append(table)
    for rung in ("stored", "reference-quiet", "reference"):
        part.ratios.append(Ratio(f"CPU per call: bare/{rung}", cost["bare"] / cost[rung]))
    in_process = _call_path(profile, workdir)
    part.tables.append(_call_path_table(in_process))
    part.data = {
        "concurrency": CONCURRENCY,
        "cpu_us_per_call": cost,
        "runs": runs,
        "in_process_us_per_call": in_process,
    }
    errors = sum(int(r["errors"]) for rung in names for r in runs[rung])
    part.notes += [
        f"{profile.ladder_rounds} interleaved round(s) of {profile.ladder_seconds:g} s per rung "
        f"after {profile.ladder_warmup:g} s of load; CPU time from /proc/PID/stat.",
        f"In process: bench/call_path.py, {profile.ladder_rounds} alternating round(s) of "
        f"{profile.call_path_calls:,} calls per path, CPU time from time.process_time.",
    ]
    if errors:
        part.notes.append(f"**{errors} call(s) failed** (see latest.json)")
    return part
