"""Helpers for the server tests: raw gRPC stubs and decoded failures.

The server tests talk to the server through generated stubs, not through an
SDK, so they pin down the wire behaviour every SDK relies on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from openvcluster.v1 import monitor_service_pb2_grpc as mon_grpc
from openvcluster.v1 import server_info_service_pb2_grpc as info_grpc
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import snapshot_service_pb2_grpc as snap_grpc
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.app import ReferenceServer
from openvcluster_server.testing import RunningServer

Phase = VCluster.Phase
EventType = api.WatchVClustersResponse.EventType
M = TypeVar("M", bound=Message)
# A safety net so a broken server fails a test instead of hanging it; no
# outcome depends on it.
WAIT_DEADLINE = 20.0


@dataclass
class Api:
    """Raw stubs for one server and the helpers most tests need."""

    server: RunningServer
    channel: grpc.Channel
    vclusters: api_grpc.VClusterServiceStub
    snapshots: snap_grpc.SnapshotServiceStub
    monitor: mon_grpc.MonitorServiceStub
    info: info_grpc.ServerInfoServiceStub

    def create(self, namespace: str = "team-a", name: str = "dev", **fields: Any) -> VCluster:
        """Creates a vcluster and returns it as the response shows it."""
        request = api.CreateVClusterRequest(namespace=namespace, name=name, **fields)
        return self.vclusters.CreateVCluster(request).vcluster

    def get(self, namespace: str = "team-a", name: str = "dev") -> VCluster:
        """GetVCluster."""
        request = api.GetVClusterRequest(namespace=namespace, name=name)
        return self.vclusters.GetVCluster(request).vcluster

    def running(self, namespace: str = "team-a", name: str = "dev", **fields: Any) -> VCluster:
        """Creates a vcluster and waits until it is RUNNING."""
        self.create(namespace, name, **fields)
        return self.wait_phase(namespace, name, Phase.PHASE_RUNNING)

    def wait_phase(self, namespace: str, name: str, phase: int) -> VCluster:
        """Follows a watch of one vcluster until it reaches ``phase``."""
        for event in self._follow(namespace, name):
            if event.type == EventType.EVENT_TYPE_DELETED:
                break
            if event.vcluster.status.phase == phase:
                return event.vcluster
        wanted = Phase.Name(Phase.ValueType(phase))
        raise AssertionError(f"{namespace}/{name} is gone; it never reached {wanted}")

    def wait_gone(self, namespace: str, name: str) -> None:
        """Follows a watch of one vcluster until it is deleted (or found absent)."""
        for event in self._follow(namespace, name):
            if event.type == EventType.EVENT_TYPE_DELETED:
                return

    def _follow(self, namespace: str, name: str) -> Iterator[api.WatchVClustersResponse]:
        """The events of one vcluster, ending after SYNCED if it does not exist."""
        stream = self.vclusters.WatchVClusters(
            api.WatchVClustersRequest(namespace=namespace, name=name), timeout=WAIT_DEADLINE
        )
        seen = False
        try:
            for event in stream:
                if event.type == EventType.EVENT_TYPE_SYNCED:
                    if not seen:
                        return
                    continue
                seen = True
                yield event
        finally:
            stream.cancel()

    def wait_snapshot(self, namespace: str, name: str, phase: int) -> Snapshot:
        """Polls GetSnapshot until ``phase``: snapshots have no watch. With zero
        delay each poll lets the server's transition timers run, so this ends."""
        request = snap_api.GetSnapshotRequest(namespace=namespace, name=name)
        for _ in range(10_000):
            snapshot = self.snapshots.GetSnapshot(request).snapshot
            if snapshot.phase == phase:
                return snapshot
        raise AssertionError(f"snapshot {namespace}/{name} never reached {phase}")

    def force_phase(self, namespace: str, name: str, phase: int) -> VCluster:
        """Puts a stored vcluster into any phase, with no timer to move it on.

        Holds a vcluster in an intermediate phase so a test can check what
        the API allows there.
        """

        def change(server: ReferenceServer) -> VCluster:
            vcluster = server.store.get_vcluster((namespace, name))
            assert vcluster is not None
            vcluster.status.phase = phase  # type: ignore[assignment]
            vcluster.etag = f"forced-{phase}"
            server.store.put_vcluster(vcluster)
            return vcluster

        return self.server.call(change)


def connect(server: RunningServer, metadata: tuple[tuple[str, str], ...] = ()) -> Api:
    """Stubs for ``server``, sending ``metadata`` on every call."""
    channel = grpc.insecure_channel(server.address)
    if metadata:
        channel = grpc.intercept_channel(channel, _StaticMetadata(metadata))
    return Api(
        server=server,
        channel=channel,
        vclusters=api_grpc.VClusterServiceStub(channel),
        snapshots=snap_grpc.SnapshotServiceStub(channel),
        monitor=mon_grpc.MonitorServiceStub(channel),
        info=info_grpc.ServerInfoServiceStub(channel),
    )


class _StaticMetadata(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds fixed metadata (such as a bearer token) to every call."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata

    def _details(self, details: Any) -> Any:
        return details._replace(metadata=(*(details.metadata or ()), *self._metadata))

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)


@dataclass
class Failure:
    """What a failed call answered, with its rich details decoded."""

    code: grpc.StatusCode
    message: str
    status: status_pb2.Status | None

    def detail(self, kind: type[M]) -> M:
        """The one detail of this type; fails the test when absent."""
        assert self.status is not None, "no google.rpc.Status in the trailers"
        for packed in self.status.details:
            if packed.TypeName() == kind.DESCRIPTOR.full_name:
                message = kind()
                packed.Unpack(message)
                return message
        raise AssertionError(f"no {kind.DESCRIPTOR.full_name} detail in {self.status}")

    @property
    def violations(self) -> dict[str, str]:
        """BadRequest field violations as {field: description}."""
        bad = self.detail(error_details_pb2.BadRequest)
        return {v.field: v.description for v in bad.field_violations}

    @property
    def info(self) -> error_details_pb2.ErrorInfo:
        """The ErrorInfo detail."""
        return self.detail(error_details_pb2.ErrorInfo)


def failure(call: Any, *args: Any, **kwargs: Any) -> Failure:
    """Calls and returns the failure; fails the test if the call succeeds."""
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        assert isinstance(error, grpc.Call)  # what grpcio raises is both
        return Failure(error.code(), error.details() or "", rpc_status.from_call(error))
    raise AssertionError("the call succeeded")
