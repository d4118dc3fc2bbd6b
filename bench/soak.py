"""``python -m bench soak``: a million seeded requests over every RPC, on each store.

Not part of CI (it may run up to an hour on two cores). For each store it
starts a real ``openvcluster-server serve`` process, drives it from worker
processes with requests drawn from the proto descriptors (soak_requests.py),
and reports the answers by status code (per RPC too), the slowest requests
and the server's memory over the run. The bar: no UNKNOWN or INTERNAL
answer, and memory that stops growing once the stores have filled. Writes
bench/results/soak.json and soak.md; the exit code is 1 when an UNKNOWN or
INTERNAL answer was seen.
"""

from __future__ import annotations

import argparse
import heapq
import json
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from bench.report import ROOT, load_average, machine
from bench.soak_requests import RequestMaker, methods
from openvcluster_server.testing import ServerProcess

RESULTS_DIR = ROOT / "bench" / "results"
# Calls in flight per worker process, and how long a watch is read.
THREADS = 8
WATCH_SECONDS = 0.05
CALL_TIMEOUT = 30.0
SLOWEST = 10
# The server's memory is sampled this often.
SAMPLE_SECONDS = 2.0
NEVER = ("UNKNOWN", "INTERNAL")


@dataclass
class Tally:
    """What one worker saw: answers by code, per RPC, and its slowest calls."""

    codes: Counter[str] = field(default_factory=Counter)
    by_rpc: dict[str, Counter[str]] = field(default_factory=dict)
    slowest: list[tuple[float, str, str, str]] = field(default_factory=list)
    # Examples of answers that must never happen: (rpc, code, details).
    bad: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, rpc: str, code: str, seconds: float, details: str, request: str) -> None:
        """Counts one answer."""
        self.codes[code] += 1
        self.by_rpc.setdefault(rpc, Counter())[code] += 1
        entry = (seconds, rpc, code, request[:160])
        if code.startswith("OK (watch"):
            pass  # a watch lasts until the client's deadline, by design
        elif len(self.slowest) < SLOWEST:
            heapq.heappush(self.slowest, entry)
        else:
            heapq.heappushpop(self.slowest, entry)
        if code in NEVER and len(self.bad) < 20:
            self.bad.append((rpc, code, details[:300]))

    def merge(self, other: Tally) -> None:
        """Adds another worker's tally to this one."""
        self.codes.update(other.codes)
        for rpc, codes in other.by_rpc.items():
            self.by_rpc.setdefault(rpc, Counter()).update(codes)
        for entry in other.slowest:
            if len(self.slowest) < SLOWEST:
                heapq.heappush(self.slowest, entry)
            else:
                heapq.heappushpop(self.slowest, entry)
        self.bad.extend(other.bad[: 20 - len(self.bad)])


# Requests answered so far, shared with the worker processes (see _share).
_done: Any = None


def _share(done: Any) -> None:
    """Pool initializer: a shared counter reaches a worker only at its start."""
    global _done
    _done = done


