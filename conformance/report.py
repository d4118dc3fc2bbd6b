"""The matrix of areas by client the runner prints, and the failure details."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.verdicts import FAIL, PASS, SKIP, Verdict


def matrix(verdicts: Sequence[Verdict], clients: Sequence[str]) -> str:
    """A table: one row per area, one column per client, "passed/run" in each cell.

    A cell adds "F" for failures and "S" for skips: ``28/30 2F`` or ``12/12 3S``.
    """
    areas = sorted({v.area for v in verdicts})
    rows = [["area", *clients]]
    for area in [*areas, "total"]:
        row = [area]
        for client in clients:
            mine = [
                v for v in verdicts if v.client == client and (area == "total" or v.area == area)
            ]
            row.append(_cell(mine))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, lines[1])
    return "\n".join(line.rstrip() for line in lines)


def _cell(verdicts: Sequence[Verdict]) -> str:
    if not verdicts:
        return "-"
    passed = sum(v.outcome == PASS for v in verdicts)
    failed = sum(v.outcome == FAIL for v in verdicts)
    skipped = sum(v.outcome == SKIP for v in verdicts)
    cell = f"{passed}/{passed + failed}"
    if failed:
        cell += f" {failed}F"
    if skipped:
        cell += f" {skipped}S"
    return cell


def details(verdict: Verdict, limit: int = 8) -> str:
    """The problems of one verdict, indented, at most ``limit`` of them."""
    lines = [f"{verdict.client}  {verdict.case}: {verdict.outcome.upper()}"]
    lines += [f"    {p}" for p in verdict.problems[:limit]]
    if len(verdict.problems) > limit:
        lines.append(f"    ... and {len(verdict.problems) - limit} more")
    return "\n".join(lines)
