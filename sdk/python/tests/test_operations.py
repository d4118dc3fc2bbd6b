"""Operations: every mutation's ``on_operation``, ``get_operation`` and
``list_operations``, sync and async, against the reference server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from google.rpc import error_details_pb2

import openvcluster
from openvcluster import Operation, OperationState, Phase
from openvcluster._base import report_operation
from openvcluster_server.testing import running_server, write_tokens_file

HOLD = "ovc-test-transition-delay-ms"
FAIL = "ovc-test-fail-transition"


def settled(client: openvcluster.Client, operation_id: str, timeout: float = 10) -> Operation:
    """The operation once it is no longer RUNNING."""
    deadline = time.monotonic() + timeout
    while True:
        operation = client.get_operation(operation_id)
        if operation.state != OperationState.STATE_RUNNING or time.monotonic() > deadline:
            return operation
        time.sleep(0.02)


async def asettled(
    client: openvcluster.AsyncClient, operation_id: str, timeout: float = 10
) -> Operation:
    """The async twin of :func:`settled`."""
    deadline = time.monotonic() + timeout
    while True:
        operation = await client.get_operation(operation_id)
        if operation.state != OperationState.STATE_RUNNING or time.monotonic() > deadline:
            return operation
        await asyncio.sleep(0.02)


class Ids:
    """An ``on_operation`` callback that keeps the ids it is given."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def __call__(self, operation_id: str) -> None:
        self.ids.append(operation_id)

    @property
    def last(self) -> str:
        assert self.ids, "on_operation was not called"
        return self.ids[-1]


def test_every_mutation_reports_the_operation_that_records_it(
    client: openvcluster.Client, ns: str
) -> None:
    ids = Ids()
    request_id = openvcluster.new_request_id()
    client.create_vcluster(
        ns, "dev", kubernetes_version="1.31", request_id=request_id, on_operation=ids, wait=True
    )
    created = settled(client, ids.last)
    assert isinstance(created, Operation)
    assert (created.id, created.namespace, created.vcluster, created.snapshot) == (
        ids.last,
        ns,
        "dev",
        "",
    )
    assert (created.method, created.requested_by, created.request_id) == (
        "CreateVCluster",
        "anonymous",
        request_id,
    )
    assert created.state == OperationState.STATE_SUCCEEDED
    assert not created.HasField("error")
    assert created.start_time.ToNanoseconds() <= created.end_time.ToNanoseconds()
    assert [p.phase for p in created.progress] == ["PROVISIONING", "RUNNING"]
    assert str(uuid.UUID(created.id)) == created.id

    calls: list[tuple[str, Callable[..., object]]] = [
        ("UpdateVCluster", partial(client.update_vcluster, ns, "dev", labels={"a": "b"})),
        ("UpdateVCluster", partial(client.upgrade_vcluster, ns, "dev", "1.32", wait=True)),
        ("ScaleVCluster", partial(client.scale_vcluster, ns, "dev", cpu="2", wait=True)),
        ("SuspendVCluster", partial(client.suspend_vcluster, ns, "dev", wait=True)),
        ("ResumeVCluster", partial(client.resume_vcluster, ns, "dev", wait=True)),
        (
            "SnapshotVCluster",
            partial(client.snapshot_vcluster, ns, "dev", snapshot_name="s1", wait=True),
        ),
        ("RestoreVCluster", partial(client.restore_vcluster, ns, "s1", wait=True)),
        ("DeleteSnapshot", partial(client.delete_snapshot, ns, "s1")),
        ("DeleteVCluster", partial(client.delete_vcluster, ns, "dev", wait=True)),
    ]
    for method, call in calls:
        before = len(ids.ids)
        call(on_operation=ids)
        assert len(ids.ids) == before + 1, f"{method}: on_operation called {len(ids.ids) - before}"
        operation = settled(client, ids.last)
        assert (operation.method, operation.state) == (method, OperationState.STATE_SUCCEEDED)
        assert (operation.namespace, operation.vcluster) == (ns, "dev")
        assert operation.progress, method
        if method in ("SnapshotVCluster", "RestoreVCluster", "DeleteSnapshot"):
            assert operation.snapshot == "s1", method
    assert len(set(ids.ids)) == len(ids.ids) == 10
    assert settled(client, ids.ids[-1]).progress[-1].phase == "DELETED"


