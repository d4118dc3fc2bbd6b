"""WatchVClusters beyond the cases of conformance/cases/watch.yaml: the order
of events under concurrent writers, bounded buffers for slow watchers, the
listing read a slice at a time, limits, and shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server.app import ReferenceServer
from openvcluster_server.config import ServerConfig
from openvcluster_server.errors import ApiError
from openvcluster_server.resources import key_of, new_vcluster
from openvcluster_server.store import Key
from openvcluster_server.testing import TEST_DEFAULTS, RunningServer, running_server
from openvcluster_server.watch import LIST_SLICE, WatchHub, WatchLimits
from support import WAIT_DEADLINE, Api, Phase, connect, failure

EventType = api.WatchVClustersResponse.EventType
ADDED, MODIFIED, DELETED, SYNCED = (
    EventType.EVENT_TYPE_ADDED,
    EventType.EVENT_TYPE_MODIFIED,
    EventType.EVENT_TYPE_DELETED,
    EventType.EVENT_TYPE_SYNCED,
)


def _watch(client: Api, **fields: Any) -> grpc._CallIterator[api.WatchVClustersResponse]:
    return client.vclusters.WatchVClusters(
        api.WatchVClustersRequest(**fields), timeout=WAIT_DEADLINE
    )


def _take(
    stream: Iterator[api.WatchVClustersResponse], count: int
) -> list[api.WatchVClustersResponse]:
    return [next(stream) for _ in range(count)]


def test_starts_with_added_for_every_match_then_changes_in_order(client: Api) -> None:
    client.running("team-a", "one")
    client.running("team-a", "two")
    client.running("team-b", "three")
    stream = _watch(client, namespace="team-a")
    initial = _take(stream, 3)
    assert [(e.type, e.vcluster.name) for e in initial] == [
        (ADDED, "one"),
        (ADDED, "two"),
        (SYNCED, ""),
    ]
    assert not initial[2].HasField("vcluster")
    client.vclusters.SuspendVCluster(api.SuspendVClusterRequest(namespace="team-a", name="one"))
    client.vclusters.DeleteVCluster(api.DeleteVClusterRequest(namespace="team-a", name="two"))
    client.create("team-a", "four")
    seen = [
        (e.type, e.vcluster.name, Phase.Name(e.vcluster.status.phase)) for e in _take(stream, 6)
    ]
    stream.cancel()
    by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for event_type, name, phase in seen:
        by_name[name].append((event_type, phase))
    assert by_name["one"] == [(MODIFIED, "PHASE_SUSPENDING"), (MODIFIED, "PHASE_SUSPENDED")]
    assert by_name["two"] == [(MODIFIED, "PHASE_DELETING"), (DELETED, "PHASE_DELETING")]
    assert by_name["four"] == [(ADDED, "PHASE_PROVISIONING"), (MODIFIED, "PHASE_RUNNING")]


def test_every_change_arrives_under_concurrent_writers(client: Api) -> None:
    stream = _watch(client)
    assert next(stream).type == SYNCED  # nothing yet; the watch is subscribed
    names = [f"vc-{i:02d}" for i in range(24)]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda name: client.create("load", name), names))
    # Each vcluster: ADDED while PROVISIONING, then MODIFIED when RUNNING.
    events = _take(stream, 2 * len(names))
    with ThreadPoolExecutor(6) as pool:
        list(
            pool.map(
                lambda name: client.vclusters.DeleteVCluster(
                    api.DeleteVClusterRequest(namespace="load", name=name)
                ),
                names,
            )
        )
    events += _take(stream, 2 * len(names))
    stream.cancel()
    history: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for event in events:
        history[event.vcluster.name].append((event.type, event.vcluster.status.phase))
    expected = [
        (ADDED, Phase.PHASE_PROVISIONING),
        (MODIFIED, Phase.PHASE_RUNNING),
        (MODIFIED, Phase.PHASE_DELETING),
        (DELETED, Phase.PHASE_DELETING),
    ]
    assert {name: history[name] for name in names} == {name: expected for name in names}


def _burst(server: ReferenceServer, namespace: str, count: int) -> None:
    """Publishes ``count`` creations in one turn of the event loop, faster than any
    watcher can send them."""
    for index in range(count):
        vcluster = new_vcluster(namespace, f"burst-{index:04d}", VClusterSpec(), {})
        server.backend.hub.publish(None, vcluster)


def test_a_watcher_that_falls_behind_is_ended_and_can_watch_again() -> None:
    with running_server(watch_buffer=5) as server:
        client = connect(server)
        client.running("calm", "steady")
        slow = _watch(client, namespace="busy")
        calm = _watch(client, namespace="calm")
        assert [e.vcluster.name for e in _take(calm, 2)] == ["steady", ""]
        assert next(slow).type == SYNCED  # the busy watch is subscribed
        client.create("busy", "first")
        assert next(slow).vcluster.name == "first"
        server.call(lambda s: _burst(s, "busy", 50))
        with pytest.raises(grpc.RpcError) as ended:
            for _ in range(100):
                next(slow)
        assert ended.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "watch again" in (ended.value.details() or "")
        # The other watcher is untouched, and the slow one may watch again.
        client.vclusters.SuspendVCluster(
            api.SuspendVClusterRequest(namespace="calm", name="steady")
        )
        assert next(calm).vcluster.status.phase == Phase.PHASE_SUSPENDING
        again = _watch(client, namespace="busy")
        assert [e.type for e in _take(again, 2)] == [ADDED, SYNCED]
        calm.cancel()
        again.cancel()


def test_initial_events_do_not_count_against_the_buffer() -> None:
    with running_server(watch_buffer=2) as server:
        client = connect(server)
        for index in range(6):
            client.create("many", f"vc-{index}")
        stream = _watch(client, namespace="many")
        events = _take(stream, 7)
        assert {e.vcluster.name for e in events[:6]} == {f"vc-{i}" for i in range(6)}
        assert events[6].type == SYNCED
        stream.cancel()


def test_stopping_the_server_ends_open_watches_with_unavailable_at_once() -> None:
    # A grace period far longer than the test may take: the watch must not wait for it.
    server = RunningServer(ServerConfig(**TEST_DEFAULTS).replace(shutdown_grace=600))
    server.start()
    stopper = threading.Thread(target=server.stop)
    client = connect(server)
    try:
        stream = _watch(client, namespace="team-a")
        assert next(stream).type == SYNCED
        stopper.start()
        with pytest.raises(grpc.RpcError) as ended:
            next(stream)
        assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
        assert ended.value.details() == "server shutting down"
    finally:
        client.channel.close()
        if stopper.ident is None:
            server.stop()
        else:
            stopper.join()


# --- bounded memory and limits ---------------------------------------------------------


class _CountingLister:
    """A store's scan in key order that counts the vclusters a watch read from it."""

    def __init__(self, vclusters: list[VCluster]) -> None:
        self.vclusters = vclusters
        self.read = 0

    def __call__(self, after: Key | None) -> Iterator[VCluster]:
        for vcluster in list(self.vclusters):
            if after is None or key_of(vcluster) > after:
                self.read += 1
                yield vcluster


