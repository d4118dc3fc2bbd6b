"""The command line: ``python -m bench [--quick] [--only PART,...]``."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from bench import (
    cost_ladder,
    http_port,
    kube,
    scale,
    sdk_overhead,
    soak,
    throughput,
    tooling,
    watch_fanout,
)
from bench.loadgen import LoadGenerator
from bench.profiles import FULL, QUICK, Profile
from bench.report import ROOT, PartResult, load_average, machine, markdown, write_results

PARTS = ("throughput", "sdk", "scale", "watch", "tooling", "http", "costs", "kube")
# Parts --quick leaves out unless --only names them: kube starts a Kubernetes
# test environment and creates a hundred vclusters, far beyond a CI budget.
NOT_QUICK = ("kube",)
RESULTS_DIR = ROOT / "bench" / "results"


class Run:
    """What the parts share during one run: the profile, a scratch directory and
    the load generator (built on first use)."""

    def __init__(self, profile: Profile, workdir: Path) -> None:
        self.profile = profile
        self.workdir = workdir
        self._loadgen: LoadGenerator | None = None

    @property
    def loadgen(self) -> LoadGenerator:
        """The Go load generator, compiled into the scratch directory."""
        if self._loadgen is None:
            self._loadgen = LoadGenerator.build(self.workdir)
        return self._loadgen

    def part(self, key: str) -> PartResult:
        """Runs one part; a failure becomes the part's error instead of ending the run."""
        steps: dict[str, Callable[[], PartResult]] = {
            "throughput": lambda: throughput.run(self.profile, self.workdir, self.loadgen),
            "sdk": lambda: sdk_overhead.run(self.profile, self.workdir),
            "scale": lambda: scale.run(self.profile),
            "watch": lambda: watch_fanout.run(self.profile, self.workdir, self.loadgen),
            "tooling": lambda: tooling.run(self.profile, self.workdir),
            "http": lambda: http_port.run(self.profile, self.workdir, self.loadgen),
            "costs": lambda: cost_ladder.run(self.profile, self.workdir, self.loadgen),
            "kube": lambda: kube.run(self.profile, self.workdir),
        }
        titles = {
            "throughput": throughput.TITLE,
            "sdk": sdk_overhead.TITLE,
            "scale": scale.TITLE,
            "watch": watch_fanout.TITLE,
            "tooling": tooling.TITLE,
            "http": http_port.TITLE,
            "costs": cost_ladder.TITLE,
            "kube": kube.TITLE,
        }
        print(f"[{key}] {titles[key]}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            result = steps[key]()
        except Exception as exc:
            traceback.print_exc()
            result = PartResult(key, titles[key], error=f"{type(exc).__name__}: {exc}")
        result.seconds = time.perf_counter() - started
        print(f"[{key}] done in {result.seconds:.0f} s", file=sys.stderr, flush=True)
        return result


def parse_parts(text: str) -> list[str]:
    """The comma-separated part names of --only, in the canonical order."""
    wanted = {p.strip() for p in text.split(",") if p.strip()}
    unknown = wanted - set(PARTS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {', '.join(sorted(unknown))}; the parts are {', '.join(PARTS)}"
        )
    return [p for p in PARTS if p in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the selected parts and writes the results; 1 when a part failed.

    ``python -m bench soak ...`` runs the soak instead (soak.py).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["soak"]:
        return soak.main(arguments[1:])
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the open-vcluster-api benchmarks and write "
        "bench/results/latest.json and latest.md (see bench/README.md).",
    )
    parser.add_argument("--quick", action="store_true", help="a small, fast configuration (for CI)")
    parser.add_argument(
        "--only",
        type=parse_parts,
        default=None,
        metavar="PART,...",
        help=f"run only these parts: {', '.join(PARTS)} (--quick leaves out "
        f"{', '.join(NOT_QUICK)} unless named here)",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help="where latest.json/md go"
    )
    args = parser.parse_args(arguments)
    # Stopped with SIGTERM, the run still stops the servers it started: the
    # exit unwinds through their context managers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    profile = QUICK if args.quick else FULL
    chosen: list[str] = (
        args.only
        if args.only is not None
        else [p for p in PARTS if not (args.quick and p in NOT_QUICK)]
    )
    meta = machine()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ovc-bench-") as scratch:
        run = Run(profile, Path(scratch))
        parts = [run.part(key) for key in chosen]
    meta["seconds"] = round(time.perf_counter() - started, 1)
    meta["load_average_end"] = load_average()
    settings = {"profile": profile.name, "parts": chosen, **asdict(profile)}
    json_path, md_path = write_results(args.results_dir, meta, settings, parts)
    print("\n".join(markdown(meta, settings, parts)))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    return 1 if any(p.error for p in parts) else 0
