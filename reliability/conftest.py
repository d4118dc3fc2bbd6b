"""Settings shared by the reliability suites.

Hypothesis draws the same examples on every run (the "deterministic" profile,
as in ``server/tests``), so a CI failure is a real regression rather than bad
luck; ``HYPOTHESIS_PROFILE=default`` searches afresh on each run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import settings

# The server's test helpers (``support``) live in server/tests, which is a
# directory of top-level modules rather than a package; mypy finds it through
# mypy_path, and pytest through this entry.
_SERVER_TESTS = str(Path(__file__).resolve().parent.parent / "server" / "tests")
if _SERVER_TESTS not in sys.path:
    sys.path.append(_SERVER_TESTS)

settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
