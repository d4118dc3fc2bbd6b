"""``python -m conformance_client``: see the package docstring."""

import sys

from conformance_client.runner import main

sys.exit(main())
