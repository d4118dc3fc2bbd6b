"""The one error the test environment reports: a one-line cause, then detail."""

from __future__ import annotations

from pathlib import Path


class TestenvError(Exception):
    """Something kept the environment from building or starting; the message says what."""

    __test__ = False  # not a pytest test class, despite the name


def log_tail(log: Path, lines: int = 15) -> str:
    """The last lines of a component's log, indented, for an error message."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "    (no log)"
    tail = text.rstrip().splitlines()[-lines:]
    return "\n".join("    " + line for line in tail) or "    (empty log)"
