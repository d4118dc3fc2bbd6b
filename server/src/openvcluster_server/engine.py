"""The simulated backend: both services' operations over one store, phases on timers.

``Engine`` only assembles the parts: ``core.py`` holds what every operation
shares (transactions, watch events after commit, timers, lookups),
``reads.py`` the reads, ``vclusters.py`` the VClusterService mutations and
``snapshots.py`` the snapshot ones. The RPC layer (``services.py``) reaches
them through the ``Backend`` interface of backend.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.config import ServerConfig
from openvcluster_server.core import Core
from openvcluster_server.monitor import Monitor, SimulatedUsage
from openvcluster_server.scheduler import Scheduler
from openvcluster_server.snapshots import SnapshotOperations
from openvcluster_server.store import Key, Store
from openvcluster_server.vclusters import VClusterOperations
from openvcluster_server.watch import WatchHub


class Engine:
    """Implements both services' operations for one store."""

    def __init__(self, store: Store, config: ServerConfig) -> None:
        self.core = Core(store, config)
        self.reads = self.core.reads
        self.vclusters = VClusterOperations(self.core)
        self.snapshots = SnapshotOperations(self.core)
        self.operations = self.core.history
        self.monitor = Monitor(self.core.reads, store, self.core.quotas, SimulatedUsage())
        self._scheduler = Scheduler(store, self.core.hub, self.vclusters, self._record_schedule)
        self._scheduling: asyncio.Task[None] | None = None

    @property
    def hub(self) -> WatchHub:
        """Where committed changes are published to watchers."""
        return self.core.hub

    @property
    def view(self) -> Store:
        """The store the reads answer from."""
        return self.core.store

    def observe_store_transactions(self, observe: Callable[[float], None]) -> None:
        """Has ``observe`` told the duration of every store transaction, in seconds."""
        self.core.transaction_observers.append(observe)

    async def start(self) -> None:
        """Binds to the event loop and resumes transitions a restart interrupted."""
        self.core.start(asyncio.get_running_loop())
        self._scheduling = asyncio.create_task(self._scheduler.run(), name="scheduling")

    async def stop(self) -> None:
        """Cancels pending transitions (the store keeps their intermediate phases) and closes it."""
        if self._scheduling is not None:
            self._scheduling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduling
        self.core.stop()
        self.core.store.close()

    async def _record_schedule(self, key: Key, edit: Callable[[VCluster], None]) -> None:
        self.core.edit_vcluster(key, edit, "schedule")

    async def housekeeping(self) -> None:
        """Drops request ids older than the configured window, and old operations."""
        self.core.forget_expired_requests()
        self.core.forget_expired_operations()

    async def follow_health(self, report: Callable[[bool], None]) -> None:
        """A simulated backend can always serve: nothing to report."""
