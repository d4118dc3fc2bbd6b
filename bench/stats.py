"""Small statistics shared by the parts: medians, ratios and the order of runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The median; NaN for no values."""
    return statistics.median(values) if values else math.nan


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when either is missing or the denominator is 0."""
    if math.isnan(numerator) or math.isnan(denominator) or denominator == 0:
        return math.nan
    return numerator / denominator


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of the per-round ratios ``numerators[i] / denominators[i]``.

    Both sides of a round are measured back to back, so a slow spell of a
    shared machine hits both and cancels out of that round's ratio.
    """
    ratios = [ratio(a, b) for a, b in zip(numerators, denominators, strict=True)]
    return median([r for r in ratios if not math.isnan(r)])


def alternate(round_index: int, items: Sequence[str]) -> list[str]:
    """``items`` rotated by the round index, so that no item is always measured first."""
    shift = round_index % len(items)
    return [*items[shift:], *items[:shift]]
