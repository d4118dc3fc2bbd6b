"""The gRPC servicers: each RPC is one line, handing its request to GrpcCalls."""

# GrpcCalls finds each method's handler in a table keyed by method name, so
# its answers are typed Any; the generated servicer base types each method.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import contextlib
from typing import Any

from google.protobuf.message import Message

from openvcluster.v1 import monitor_service_pb2 as mon_api
from openvcluster.v1 import monitor_service_pb2_grpc as mon_grpc
from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1 import operation_service_pb2_grpc as op_grpc
from openvcluster.v1 import server_info_service_pb2 as info_api
from openvcluster.v1 import server_info_service_pb2_grpc as info_grpc
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import snapshot_service_pb2_grpc as snap_grpc
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.calls import CallRunner, Context
from openvcluster_server.errors import ApiError
from openvcluster_server.handlers import Handlers


class GrpcCalls:
    """Runs a call of the gRPC port through CallRunner; an ApiError becomes its
    status, with the details in the grpc-status-details-bin trailer."""

    def __init__(self, runner: CallRunner, handlers: Handlers) -> None:
        self._runner = runner
        self._handlers = handlers

    async def unary(self, method: str, request: Any, context: Context) -> Any:
        """Answers the unary call ``method``."""
        try:
            return await self._runner.unary(
                method, request, context.invocation_metadata() or (), self._handlers.unary[method]
            )
        except ApiError as error:
            await context.abort(
                error.code, error.message, trailing_metadata=error.trailing_metadata()
            )

    async def watch(self, request: api.WatchVClustersRequest, context: Context) -> None:
        """Writes WatchVClusters' events until the watch ends or its client goes away."""
        events = self._runner.stream(
            "WatchVClusters",
            request,
            context.invocation_metadata() or (),
            self._handlers.watch_vclusters,
        )
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    if not await _write(context, event):
                        return
            except ApiError as error:
                await context.abort(
                    error.code, error.message, trailing_metadata=error.trailing_metadata()
                )


async def _write(context: Context, message: Message) -> bool:
    """Sends one stream message; False when the client has gone away.

    A write fails only when the stream is over from the client's side
    (cancelled, deadline passed, connection closed), sometimes before
    ``context.done()`` says so: nobody to answer, and no fault of the server's.
    """
    try:
        await context.write(message)
    except Exception:
        return False
    return True


class VClusterService(api_grpc.VClusterServiceServicer):
    """openvcluster.v1.VClusterService."""

    def __init__(self, calls: GrpcCalls) -> None:
        self._calls = calls

    async def CreateVCluster(  # noqa: N802 - gRPC method names
        self, request: api.CreateVClusterRequest, context: Context
    ) -> api.CreateVClusterResponse:
        return await self._calls.unary("CreateVCluster", request, context)

    async def GetVCluster(  # noqa: N802
        self, request: api.GetVClusterRequest, context: Context
    ) -> api.GetVClusterResponse:
        return await self._calls.unary("GetVCluster", request, context)

    async def ListVClusters(  # noqa: N802
        self, request: api.ListVClustersRequest, context: Context
    ) -> api.ListVClustersResponse:
        return await self._calls.unary("ListVClusters", request, context)

    async def DeleteVCluster(  # noqa: N802
        self, request: api.DeleteVClusterRequest, context: Context
    ) -> api.DeleteVClusterResponse:
        return await self._calls.unary("DeleteVCluster", request, context)

    async def UpdateVCluster(  # noqa: N802
        self, request: api.UpdateVClusterRequest, context: Context
    ) -> api.UpdateVClusterResponse:
        return await self._calls.unary("UpdateVCluster", request, context)

    async def ScaleVCluster(  # noqa: N802
        self, request: api.ScaleVClusterRequest, context: Context
    ) -> api.ScaleVClusterResponse:
        return await self._calls.unary("ScaleVCluster", request, context)

    async def SuspendVCluster(  # noqa: N802
        self, request: api.SuspendVClusterRequest, context: Context
    ) -> api.SuspendVClusterResponse:
        return await self._calls.unary("SuspendVCluster", request, context)

    async def ResumeVCluster(  # noqa: N802
        self, request: api.ResumeVClusterRequest, context: Context
    ) -> api.ResumeVClusterResponse:
        return await self._calls.unary("ResumeVCluster", request, context)

    async def SnapshotVCluster(  # noqa: N802
        self, request: api.SnapshotVClusterRequest, context: Context
    ) -> api.SnapshotVClusterResponse:
        return await self._calls.unary("SnapshotVCluster", request, context)

    async def RestoreVCluster(  # noqa: N802
        self, request: api.RestoreVClusterRequest, context: Context
    ) -> api.RestoreVClusterResponse:
        return await self._calls.unary("RestoreVCluster", request, context)

    async def GetVClusterKubeconfig(  # noqa: N802
        self, request: api.GetVClusterKubeconfigRequest, context: Context
    ) -> api.GetVClusterKubeconfigResponse:
        return await self._calls.unary("GetVClusterKubeconfig", request, context)

    async def WatchVClusters(  # type: ignore[override]  # noqa: N802 - written with context.write
        self, request: api.WatchVClustersRequest, context: Context
    ) -> None:
        await self._calls.watch(request, context)


