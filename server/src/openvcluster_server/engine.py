"""The contract's behaviour: both services' operations over one store.

``Engine`` only assembles the parts: ``core.py`` holds what every operation
shares (transactions, watch events after commit, timers, lookups),
``vclusters.py`` the VClusterService operations and ``snapshots.py`` the
snapshot ones. The RPC layer (``services.py``) calls ``engine.vclusters`` and
``engine.snapshots``.
"""

from __future__ import annotations

import asyncio

from openvcluster_server.config import ServerConfig
from openvcluster_server.core import Core
from openvcluster_server.snapshots import SnapshotOperations
from openvcluster_server.store import Store
from openvcluster_server.vclusters import VClusterOperations
from openvcluster_server.watch import WatchHub


class Engine:
    """Implements both services' operations for one store."""

    def __init__(self, store: Store, config: ServerConfig) -> None:
        self.core = Core(store, config)
        self.reads = self.core.reads
        self.vclusters = VClusterOperations(self.core)
        self.snapshots = SnapshotOperations(self.core)

    @property
    def hub(self) -> WatchHub:
        """Where committed changes are published to watchers."""
        return self.core.hub

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Binds to the event loop and resumes transitions a restart interrupted."""
        self.core.start(loop)

    def stop(self) -> None:
        """Cancels pending transitions; the store keeps their intermediate phases."""
        self.core.stop()

    def forget_expired_requests(self) -> int:
        """Housekeeping: drops request ids older than the configured window."""
        return self.core.forget_expired_requests()
