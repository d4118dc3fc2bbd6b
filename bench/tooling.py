"""Part 5: wall time of a full scripts/generate and of the conformance suite per
client, and the size of the portal a browser downloads.

scripts/generate runs in a scratch copy of the working tree (tracked and
untracked files, with the installed tools linked in), so timing it never
rewrites the files of the tree the benchmarks run from. The conformance
suite runs once per client of conformance/clients.yaml, each against its own
reference servers (``python -m conformance --client NAME``).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench.profiles import Profile
from bench.report import ROOT, PartResult, Table, fmt, progress
from bench.servers import clean_env
from bench.stats import median

TITLE = "5. Tooling"
_CASES = re.compile(r"^(\S+): (\d+) case\(s\) in ([\d.]+) s$", re.MULTILINE)
# What scripts/generate needs beyond the Python plugins (scripts/bootstrap installs them).
_LINKED = (Path(".tools"), Path("sdk/typescript/node_modules"), Path("portal/node_modules"))
# The built portal, as the server serves it.
_PORTAL = ROOT / "server" / "src" / "openvcluster_server" / "http" / "generated" / "portal"


def run(profile: Profile, workdir: Path) -> PartResult:
    """Times scripts/generate and the conformance suite of every client."""
    part = PartResult("tooling", TITLE)
    table = Table("Wall time", ["task", "wall s", "detail"])
    part.data["generate"] = _time_generate(profile, workdir, table, part.notes)
    part.data["conformance"] = _time_conformance(profile, table)
    part.tables.append(table)
    part.data["portal"] = _portal_size(part)
    if profile.conformance_run:
        part.notes.append(f"Conformance cases limited to --run '{profile.conformance_run}'.")
    return part


def _portal_size(part: PartResult) -> dict[str, int]:
    """The portal's files, raw and gzipped (level 9, as a server would send them)."""
    table = Table(
        "Portal download (the built files the server serves at /)", ["file", "bytes", "gzipped"]
    )
    sizes: dict[str, int] = {}
    for path in sorted(_PORTAL.iterdir()):
        data = path.read_bytes()
        zipped = len(gzip.compress(data, 9))
        sizes[path.name] = zipped
        table.rows.append([path.name, f"{len(data):,}", f"{zipped:,}"])
    table.rows.append(["total", "", f"{sum(sizes.values()):,}"])
    part.tables.append(table)
    return sizes


def _plugin_dir() -> Path | None:
    """A directory holding the pinned Python code generators (the venv or tox env)."""
    candidates = [Path(sys.executable).parent, ROOT / ".tox" / "generate" / "bin"]
    found = shutil.which("protoc-gen-mypy")
    if found:
        candidates.insert(0, Path(found).parent)
    return next((d for d in candidates if (d / "protoc-gen-mypy").exists()), None)


def _time_generate(
    profile: Profile, workdir: Path, table: Table, notes: list[str]
) -> dict[str, Any]:
    plugins = _plugin_dir()
    missing = [str(p) for p in _LINKED if not (ROOT / p).exists()]
    if plugins is None or missing:
        what = ", ".join(missing + ([] if plugins else ["protoc-gen-mypy"]))
        notes.append(f"scripts/generate skipped: {what} missing (run scripts/bootstrap)")
        return {"skipped": what}
    tree = workdir / "tree"
    _copy_tree(tree)
    env = clean_env()
    env["PATH"] = os.pathsep.join([str(plugins), env.get("PATH", "")])
    seconds = []
    for _ in range(profile.generate_runs):
        started = time.perf_counter()
        done = subprocess.run(
            ["bash", "scripts/generate"], cwd=tree, env=env, capture_output=True, text=True
        )
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/generate failed: {done.stderr.strip()[-2000:]}")
    table.rows.append(
        ["scripts/generate", fmt(median(seconds), 1), f"median of {len(seconds)} run(s)"]
    )
    progress(f"  [tooling] scripts/generate: {median(seconds):.1f} s")
    return {"median_s": median(seconds), "runs_s": seconds}


def _copy_tree(tree: Path) -> None:
    """Copies the working tree's tracked and untracked (not ignored) files into ``tree``."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    for link in _LINKED:
        (tree / link).parent.mkdir(parents=True, exist_ok=True)
        (tree / link).symlink_to(ROOT / link)


def _client_names() -> list[str]:
    clients = yaml.safe_load((ROOT / "conformance" / "clients.yaml").read_text())["clients"]
    return list(clients)


def _time_conformance(profile: Profile, table: Table) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in _client_names():
        command = [sys.executable, "-m", "conformance", "--client", name]
        if profile.conformance_run:
            command += ["--run", profile.conformance_run]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True)
        wall = time.perf_counter() - started
        found = _CASES.search(done.stdout)
        cases, client_seconds = (int(found[2]), float(found[3])) if found else (0, float("nan"))
        detail = f"{cases} case(s); the client took {fmt(client_seconds, 1)} s"
        if done.returncode != 0:
            detail += f"; **exit code {done.returncode}** (unexpected results)"
        table.rows.append([f"conformance {name}", fmt(wall, 1), detail])
        results[name] = {
            "wall_s": wall,
            "cases": cases,
            "client_s": client_seconds if found else None,
            "exit_code": done.returncode,
        }
        progress(f"  [tooling] conformance {name}: {wall:.1f} s")
    return results
