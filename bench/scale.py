"""Part 3: ListVClusters page time and memory with 1,000 to 100,000 vclusters stored.

For each store, one fresh worker process per size (bench/scale_worker.py)
seeds its store and reports the memory that took; then the workers time the
first page and a page in the middle of the listing in turn, size after size,
round after round, so that every size sees the same machine conditions.
Times are in process (engine and store, no gRPC), page size 50.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import IO, Any

from bench.profiles import Profile
from bench.report import ROOT, PartResult, Ratio, Table, Target, fmt, progress
from bench.servers import clean_env
from bench.stats import alternate, median, paired_ratio

TITLE = "3. Scale (ListVClusters page time and memory by stored vclusters)"
STORES = ("memory", "sqlite")
PAGES = ("first", "deep")
TARGET = Target(1.50, at_least=False)
TARGET_SIZE = 100_000


class Worker:
    """A running bench.scale_worker process."""

    def __init__(self, store: str, size: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.scale_worker", "--store", store, "--size", str(size)],
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def read(self) -> dict[str, Any]:
        """The worker's next JSON line."""
        line = self._pipes()[1].readline()
        if not line:
            raise RuntimeError(f"scale worker exited with code {self.process.wait()}")
        message: dict[str, Any] = json.loads(line)
        return message

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        """Sends a command and returns the answer."""
        stdin = self._pipes()[0]
        stdin.write(json.dumps(command) + "\n")
        stdin.flush()
        return self.read()

    def stop(self) -> None:
        """Asks the worker to quit and waits for it."""
        try:
            self._pipes()[0].write('{"quit": true}\n')
            self._pipes()[0].close()
            self.process.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def run(profile: Profile) -> PartResult:
    """Both stores at every size of the profile."""
    part = PartResult("scale", TITLE)
    sizes = profile.scale_sizes
    base, largest = sizes[0], sizes[-1]
    data: dict[str, Any] = {"page_size": 50, "sizes": list(sizes), "stores": {}}
    for store in STORES:
        ready, times = _measure_store(store, profile)
        table = Table(
            f"{store} store: median page time (ms) and memory",
            [
                "vclusters",
                "first page ms",
                f"vs {base:,}",
                "deep page ms",
                f"vs {base:,}",
                "RSS bytes / vcluster",
                "disk bytes / vcluster",
                "seed s",
            ],
        )
        per_size: dict[str, Any] = {}
        for size in sizes:
            medians = {p: median(times[size][p]) for p in PAGES}
            relative = {p: paired_ratio(times[size][p], times[base][p]) for p in PAGES}
            info = ready[size]
            rss = (info["rss_bytes_after"] - info["rss_bytes_before"]) / size
            disk = info["disk_bytes"] / size
            table.rows.append(
                [
                    f"{size:,}",
                    fmt(medians["first"] * 1e3, 3),
                    fmt(relative["first"]),
                    fmt(medians["deep"] * 1e3, 3),
                    fmt(relative["deep"]),
                    fmt(rss, 0),
                    fmt(disk, 0) if store == "sqlite" else "-",
                    fmt(info["seed_seconds"], 1),
                ]
            )
            for p in PAGES:
                if size == base:
                    continue
                goal = size == largest
                note = "" if size == TARGET_SIZE or not goal else "the target is for 100,000"
                part.ratios.append(
                    Ratio(
                        f"scale {store} {p} page: time at {size:,} / at {base:,}",
                        relative[p],
                        TARGET if goal else None,
                        note,
                    )
                )
            per_size[str(size)] = {
                "median_first_s": medians["first"],
                "median_deep_s": medians["deep"],
                "rss_bytes_per_vcluster": rss,
                "disk_bytes_per_vcluster": disk,
                "round_medians_s": times[size],
                **info,
            }
        part.tables.append(table)
        data["stores"][store] = per_size
    part.data = data
    part.notes += [
        "Deep page: the page in the middle of the listing (page size times its index is half the "
        "vclusters). Every namespace, label selector app=bench (matches all).",
        f"{profile.scale_rounds} interleaved round(s) of {profile.scale_pages} pages per size "
        "and page: times are medians of the rounds' medians, ratios the median of the rounds' "
        "ratios.",
        "Memory: resident set growth of the fresh worker process while seeding, per vcluster, "
        "after gc and malloc_trim (for SQLite it is mostly its page cache, capped at 64 MiB; "
        "disk bytes are the database files).",
    ]
    return part


def _measure_store(
    store: str, profile: Profile
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, list[float]]]]:
    workers = {size: Worker(store, size) for size in profile.scale_sizes}
    try:
        ready = {size: worker.read() for size, worker in workers.items()}
        progress(f"  [scale] {store}: seeded {', '.join(map(str, workers))}")
        times: dict[int, dict[str, list[float]]] = {
            size: {p: [] for p in PAGES} for size in workers
        }
        sizes = [str(size) for size in workers]
        for round_index in range(profile.scale_rounds):
            for size_text in alternate(round_index, sizes):
                size = int(size_text)
                for p in PAGES:
                    answer = workers[size].ask({"page": p, "count": profile.scale_pages})
                    times[size][p].append(answer["median_s"])
    finally:
        for worker in workers.values():
            worker.stop()
    return ready, times
