"""Every method of the sync Client against the reference server."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import openvcluster
from openvcluster import EventType, Phase, SnapshotPhase
from openvcluster._config import open_channel
from openvcluster._sync import client as sync_client
from openvcluster_server.testing import RunningServer


def test_create_get_delete(client: openvcluster.Client, ns: str) -> None:
    created = client.create_vcluster(
        ns,
        "dev",
        kubernetes_version="1.31",
        cpu="2",
        memory="4Gi",
        labels={"tier": "gold"},
        replicas=3,
        enable_ha=True,
    )
    assert isinstance(created, openvcluster.VCluster)
    assert created.status.phase == Phase.PHASE_PROVISIONING
    assert created.uid and created.etag
    assert created.spec.kubernetes_version.startswith("1.31")
    assert (created.spec.resources.cpu, created.spec.resources.memory) == ("2", "4Gi")
    assert (created.spec.replicas, created.spec.enable_ha) == (3, True)
    assert dict(created.labels) == {"tier": "gold"}

    running = client.wait_for_phase(ns, "dev", "RUNNING")
    assert running.status.phase == Phase.PHASE_RUNNING
    got = client.get_vcluster(ns, "dev")
    assert got.uid == created.uid
    assert got.status.kubeconfig == ""

    deleting = client.delete_vcluster(ns, "dev")
    assert deleting.status.phase in (Phase.PHASE_DELETING, Phase.PHASE_RUNNING)
    client.wait_for_deletion(ns, "dev")
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(ns, "dev")


def test_create_with_wait_returns_running(client: openvcluster.Client, ns: str) -> None:
    vc = client.create_vcluster(ns, "dev", wait=True)
    assert vc.status.phase == Phase.PHASE_RUNNING
    # Server defaults show in the stored spec.
    assert vc.spec.resources.cpu and vc.spec.resources.memory and vc.spec.replicas == 1


def test_create_merges_spec_message_and_friendly_arguments(
    client: openvcluster.Client, ns: str
) -> None:
    spec = openvcluster.VClusterSpec(
        kubernetes_version="1.30",
        distro=openvcluster.Distro.DISTRO_K3S,
        resources=openvcluster.Resources(cpu="1", memory="1Gi"),
    )
    vc = client.create_vcluster(ns, "dev", spec=spec, cpu="3", expose_type="NODE_PORT")
    assert vc.spec.kubernetes_version.startswith("1.30")
    assert vc.spec.distro == openvcluster.Distro.DISTRO_K3S
    assert (vc.spec.resources.cpu, vc.spec.resources.memory) == ("3", "1Gi")
    assert vc.spec.network.expose_type == openvcluster.ExposeType.EXPOSE_TYPE_NODE_PORT
    assert spec.resources.cpu == "1"  # the caller's message is left alone


def test_validate_only_creates_nothing(client: openvcluster.Client, ns: str) -> None:
    vc = client.create_vcluster(ns, "dev", validate_only=True, wait=True)
    assert vc.name == "dev"
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(ns, "dev")


def test_scale_running_and_suspended(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    scaled = client.scale_vcluster(ns, "dev", cpu="4", memory="8Gi", wait=True)
    assert scaled.status.phase == Phase.PHASE_RUNNING
    assert (scaled.spec.resources.cpu, scaled.spec.resources.memory) == ("4", "8Gi")

    client.suspend_vcluster(ns, "dev", wait=True)
    scaled = client.scale_vcluster(
        ns, "dev", resources=openvcluster.Resources(cpu="2"), replicas=3, enable_ha=True, wait=True
    )
    assert scaled.status.phase == Phase.PHASE_SUSPENDED
    assert (scaled.spec.resources.cpu, scaled.spec.replicas, scaled.spec.enable_ha) == (
        "2",
        3,
        True,
    )


def test_suspend_and_resume(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    suspended = client.suspend_vcluster(ns, "dev", drain_workloads=True, wait=True)
    assert suspended.status.phase == Phase.PHASE_SUSPENDED
    # Suspending again is a no-op.
    again = client.suspend_vcluster(ns, "dev", wait=True)
    assert again.status.phase == Phase.PHASE_SUSPENDED
    resumed = client.resume_vcluster(ns, "dev", wait=True)
    assert resumed.status.phase == Phase.PHASE_RUNNING
    # Resuming a running vcluster is a no-op.
    assert client.resume_vcluster(ns, "dev").status.phase == Phase.PHASE_RUNNING


def test_mutations_without_wait_return_intermediate_phases(
    client: openvcluster.Client, ns: str
) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    assert client.suspend_vcluster(ns, "dev").status.phase == Phase.PHASE_SUSPENDING
    client.wait_for_phase(ns, "dev", Phase.PHASE_SUSPENDED)
    assert client.resume_vcluster(ns, "dev").status.phase == Phase.PHASE_RESUMING
    client.wait_for_phase(ns, "dev", "running")
    assert client.scale_vcluster(ns, "dev", replicas=2).status.phase == Phase.PHASE_SCALING


def test_snapshot_restore_and_snapshot_service(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", cpu="2", wait=True)
    pending = client.snapshot_vcluster(
        ns, "dev", snapshot_name="before", description="first", labels={"kind": "manual"}
    )
    assert isinstance(pending, openvcluster.Snapshot)
    assert pending.phase in (SnapshotPhase.PHASE_PENDING, SnapshotPhase.PHASE_IN_PROGRESS)
    ready = client.wait_for_snapshot(ns, "before")
    assert ready.phase == SnapshotPhase.PHASE_READY
    assert ready.source_spec.resources.cpu == "2"
    assert client.get_snapshot(ns, "before").description == "first"

    generated = client.snapshot_vcluster(ns, "dev", wait=True)
    assert generated.name.startswith("dev-") and generated.phase == SnapshotPhase.PHASE_READY
    names = [s.name for s in client.list_snapshots(ns, vcluster="dev")]
    assert names == sorted(["before", generated.name])

    client.scale_vcluster(ns, "dev", cpu="6", wait=True)
    restored = client.restore_vcluster(ns, "before", wait=True)
    assert restored.name == "dev"
    assert restored.status.phase == Phase.PHASE_RUNNING
    assert restored.spec.resources.cpu == "2"

    copy = client.restore_vcluster(ns, "before", target_name="dev-copy", wait=True)
    assert (copy.name, copy.status.phase) == ("dev-copy", Phase.PHASE_RUNNING)

    client.delete_snapshot(ns, generated.name)
    with pytest.raises(openvcluster.NotFoundError):
        client.get_snapshot(ns, generated.name)


def test_get_kubeconfig(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    kubeconfig = client.get_kubeconfig(ns, "dev")
    assert "kind: Config" in kubeconfig
    assert client.get_vcluster(ns, "dev").status.kubeconfig == ""


def test_delete_with_wait_and_snapshots(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    client.snapshot_vcluster(ns, "dev", snapshot_name="keep", wait=True)
    client.delete_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(ns, "dev")
    # Snapshots outlive their vcluster by default and restore to a new name.
    assert client.get_snapshot(ns, "keep").vcluster == "dev"
    assert client.restore_vcluster(ns, "keep", target_name="back", wait=True).name == "back"
    client.delete_vcluster(ns, "back", delete_snapshots=True, wait=True)


def test_list_filters(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "a", labels={"tier": "gold"}, wait=True)
    client.create_vcluster(ns, "b", labels={"tier": "silver"}, wait=True)
    client.create_vcluster(ns, "c", labels={"tier": "gold"}, wait=True)
    client.suspend_vcluster(ns, "c", wait=True)

    assert [v.name for v in client.list_vclusters(ns)] == ["a", "b", "c"]
    assert [v.name for v in client.list_vclusters(ns, label_selector="tier=gold")] == ["a", "c"]
    assert [v.name for v in client.list_vclusters(ns, phase="SUSPENDED")] == ["c"]
    running = client.list_vclusters(ns, label_selector="tier in (gold)", phase=Phase.PHASE_RUNNING)
    assert [v.name for v in running] == ["a"]
    assert all(v.status.kubeconfig == "" for v in client.list_vclusters(ns))


def test_watch_events(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "old", wait=True)
    with client.watch_vclusters(ns) as watch:
        first = next(watch)
        assert (first.type, first.vcluster.name) == (EventType.EVENT_TYPE_ADDED, "old")
        synced = next(watch)
        assert synced.type == EventType.EVENT_TYPE_SYNCED
        assert not synced.HasField("vcluster")
        client.create_vcluster(ns, "new")
        seen: list[tuple[int, str, int]] = []
        for event in watch:
            assert isinstance(event, openvcluster.WatchEvent)
            seen.append((event.type, event.vcluster.name, event.vcluster.status.phase))
            if event.vcluster.status.phase == Phase.PHASE_RUNNING:
                break
    assert seen[0] == (EventType.EVENT_TYPE_ADDED, "new", Phase.PHASE_PROVISIONING)
    assert seen[-1] == (EventType.EVENT_TYPE_MODIFIED, "new", Phase.PHASE_RUNNING)
    # Leaving the block cancelled the stream: iterating again just ends.
    assert list(watch) == []


def test_watch_sends_synced_after_the_initial_state(client: openvcluster.Client, ns: str) -> None:
    for name in ("a", "b", "c"):
        client.create_vcluster(ns, name, wait=True)
    with client.watch_vclusters(ns) as watch:
        initial = [next(watch) for _ in range(4)]
        assert [(e.type, e.vcluster.name) for e in initial] == [
            (EventType.EVENT_TYPE_ADDED, "a"),
            (EventType.EVENT_TYPE_ADDED, "b"),
            (EventType.EVENT_TYPE_ADDED, "c"),
            (EventType.EVENT_TYPE_SYNCED, ""),
        ]
        assert [e.HasField("vcluster") for e in initial] == [True, True, True, False]
        # Every later event is a change.
        client.delete_vcluster(ns, "b")
        change = next(watch)
        assert (change.type, change.vcluster.name) == (EventType.EVENT_TYPE_MODIFIED, "b")
    # A vcluster that does not exist: SYNCED alone, then its creation.
    with client.watch_vclusters(ns, name="ghost") as watch:
        assert next(watch).type == openvcluster.EventType.EVENT_TYPE_SYNCED
        client.create_vcluster(ns, "ghost")
        assert next(watch).type == EventType.EVENT_TYPE_ADDED


def test_watch_by_name_sees_deletion_and_cancel_ends_iteration(
    client: openvcluster.Client, ns: str
) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    client.create_vcluster(ns, "other", wait=True)
    watch = client.watch_vclusters(ns, name="dev")
    assert next(watch).vcluster.name == "dev"
    assert next(watch).type == EventType.EVENT_TYPE_SYNCED
    client.delete_vcluster(ns, "dev")
    types = []
    for event in watch:
        assert event.vcluster.name == "dev"
        types.append(event.type)
        if event.type == EventType.EVENT_TYPE_DELETED:
            watch.cancel()
    assert types[-1] == EventType.EVENT_TYPE_DELETED
    watch.cancel()  # twice is fine


def test_with_options_shares_the_connection(client: openvcluster.Client, ns: str) -> None:
    quick = client.with_options(timeout=5, retry=None, metadata={"x-extra": "1"})
    assert quick.defaults.timeout == 5 and quick.defaults.retry is None
    assert quick.defaults.metadata == (("x-extra", "1"),)
    assert client.defaults.timeout == openvcluster.CallSettings().timeout
    with quick:
        quick.create_vcluster(ns, "dev")
    # Closing the derived client left the original open.
    assert client.get_vcluster(ns, "dev").name == "dev"


def test_threads_sharing_a_new_client_open_one_connection(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection opens at the first call; threads racing to make it open one."""
    opened: list[object] = []

    def counting_open(*args: Any) -> Any:
        opened.append(args)
        return open_channel(*args)

    monkeypatch.setattr(sync_client, "open_channel", counting_open)
    threads = 8
    start = threading.Barrier(threads)

    def first_call(_: int) -> str:
        start.wait()
        return client.get_server_info().version

    with openvcluster.Client(server.address) as client:
        assert opened == []  # nothing opened before the first call
        with ThreadPoolExecutor(threads) as pool:
            versions = set(pool.map(first_call, range(threads)))
    assert len(versions) == 1
    assert len(opened) == 1


