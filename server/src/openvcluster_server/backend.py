"""What the RPC layer needs of a backend, and choosing one.

Two backends implement the contract: the simulated one (``Engine``: phases
end on timers, state in a memory or SQLite store) and the Kubernetes one
(``KubeBackend``: real vclusters on a host cluster). Reads are the same code
for both (``VClusterReads``); writes of the Kubernetes backend are
asynchronous, so an operation may return its answer or an awaitable of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, Union

from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.auth import Principal
from openvcluster_server.config import ConfigError, ServerConfig
from openvcluster_server.monitor import Monitor
from openvcluster_server.reads import VClusterReads
from openvcluster_server.store import Store, open_store
from openvcluster_server.testhooks import HookPlan
from openvcluster_server.watch import WatchHub

T = TypeVar("T")
# An answer now, or one to await (the Kubernetes backend writes asynchronously).
Answer = Union[T, Awaitable[T]]  # noqa: UP007 - a generic alias needs Union on 3.11


class VClusterWrites(Protocol):
    """VClusterService's mutations and GetVClusterKubeconfig."""

    def create_vcluster(
        self, principal: Principal, request: api.CreateVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.CreateVClusterResponse]: ...

    def delete_vcluster(
        self, principal: Principal, request: api.DeleteVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.DeleteVClusterResponse]: ...

    def update_vcluster(
        self, principal: Principal, request: api.UpdateVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.UpdateVClusterResponse]: ...

    def scale_vcluster(
        self, principal: Principal, request: api.ScaleVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.ScaleVClusterResponse]: ...

    def suspend_vcluster(
        self, principal: Principal, request: api.SuspendVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.SuspendVClusterResponse]: ...

    def resume_vcluster(
        self, principal: Principal, request: api.ResumeVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.ResumeVClusterResponse]: ...

    def restore_vcluster(
        self, principal: Principal, request: api.RestoreVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.RestoreVClusterResponse]: ...

    def get_vcluster_kubeconfig(
        self, principal: Principal, request: api.GetVClusterKubeconfigRequest
    ) -> Answer[api.GetVClusterKubeconfigResponse]: ...


class SnapshotOps(Protocol):
    """SnapshotVCluster and SnapshotService."""

    def snapshot_vcluster(
        self, principal: Principal, request: api.SnapshotVClusterRequest, hooks: HookPlan = ...
    ) -> Answer[api.SnapshotVClusterResponse]: ...

    def get_snapshot(
        self, principal: Principal, request: snap_api.GetSnapshotRequest
    ) -> Answer[snap_api.GetSnapshotResponse]: ...

    def list_snapshots(
        self, principal: Principal, request: snap_api.ListSnapshotsRequest
    ) -> Answer[snap_api.ListSnapshotsResponse]: ...

    def delete_snapshot(
        self, principal: Principal, request: snap_api.DeleteSnapshotRequest, hooks: HookPlan = ...
    ) -> Answer[snap_api.DeleteSnapshotResponse]: ...


class OperationReads(Protocol):
    """OperationService."""

    def get_operation(
        self, principal: Principal, request: op_api.GetOperationRequest
    ) -> Answer[op_api.GetOperationResponse]: ...

    def list_operations(
        self, principal: Principal, request: op_api.ListOperationsRequest
    ) -> Answer[op_api.ListOperationsResponse]: ...


class Backend(Protocol):
    """Everything the RPC layer calls."""

    @property
    def hub(self) -> WatchHub:
        """Where changes are published to watchers."""
        ...

    @property
    def reads(self) -> VClusterReads:
        """GetVCluster, ListVClusters, WatchVClusters."""
        ...

    @property
    def monitor(self) -> Monitor:
        """MonitorService."""
        ...

    @property
    def vclusters(self) -> VClusterWrites:
        """The mutations and GetVClusterKubeconfig."""
        ...

    @property
    def snapshots(self) -> SnapshotOps:
        """SnapshotVCluster and SnapshotService."""
        ...

    @property
    def operations(self) -> OperationReads:
        """OperationService."""
        ...

    @property
    def view(self) -> Store:
        """The store the reads answer from (the metrics count what it holds)."""
        ...

    async def start(self) -> None:
        """Gets ready to answer (before the port opens)."""
        ...

    async def stop(self) -> None:
        """Stops background work and releases what it holds."""
        ...

    async def housekeeping(self) -> None:
        """Periodic cleanup (expired request ids and operations)."""
        ...

    async def follow_health(self, report: Callable[[bool], None]) -> None:
        """Calls ``report`` whenever whether the backend can serve changes (it starts serving)."""
        ...


def open_backend(config: ServerConfig) -> Backend:
    """The backend the configuration asks for; ConfigError when it cannot be opened."""
    if config.backend == "kubernetes":
        from openvcluster_server.kube.backend import KubeBackend  # its dependencies only when asked

        return KubeBackend(config)
    from openvcluster_server.engine import Engine

    try:
        store = open_store(config.store, config.data_dir)
    except (OSError, RuntimeError, ValueError, sqlite3.Error) as exc:
        raise ConfigError(f"cannot open the {config.store} store: {exc}") from exc
    return Engine(store, config)
