"""What each RPC asks of the backend: one table, shared by the gRPC port
(services.py) and the HTTP port (http/services.py), so both answer alike."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import grpc

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.auth import Principal
from openvcluster_server.backend import Backend
from openvcluster_server.calls import UnaryHandler
from openvcluster_server.errors import ApiError
from openvcluster_server.watch import WatcherOverflowError, WatchHubClosedError


class Handlers:
    """The backend call behind every RPC, by method name (as in the proto)."""

    def __init__(self, engine: Backend) -> None:
        self._engine = engine
        vclusters, snapshots, reads = engine.vclusters, engine.snapshots, engine.reads
        self.unary: dict[str, UnaryHandler[Any, Any]] = {
            "CreateVCluster": vclusters.create_vcluster,
            "GetVCluster": lambda p, r, _: reads.get_vcluster(p, r),
            "ListVClusters": lambda p, r, _: reads.list_vclusters(p, r),
            "DeleteVCluster": vclusters.delete_vcluster,
            "ScaleVCluster": vclusters.scale_vcluster,
            "SuspendVCluster": vclusters.suspend_vcluster,
            "ResumeVCluster": vclusters.resume_vcluster,
            "SnapshotVCluster": snapshots.snapshot_vcluster,
            "RestoreVCluster": vclusters.restore_vcluster,
            "GetVClusterKubeconfig": lambda p, r, _: vclusters.get_kubeconfig(p, r),
            "GetSnapshot": lambda p, r, _: snapshots.get_snapshot(p, r),
            "ListSnapshots": lambda p, r, _: snapshots.list_snapshots(p, r),
            "DeleteSnapshot": snapshots.delete_snapshot,
        }

    async def watch_vclusters(
        self, principal: Principal, request: api.WatchVClustersRequest
    ) -> AsyncGenerator[api.WatchVClustersResponse, None]:
        """WatchVClusters' events, until the watcher is ended or the caller stops."""
        watcher = self._engine.reads.watch_vclusters(principal, request)
        with contextlib.closing(watcher):
            try:
                while True:
                    yield await watcher.next()
            except WatcherOverflowError:
                raise ApiError(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"this watch fell more than {self._engine.hub.limits.buffer} events "
                    "behind and was ended; watch again to receive the current state",
                ) from None
            except WatchHubClosedError:
                raise ApiError(grpc.StatusCode.UNAVAILABLE, "server shutting down") from None
