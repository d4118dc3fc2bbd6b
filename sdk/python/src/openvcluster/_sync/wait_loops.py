"""The synchronous twin of openvcluster/_async/wait_loops.py, written from it
by scripts/write_sync_client.py. DO NOT EDIT: change the asyncio source
and regenerate."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable

from openvcluster import _requests as build
from openvcluster._invoke import invoke
from openvcluster._options import CallSettings, WireMetadata
from openvcluster._wait import SnapshotWaiter, VClusterWaiter
from openvcluster._watch import Watch
from openvcluster.errors import DeadlineExceededError, NotFoundError, OpenVClusterError
from openvcluster.v1 import snapshot_pb2, vcluster_pb2
from openvcluster.v1 import snapshot_service_pb2 as ss
from openvcluster.v1 import snapshot_service_pb2_grpc as ss_grpc
from openvcluster.v1 import vcluster_service_pb2 as vs
from openvcluster.v1 import vcluster_service_pb2_grpc as vs_grpc

__all__ = ["for_deletion", "for_phase", "for_snapshot", "settle"]

_log = logging.getLogger("openvcluster")


def for_phase(
    stub: vs_grpc.VClusterServiceStub,
    namespace: str,
    name: str,
    target: vcluster_pb2.VCluster.Phase.ValueType,
    options: CallSettings,
    wire: WireMetadata,
    on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
) -> vcluster_pb2.VCluster:
    """Waits until the vcluster is in ``target`` and returns it."""
    waiter = VClusterWaiter.under(namespace, name, target, options, on_change)
    _run(stub, waiter, options, wire)
    assert waiter.last_seen is not None
    return waiter.last_seen


def for_deletion(
    stub: vs_grpc.VClusterServiceStub,
    namespace: str,
    name: str,
    options: CallSettings,
    wire: WireMetadata,
    on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
) -> None:
    """Waits until the vcluster is gone."""
    _run(stub, VClusterWaiter.under(namespace, name, None, options, on_change), options, wire)


def settle(
    stub: vs_grpc.VClusterServiceStub,
    vcluster: vcluster_pb2.VCluster,
    target: vcluster_pb2.VCluster.Phase.ValueType | None,
    options: CallSettings,
    wire: WireMetadata,
) -> vcluster_pb2.VCluster:
    """``wait=True`` of a mutation that returned ``vcluster``: waits until it is in
    ``target`` (``None``: gone) and returns its last state."""
    waiter = VClusterWaiter.under(vcluster.namespace, vcluster.name, target, options, None)
    if not waiter.start_from(vcluster):
        _run(stub, waiter, options, wire)
    assert waiter.last_seen is not None
    return waiter.last_seen


def for_snapshot(
    stub: ss_grpc.SnapshotServiceStub,
    namespace: str,
    name: str,
    target: snapshot_pb2.Snapshot.Phase.ValueType,
    options: CallSettings,
    wire: WireMetadata,
    on_change: Callable[[snapshot_pb2.Snapshot], None] | None = None,
) -> snapshot_pb2.Snapshot:
    """Polls the snapshot until it is in ``target`` and returns it."""
    waiter = SnapshotWaiter(namespace, name, target, options.wait_timeout, on_change=on_change)
    request = ss.GetSnapshotRequest(namespace=namespace, name=name)
    while True:
        if waiter.expired():
            raise waiter.timeout_error()
        call_options = dataclasses.replace(options, timeout=waiter.call_timeout(options.timeout))
        try:
            response = invoke("GetSnapshot", stub.GetSnapshot, request, call_options, wire)
        except DeadlineExceededError as exc:
            if waiter.read_timed_out(call_options.timeout, options.timeout):
                raise waiter.timeout_error() from exc
            raise
        if waiter.observe(response.snapshot):
            return response.snapshot
        time.sleep(waiter.poll_delay())


def _run(
    stub: vs_grpc.VClusterServiceStub,
    waiter: VClusterWaiter,
    options: CallSettings,
    wire: WireMetadata,
) -> None:
    """Follows watches of the vcluster until the wait is over, or polls once they fail."""
    request = build.watch_request(waiter.namespace, name=waiter.name, label_selector="")
    while True:
        watch = Watch(
            functools.partial(
                stub.WatchVClusters, request, timeout=waiter.watch_timeout(), metadata=wire
            )
        )
        ended: OpenVClusterError | None = None
        with watch:
            waiter.watch_started()
            while True:
                try:
                    event = next(watch)
                except StopIteration:
                    break
                except OpenVClusterError as exc:
                    ended = exc
                    break
                if waiter.observe_event(event):
                    return
        pause = waiter.watch_ended(ended)
        if pause is None:
            _log.debug("watch unusable while waiting (%r); polling instead", ended)
            break
        _log.debug("watch ended while waiting (%r); watching again", ended)
        time.sleep(pause)
    _poll(stub, waiter, options, wire)


def _poll(
    stub: vs_grpc.VClusterServiceStub,
    waiter: VClusterWaiter,
    options: CallSettings,
    wire: WireMetadata,
) -> None:
    """Reads the vcluster with a growing pause until the wait is over."""
    request = vs.GetVClusterRequest(namespace=waiter.namespace, name=waiter.name)
    while True:
        if waiter.expired():
            raise waiter.timeout_error()
        call_options = dataclasses.replace(options, timeout=waiter.call_timeout(options.timeout))
        try:
            response = invoke("GetVCluster", stub.GetVCluster, request, call_options, wire)
        except NotFoundError:
            if waiter.observe_gone():
                return
        except DeadlineExceededError as exc:
            if waiter.read_timed_out(call_options.timeout, options.timeout):
                raise waiter.timeout_error() from exc
            raise
        else:
            if waiter.observe(response.vcluster):
                return
        time.sleep(waiter.poll_delay())
