"""The gRPC servicers: each RPC hands its request to the engine through CallRunner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import snapshot_service_pb2_grpc as snap_grpc
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.auth import Principal
from openvcluster_server.backend import Backend
from openvcluster_server.calls import CallRunner, Context
from openvcluster_server.errors import ApiError
from openvcluster_server.watch import WatcherOverflowError, WatchHubClosedError


class VClusterService(api_grpc.VClusterServiceServicer):
    """openvcluster.v1.VClusterService."""

    def __init__(self, engine: Backend, calls: CallRunner) -> None:
        self._engine = engine
        self._calls = calls

    async def CreateVCluster(  # noqa: N802 - gRPC method names
        self, request: api.CreateVClusterRequest, context: Context
    ) -> api.CreateVClusterResponse:
        return await self._calls.unary(
            "CreateVCluster", request, context, self._engine.vclusters.create_vcluster
        )

    async def GetVCluster(  # noqa: N802
        self, request: api.GetVClusterRequest, context: Context
    ) -> api.GetVClusterResponse:
        return await self._calls.unary(
            "GetVCluster",
            request,
            context,
            lambda p, r, _: self._engine.reads.get_vcluster(p, r),
        )

    async def ListVClusters(  # noqa: N802
        self, request: api.ListVClustersRequest, context: Context
    ) -> api.ListVClustersResponse:
        return await self._calls.unary(
            "ListVClusters",
            request,
            context,
            lambda p, r, _: self._engine.reads.list_vclusters(p, r),
        )

    async def DeleteVCluster(  # noqa: N802
        self, request: api.DeleteVClusterRequest, context: Context
    ) -> api.DeleteVClusterResponse:
        return await self._calls.unary(
            "DeleteVCluster", request, context, self._engine.vclusters.delete_vcluster
        )

    async def ScaleVCluster(  # noqa: N802
        self, request: api.ScaleVClusterRequest, context: Context
    ) -> api.ScaleVClusterResponse:
        return await self._calls.unary(
            "ScaleVCluster", request, context, self._engine.vclusters.scale_vcluster
        )

    async def SuspendVCluster(  # noqa: N802
        self, request: api.SuspendVClusterRequest, context: Context
    ) -> api.SuspendVClusterResponse:
        return await self._calls.unary(
            "SuspendVCluster", request, context, self._engine.vclusters.suspend_vcluster
        )

    async def ResumeVCluster(  # noqa: N802
        self, request: api.ResumeVClusterRequest, context: Context
    ) -> api.ResumeVClusterResponse:
        return await self._calls.unary(
            "ResumeVCluster", request, context, self._engine.vclusters.resume_vcluster
        )

    async def SnapshotVCluster(  # noqa: N802
        self, request: api.SnapshotVClusterRequest, context: Context
    ) -> api.SnapshotVClusterResponse:
        return await self._calls.unary(
            "SnapshotVCluster", request, context, self._engine.snapshots.snapshot_vcluster
        )

    async def RestoreVCluster(  # noqa: N802
        self, request: api.RestoreVClusterRequest, context: Context
    ) -> api.RestoreVClusterResponse:
        return await self._calls.unary(
            "RestoreVCluster", request, context, self._engine.vclusters.restore_vcluster
        )

    async def GetVClusterKubeconfig(  # noqa: N802
        self, request: api.GetVClusterKubeconfigRequest, context: Context
    ) -> api.GetVClusterKubeconfigResponse:
        return await self._calls.unary(
            "GetVClusterKubeconfig",
            request,
            context,
            lambda p, r, _: self._engine.vclusters.get_kubeconfig(p, r),
        )

    async def WatchVClusters(  # type: ignore[override]  # noqa: N802 - written with context.write
        self, request: api.WatchVClustersRequest, context: Context
    ) -> None:
        await self._calls.stream("WatchVClusters", request, context, self._events)

    async def _events(
        self, principal: Principal, request: api.WatchVClustersRequest
    ) -> AsyncIterator[api.WatchVClustersResponse]:
        watcher = self._engine.reads.watch_vclusters(principal, request)
        try:
            while True:
                yield await watcher.next()
        except WatcherOverflowError:
            raise ApiError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"this watch fell more than {self._engine.hub.limits.buffer} events behind and "
                "was ended; watch again to receive the current state",
            ) from None
        except WatchHubClosedError:
            raise ApiError(grpc.StatusCode.UNAVAILABLE, "server shutting down") from None
        finally:
            watcher.close()


class SnapshotService(snap_grpc.SnapshotServiceServicer):
    """openvcluster.v1.SnapshotService."""

    def __init__(self, engine: Backend, calls: CallRunner) -> None:
        self._engine = engine
        self._calls = calls

    async def GetSnapshot(  # noqa: N802
        self, request: snap_api.GetSnapshotRequest, context: Context
    ) -> snap_api.GetSnapshotResponse:
        return await self._calls.unary(
            "GetSnapshot",
            request,
            context,
            lambda p, r, _: self._engine.snapshots.get_snapshot(p, r),
        )

    async def ListSnapshots(  # noqa: N802
        self, request: snap_api.ListSnapshotsRequest, context: Context
    ) -> snap_api.ListSnapshotsResponse:
        return await self._calls.unary(
            "ListSnapshots",
            request,
            context,
            lambda p, r, _: self._engine.snapshots.list_snapshots(p, r),
        )

    async def DeleteSnapshot(  # noqa: N802
        self, request: snap_api.DeleteSnapshotRequest, context: Context
    ) -> snap_api.DeleteSnapshotResponse:
        return await self._calls.unary(
            "DeleteSnapshot", request, context, self._engine.snapshots.delete_snapshot
        )