def _stored(count: int) -> list[VCluster]:
    return [new_vcluster("many", f"vc-{i:05d}", VClusterSpec(), {}) for i in range(count)]


def _everything(vcluster: VCluster) -> bool:
    return True


ANYONE = ("anyone", "anyone")


def test_a_watch_reads_its_listing_a_slice_at_a_time() -> None:
    async def scenario() -> None:
        lister = _CountingLister(_stored(5000))
        watcher = WatchHub(WatchLimits()).subscribe(ANYONE, _everything, lister)
        first = await watcher.next()
        assert (first.type, first.vcluster.name) == (ADDED, "vc-00000")
        # However large the store, a watch holds one slice of it.
        assert lister.read == LIST_SLICE
        names = [(await watcher.next()).vcluster.name for _ in range(4999)]
        assert names == [f"vc-{i:05d}" for i in range(1, 5000)]
        assert (await watcher.next()).type == SYNCED

    asyncio.run(scenario())


def test_changes_during_the_listing_are_listed_or_follow_synced() -> None:
    async def scenario() -> None:
        stored = _stored(LIST_SLICE + 50)
        lister = _CountingLister(stored)
        hub = WatchHub(WatchLimits())
        watcher = hub.subscribe(ANYONE, _everything, lister)
        assert (await watcher.next()).vcluster.name == "vc-00000"  # the first slice is read

        listed, later, gone = stored[1], stored[LIST_SLICE + 10], stored[LIST_SLICE + 20]
        changed = VCluster()
        changed.CopyFrom(listed)
        changed.labels["changed"] = "yes"
        hub.publish(listed, changed)
        relabelled = VCluster()
        relabelled.CopyFrom(later)
        relabelled.labels["changed"] = "yes"
        stored[LIST_SLICE + 10] = relabelled
        hub.publish(later, relabelled)
        stored.remove(gone)
        hub.publish(gone, None)
        created = new_vcluster("many", "vc-00000a", VClusterSpec(), {})  # sorts among the listed
        hub.publish(None, created)

        events: list[api.WatchVClustersResponse] = []
        while not events or events[-1].type != SYNCED:
            events.append(await watcher.next())
        added = {e.vcluster.name: e.vcluster for e in events[:-1]}
        assert len(events) - 1 == len(added) == LIST_SLICE + 48
        assert gone.name not in added  # deleted before the listing reached it
        assert added[later.name].labels["changed"] == "yes"  # listed as it is now
        assert "changed" not in added[listed.name].labels  # listed as it was ...
        after_synced = [await watcher.next(), await watcher.next()]
        assert [(e.type, e.vcluster.name) for e in after_synced] == [
            (MODIFIED, listed.name),  # ... then told of the change
            (ADDED, created.name),
        ]

    asyncio.run(scenario())


def test_watches_are_limited_per_caller_and_in_total() -> None:
    hub = WatchHub(WatchLimits(total=3, per_caller=2))
    first = [hub.subscribe(("a", "alice"), _everything, _CountingLister([])) for _ in range(2)]
    with pytest.raises(ApiError) as per_caller:
        hub.subscribe(("a", "alice"), _everything, _CountingLister([]))
    assert per_caller.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "alice has 2 watches open" in per_caller.value.message
    hub.subscribe(("b", "bob"), _everything, _CountingLister([]))
    with pytest.raises(ApiError) as total:
        hub.subscribe(("b", "bob"), _everything, _CountingLister([]))
    assert "the server has 3 watches open" in total.value.message
    first[0].close()
    first[0].close()  # closing twice frees one place, not two
    hub.subscribe(("a", "alice"), _everything, _CountingLister([]))
    with pytest.raises(ApiError):
        hub.subscribe(("a", "alice"), _everything, _CountingLister([]))


def test_a_watch_over_the_callers_limit_is_resource_exhausted_with_a_quota_failure() -> None:
    with running_server(max_watches_per_caller=1) as server:
        client = connect(server)
        open_watch = _watch(client, namespace="team-a")
        assert next(open_watch).type == SYNCED
        refused = _watch(client, namespace="team-a")
        exhausted = failure(next, refused)
        assert exhausted.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        subject = exhausted.detail(error_details_pb2.QuotaFailure).violations[0].subject
        assert subject.startswith("caller:")
        open_watch.cancel()
