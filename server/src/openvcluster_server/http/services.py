"""The Connect services: each RPC is one line, handing its request to
ConnectCalls, which runs it through the same CallRunner and handler table as
the gRPC port."""

# ConnectCalls finds each method's handler in a table keyed by method name, so
# its answers are typed Any; the generated service protocols type each method.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any

from connectrpc.request import RequestContext

from openvcluster.v1 import monitor_service_pb2 as mon_api
from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1 import server_info_service_pb2 as info_api
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.calls import CallRunner, Metadata
from openvcluster_server.errors import ApiError
from openvcluster_server.handlers import Handlers
from openvcluster_server.http.errors import connect_error

Ctx = RequestContext[Any, Any]


class ConnectCalls:
    """Runs a call of the HTTP port through CallRunner; an ApiError becomes a
    ConnectError with the same code, message and details."""

    def __init__(self, runner: CallRunner, handlers: Handlers) -> None:
        self._runner = runner
        self._handlers = handlers

    async def unary(self, method: str, request: Any, ctx: Ctx) -> Any:
        """Answers the unary call ``method``."""
        try:
            return await self._runner.unary(
                method, request, _metadata(ctx), self._handlers.unary[method]
            )
        except ApiError as error:
            raise connect_error(error) from None

    async def watch(
        self, request: api.WatchVClustersRequest, ctx: Ctx
    ) -> AsyncGenerator[api.WatchVClustersResponse, None]:
        """WatchVClusters' events; connectrpc closes this generator when the client goes."""
        events = self._runner.stream(
            "WatchVClusters", request, _metadata(ctx), self._handlers.watch_vclusters
        )
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    yield event
            except ApiError as error:
                raise connect_error(error) from None


def _metadata(ctx: Ctx) -> Metadata:
    """The request's headers as the lower-case (key, value) pairs gRPC metadata is."""
    return [(key.lower(), value) for key, value in ctx.request_headers.allitems()]


class VClusterService:
    """openvcluster.v1.VClusterService over Connect and gRPC-Web."""

    def __init__(self, calls: ConnectCalls) -> None:
        self._calls = calls

    async def create_v_cluster(
        self, request: api.CreateVClusterRequest, ctx: Ctx, /
    ) -> api.CreateVClusterResponse:
        return await self._calls.unary("CreateVCluster", request, ctx)

    async def get_v_cluster(
        self, request: api.GetVClusterRequest, ctx: Ctx, /
    ) -> api.GetVClusterResponse:
        return await self._calls.unary("GetVCluster", request, ctx)

    async def list_v_clusters(
        self, request: api.ListVClustersRequest, ctx: Ctx, /
    ) -> api.ListVClustersResponse:
        return await self._calls.unary("ListVClusters", request, ctx)

    async def delete_v_cluster(
        self, request: api.DeleteVClusterRequest, ctx: Ctx, /
    ) -> api.DeleteVClusterResponse:
        return await self._calls.unary("DeleteVCluster", request, ctx)

    async def update_v_cluster(
        self, request: api.UpdateVClusterRequest, ctx: Ctx, /
    ) -> api.UpdateVClusterResponse:
        return await self._calls.unary("UpdateVCluster", request, ctx)

    async def scale_v_cluster(
        self, request: api.ScaleVClusterRequest, ctx: Ctx, /
    ) -> api.ScaleVClusterResponse:
        return await self._calls.unary("ScaleVCluster", request, ctx)

    async def suspend_v_cluster(
        self, request: api.SuspendVClusterRequest, ctx: Ctx, /
    ) -> api.SuspendVClusterResponse:
        return await self._calls.unary("SuspendVCluster", request, ctx)

    async def resume_v_cluster(
        self, request: api.ResumeVClusterRequest, ctx: Ctx, /
    ) -> api.ResumeVClusterResponse:
        return await self._calls.unary("ResumeVCluster", request, ctx)

    async def snapshot_v_cluster(
        self, request: api.SnapshotVClusterRequest, ctx: Ctx, /
    ) -> api.SnapshotVClusterResponse:
        return await self._calls.unary("SnapshotVCluster", request, ctx)

    async def restore_v_cluster(
        self, request: api.RestoreVClusterRequest, ctx: Ctx, /
    ) -> api.RestoreVClusterResponse:
        return await self._calls.unary("RestoreVCluster", request, ctx)

    async def get_v_cluster_kubeconfig(
        self, request: api.GetVClusterKubeconfigRequest, ctx: Ctx, /
    ) -> api.GetVClusterKubeconfigResponse:
        return await self._calls.unary("GetVClusterKubeconfig", request, ctx)

    def watch_v_clusters(
        self, request: api.WatchVClustersRequest, ctx: Ctx, /
    ) -> AsyncGenerator[api.WatchVClustersResponse, None]:
        return self._calls.watch(request, ctx)


class SnapshotService:
    """openvcluster.v1.SnapshotService over Connect and gRPC-Web."""

    def __init__(self, calls: ConnectCalls) -> None:
        self._calls = calls

    async def get_snapshot(
        self, request: snap_api.GetSnapshotRequest, ctx: Ctx, /
    ) -> snap_api.GetSnapshotResponse:
        return await self._calls.unary("GetSnapshot", request, ctx)

    async def list_snapshots(
        self, request: snap_api.ListSnapshotsRequest, ctx: Ctx, /
    ) -> snap_api.ListSnapshotsResponse:
        return await self._calls.unary("ListSnapshots", request, ctx)

    async def delete_snapshot(
        self, request: snap_api.DeleteSnapshotRequest, ctx: Ctx, /
    ) -> snap_api.DeleteSnapshotResponse:
        return await self._calls.unary("DeleteSnapshot", request, ctx)


class MonitorService:
    """openvcluster.v1.MonitorService over Connect and gRPC-Web."""

    def __init__(self, calls: ConnectCalls) -> None:
        self._calls = calls

    async def get_v_cluster_usage(
        self, request: mon_api.GetVClusterUsageRequest, ctx: Ctx, /
    ) -> mon_api.GetVClusterUsageResponse:
        return await self._calls.unary("GetVClusterUsage", request, ctx)

    async def get_fleet_summary(
        self, request: mon_api.GetFleetSummaryRequest, ctx: Ctx, /
    ) -> mon_api.GetFleetSummaryResponse:
        return await self._calls.unary("GetFleetSummary", request, ctx)


class OperationService:
    """openvcluster.v1.OperationService over Connect and gRPC-Web."""

    def __init__(self, calls: ConnectCalls) -> None:
        self._calls = calls

    async def get_operation(
        self, request: op_api.GetOperationRequest, ctx: Ctx, /
    ) -> op_api.GetOperationResponse:
        return await self._calls.unary("GetOperation", request, ctx)

    async def list_operations(
        self, request: op_api.ListOperationsRequest, ctx: Ctx, /
    ) -> op_api.ListOperationsResponse:
        return await self._calls.unary("ListOperations", request, ctx)


class ServerInfoService:
    """openvcluster.v1.ServerInfoService over Connect and gRPC-Web."""

    def __init__(self, calls: ConnectCalls) -> None:
        self._calls = calls

    async def get_server_info(
        self, request: info_api.GetServerInfoRequest, ctx: Ctx, /
    ) -> info_api.GetServerInfoResponse:
        return await self._calls.unary("GetServerInfo", request, ctx)
