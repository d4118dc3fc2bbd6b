"""Python SDK for open-vcluster-api.

The generated protobuf messages and gRPC stubs live in :mod:`openvcluster.v1`;
the dataclass flavour lives in :mod:`openvcluster.betterproto`.
"""

from openvcluster._version import __version__

__all__ = ["__version__"]
