"""The betterproto2 flavour: the operations its generated stubs offer.

Its stubs make one call each, with no per-call options, retries, automatic
pagination or wait helpers; steps that need those answer KIND_UNSUPPORTED,
which the runner counts as skipped. The channel comes from
``openvcluster.create_channel`` (token and TLS) and errors are decoded with
``openvcluster.errors.from_rpc_error``, as the flavour's documentation says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
from google.protobuf.message import Message

import openvcluster
from conformance.protocol import Connection, Step, StepResult
from conformance_client.calls import (
    LIST_PAGE,
    UNARY,
    WATCH_COLLECT,
    WATCH_START,
    Call,
    connection_kwargs,
    token_of,
)
from conformance_client.outcomes import UnsupportedError, fill
from conformance_client.watch_buffer import WatchBuffer, Watches
from openvcluster import betterproto as bp
from openvcluster.errors import from_rpc_error
from openvcluster.v1 import (
    monitor_service_pb2,
    server_info_service_pb2,
    snapshot_pb2,
    snapshot_service_pb2,
    vcluster_pb2,
    vcluster_service_pb2,
)

# action -> (service, stub method, request class, response field or "" for the response)
_OPERATIONS: dict[str, tuple[str, str, type[Any], str]] = {
    "create_vcluster": ("vclusters", "create_v_cluster", bp.CreateVClusterRequest, "vcluster"),
    "get_vcluster": ("vclusters", "get_v_cluster", bp.GetVClusterRequest, "vcluster"),
    "list_vclusters_page": ("vclusters", "list_v_clusters", bp.ListVClustersRequest, ""),
    "update_vcluster": ("vclusters", "update_v_cluster", bp.UpdateVClusterRequest, "vcluster"),
    "delete_vcluster": ("vclusters", "delete_v_cluster", bp.DeleteVClusterRequest, "vcluster"),
    "scale_vcluster": ("vclusters", "scale_v_cluster", bp.ScaleVClusterRequest, "vcluster"),
    "suspend_vcluster": ("vclusters", "suspend_v_cluster", bp.SuspendVClusterRequest, "vcluster"),
    "resume_vcluster": ("vclusters", "resume_v_cluster", bp.ResumeVClusterRequest, "vcluster"),
    "snapshot_vcluster": (
        "vclusters",
        "snapshot_v_cluster",
        bp.SnapshotVClusterRequest,
        "snapshot",
    ),
    "restore_vcluster": ("vclusters", "restore_v_cluster", bp.RestoreVClusterRequest, "vcluster"),
    "get_kubeconfig": (
        "vclusters",
        "get_v_cluster_kubeconfig",
        bp.GetVClusterKubeconfigRequest,
        "vcluster",
    ),
    "get_snapshot": ("snapshots", "get_snapshot", bp.GetSnapshotRequest, "snapshot"),
    "list_snapshots_page": ("snapshots", "list_snapshots", bp.ListSnapshotsRequest, ""),
    "delete_snapshot": ("snapshots", "delete_snapshot", bp.DeleteSnapshotRequest, ""),
    "get_vcluster_usage": (
        "monitor",
        "get_v_cluster_usage",
        bp.GetVClusterUsageRequest,
        "usage",
    ),
    "get_fleet_summary": ("monitor", "get_fleet_summary", bp.GetFleetSummaryRequest, "summary"),
    "get_server_info": ("server_info", "get_server_info", bp.GetServerInfoRequest, "info"),
}
# The generated stub of each service named in _OPERATIONS.
_STUBS: dict[str, type[Any]] = {
    "vclusters": bp.VClusterServiceStub,
    "snapshots": bp.SnapshotServiceStub,
    "monitor": bp.MonitorServiceStub,
    "server_info": bp.ServerInfoServiceStub,
}
# The protobuf class of each answer, to report it in the protocol's messages.
_RESULT_TYPES: dict[str, type[Any]] = {
    "vcluster": vcluster_pb2.VCluster,
    "snapshot": snapshot_pb2.Snapshot,
    "vcluster_page": vcluster_service_pb2.ListVClustersResponse,
    "snapshot_page": snapshot_service_pb2.ListSnapshotsResponse,
    "usage": monitor_service_pb2.VClusterUsage,
    "fleet_summary": monitor_service_pb2.FleetSummary,
    "server_info": server_info_service_pb2.ServerInfo,
}


class BetterprotoFlavour:
    """Opens a BetterprotoSession per case."""

    def open(self, connection: Connection) -> BetterprotoSession:
        """A session for one case."""
        return BetterprotoSession(connection)

    def close(self) -> None:
        """Nothing is shared between cases."""


class BetterprotoSession:
    """One channel per token the case uses, and the case's watches."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._channels: dict[str, grpc.Channel] = {}
        self._watches = Watches()

    def execute(self, step: Step, request: Message, call: Call) -> StepResult:
        """Runs one step through the betterproto stubs."""
        if call.shape == WATCH_COLLECT:
            return self._watches.collect(step.watch_collect)
        action = step.WhichOneof("action")
        assert action is not None
        options = step.options
        # It never retries, so asking for a single attempt is already met.
        if options.timeout_ms or options.metadata or options.max_attempts > 1:
            raise UnsupportedError(
                "the betterproto stubs take no timeout, metadata or retry options"
            )
        channel = self._channel(token_of(step, self._connection))
        if call.shape == WATCH_START:
            stream = bp.VClusterServiceStub(channel).watch_v_clusters(
                bp.WatchVClustersRequest.parse(request.SerializeToString())
            )
            buffer = self._watches.start(step.name, getattr(stream, "cancel", lambda: None))
            threading.Thread(target=_follow, args=(stream, buffer), daemon=True).start()
            result = StepResult()
            fill(result, "done", None)
            return result
        if call.shape not in (UNARY, LIST_PAGE) or action not in _OPERATIONS:
            raise UnsupportedError(f"the betterproto flavour has no {action}")
        service, method, request_type, field = _OPERATIONS[action]
        stub = _STUBS[service](channel)
        try:
            response = getattr(stub, method)(request_type.parse(request.SerializeToString()))
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc
        answer = getattr(response, field) if field else response
        result = StepResult()
        if call.outcome == "kubeconfig":
            fill(result, "kubeconfig", answer.status.kubeconfig)
        elif call.outcome == "done":
            fill(result, "done", None)
        else:
            getattr(result, call.outcome).CopyFrom(
                _RESULT_TYPES[call.outcome].FromString(bytes(answer))
            )
        return result

    def close(self) -> None:
        """Stops the watches and closes the channels."""
        self._watches.stop_all()
        for channel in self._channels.values():
            channel.close()

    def _channel(self, token: str) -> grpc.Channel:
        if token not in self._channels:
            self._channels[token] = openvcluster.create_channel(
                self._connection.address, **connection_kwargs(self._connection, token)
            )
        return self._channels[token]


def _follow(stream: Iterator[Any], buffer: WatchBuffer) -> None:
    failure: BaseException | None = None
    try:
        for event in stream:
            buffer.add(vcluster_service_pb2.WatchVClustersResponse.FromString(bytes(event)))
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.CANCELLED:
            failure = from_rpc_error(exc)
    buffer.end(failure)