class SnapshotService(snap_grpc.SnapshotServiceServicer):
    """openvcluster.v1.SnapshotService."""

    def __init__(self, calls: GrpcCalls) -> None:
        self._calls = calls

    async def GetSnapshot(  # noqa: N802
        self, request: snap_api.GetSnapshotRequest, context: Context
    ) -> snap_api.GetSnapshotResponse:
        return await self._calls.unary("GetSnapshot", request, context)

    async def ListSnapshots(  # noqa: N802
        self, request: snap_api.ListSnapshotsRequest, context: Context
    ) -> snap_api.ListSnapshotsResponse:
        return await self._calls.unary("ListSnapshots", request, context)

    async def DeleteSnapshot(  # noqa: N802
        self, request: snap_api.DeleteSnapshotRequest, context: Context
    ) -> snap_api.DeleteSnapshotResponse:
        return await self._calls.unary("DeleteSnapshot", request, context)


class MonitorService(mon_grpc.MonitorServiceServicer):
    """openvcluster.v1.MonitorService."""

    def __init__(self, calls: GrpcCalls) -> None:
        self._calls = calls

    async def GetVClusterUsage(  # noqa: N802
        self, request: mon_api.GetVClusterUsageRequest, context: Context
    ) -> mon_api.GetVClusterUsageResponse:
        return await self._calls.unary("GetVClusterUsage", request, context)

    async def GetFleetSummary(  # noqa: N802
        self, request: mon_api.GetFleetSummaryRequest, context: Context
    ) -> mon_api.GetFleetSummaryResponse:
        return await self._calls.unary("GetFleetSummary", request, context)


class OperationService(op_grpc.OperationServiceServicer):
    """openvcluster.v1.OperationService."""

    def __init__(self, calls: GrpcCalls) -> None:
        self._calls = calls

    async def GetOperation(  # noqa: N802
        self, request: op_api.GetOperationRequest, context: Context
    ) -> op_api.GetOperationResponse:
        return await self._calls.unary("GetOperation", request, context)

    async def ListOperations(  # noqa: N802
        self, request: op_api.ListOperationsRequest, context: Context
    ) -> op_api.ListOperationsResponse:
        return await self._calls.unary("ListOperations", request, context)


class ServerInfoService(info_grpc.ServerInfoServiceServicer):
    """openvcluster.v1.ServerInfoService."""

    def __init__(self, calls: GrpcCalls) -> None:
        self._calls = calls

    async def GetServerInfo(  # noqa: N802
        self, request: info_api.GetServerInfoRequest, context: Context
    ) -> info_api.GetServerInfoResponse:
        return await self._calls.unary("GetServerInfo", request, context)