def test_deprecated_options_and_call_options_still_work(client: openvcluster.Client) -> None:
    with pytest.warns(DeprecationWarning, match=r"Client\.options is deprecated; use \.defaults"):
        assert client.options is client.defaults
    with pytest.warns(DeprecationWarning, match="use openvcluster.CallSettings"):
        from openvcluster import CallOptions
    assert CallOptions is openvcluster.CallSettings
    with pytest.raises(AttributeError):
        _ = openvcluster.NoSuchName  # type: ignore[attr-defined]


def test_client_reads_endpoint_from_environment(
    server: object, monkeypatch: pytest.MonkeyPatch, ns: str
) -> None:
    from openvcluster_server.testing import RunningServer

    assert isinstance(server, RunningServer)
    monkeypatch.setenv("OVC_ENDPOINT", server.address)
    with openvcluster.Client() as c:
        assert c.config.endpoint == server.address
        assert c.config.tls is False
        c.create_vcluster(ns, "env")
        assert [v.name for v in c.list_vclusters(ns)] == ["env"]


def test_caller_request_id_makes_a_repeat_idempotent(client: openvcluster.Client, ns: str) -> None:
    request_id = "0b6a4b1e-7f0c-4c55-9a57-2f2b1d6f3c11"
    first = client.create_vcluster(ns, "dev", request_id=request_id)
    again = client.create_vcluster(ns, "dev", request_id=request_id)
    assert again.uid == first.uid
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        client.create_vcluster(ns, "other", request_id=request_id)
    assert [v.field for v in caught.value.field_violations] == ["request_id"]
    assert caught.value.request_id == request_id


