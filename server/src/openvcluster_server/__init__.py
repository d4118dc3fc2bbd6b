"""The reference server of open-vcluster-api.

It implements the whole v1 contract (``proto/openvcluster/v1``) on an
in-memory or SQLite store. Run it with ``openvcluster-server serve``; embed it
in tests with :func:`openvcluster_server.testing.running_server`.
"""

from openvcluster_server._version import __version__

__all__ = ["__version__"]
