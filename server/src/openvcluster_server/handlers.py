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
from openvcluster_server.calls import StreamHandler, UnaryHandler
from openvcluster_server.errors import ApiError
from openvcluster_server.server_info import ServerInfoReader
from openvcluster_server.watch import WatcherOverflowError, WatchHubClosedError


class Handlers:
    """The backend call behind every RPC, by method name (as in the proto)."""

    def __init__(self, engine: Backend, info: ServerInfoReader) -> None:
        self._engine = engine
        # Each entry looks the operation up when called: the Kubernetes
        # backend makes its operations only when it starts.
        e = engine
        self.unary: dict[str, UnaryHandler[Any, Any]] = {
            "CreateVCluster": lambda p, r, h: e.vclusters.create_vcluster(p, r, h),
            "GetVCluster": lambda p, r, _: e.reads.get_vcluster(p, r),
            "ListVClusters": lambda p, r, _: e.reads.list_vclusters(p, r),
            "UpdateVCluster": lambda p, r, h: e.vclusters.update_vcluster(p, r, h),
            "DeleteVCluster": lambda p, r, h: e.vclusters.delete_vcluster(p, r, h),
            "ScaleVCluster": lambda p, r, h: e.vclusters.scale_vcluster(p, r, h),
            "SuspendVCluster": lambda p, r, h: e.vclusters.suspend_vcluster(p, r, h),
            "ResumeVCluster": lambda p, r, h: e.vclusters.resume_vcluster(p, r, h),
            "SnapshotVCluster": lambda p, r, h: e.snapshots.snapshot_vcluster(p, r, h),
            "RestoreVCluster": lambda p, r, h: e.vclusters.restore_vcluster(p, r, h),
            "GetVClusterKubeconfig": lambda p, r, _: e.vclusters.get_kubeconfig(p, r),
            "GetSnapshot": lambda p, r, _: e.snapshots.get_snapshot(p, r),
            "ListSnapshots": lambda p, r, _: e.snapshots.list_snapshots(p, r),
            "DeleteSnapshot": lambda p, r, h: e.snapshots.delete_snapshot(p, r, h),
            "GetVClusterUsage": lambda p, r, _: e.monitor.get_vcluster_usage(p, r),
            "GetFleetSummary": lambda p, r, _: e.monitor.get_fleet_summary(p, r),
            "GetServerInfo": lambda p, r, _: info.get_server_info(p, r),
            "GetOperation": lambda p, r, _: e.operations.get_operation(p, r),
            "ListOperations": lambda p, r, _: e.operations.list_operations(p, r),
        }
        self.streams: dict[str, StreamHandler[Any, Any]] = {
            "WatchVClusters": self.watch_vclusters,
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
