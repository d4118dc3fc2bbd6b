"""Resource exhaustion: no caller, request or watch can freeze the server or run it
out of memory.

Each attack is checked by its structure, never by how long it took:

* idle watches over a large store, and fresh request ids by the thousand,
  keep a real server process's memory under a fixed ceiling;
* a watch listing a large store lets a Get sent after it through first;
* oversized selectors are refused naming the limit, and a Get sent while
  they are being refused is answered;
* a caller at its watch limit is refused, while another caller still
  watches and reads;
* a quota storm of concurrent creates never exceeds the quota.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server.app import ReferenceServer
from openvcluster_server.auth import ANONYMOUS
from openvcluster_server.config import Quota
from openvcluster_server.resources import new_vcluster
from openvcluster_server.store import Store
from openvcluster_server.testing import ServerProcess, running_server
from support import EventType, Phase, connect, failure

# 200 watches each reading one event over 3,000 vclusters took the server
# from 47 MB to 1.5 GB when a watch held its whole initial state.
STORED = 3_000
WATCHES = 200
FRESH_REQUEST_IDS = 3_000
MEMORY_CEILING_MB = 200


def _running(namespace: str, name: str) -> VCluster:
    vcluster = new_vcluster(namespace, name, VClusterSpec(), {"team": "t" * 60})
    vcluster.status.phase = Phase.PHASE_RUNNING
    return vcluster


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@pytest.fixture
def large_store_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server process (memory store) over STORED running vclusters, with room
    for WATCHES watches."""
    config = tmp_path / "server.yaml"
    config.write_text(f"max_watches_per_caller: {WATCHES}\nrequest_id_limit_per_caller: 500\n")
    command = [sys.executable, "-m", "openvcluster_server", "serve", "--address", "127.0.0.1:0"]
    command += ["--http-address", "127.0.0.1:0"]
    command += ["--transition-delay", "0", "--config", str(config)]
    with ServerProcess(command) as server, grpc.insecure_channel(server.address) as channel:
        stub = api_grpc.VClusterServiceStub(channel)
        labels = {"team": "t" * 60, "tier": "x" * 60}
        for index in range(STORED):
            stub.CreateVCluster(
                api.CreateVClusterRequest(
                    namespace=f"team-{index % 10}", name=f"vc-{index:05d}", labels=labels
                )
            )
        yield server


def test_idle_watches_and_fresh_request_ids_stay_under_the_memory_ceiling(
    large_store_server: ServerProcess,
) -> None:
    pid = large_store_server.process.pid
    # No window growth: a client that reads nothing keeps HTTP/2's 64 KiB
    # window per stream, so the server must stop sending and hold the rest.
    options = [("grpc.http2.bdp_probe", 0)]
    with grpc.insecure_channel(large_store_server.address, options=options) as channel:
        stub = api_grpc.VClusterServiceStub(channel)
        get = api.GetVClusterRequest(namespace="team-0", name="vc-00000")
        stub.GetVCluster(get)
        before = _rss_mb(pid)
        watches = [stub.WatchVClusters(api.WatchVClustersRequest()) for _ in range(WATCHES)]
        for watch in watches:  # each one subscribed, listed a little, and then stopped reading
            assert next(watch).type == EventType.EVENT_TYPE_ADDED
        for _ in range(FRESH_REQUEST_IDS):
            stub.CreateVCluster(
                api.CreateVClusterRequest(
                    namespace="team-0",
                    name="planned",
                    validate_only=True,
                    request_id=str(uuid.uuid4()),
                )
            )
        assert stub.GetVCluster(get).vcluster.name == "vc-00000"
        grown = _rss_mb(pid) - before
        for watch in watches:
            watch.cancel()
    assert grown < MEMORY_CEILING_MB, f"the server grew by {grown:.0f} MB"


