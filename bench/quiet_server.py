"""The reference server without its access log: the per-call line's logger is
set to WARNING, everything else is as shipped (part 7 measures what the line
costs).

    python -m bench.quiet_server serve --address 127.0.0.1:0 ...
"""

from __future__ import annotations

import logging
import sys

from openvcluster_server import cli
from openvcluster_server.calls import log as access_log


def main() -> int:
    """Silences the access log, then runs the server's command line."""
    access_log.setLevel(logging.WARNING)
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
