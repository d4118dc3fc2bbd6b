"""Every method of the AsyncClient against the reference server."""

from __future__ import annotations

import asyncio

import pytest

import openvcluster
from openvcluster import EventType, Phase, SnapshotPhase
from openvcluster_server.testing import RunningServer

pytestmark = pytest.mark.asyncio


async def test_create_get_delete(aclient: openvcluster.AsyncClient, ns: str) -> None:
    created = await aclient.create_vcluster(
        ns, "dev", kubernetes_version="1.31", cpu="2", memory="4Gi", labels={"tier": "gold"}
    )
    assert created.status.phase == Phase.PHASE_PROVISIONING
    assert (created.spec.resources.cpu, created.spec.resources.memory) == ("2", "4Gi")
    running = await aclient.wait_for_phase(ns, "dev", "RUNNING")
    assert running.status.phase == Phase.PHASE_RUNNING
    assert (await aclient.get_vcluster(ns, "dev")).uid == created.uid

    await aclient.delete_vcluster(ns, "dev")
    await aclient.wait_for_deletion(ns, "dev")
    with pytest.raises(openvcluster.NotFoundError):
        await aclient.get_vcluster(ns, "dev")


async def test_lifecycle_with_wait(aclient: openvcluster.AsyncClient, ns: str) -> None:
    vc = await aclient.create_vcluster(ns, "dev", wait=True)
    assert vc.status.phase == Phase.PHASE_RUNNING
    vc = await aclient.scale_vcluster(ns, "dev", cpu="3", replicas=3, enable_ha=True, wait=True)
    assert (vc.status.phase, vc.spec.resources.cpu, vc.spec.replicas) == (
        Phase.PHASE_RUNNING,
        "3",
        3,
    )
    vc = await aclient.suspend_vcluster(ns, "dev", wait=True)
    assert vc.status.phase == Phase.PHASE_SUSPENDED
    vc = await aclient.scale_vcluster(ns, "dev", memory="3Gi", wait=True)
    assert (vc.status.phase, vc.spec.resources.memory) == (Phase.PHASE_SUSPENDED, "3Gi")
    vc = await aclient.resume_vcluster(ns, "dev", wait=True)
    assert vc.status.phase == Phase.PHASE_RUNNING
    await aclient.delete_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.NotFoundError):
        await aclient.get_vcluster(ns, "dev")


async def test_snapshot_restore_and_snapshot_service(
    aclient: openvcluster.AsyncClient, ns: str
) -> None:
    await aclient.create_vcluster(ns, "dev", cpu="2", wait=True)
    snap = await aclient.snapshot_vcluster(ns, "dev", snapshot_name="s1")
    assert snap.phase in (SnapshotPhase.PHASE_PENDING, SnapshotPhase.PHASE_IN_PROGRESS)
    ready = await aclient.wait_for_snapshot(ns, "s1", SnapshotPhase.PHASE_READY)
    assert ready.phase == SnapshotPhase.PHASE_READY
    assert (await aclient.get_snapshot(ns, "s1")).vcluster == "dev"
    second = await aclient.snapshot_vcluster(ns, "dev", snapshot_name="s2", wait=True)
    assert second.phase == SnapshotPhase.PHASE_READY
    assert [s.name async for s in aclient.list_snapshots(ns)] == ["s1", "s2"]

    await aclient.scale_vcluster(ns, "dev", cpu="5", wait=True)
    restored = await aclient.restore_vcluster(ns, "s1", wait=True)
    assert (restored.status.phase, restored.spec.resources.cpu) == (Phase.PHASE_RUNNING, "2")
    copy = await aclient.restore_vcluster(ns, "s1", target_name="copy", wait=True)
    assert (copy.name, copy.status.phase) == ("copy", Phase.PHASE_RUNNING)

    await aclient.delete_snapshot(ns, "s2")
    with pytest.raises(openvcluster.NotFoundError):
        await aclient.get_snapshot(ns, "s2")


async def test_get_kubeconfig(aclient: openvcluster.AsyncClient, ns: str) -> None:
    await aclient.create_vcluster(ns, "dev", wait=True)
    assert "kind: Config" in await aclient.get_kubeconfig(ns, "dev")


async def test_list_filters_and_pages(aclient: openvcluster.AsyncClient, ns: str) -> None:
    for name, tier in (("a", "gold"), ("b", "silver"), ("c", "gold")):
        await aclient.create_vcluster(ns, name, labels={"tier": tier}, wait=True)
    await aclient.suspend_vcluster(ns, "c", wait=True)
    assert [v.name async for v in aclient.list_vclusters(ns)] == ["a", "b", "c"]
    gold = aclient.list_vclusters(ns, label_selector="tier=gold")
    assert [v.name async for v in gold] == ["a", "c"]
    assert [v.name async for v in aclient.list_vclusters(ns, phase="SUSPENDED")] == ["c"]
    pages = [page async for page in aclient.list_vclusters(ns, page_size=2).pages]
    assert [[v.name for v in page] for page in pages] == [["a", "b"], ["c"]]


async def test_watch_events(aclient: openvcluster.AsyncClient, ns: str) -> None:
    await aclient.create_vcluster(ns, "old", wait=True)
    async with aclient.watch_vclusters(ns) as watch:
        first = await anext(watch)
        assert (first.type, first.vcluster.name) == (EventType.EVENT_TYPE_ADDED, "old")
        synced = await anext(watch)
        assert synced.type == EventType.EVENT_TYPE_SYNCED
        assert not synced.HasField("vcluster")
        await aclient.create_vcluster(ns, "new")
        seen: list[tuple[int, str, int]] = []
        async for event in watch:
            seen.append((event.type, event.vcluster.name, event.vcluster.status.phase))
            if event.vcluster.status.phase == Phase.PHASE_RUNNING:
                break
    assert seen[0] == (EventType.EVENT_TYPE_ADDED, "new", Phase.PHASE_PROVISIONING)
    assert seen[-1] == (EventType.EVENT_TYPE_MODIFIED, "new", Phase.PHASE_RUNNING)
    assert [e async for e in watch] == []