def test_on_operation_comes_before_the_wait(client: openvcluster.Client, ns: str) -> None:
    seen: list[tuple[str, int]] = []

    def look(operation_id: str) -> None:
        # Called as soon as the server answered: the vcluster is still on its way.
        seen.append((operation_id, client.get_operation(operation_id).state))

    # Each step of the transition takes 0.3 s: PROVISIONING is seen first.
    vc = client.create_vcluster(ns, "dev", metadata={HOLD: "300"}, on_operation=look, wait=True)
    assert vc.status.phase == Phase.PHASE_RUNNING
    assert [state for _, state in seen] == [OperationState.STATE_RUNNING]
    assert settled(client, seen[0][0]).state == OperationState.STATE_SUCCEEDED


def test_no_operation_without_a_change_accepted(client: openvcluster.Client, ns: str) -> None:
    ids = Ids()
    client.create_vcluster(ns, "dev", validate_only=True, on_operation=ids)
    client.create_vcluster(ns, "dev", on_operation=ids, wait=True)
    assert len(ids.ids) == 1
    client.update_vcluster(ns, "dev", labels={"a": "b"}, validate_only=True, on_operation=ids)
    client.upgrade_vcluster(ns, "dev", "1.33", validate_only=True, on_operation=ids)
    with pytest.raises(openvcluster.AlreadyExistsError):
        client.create_vcluster(ns, "dev", on_operation=ids)
    with pytest.raises(openvcluster.InvalidArgumentError):  # refused by the SDK's own check
        client.scale_vcluster(ns, "dev", memory="lots", on_operation=ids)
    assert len(ids.ids) == 1
    assert [op.method for op in client.list_operations(ns)] == ["CreateVCluster"]


def test_a_replayed_request_id_reports_the_first_operation(
    client: openvcluster.Client, ns: str
) -> None:
    ids = Ids()
    request_id = openvcluster.new_request_id()
    client.create_vcluster(ns, "dev", request_id=request_id, on_operation=ids)
    client.create_vcluster(ns, "dev", request_id=request_id, on_operation=ids)
    assert len(ids.ids) == 2 and ids.ids[0] == ids.ids[1]
    assert len(list(client.list_operations(ns, vcluster="dev"))) == 1


def test_a_failed_transition_fails_its_operation(client: openvcluster.Client, ns: str) -> None:
    ids = Ids()
    with pytest.raises(openvcluster.VClusterFailedError):
        client.create_vcluster(
            ns, "dev", metadata={FAIL: "disk on fire"}, on_operation=ids, wait=True
        )
    # The id came before the wait, which then failed.
    operation = settled(client, ids.last)
    assert operation.state == OperationState.STATE_FAILED
    assert operation.HasField("error") and operation.HasField("end_time")
    info = error_details_pb2.ErrorInfo()
    assert any(detail.Unpack(info) for detail in operation.error.details)
    assert (info.domain, info.reason) == ("openvcluster.io", "TRANSITION_FAILED")
    assert operation.progress[-1].phase == "FAILED"


def test_get_operation_errors(client: openvcluster.Client) -> None:
    with pytest.raises(openvcluster.NotFoundError):
        client.get_operation(str(uuid.uuid4()))
    # Not a UUID: the SDK's check answers as the server would, without a call.
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        client.get_operation("not-an-id")
    assert [v.field for v in caught.value.field_violations] == ["id"]
    with pytest.raises(openvcluster.InvalidArgumentError) as empty:
        client.get_operation("")
    assert [v.field for v in empty.value.field_violations] == ["id"]


def test_list_operations_newest_first_by_vcluster_and_in_pages(
    client: openvcluster.Client, ns: str
) -> None:
    ids = Ids()
    client.create_vcluster(ns, "a", on_operation=ids, wait=True)
    client.create_vcluster(ns, "b", on_operation=ids, wait=True)
    client.suspend_vcluster(ns, "a", on_operation=ids, wait=True)
    client.resume_vcluster(ns, "a", on_operation=ids, wait=True)
    client.delete_vcluster(ns, "a", on_operation=ids, wait=True)

    pager = client.list_operations(ns)
    assert isinstance(pager, openvcluster.Pager)
    listed = list(pager)
    assert [op.id for op in listed] == ids.ids[::-1]
    assert all(isinstance(op, Operation) for op in listed)

    # The operations of a vcluster outlive it.
    of_a = [op.method for op in client.list_operations(ns, vcluster="a")]
    assert of_a == ["DeleteVCluster", "ResumeVCluster", "SuspendVCluster", "CreateVCluster"]
    assert [op.id for op in client.list_operations(ns, vcluster="b")] == [ids.ids[1]]

    paged = client.list_operations(ns, page_size=2)
    pages = list(paged.pages)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [op.id for page in pages for op in page] == ids.ids[::-1]
    first = paged.page()
    assert [op.id for op in first] == ids.ids[:2:-1]
    rest = client.list_operations(ns, page_size=2, page_token=first.next_page_token)
    assert [op.id for op in rest] == ids.ids[2::-1]
    # Every namespace you may see includes this one.
    assert ids.ids[0] in {op.id for op in client.list_operations()}