def _worker(address: str, seed: int, count: int) -> Tally:
    """Sends ``count`` requests from THREADS threads, counting them in ``_done``."""
    tally = Tally()
    lock = threading.Lock()
    all_methods = methods()

    def run(thread: int, share: int) -> None:
        rng = random.Random(seed * 1000 + thread)
        maker = RequestMaker(rng)
        with grpc.insecure_channel(
            address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
        ) as channel:
            for _ in range(share):
                path, method = rng.choice(all_methods)
                request = maker.request(method)
                started = time.perf_counter()
                code, details = _call(channel, path, method.server_streaming, request)
                seconds = time.perf_counter() - started
                with lock:
                    tally.add(method.name, code, seconds, details, str(request).replace("\n", " "))
                with _done.get_lock():
                    _done.value += 1

    shares = [count // THREADS + (1 if i < count % THREADS else 0) for i in range(THREADS)]
    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(shares)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def _call(channel: grpc.Channel, path: str, streaming: bool, request: Any) -> tuple[str, str]:
    """One call as raw bytes; (status code name, details). A watch is read briefly."""
    payload = request.SerializeToString()
    try:
        if streaming:
            stream: Iterator[bytes] = channel.unary_stream(path)(payload, timeout=WATCH_SECONDS)
            try:
                for _ in stream:
                    pass
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    return "OK (watch read until the client's deadline)", ""
                raise
        else:
            channel.unary_unary(path)(payload, timeout=CALL_TIMEOUT)
    except grpc.RpcError as error:
        assert isinstance(error, grpc.Call)
        return error.code().name, error.details() or ""
    return "OK", ""


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def soak_store(store: str, requests: int, workers: int, seed: int) -> dict[str, Any]:
    """One store's soak: the tally, the memory samples and the rate."""
    with tempfile.TemporaryDirectory(prefix="ovc-soak-") as scratch:
        command = [sys.executable, "-m", "openvcluster_server", "serve"]
        command += ["--address", "127.0.0.1:0", "--http-address", "127.0.0.1:0"]
        command += ["--transition-delay", "0.05", "--store", store]
        if store == "sqlite":
            command += ["--data-dir", scratch]
        with ServerProcess(command) as server:
            done = multiprocessing.Value("q", 0)
            samples: list[tuple[float, int, float]] = []
            started = time.perf_counter()
            stop = threading.Event()

            def sample() -> None:
                while not stop.wait(SAMPLE_SECONDS):
                    now = time.perf_counter() - started
                    samples.append((round(now, 1), done.value, _rss_mb(server.process.pid)))
                    print(
                        f"  {store}: {done.value:>9,} requests, {samples[-1][2]:.0f} MB",
                        file=sys.stderr,
                        flush=True,
                    )

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            shares = [
                requests // workers + (1 if i < requests % workers else 0) for i in range(workers)
            ]
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_share, initargs=(done,)) as pool:
                tallies = pool.starmap(
                    _worker, [(server.address, seed + i, s) for i, s in enumerate(shares)]
                )
            seconds = time.perf_counter() - started
            stop.set()
            sampler.join()
            samples.append((round(seconds, 1), done.value, _rss_mb(server.process.pid)))
            log_tail = server.log_tail()
    tally = Tally()
    for part in tallies:
        tally.merge(part)
    return {
        "store": store,
        "requests": sum(tally.codes.values()),
        "seconds": round(seconds, 1),
        "requests_per_second": round(sum(tally.codes.values()) / seconds),
        "codes": dict(tally.codes.most_common()),
        "by_rpc": {rpc: dict(codes.most_common()) for rpc, codes in sorted(tally.by_rpc.items())},
        "slowest": [
            {"seconds": round(s, 3), "rpc": rpc, "code": code, "request": request}
            for s, rpc, code, request in sorted(tally.slowest, reverse=True)
        ],
        "never_codes": tally.bad,
        "rss_mb": samples,
        "server_log_tail": log_tail.splitlines()[-5:],
    }


def _memory_summary(samples: list[tuple[float, int, float]]) -> str:
    """RSS at a tenth, half and the end of the run, and the peak."""
    if not samples:
        return "no samples"
    total = samples[-1][1] or 1

    def at(fraction: float) -> float:
        return next((rss for _, n, rss in samples if n >= fraction * total), samples[-1][2])

    peak = max(rss for *_, rss in samples)
    return (
        f"{at(0.1):.0f} MB at 10% of the requests, {at(0.5):.0f} MB at 50%, "
        f"{samples[-1][2]:.0f} MB at the end (peak {peak:.0f} MB)"
    )


def markdown(meta: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    """The soak's report."""
    lines = [
        "# Soak",
        "",
        f"{meta['date']}, commit {str(meta['git_commit'])[:12]}"
        f"{' (dirty)' if meta['git_dirty'] else ''}, {meta['cpu_count']} CPUs, "
        f"load average at the start {meta['load_average']} and at the end "
        f"{meta['load_average_end']}.",
        "",
    ]
    for run in runs:
        never = sum(run["codes"].get(code, 0) for code in NEVER)
        lines += [
            f"## {run['store']} store",
            "",
            f"{run['requests']:,} requests in {run['seconds']:.0f} s "
            f"({run['requests_per_second']:,}/s); UNKNOWN or INTERNAL: {never}.",
            "",
            f"Server memory (RSS): {_memory_summary(run['rss_mb'])}.",
            "",
            "| code | answers |",
            "|---|---:|",
            *(f"| {code} | {count:,} |" for code, count in run["codes"].items()),
            "",
            "| slowest | rpc | code |",
            "|---:|---|---|",
            *(f"| {s['seconds']:.3f} s | {s['rpc']} | {s['code']} |" for s in run["slowest"]),
            "",
        ]
    return lines


def main(argv: Sequence[str]) -> int:
    """Runs the soak; 1 when an UNKNOWN or INTERNAL answer was seen."""
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__)
    parser.add_argument("--requests", type=int, default=1_000_000, help="per store")
    parser.add_argument("--store", choices=("memory", "sqlite", "both"), default="both")
    parser.add_argument("--workers", type=int, default=3, help="client processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    stores = ("memory", "sqlite") if args.store == "both" else (args.store,)
    meta = machine()
    runs = [soak_store(store, args.requests, args.workers, args.seed) for store in stores]
    meta["load_average_end"] = load_average()
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "soak.json").write_text(
        json.dumps({"machine": meta, "runs": runs}, indent=2) + "\n"
    )
    report = "\n".join(markdown(meta, runs)) + "\n"
    (args.results_dir / "soak.md").write_text(report)
    print(report)
    return 1 if any(run["never_codes"] for run in runs) else 0
