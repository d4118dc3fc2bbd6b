"""Many clients at once: random mutations from several threads, one watcher.

Whatever the interleaving, the watcher's last event for each vcluster must
be the state the store ends with, and every vcluster must end settled.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import Resources, VCluster
from openvcluster_server.phases import INTERMEDIATE
from support import WAIT_DEADLINE, Api, EventType, Phase

NAMES = [f"vc-{i}" for i in range(6)]
MARKER = "zz-marker"


def _random_mutation(client: Api, rng: random.Random) -> None:
    name = rng.choice(NAMES)
    key: dict[str, Any] = {"namespace": "load", "name": name}
    calls: list[Callable[[], object]] = [
        lambda: client.vclusters.CreateVCluster(api.CreateVClusterRequest(**key)),
        lambda: client.vclusters.DeleteVCluster(api.DeleteVClusterRequest(**key)),
        lambda: client.vclusters.SuspendVCluster(api.SuspendVClusterRequest(**key)),
        lambda: client.vclusters.ResumeVCluster(api.ResumeVClusterRequest(**key)),
        lambda: client.vclusters.ScaleVCluster(
            api.ScaleVClusterRequest(**key, resources=Resources(cpu=rng.choice(["1", "2"])))
        ),
        lambda: client.vclusters.SnapshotVCluster(api.SnapshotVClusterRequest(**key)),
    ]
    try:
        rng.choice(calls)()
    except grpc.RpcError as error:
        # Refusals are expected in a random sequence; anything else is a bug.
        assert error.code() in {
            grpc.StatusCode.ALREADY_EXISTS,
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.FAILED_PRECONDITION,
        }, error


def _settle(client: Api) -> list[VCluster]:
    """Lists until no vcluster is in an intermediate phase. Each call gives the
    server's zero-delay timers a turn, so this ends."""
    for _ in range(10_000):
        listed = client.vclusters.ListVClusters(
            api.ListVClustersRequest(namespace="load", page_size=1000)
        ).vclusters
        if all(vc.status.phase not in INTERMEDIATE for vc in listed):
            return list(listed)
    raise AssertionError("the vclusters never settled")


def test_watch_and_store_agree_after_concurrent_random_mutations(client: Api) -> None:
    stream = client.vclusters.WatchVClusters(
        api.WatchVClustersRequest(namespace="load"), timeout=WAIT_DEADLINE
    )
    assert next(stream).type == EventType.EVENT_TYPE_SYNCED

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(60):
            _random_mutation(client, rng)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(worker, range(8)))
    final = {vc.name: vc for vc in _settle(client) if vc.name != MARKER}
    client.create("load", MARKER)

    last: dict[str, api.WatchVClustersResponse] = {}
    for event in stream:
        if event.vcluster.name == MARKER:
            break
        last[event.vcluster.name] = event
    stream.cancel()

    for name in NAMES:
        if name in final:
            assert last[name].type != EventType.EVENT_TYPE_DELETED
            assert last[name].vcluster == final[name]
            assert final[name].status.phase in {Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDED}
        elif name in last:
            assert last[name].type == EventType.EVENT_TYPE_DELETED
    snapshots = client.snapshots.ListSnapshots(
        snap_api.ListSnapshotsRequest(namespace="load", page_size=1000)
    ).snapshots
    assert all(s.vcluster in NAMES for s in snapshots)