def test_requested_by_is_the_token_name(tmp_path: Path, ns: str) -> None:
    grants = [{"token": "ops-editor-81c2", "role": "editor", "name": "alice"}]
    tokens = write_tokens_file(tmp_path / "tokens.yaml", grants)
    with (
        running_server(tokens_file=tokens) as server,
        openvcluster.Client(server.address, token="ops-editor-81c2") as client,
    ):
        ids = Ids()
        client.create_vcluster(ns, "dev", on_operation=ids)
        assert client.get_operation(ids.last).requested_by == "alice"


def test_report_operation_skips_empty_ids() -> None:
    ids = Ids()
    report_operation(ids, "")
    report_operation(None, "0f8fad5b-d9cb-469f-a165-70867728950e")
    report_operation(ids, "0f8fad5b-d9cb-469f-a165-70867728950e")
    assert ids.ids == ["0f8fad5b-d9cb-469f-a165-70867728950e"]


def test_operation_state_is_exported() -> None:
    assert OperationState is Operation.State
    assert OperationState.Name(OperationState.STATE_SUCCEEDED) == "STATE_SUCCEEDED"
    assert openvcluster.Operation.Progress(phase="RUNNING").phase == "RUNNING"


@pytest.mark.asyncio
async def test_async_operations(aclient: openvcluster.AsyncClient, ns: str) -> None:
    ids = Ids()
    await aclient.create_vcluster(ns, "dev", kubernetes_version="1.32", on_operation=ids, wait=True)
    await aclient.create_vcluster(ns, "other", validate_only=True, on_operation=ids)
    assert len(ids.ids) == 1
    await aclient.update_vcluster(ns, "dev", labels={"a": "b"}, on_operation=ids)
    await aclient.upgrade_vcluster(ns, "dev", "1.33", validate_only=True, on_operation=ids)
    await aclient.scale_vcluster(ns, "dev", replicas=3, enable_ha=True, on_operation=ids, wait=True)
    await aclient.suspend_vcluster(ns, "dev", on_operation=ids, wait=True)
    await aclient.resume_vcluster(ns, "dev", on_operation=ids, wait=True)
    await aclient.snapshot_vcluster(ns, "dev", snapshot_name="s1", on_operation=ids, wait=True)
    await aclient.restore_vcluster(ns, "s1", target_name="copy", on_operation=ids, wait=True)
    await aclient.delete_snapshot(ns, "s1", on_operation=ids)
    await aclient.delete_vcluster(ns, "dev", on_operation=ids, wait=True)
    assert len(set(ids.ids)) == len(ids.ids) == 9

    operation = await asettled(aclient, ids.ids[0])
    assert (operation.method, operation.state) == (
        "CreateVCluster",
        OperationState.STATE_SUCCEEDED,
    )
    restore = await asettled(aclient, ids.ids[6])
    assert (restore.method, restore.vcluster, restore.snapshot) == ("RestoreVCluster", "copy", "s1")

    pager = aclient.list_operations(ns)
    assert isinstance(pager, openvcluster.AsyncPager)
    assert [op.id async for op in pager] == ids.ids[::-1]
    sizes = [len(page) async for page in aclient.list_operations(ns, page_size=4).pages]
    assert sizes == [4, 4, 1]
    first = await aclient.list_operations(ns, vcluster="dev", page_size=1).page()
    assert [op.method for op in first] == ["DeleteVCluster"] and first.next_page_token
    with pytest.raises(openvcluster.NotFoundError):
        await aclient.get_operation(str(uuid.uuid4()))
