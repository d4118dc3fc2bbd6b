"""The Kubernetes backend, assembled: real vclusters on a host cluster, the vcluster way.

State lives in the host cluster (VCluster resources, the vclusters' own host
objects, the server's records in the system namespace), so the server keeps
nothing of its own: reads come from a watch cache, writes go to the API
server, and reconcilers make resources real (vclusters, and snapshots). See
docs/kubernetes-backend.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import uuid
from collections.abc import Callable, Mapping

from openvcluster_server.clock import CLOCK
from openvcluster_server.config import ConfigError, ServerConfig
from openvcluster_server.history import OperationReads
from openvcluster_server.kube import crd
from openvcluster_server.kube.api import KubeApi, KubeError, load_config
from openvcluster_server.kube.helm import Chart, Helm
from openvcluster_server.kube.history import KubeHistory
from openvcluster_server.kube.leader import LeaderElector
from openvcluster_server.kube.lifecycle import ensure_namespace
from openvcluster_server.kube.mutations import Mutations
from openvcluster_server.kube.operations import KubeVClusterOperations
from openvcluster_server.kube.reconciler import Reconciler, Settings
from openvcluster_server.kube.records import RequestRecords, page_token_key
from openvcluster_server.kube.snapshot_operations import KubeSnapshotOperations
from openvcluster_server.kube.snapshot_reconciler import SnapshotReconciler
from openvcluster_server.kube.usage import KubeUsage
from openvcluster_server.kube.world import World
from openvcluster_server.monitor import Monitor
from openvcluster_server.paging import PageTokens
from openvcluster_server.quota import Quotas
from openvcluster_server.reads import VClusterReads
from openvcluster_server.scheduler import Scheduler
from openvcluster_server.store import Store
from openvcluster_server.store.memory import MemoryStore
from openvcluster_server.watch import WatchHub

log = logging.getLogger(__name__)

_SYNC_TIMEOUT = 60.0
# Snapshots worked on at once (each step is a few API calls).
_SNAPSHOT_WORKERS = 4


class KubeBackend:
    """Serves the API from, and onto, a Kubernetes host cluster."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        try:
            self._kube = KubeApi(load_config(config.kubeconfig))
        except Exception as exc:  # lightkube raises several kinds for a bad kubeconfig
            raise ConfigError(f"cannot load the kubeconfig: {exc}") from exc
        self.hub = WatchHub(config.watch_limits)
        self._mirror = MemoryStore()
        self._world = World(self._kube, self._mirror, self.hub, config.max_staleness)
        self._records = RequestRecords(self._kube, config.system_namespace, config.request_caps)
        chart = Chart(config.vcluster_chart, config.chart_repo, config.chart_version)
        helm = Helm(config.helm_binary, chart, config.kubeconfig)
        settings = Settings(
            phase_timeout=config.phase_timeout,
            ingress_domain=config.ingress_domain,
            test_hooks=config.enable_test_hooks,
            snapshot_credentials_secret=config.snapshot_credentials_secret,
        )
        self._reconciler = Reconciler(self._kube, self._world, helm, settings)
        self._world.on_vcluster_change = self._reconciler.enqueue
        self._snapshot_reconciler = SnapshotReconciler(self._kube, self._world, config)
        self._world.on_snapshot_change = self._snapshot_reconciler.queue.enqueue
        identity = config.leader_elect_identity or f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"
        self._elector = LeaderElector(
            self._kube,
            config.system_namespace,
            identity,
            config.leader_elect_lease_duration,
            self._reconcile,
        )
        self._history = KubeHistory(
            self._kube, self._world, config.operations_per_vcluster, config.operation_retention
        )
        self._reconciler.follow = self._history.follow_vcluster
        self._snapshot_reconciler.follow = self._history.follow_snapshot
        self._tasks: list[asyncio.Task[None]] = []
        self.operations: OperationReads
        self.reads: VClusterReads
        self.vclusters: KubeVClusterOperations
        self.monitor: Monitor
        self.snapshots: KubeSnapshotOperations
        self._scheduler: Scheduler

    @property
    def queue_depth(self) -> int:
        """Vclusters waiting for the reconciler."""
        return self._reconciler.queue.depth

    @property
    def api_requests(self) -> Mapping[tuple[str, int], int]:
        """Kubernetes API requests made, by (HTTP method or WATCH, status code; 0: no answer)."""
        return self._kube.requests

    def observe_reconciles(self, observe: Callable[[float], None]) -> None:
        """Has ``observe`` told the duration of every reconcile, in seconds."""
        self._reconciler.queue.observe = observe

    @property
    def remembered_requests(self) -> int:
        """Request ids whose answers the cluster keeps (ConfigMaps, counted by their watch)."""
        return self._records.count_requests(None)

    @property
    def view(self) -> Store:
        """The watch cache's mirror of the cluster, which the reads answer from."""
        return self._mirror

    async def start(self) -> None:
        """Checks the cluster, fills the watch cache and starts reconciling."""
        try:
            await crd.ensure(self._kube, self.config.install_crds)
            await ensure_namespace(self._kube, self.config.system_namespace, {}, {})
            key = await page_token_key(self._kube, self.config.system_namespace)
        except KubeError as exc:
            await self._kube.close()
            raise ConfigError(f"cannot use the host cluster: {exc}") from exc
        except RuntimeError as exc:
            await self._kube.close()
            raise ConfigError(str(exc)) from exc
        page_tokens = PageTokens(hashlib.sha256(b"page-token\x00" + key).digest())
        self.reads = VClusterReads(
            self._mirror,
            page_tokens,
            self.hub,
            self.config.max_message_bytes,
            self.config.selector_limits,
            self._world.require_fresh,
        )
        self.operations = OperationReads(
            self._mirror, page_tokens, self.config.max_message_bytes, self._history.current
        )
        mutations = Mutations(
            self._kube, self._world, self._records, self.config.request_id_ttl, self._history
        )
        self.vclusters = KubeVClusterOperations(
            self._kube, self._world, self.reads, mutations, self.config
        )
        self.snapshots = KubeSnapshotOperations(
            self._kube, self._world, self.reads, mutations, page_tokens, self.config
        )
        self._scheduler = Scheduler(
            self._mirror, self.hub, self.vclusters, self.vclusters.record_schedule
        )
        self.monitor = Monitor(
            self.reads,
            self._mirror,
            Quotas(self.config.quotas),
            KubeUsage(self._kube, self._world),
        )
        self._tasks = [*self._world.run(), asyncio.create_task(self._records.reflector.run())]
        try:
            async with asyncio.timeout(_SYNC_TIMEOUT):
                await self._world.synced()
                await self._records.reflector.synced.wait()
        except TimeoutError:
            await self.stop()
            raise ConfigError(
                f"the host cluster's objects could not be listed in {_SYNC_TIMEOUT:.0f} s"
            ) from None
        if self.config.reconcile:
            acting = self._elector.run() if self.config.leader_elect else self._reconcile()
            self._tasks.append(asyncio.create_task(acting, name="reconciling"))

    @property
    def leading(self) -> bool:
        """Whether this replica reconciles now (always, without leader election)."""
        if not self.config.reconcile:
            return False
        return self._elector.leading if self.config.leader_elect else True

    async def _reconcile(self) -> None:
        """Reconciles every vcluster and snapshot, and runs the sleep schedules and
        expiry, until cancelled (on stopping, or
        when another replica has taken the lead)."""
        # Whatever a previous leader left half done is resumed from the resources.
        self._reconciler.enqueue_all()
        self._snapshot_reconciler.enqueue_all()
        workers = [
            *self._reconciler.run(),
            *self._snapshot_reconciler.queue.run(_SNAPSHOT_WORKERS),
            asyncio.create_task(self._scheduler.run(), name="scheduling"),
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            self._reconciler.queue.stop()
            self._snapshot_reconciler.queue.stop()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def stop(self) -> None:
        """Stops watching and reconciling; the cluster keeps every vcluster as it is."""
        self._reconciler.queue.stop()
        self._snapshot_reconciler.queue.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._kube.close()

    async def housekeeping(self) -> None:
        """Drops expired request-id records, and (the leader) operations past their age."""
        with contextlib.suppress(KubeError):
            await self._records.forget_expired(CLOCK.time())
            if self.leading:
                await self._history.forget_expired()

    async def follow_health(self, report: Callable[[bool], None]) -> None:
        """Reports whether every watch is connected whenever that changes, until cancelled."""
        serving = True

        def changed() -> None:
            nonlocal serving
            if self._world.connected() != serving:
                serving = not serving
                report(serving)

        self._world.on_connection_change = changed
        try:
            await asyncio.Event().wait()
        finally:
            self._world.on_connection_change = lambda: None
