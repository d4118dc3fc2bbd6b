"""The wait loops of AsyncClient: they feed the waiters of ``_wait`` from a watch or from reads.

scripts/write_sync_client.py writes Client's (openvcluster/_sync/wait_loops.py) from
this module. ``on_change`` is a plain callable (on AsyncClient, called in the
event loop).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable

from openvcluster import _requests as build
from openvcluster._invoke import ainvoke
from openvcluster._options import CallSettings, WireMetadata
from openvcluster._wait import SnapshotWaiter, VClusterWaiter
from openvcluster._watch import AsyncWatch
from openvcluster.errors import DeadlineExceededError, NotFoundError, OpenVClusterError
from openvcluster.v1 import snapshot_pb2, vcluster_pb2
from openvcluster.v1 import snapshot_service_pb2 as ss
from openvcluster.v1 import snapshot_service_pb2_grpc as ss_grpc
from openvcluster.v1 import vcluster_service_pb2 as vs
from openvcluster.v1 import vcluster_service_pb2_grpc as vs_grpc

__all__ = ["for_deletion", "for_phase", "for_snapshot", "settle"]

_log = logging.getLogger("openvcluster")


async def for_phase(
    stub: vs_grpc.VClusterServiceAsyncStub,
    namespace: str,
    name: str,
    target: vcluster_pb2.VCluster.Phase.ValueType,
    options: CallSettings,
    wire: WireMetadata,
    on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
) -> vcluster_pb2.VCluster:
    """Waits until the vcluster is in ``target`` and returns it."""
    waiter = VClusterWaiter.under(namespace, name, target, options, on_change)
    await _run(stub, waiter, options, wire)
    assert waiter.last_seen is not None
    return waiter.last_seen


async def for_deletion(
    stub: vs_grpc.VClusterServiceAsyncStub,
    namespace: str,
    name: str,
    options: CallSettings,
    wire: WireMetadata,
    on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
) -> None:
    """Waits until the vcluster is gone."""
    await _run(stub, VClusterWaiter.under(namespace, name, None, options, on_change), options, wire)


async def settle(
    stub: vs_grpc.VClusterServiceAsyncStub,
    vcluster: vcluster_pb2.VCluster,
    target: vcluster_pb2.VCluster.Phase.ValueType | None,
    options: CallSettings,
    wire: WireMetadata,
) -> vcluster_pb2.VCluster:
    """``wait=True`` of a mutation that returned ``vcluster``: waits until it is in
    ``target`` (``None``: gone) and returns its last state."""
    waiter = VClusterWaiter.under(vcluster.namespace, vcluster.name, target, options, None)
    if not waiter.start_from(vcluster):
        await _run(stub, waiter, options, wire)
    assert waiter.last_seen is not None
    return waiter.last_seen


async def for_snapshot(
    stub: ss_grpc.SnapshotServiceAsyncStub,
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
            response = await ainvoke("GetSnapshot", stub.GetSnapshot, request, call_options, wire)
        except DeadlineExceededError as exc:
            if waiter.read_timed_out(call_options.timeout, options.timeout):
                raise waiter.timeout_error() from exc
            raise
        if waiter.observe(response.snapshot):
            return response.snapshot
        await asyncio.sleep(waiter.poll_delay())


async def _run(
    stub: vs_grpc.VClusterServiceAsyncStub,
    waiter: VClusterWaiter,
    options: CallSettings,
    wire: WireMetadata,
) -> None:
    """Follows watches of the vcluster until the wait is over, or polls once they fail."""
    request = build.watch_request(waiter.namespace, name=waiter.name, label_selector="")
    while True:
        watch = AsyncWatch(
            functools.partial(
                stub.WatchVClusters, request, timeout=waiter.watch_timeout(), metadata=wire
            )
        )
        ended: OpenVClusterError | None = None
        async with watch:
            waiter.watch_started()
            while True:
                try:
                    event = await anext(watch)
                except StopAsyncIteration:
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
        await asyncio.sleep(pause)
    await _poll(stub, waiter, options, wire)


async def _poll(
    stub: vs_grpc.VClusterServiceAsyncStub,
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
            response = await ainvoke("GetVCluster", stub.GetVCluster, request, call_options, wire)
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
        await asyncio.sleep(waiter.poll_delay())
