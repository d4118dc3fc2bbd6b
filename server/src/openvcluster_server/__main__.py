"""``python -m openvcluster_server``: the same as the console script."""

import sys

from openvcluster_server.cli import main

sys.exit(main())
