"""Part 2: what an SDK's client costs over its raw generated stub, per language.

Each SDK has a driver: a small program that calls GetVCluster sequentially
through the SDK's client and through the raw generated stub against the same
reference server, alternating the two in rounds, and prints the seconds per
call of every round as JSON. This part starts the server, runs every driver
in DRIVERS and reports median(SDK) / median(raw). To add a language, write its
driver and add one entry to DRIVERS (see bench/README.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.profiles import Profile
from bench.report import ROOT, PartResult, Ratio, Table, Target, fmt, progress
from bench.servers import (
    TARGET_NAME,
    TARGET_NAMESPACE,
    clean_env,
    create_target,
    reference_command,
    serve,
)
from bench.stats import median, paired_ratio

TITLE = "2. SDK overhead (sequential GetVCluster, SDK client vs raw stub)"
TARGET = Target(1.10, at_least=False)


@dataclass(frozen=True)
class Driver:
    """How to build and start one SDK's driver.

    In ``command`` and ``build``, ``{python}`` is this interpreter, ``{root}``
    the repository and ``{bin}`` a scratch directory for build output. A
    driver whose ``requires`` programs are missing is reported as skipped.
    """

    name: str
    language: str
    command: tuple[str, ...]
    build: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


DRIVERS: tuple[Driver, ...] = (
    Driver(
        "python-sync",
        "Python",
        ("{python}", "-m", "bench.sdk_drivers.python", "--flavour", "sync"),
    ),
    Driver(
        "python-async",
        "Python",
        ("{python}", "-m", "bench.sdk_drivers.python", "--flavour", "async"),
    ),
    Driver(
        "typescript",
        "TypeScript",
        ("node", "bench/sdk_drivers/typescript.mjs"),
        build=("bash", "-c", "cd sdk/typescript && npm run build"),
        requires=("node", "npm"),
    ),
    Driver(
        "go",
        "Go",
        ("{bin}/sdkdriver",),
        build=("go", "build", "-C", "bench/sdk_drivers/go", "-o", "{bin}/sdkdriver", "."),
        requires=("go",),
    ),
)


def run(profile: Profile, workdir: Path) -> PartResult:
    """Runs every driver against one reference server."""
    part = PartResult("sdk", TITLE)
    table = Table(
        "Microseconds per call (medians over rounds; the ratio is the median of the rounds' "
        "ratios)",
        ["driver", "language", "SDK µs", "raw stub µs", "SDK/raw"],
    )
    results: dict[str, Any] = {}
    with serve("reference-sdk", reference_command(), workdir) as server:
        create_target(server.address)
        for driver in DRIVERS:
            missing = [p for p in driver.requires if shutil.which(p) is None]
            if missing:
                part.notes.append(f"{driver.name} skipped: {', '.join(missing)} not found")
                continue
            samples = _run_driver(driver, profile, server.address, workdir)
            sdk, raw = median(samples["sdk"]), median(samples["raw"])
            overhead = paired_ratio(samples["sdk"], samples["raw"])
            part.ratios.append(Ratio(f"SDK overhead {driver.name}: SDK/raw", overhead, TARGET))
            table.rows.append(
                [driver.name, driver.language, fmt(sdk * 1e6, 1), fmt(raw * 1e6, 1), fmt(overhead)]
            )
            results[driver.name] = {"median_sdk_s": sdk, "median_raw_s": raw, **samples}
            progress(f"  [sdk] {driver.name}: SDK/raw {overhead:.3f}")
    part.tables.append(table)
    part.data = {
        "calls_per_round": profile.sdk_calls,
        "rounds": profile.sdk_rounds,
        "warmup_calls": profile.sdk_warmup_calls,
        "drivers": results,
    }
    part.notes.append(
        f"{profile.sdk_rounds} alternating rounds of {profile.sdk_calls} calls per mode after "
        f"{profile.sdk_warmup_calls} warm-up calls each, one driver process per SDK flavour; "
        "the reference server is a separate process."
    )
    return part


def _run_driver(
    driver: Driver, profile: Profile, address: str, workdir: Path
) -> dict[str, list[float]]:
    scratch = workdir / f"driver-{driver.name}"
    scratch.mkdir(exist_ok=True)

    def expand(args: tuple[str, ...]) -> list[str]:
        values = {"python": sys.executable, "root": str(ROOT), "bin": str(scratch)}
        return [a.format(**values) for a in args]

    if driver.build:
        built = subprocess.run(
            expand(driver.build), cwd=ROOT, capture_output=True, text=True, env=clean_env()
        )
        if built.returncode != 0:
            raise RuntimeError(f"building driver {driver.name} failed: {built.stderr.strip()}")
    command = [
        *expand(driver.command),
        f"--address={address}",
        f"--namespace={TARGET_NAMESPACE}",
        f"--name={TARGET_NAME}",
        f"--calls={profile.sdk_calls}",
        f"--rounds={profile.sdk_rounds}",
        f"--warmup={profile.sdk_warmup_calls}",
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=clean_env(), timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"driver {driver.name} failed: {done.stderr.strip()[-2000:]}")
    output: dict[str, list[float]] = json.loads(done.stdout)
    return {"sdk": [float(x) for x in output["sdk"]], "raw": [float(x) for x in output["raw"]]}
