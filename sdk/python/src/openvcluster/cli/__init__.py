"""``ovc``, the command-line tool (``pip install 'open-vcluster-api[cli]'``).

This module imports nothing of click, rich or yaml until :func:`main` runs, so
that ``ovc`` without the ``cli`` extra says what to install instead of failing
with a traceback, and so the SDK never depends on them.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["main"]

_EXTRA = ("click", "rich", "yaml")


def main() -> None:
    """The ``ovc`` console script."""
    for module in _EXTRA:
        try:
            importlib.import_module(module)
        except ImportError:
            sys.stderr.write(
                f"ovc needs the cli extra (missing {module}): "
                "pip install 'open-vcluster-api[cli]'\n"
            )
            sys.exit(1)
    from openvcluster.cli.app import run

    run()
