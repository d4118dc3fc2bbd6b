"""The Kubernetes backend's watch cache, fed by hand: what it shows, publishes and claims."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any, cast

import pytest

from openvcluster.v1.vcluster_pb2 import VClusterSpec
from openvcluster_server.errors import ApiError
from openvcluster_server.kube import kinds, objects
from openvcluster_server.kube.api import KubeApi
from openvcluster_server.kube.conventions import ANNOTATION_UPDATED, host_namespace
from openvcluster_server.kube.world import World
from openvcluster_server.phases import Phase
from openvcluster_server.store.memory import MemoryStore
from openvcluster_server.watch import WatchHub, WatchLimits


@pytest.fixture
def world() -> World:
    # The reflectors only talk to the API server when run; these tests feed them.
    return World(
        cast(KubeApi, None), MemoryStore(), WatchHub(WatchLimits(buffer=100)), max_staleness=5.0
    )


def resource(namespace: str = "team-a", name: str = "dev", version: str = "1") -> dict[str, Any]:
    created = objects.new_resource(
        namespace, name, VClusterSpec(replicas=1), {}, host_namespace(namespace, name)
    )
    created["metadata"].update(uid="u", resourceVersion=version, generation=1)
    created["metadata"]["creationTimestamp"] = "2026-12-05T10:00:00Z"
    # Fixed, not the clock's: the update time is the latest of the times.
    created["metadata"]["annotations"][ANNOTATION_UPDATED] = "2026-12-05T10:00:00Z"
    return created


def workload(namespace: str, release: str, version: str = "1", ready: int = 1) -> dict[str, Any]:
    return {
        "kind": "StatefulSet",
        "metadata": {
            "namespace": namespace,
            "name": release,
            "uid": f"w-{release}",
            "resourceVersion": version,
            "labels": {"app": "vcluster", "release": release},
            "creationTimestamp": "2026-12-05T09:00:00Z",
        },
        "spec": {"replicas": 1, "template": {"spec": {"containers": []}}},
        "status": {"readyReplicas": ready},
    }


def test_a_resource_is_shown_and_published_once_per_visible_change(world: World) -> None:
    published: list[tuple[Any, Any]] = []
    world._hub.publish = lambda before, after: published.append((before, after))  # type: ignore[method-assign]
    world.apply(kinds.VCLUSTERS, resource(version="1"))
    shown = world.mirror.get_vcluster(("team-a", "dev"))
    assert shown is not None and shown.status.phase == Phase.PHASE_PROVISIONING

    invisible = resource(version="2")
    invisible["status"] = {"phase": "PROVISIONING", "releasedGeneration": 1}
    world.apply(kinds.VCLUSTERS, invisible)
    assert len(published) == 1  # only the ADDED

    running = copy.deepcopy(invisible)
    running["metadata"]["resourceVersion"] = "3"
    running["status"].update(phase="RUNNING", observedGeneration=1)
    world.apply(kinds.VCLUSTERS, running)
    assert len(published) == 2
    assert published[-1][1].status.phase == Phase.PHASE_RUNNING


def test_an_older_version_never_replaces_a_newer_one(world: World) -> None:
    world.apply(kinds.VCLUSTERS, resource(version="5"))
    world.apply(kinds.VCLUSTERS, resource(version="4"))
    assert world.resource(("team-a", "dev"))["metadata"]["resourceVersion"] == "5"  # type: ignore[index]


def test_a_control_plane_without_a_resource_is_adopted_where_it_lives(world: World) -> None:
    world.apply(kinds.STATEFULSETS, workload("legacy-ns", "legacy"))
    adopted = world.mirror.get_vcluster(("legacy-ns", "legacy"))
    assert adopted is not None
    assert (adopted.uid, adopted.status.phase) == ("w-legacy", Phase.PHASE_RUNNING)


def test_a_claimed_control_plane_is_not_shown_twice(world: World) -> None:
    host = host_namespace("team-a", "dev")
    world.apply(kinds.STATEFULSETS, workload(host, "dev"))
    assert world.mirror.get_vcluster((host, "dev")) is not None  # adopted, for now
    world.apply(kinds.VCLUSTERS, resource())
    assert world.mirror.get_vcluster((host, "dev")) is None
    assert world.mirror.get_vcluster(("team-a", "dev")) is not None


def test_reads_refuse_once_a_watch_is_lost_for_longer_than_the_bound(world: World) -> None:
    for reflector in world._reflectors:
        reflector.synced.set()
    world.require_fresh()
    world.vclusters.disconnected_since = time.monotonic() - 1
    world.require_fresh()  # within the bound: the cache answers
    assert not world.connected()
    world.vclusters.disconnected_since = time.monotonic() - 6
    with pytest.raises(ApiError) as stale:
        world.require_fresh()
    assert stale.value.code.name == "UNAVAILABLE"


def test_nothing_is_fresh_before_the_first_listing(world: World) -> None:
    assert not world.fresh()
    assert asyncio.iscoroutinefunction(world.synced)