def test_update_changes_only_the_fields_given(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", labels={"app": "web"}, deletion_protection=True, wait=True)
    # Labels alone: protection is not in the mask, so the server leaves it on.
    vc = client.update_vcluster(ns, "dev", labels={"team": "platform"})
    assert dict(vc.labels) == {"team": "platform"}
    assert vc.spec.deletion_protection is True
    assert vc.status.phase == Phase.PHASE_RUNNING
    # Protection alone, turned off: the labels stay.
    vc = client.update_vcluster(ns, "dev", deletion_protection=False)
    assert (dict(vc.labels), vc.spec.deletion_protection) == ({"team": "platform"}, False)
    # Empty labels are given labels: they clear them.
    assert dict(client.update_vcluster(ns, "dev", labels={}).labels) == {}
    stored = client.get_vcluster(ns, "dev")
    assert (dict(stored.labels), stored.spec.deletion_protection) == ({}, False)


def test_update_explicit_mask_overrides_the_arguments(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", labels={"app": "web"}, wait=True)
    # The mask names protection only: the labels given are not read.
    vc = client.update_vcluster(
        ns,
        "dev",
        labels={"other": "x"},
        deletion_protection=True,
        update_mask=["spec.deletion_protection"],
    )
    assert (dict(vc.labels), vc.spec.deletion_protection) == ({"app": "web"}, True)
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        client.update_vcluster(ns, "dev", labels={"a": "b"}, update_mask=["labels", "spec.distro"])
    violations = caught.value.field_violations
    assert [v.field for v in violations] == ["update_mask.paths"]
    assert "spec.distro" in violations[0].description
    # No change at all is not refused by the SDK: the server answers.
    with pytest.raises(openvcluster.InvalidArgumentError) as empty:
        client.update_vcluster(ns, "dev")
    assert [v.field for v in empty.value.field_violations] == ["update_mask"]


def test_deletion_protection_refuses_deletes(client: openvcluster.Client, ns: str) -> None:
    created = client.create_vcluster(ns, "dev", deletion_protection=True, wait=True)
    assert created.spec.deletion_protection is True
    with pytest.raises(openvcluster.FailedPreconditionError) as caught:
        client.delete_vcluster(ns, "dev")
    assert caught.value.reason == "DELETION_PROTECTED"
    assert caught.value.metadata["vcluster"] == f"{ns}/dev"
    assert client.get_vcluster(ns, "dev").status.phase == Phase.PHASE_RUNNING
    client.update_vcluster(ns, "dev", deletion_protection=False)
    client.delete_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(ns, "dev")


def test_upgrade_with_wait_ends_running_with_the_new_version(
    client: openvcluster.Client, ns: str
) -> None:
    before = client.create_vcluster(ns, "dev", kubernetes_version="1.31", wait=True)
    vc = client.upgrade_vcluster(ns, "dev", "1.32", wait=True)
    assert (vc.status.phase, vc.spec.kubernetes_version) == (Phase.PHASE_RUNNING, "1.32")
    assert vc.uid == before.uid
    # Through update_vcluster, without wait: the answer is UPGRADING.
    upgrading = client.update_vcluster(ns, "dev", kubernetes_version="1.32.4")
    assert upgrading.status.phase == Phase.PHASE_UPGRADING
    vc = client.wait_for_phase(ns, "dev", "RUNNING")
    assert vc.spec.kubernetes_version == "1.32.4"
    # The version it has: nothing changes, and wait returns at once.
    same = client.update_vcluster(ns, "dev", kubernetes_version="1.32.4", wait=True)
    assert (same.status.phase, same.etag) == (Phase.PHASE_RUNNING, vc.etag)


def test_upgrade_refusals_and_validate_only(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", kubernetes_version="1.30", wait=True)
    with pytest.raises(openvcluster.FailedPreconditionError) as caught:
        client.upgrade_vcluster(ns, "dev", "1.32")
    assert caught.value.reason == "UPGRADE_NOT_ALLOWED"
    assert caught.value.metadata == {"current": "1.30", "requested": "1.32", "allowed": "1.31"}
    with pytest.raises(openvcluster.InvalidArgumentError) as invalid:
        client.upgrade_vcluster(ns, "dev", "1.99")
    assert [v.field for v in invalid.value.field_violations] == ["vcluster.spec.kubernetes_version"]
    # validate_only answers what it would become and does not wait.
    dry = client.upgrade_vcluster(ns, "dev", "1.31", validate_only=True, wait=True)
    assert (dry.status.phase, dry.spec.kubernetes_version) == (Phase.PHASE_UPGRADING, "1.31")
    assert client.get_vcluster(ns, "dev").spec.kubernetes_version == "1.30"


def test_a_failed_upgrade_raises_with_wait(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", kubernetes_version="1.31", wait=True)
    hook = {"ovc-test-fail-transition": "the new control plane did not start"}
    with pytest.raises(openvcluster.VClusterFailedError) as failed:
        client.upgrade_vcluster(ns, "dev", "1.32", metadata=hook, wait=True)
    assert failed.value.vcluster.status.message == "the new control plane did not start"
    # A FAILED vcluster's labels may change, and a wait returns at once in FAILED.
    vc = client.update_vcluster(ns, "dev", labels={"state": "broken"}, wait=True)
    assert (vc.status.phase, dict(vc.labels)) == (Phase.PHASE_FAILED, {"state": "broken"})


def test_update_request_mask_derivation() -> None:
    from google.protobuf.field_mask_pb2 import FieldMask

    from tests.request_building import update_request

    def paths(**kwargs: Any) -> list[str]:
        request = update_request(**kwargs)
        # request_id is the call's to fill (fill_request_id), not the builder's.
        assert not request.request_id and request.vcluster.name == "dev"
        return list(request.update_mask.paths)

    assert paths() == []
    assert paths(labels={}) == ["labels"]
    assert paths(deletion_protection=False) == ["spec.deletion_protection"]
    assert paths(labels={"a": "b"}, kubernetes_version="1.32", deletion_protection=True) == [
        "labels",
        "spec.kubernetes_version",
        "spec.deletion_protection",
    ]
    assert paths(labels={"a": "b"}, update_mask=["spec.distro"]) == ["spec.distro"]
    assert paths(update_mask=FieldMask(paths=["labels"])) == ["labels"]
    with pytest.raises(TypeError):
        paths(update_mask="labels")


def test_a_mutation_gets_a_request_id_unless_it_has_one_and_a_read_none() -> None:
    from openvcluster._invoke import fill_request_id
    from openvcluster.v1 import vcluster_service_pb2 as vs

    empty = vs.SuspendVClusterRequest(namespace="ns", name="dev")
    filled = fill_request_id(empty)
    assert filled is not None and str(uuid.UUID(filled)) == filled == empty.request_id
    assert fill_request_id(empty) == filled  # a retry of the same call keeps it
    given = vs.SuspendVClusterRequest(request_id="0b6a4b1e-7f0c-4c55-9a57-2f2b1d6f3c11")
    assert fill_request_id(given) == "0b6a4b1e-7f0c-4c55-9a57-2f2b1d6f3c11"
    assert fill_request_id(vs.GetVClusterRequest(namespace="ns", name="dev")) is None
