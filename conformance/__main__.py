"""``python -m conformance``: see conformance/README.md."""

import os
import sys

# grpcio's core logs every connection a client closes with a GOAWAY (Node's
# HTTP/2 does) at INFO; hundreds of such lines would bury the report. Set
# before grpc is first imported, which is when it reads the variable.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from conformance.cli import main

sys.exit(main())