def test_a_get_sent_while_a_watch_lists_a_large_store_is_answered_before_its_listing_ends() -> None:
    # Run on the server's own event loop, where the two calls compete for
    # turns: the order they finish in is decided by the code, not by timing.
    async def race(server: ReferenceServer) -> list[str]:
        reads = server.backend.reads
        # Only the first vcluster matches: after its ADDED, the watch still
        # has the whole store to read before SYNCED.
        watcher = reads.watch_vclusters(
            ANONYMOUS, api.WatchVClustersRequest(label_selector="first=yes")
        )
        assert (await watcher.next()).vcluster.name == "vc-00000"
        order: list[str] = []

        async def listing() -> None:
            assert (await watcher.next()).type == EventType.EVENT_TYPE_SYNCED
            order.append("watch synced")

        async def get() -> None:
            request = api.GetVClusterRequest(namespace="team-0", name="vc-00000")
            assert reads.get_vcluster(ANONYMOUS, request).message().vcluster.name == "vc-00000"
            order.append("get answered")

        await asyncio.gather(listing(), get())
        watcher.close()
        return order

    with running_server() as server:
        server.call(lambda s: _seed_directly(s.store, 30_000))
        assert server.call_async(race) == ["get answered", "watch synced"]


def _seed_directly(store: Store, count: int) -> None:
    for index in range(count):
        vcluster = _running(f"team-{index % 10}", f"vc-{index:05d}")
        if index == 0:
            vcluster.labels["first"] = "yes"
        store.put_vcluster(vcluster)


def test_oversized_selectors_are_refused_while_other_calls_are_answered() -> None:
    with running_server(max_message_bytes=16 * 1024 * 1024) as server:
        client = connect(server)
        client.running("team-a", "dev")
        huge = ",".join(
            f"k{i} in (" + ",".join(f"v{j}" for j in range(50)) + ")" for i in range(5000)
        )
        many = ",".join(f"k{i}" for i in range(100))  # short, but 100 requirements

        def attack(selector: str) -> grpc.StatusCode:
            request = api.ListVClustersRequest(label_selector=selector)
            return failure(client.vclusters.ListVClusters, request).code

        with ThreadPoolExecutor(8) as pool:
            attacks = [pool.submit(attack, s) for s in [huge, many] * 8]
            assert client.get("team-a", "dev").name == "dev"
            assert {a.result() for a in attacks} == {grpc.StatusCode.INVALID_ARGUMENT}
        for selector, limit in ((huge, "4096"), (many, "64")):
            refused = failure(
                client.vclusters.ListVClusters, api.ListVClustersRequest(label_selector=selector)
            )
            assert f"at most {limit}" in refused.violations["label_selector"]


def test_a_caller_at_its_watch_limit_is_refused_while_others_watch(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        "tokens:\n"
        "  - {token: greedy-secret, role: viewer, name: greedy}\n"
        "  - {token: calm-secret, role: viewer, name: calm}\n"
    )
    with running_server(tokens_file=tokens, max_watches_per_caller=20) as server:
        greedy = connect(server, (("authorization", "Bearer greedy-secret"),))
        calm = connect(server, (("authorization", "Bearer calm-secret"),))
        held = [greedy.vclusters.WatchVClusters(api.WatchVClustersRequest()) for _ in range(20)]
        for watch in held:
            assert next(watch).type == EventType.EVENT_TYPE_SYNCED
        refused = failure(next, greedy.vclusters.WatchVClusters(api.WatchVClustersRequest()))
        assert refused.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "greedy has 20 watches open" in refused.message
        own = calm.vclusters.WatchVClusters(api.WatchVClustersRequest())
        assert next(own).type == EventType.EVENT_TYPE_SYNCED
        assert calm.vclusters.ListVClusters(api.ListVClustersRequest()).vclusters == []
        for watch in [*held, own]:
            watch.cancel()


def test_a_quota_storm_never_exceeds_the_quota() -> None:
    with running_server(quotas={"team-a": Quota(max_vclusters=5)}) as server:
        client = connect(server)

        def create(index: int) -> grpc.StatusCode:
            request = api.CreateVClusterRequest(namespace="team-a", name=f"vc-{index}")
            try:
                client.vclusters.CreateVCluster(request)
            except grpc.RpcError as error:
                assert isinstance(error, grpc.Call)
                return error.code()
            return grpc.StatusCode.OK

        with ThreadPoolExecutor(32) as pool:
            codes = list(pool.map(create, range(200)))
        assert codes.count(grpc.StatusCode.OK) == 5
        assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
        listed = client.vclusters.ListVClusters(api.ListVClustersRequest(namespace="team-a"))
        assert len(listed.vclusters) == 5
