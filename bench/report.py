"""What a part returns, and the two files a run writes: latest.json and latest.md."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """A goal for a ratio: ``value >= limit`` (``at_least``) or ``value <= limit``."""

    limit: float
    at_least: bool

    def describe(self) -> str:
        """The goal as the table shows it, such as ``≥ 0.80``."""
        return f"{'≥' if self.at_least else '≤'} {self.limit:.2f}"

    def met(self, value: float) -> bool | None:
        """Whether ``value`` meets the goal; None when there is no value."""
        if math.isnan(value):
            return None
        return value >= self.limit if self.at_least else value <= self.limit


@dataclass(frozen=True)
class Ratio:
    """One ratio a part measured, with the project's target for it if there is one."""

    name: str
    value: float
    target: Target | None = None
    note: str = ""

    def verdict(self) -> str:
        """``met``, ``missed``, ``n/a`` (no value) or ``""`` (no target)."""
        if self.target is None:
            return ""
        met = self.target.met(self.value)
        return "n/a" if met is None else "met" if met else "missed"

    def as_json(self) -> dict[str, Any]:
        """The ratio for latest.json."""
        return {
            "name": self.name,
            "value": json_number(self.value),
            "target": None if self.target is None else self.target.describe(),
            "verdict": self.verdict() or None,
            "note": self.note or None,
        }


@dataclass
class Table:
    """A Markdown table of a part's numbers."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def markdown(self) -> list[str]:
        """The table's lines."""
        lines = [f"**{self.title}**", ""] if self.title else []
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(" --- " for _ in self.columns) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return [*lines, ""]


@dataclass
class PartResult:
    """Everything one part measured: raw data, ratios, tables and notes."""

    key: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    ratios: list[Ratio] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


def progress(line: str) -> None:
    """A progress line on stderr (stdout gets the final table)."""
    print(line, file=sys.stderr, flush=True)


def json_number(value: float) -> float | None:
    """A float for JSON: NaN becomes null."""
    return None if math.isnan(value) else value


def fmt(value: float, digits: int = 2) -> str:
    """A number for the tables; ``-`` for NaN."""
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def machine() -> dict[str, Any]:
    """Where and when the run happened: host, CPUs, Python, git commit, date, load."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "load_average": load_average(),
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (empty where unknown)."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def _loads(loads: list[float]) -> str:
    """Load averages as the header shows them."""
    return " ".join(f"{x:.2f}" for x in loads) or "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def write_results(
    directory: Path, meta: dict[str, Any], settings: dict[str, Any], parts: list[PartResult]
) -> tuple[Path, Path]:
    """Writes latest.json and latest.md into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "latest.json", directory / "latest.md"
    document = {
        "meta": meta,
        "settings": settings,
        "targets": [r.as_json() for p in parts for r in p.ratios if r.target is not None],
        "parts": {
            p.key: {
                "title": p.title,
                "seconds": round(p.seconds, 1),
                "error": p.error,
                "ratios": [r.as_json() for r in p.ratios],
                "notes": p.notes,
                "data": p.data,
            }
            for p in parts
        },
    }
    json_path.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    md_path.write_text("\n".join(markdown(meta, settings, parts)))
    return json_path, md_path


def markdown(meta: dict[str, Any], settings: dict[str, Any], parts: list[PartResult]) -> list[str]:
    """latest.md: the targets first, then each part's tables."""
    commit = (meta["git_commit"] or "unknown")[:12] + (" (dirty)" if meta["git_dirty"] else "")
    start, end = (_loads(meta.get(key, [])) for key in ("load_average", "load_average_end"))
    lines = [
        "# Benchmark results",
        "",
        f"{meta['date']} · commit {commit} · {meta['cpu_count']} CPU(s) ({meta['cpu_model']}) · "
        f"Python {meta['python']} · profile `{settings['profile']}` · "
        f"load average at the start {start}, at the end {end}",
        "",
        "Ratios are measured side by side in one run (see bench/README.md); absolute "
        "numbers depend on the machine and its load.",
        "",
        "## Targets",
        "",
    ]
    targets = Table("", ["ratio", "value", "target", "verdict"])
    for part in parts:
        for r in part.ratios:
            if r.target is not None:
                name = f"{r.name} ({r.note})" if r.note else r.name
                targets.rows.append([name, fmt(r.value), r.target.describe(), r.verdict()])
    lines += targets.markdown() if targets.rows else ["No part with a target ran.", ""]
    for part in parts:
        lines += [f"## {part.title}", ""]
        if part.error:
            lines += [f"**Failed:** `{part.error}`", ""]
        for table in part.tables:
            lines += table.markdown()
        others = [r for r in part.ratios if r.target is None]
        if others:
            table = Table("Other ratios", ["ratio", "value"])
            table.rows = [[r.name, fmt(r.value)] for r in others]
            lines += table.markdown()
        lines += [f"- {note}" for note in part.notes]
        lines += [f"- took {part.seconds:.0f} s", ""]
    return lines
