"""How hard the suites look: one scale factor and reproducible seeds.

``RELIABILITY_SCALE`` (default 1) multiplies hypothesis example counts, the
operations of the race and the kill rounds of the durability suite, so a
nightly job can search much longer than CI without editing tests.
``RELIABILITY_SEED`` replaces the fixed seeds of the race and durability
suites; each failure message prints the seed it ran with.
"""

from __future__ import annotations

import os


def scale() -> float:
    """The factor from ``RELIABILITY_SCALE``; refuses nonsense instead of guessing."""
    text = os.environ.get("RELIABILITY_SCALE", "1")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"RELIABILITY_SCALE must be a number, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"RELIABILITY_SCALE must be positive, not {text!r}")
    return value


def scaled(count: int) -> int:
    """``count`` times the scale factor, at least 1."""
    return max(1, round(count * scale()))


def seed(default: int) -> int:
    """``RELIABILITY_SEED`` if set, else the suite's fixed ``default``."""
    text = os.environ.get("RELIABILITY_SEED")
    return default if text is None else int(text)