async def test_watch_sends_synced_after_the_initial_state(
    aclient: openvcluster.AsyncClient, ns: str
) -> None:
    for name in ("a", "b"):
        await aclient.create_vcluster(ns, name, wait=True)
    async with aclient.watch_vclusters(ns) as watch:
        initial = [await anext(watch) for _ in range(3)]
        assert [(e.type, e.vcluster.name) for e in initial] == [
            (EventType.EVENT_TYPE_ADDED, "a"),
            (EventType.EVENT_TYPE_ADDED, "b"),
            (EventType.EVENT_TYPE_SYNCED, ""),
        ]
        assert not initial[2].HasField("vcluster")
        await aclient.create_vcluster(ns, "c")
        change = await anext(watch)
        assert (change.type, change.vcluster.name) == (EventType.EVENT_TYPE_ADDED, "c")
    async with aclient.watch_vclusters(ns, name="ghost") as watch:
        assert (await anext(watch)).type == EventType.EVENT_TYPE_SYNCED
        await aclient.create_vcluster(ns, "ghost")
        assert (await anext(watch)).type == EventType.EVENT_TYPE_ADDED


async def test_watch_cancel_ends_iteration(aclient: openvcluster.AsyncClient, ns: str) -> None:
    await aclient.create_vcluster(ns, "dev", wait=True)
    watch = aclient.watch_vclusters(ns, name="dev")
    count = 0
    async for event in watch:
        assert event.vcluster.name == "dev"
        count += 1
        watch.cancel()
    assert count == 1
    await watch.aclose()


async def test_with_options_and_close(
    aclient: openvcluster.AsyncClient, server: RunningServer, ns: str
) -> None:
    derived = aclient.with_options(timeout=3, metadata=[("x-extra", "1")])
    async with derived:
        await derived.create_vcluster(ns, "dev")
    assert (await aclient.get_vcluster(ns, "dev")).name == "dev"

    # A client can be built before any event loop work and used later.
    other = openvcluster.AsyncClient(server.address)
    assert (await other.get_vcluster(ns, "dev")).name == "dev"
    await other.close()


async def test_async_errors_carry_details(aclient: openvcluster.AsyncClient, ns: str) -> None:
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        await aclient.create_vcluster(ns, "dev", memory="lots", replicas=9)
    fields = {v.field for v in caught.value.field_violations}
    assert {"spec.resources.memory", "spec.replicas"} <= fields
    assert caught.value.request_id is not None

    with pytest.raises(openvcluster.NotFoundError):
        await aclient.snapshot_vcluster(ns, "missing")

    hook = [("ovc-test-fail-transition", "disk on fire")]
    with pytest.raises(openvcluster.VClusterFailedError) as failed:
        await aclient.create_vcluster(ns, "dev", metadata=hook, wait=True)
    assert failed.value.vcluster.status.message == "disk on fire"
    with pytest.raises(openvcluster.FailedPreconditionError) as precondition:
        await aclient.suspend_vcluster(ns, "dev")
    assert precondition.value.reason == "INVALID_PHASE"
    assert precondition.value.phase == "FAILED"
    assert precondition.value.allowed_phases == ["RUNNING"]


async def test_update_upgrade_and_protection(aclient: openvcluster.AsyncClient, ns: str) -> None:
    await aclient.create_vcluster(
        ns, "dev", kubernetes_version="1.31", labels={"app": "web"}, deletion_protection=True
    )
    await aclient.wait_for_phase(ns, "dev", "RUNNING")
    vc = await aclient.update_vcluster(ns, "dev", labels={"team": "platform"})
    assert (dict(vc.labels), vc.spec.deletion_protection) == ({"team": "platform"}, True)
    with pytest.raises(openvcluster.FailedPreconditionError) as caught:
        await aclient.delete_vcluster(ns, "dev")
    assert caught.value.reason == "DELETION_PROTECTED"

    vc = await aclient.upgrade_vcluster(ns, "dev", "1.32", wait=True)
    assert (vc.status.phase, vc.spec.kubernetes_version) == (Phase.PHASE_RUNNING, "1.32")
    vc = await aclient.update_vcluster(ns, "dev", kubernetes_version="1.33", wait=True)
    assert (vc.status.phase, vc.spec.kubernetes_version) == (Phase.PHASE_RUNNING, "1.33")
    assert dict(vc.labels) == {"team": "platform"}

    with pytest.raises(openvcluster.InvalidArgumentError) as invalid:
        await aclient.update_vcluster(ns, "dev", update_mask=["labels", "spec.replicas"])
    assert [v.field for v in invalid.value.field_violations] == ["update_mask.paths"]

    await aclient.update_vcluster(ns, "dev", deletion_protection=False)
    await aclient.delete_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.NotFoundError):
        await aclient.get_vcluster(ns, "dev")


async def test_cancelling_the_task_raises_asyncio_cancelled_error(
    aclient: openvcluster.AsyncClient, ns: str
) -> None:
    synced = asyncio.Event()

    async def follow() -> None:
        async for event in aclient.watch_vclusters(ns):
            if not event.HasField("vcluster"):
                synced.set()

    task = asyncio.create_task(follow())
    await synced.wait()  # the task now waits on the stream
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    assert not isinstance(caught.value, openvcluster.OpenVClusterError)
    assert task.cancelled()
    with pytest.raises(openvcluster.NotFoundError):  # the client still works
        await aclient.get_vcluster(ns, "ghost")
