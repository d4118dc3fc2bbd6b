"""The operation history as only the server can show it: retention by count and by
age, the store methods behind it on both backends, SQLite durability and migration,
and its configuration.

What OperationService answers to a client (one operation per mutation, their
phases, paging, visibility) is the conformance cases' job; not repeated here.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1 import operation_service_pb2_grpc as op_grpc
from openvcluster.v1 import server_info_service_pb2 as info_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.app import ReferenceServer
from openvcluster_server.cli import build_parser, config_from_args
from openvcluster_server.config import ConfigError
from openvcluster_server.store import MemoryStore, SqliteStore, Store, operation_key
from openvcluster_server.store.base import RememberedRequest, request_key
from openvcluster_server.store.sqlite import SCHEMA_VERSION
from openvcluster_server.testhooks import TRANSITION_DELAY_MS
from openvcluster_server.testing import RunningServer, running_server
from support import Api, connect, failure

State = Operation.State
# A moment to count from: whole seconds, so end times compare exactly on both backends.
T = 1_700_000_000
# Holds a transition (and so its operation) in its intermediate phase for an hour.
HOLD = ((TRANSITION_DELAY_MS, "3600000"),)


class PlannedError(Exception):
    """Raised inside transactions to make them fail."""


# --- through the server ---------------------------------------------------------------------


def operations_of(client: Api, namespace: str, vcluster: str) -> list[Operation]:
    """Every operation the server keeps on one vcluster, newest first."""
    stub = op_grpc.OperationServiceStub(client.channel)
    request = op_api.ListOperationsRequest(namespace=namespace, vcluster=vcluster, page_size=1000)
    listed = stub.ListOperations(request)
    assert not listed.next_page_token
    return list(listed.operations)


def relabel(client: Api, namespace: str, name: str, value: str) -> str:
    """A labels-only UpdateVCluster (an operation that ends at once); its operation's id."""
    request = api.UpdateVClusterRequest(
        vcluster=VCluster(namespace=namespace, name=name, labels={"n": value}),
        update_mask=FieldMask(paths=["labels"]),
    )
    operation_id = client.vclusters.UpdateVCluster(request).operation_id
    assert operation_id
    return operation_id


def ids(operations: list[Operation]) -> list[str]:
    return [operation.id for operation in operations]


@pytest.fixture
def keeps_three() -> Iterator[RunningServer]:
    """A zero-delay server that keeps three operations per vcluster."""
    with running_server(operations_per_vcluster=3) as server:
        yield server


def test_a_vcluster_keeps_its_newest_operations(keeps_three: RunningServer) -> None:
    client = connect(keeps_three)
    # Neighbours at the limit: team-a/other, and a vcluster of the same name elsewhere.
    for namespace, name in (("team-a", "other"), ("team-b", "dev")):
        client.running(namespace, name)
        relabel(client, namespace, name, "1")
        relabel(client, namespace, name, "2")
    neighbours = {
        key: operations_of(client, *key) for key in (("team-a", "other"), ("team-b", "dev"))
    }
    assert all(len(kept) == 3 for kept in neighbours.values()), neighbours

    client.running("team-a", "dev")
    updates = [relabel(client, "team-a", "dev", str(n)) for n in range(5)]

    kept = operations_of(client, "team-a", "dev")
    assert ids(kept) == updates[:-4:-1]  # the newest three, newest first
    assert all(op.state == State.STATE_SUCCEEDED and op.HasField("end_time") for op in kept)
    stub = op_grpc.OperationServiceStub(client.channel)
    for forgotten in updates[:2]:
        missing = failure(stub.GetOperation, op_api.GetOperationRequest(id=forgotten))
        assert missing.code == grpc.StatusCode.NOT_FOUND
    for key, before in neighbours.items():
        assert operations_of(client, *key) == before, key


def test_a_running_operation_is_kept_beyond_the_number(keeps_three: RunningServer) -> None:
    client = connect(keeps_three)
    client.running("team-a", "dev")
    held = connect(keeps_three, HOLD)
    snapshot = held.vclusters.SnapshotVCluster(
        api.SnapshotVClusterRequest(namespace="team-a", name="dev", snapshot_name="slow")
    )
    assert snapshot.snapshot.phase == Snapshot.Phase.PHASE_PENDING
    updates = [relabel(client, "team-a", "dev", str(n)) for n in range(5)]

    kept = operations_of(client, "team-a", "dev")
    # The three newest, and the capture still running however old.
    assert ids(kept) == [*updates[:-4:-1], snapshot.operation_id]
    assert kept[-1].state == State.STATE_RUNNING


def test_housekeeping_forgets_operations_ended_before_the_retention() -> None:
    # Nothing is kept once it ended: only the running operation outlives housekeeping.
    with running_server(operation_retention=0.0) as server:
        client = connect(server)
        client.running("team-a", "dev")
        ended = relabel(client, "team-a", "dev", "x")
        held = connect(server, HOLD)
        running = held.vclusters.CreateVCluster(
            api.CreateVClusterRequest(namespace="team-a", name="slow")
        ).operation_id

        async def housekeeping(reference: ReferenceServer) -> None:
            await reference.backend.housekeeping()

        server.call_async(housekeeping)
        assert operations_of(client, "team-a", "dev") == []
        assert ids(operations_of(client, "team-a", "slow")) == [running]
        stub = op_grpc.OperationServiceStub(client.channel)
        missing = failure(stub.GetOperation, op_api.GetOperationRequest(id=ended))
        assert missing.code == grpc.StatusCode.NOT_FOUND


# --- the store methods, on both backends -----------------------------------------------------


def make_operation(
    namespace: str,
    vcluster: str,
    started: int,
    ended: int | None = None,
    operation_id: str = "",
) -> Operation:
    """An operation started (and, given ``ended``, ended) at whole seconds."""
    operation = Operation(
        id=operation_id or str(uuid.uuid4()),
        namespace=namespace,
        vcluster=vcluster,
        method="UpdateVCluster",
        requested_by="anonymous",
        state=State.STATE_RUNNING if ended is None else State.STATE_SUCCEEDED,
        start_time=Timestamp(seconds=started),
    )
    if ended is not None:
        operation.end_time.CopyFrom(Timestamp(seconds=ended))
    return operation


def scanned(
    store: Store, namespace: str | None = None, vcluster: str | None = None
) -> list[Operation]:
    return list(store.scan_operations(namespace=namespace, vcluster=vcluster, after=None))


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield backend
    backend.close()


def test_forgetting_by_age_drops_exactly_the_ops_ended_before(store: Store) -> None:
    long_ago = make_operation("ns", "dev", T - 500, ended=T - 400)
    just_before = make_operation("ns", "web", T - 10, ended=T - 1)
    at_the_moment = make_operation("ns", "dev", T - 10, ended=T)
    after = make_operation("other", "dev", T - 10, ended=T + 5)
    still_running = make_operation("ns", "dev", T - 10_000)
    for operation in (long_ago, just_before, at_the_moment, after, still_running):
        store.put_operation(operation)

    assert store.forget_operations_ended_before(T) == 2
    assert store.get_operation(long_ago.id) is None
    assert store.get_operation(just_before.id) is None
    assert {op.id for op in scanned(store)} == {at_the_moment.id, after.id, still_running.id}
    assert store.forget_operations_ended_before(T) == 0
    # The running one is kept however old; once it ends, its end time counts.
    assert store.forget_operations_ended_before(T + 100) == 2
    assert ids(scanned(store)) == [still_running.id]
    still_running.state = State.STATE_FAILED
    still_running.end_time.CopyFrom(Timestamp(seconds=T + 50))
    store.put_operation(still_running)
    assert store.forget_operations_ended_before(T + 50) == 0
    assert store.forget_operations_ended_before(T + 51) == 1
    assert scanned(store) == []


def test_a_new_end_time_replaces_the_old_one(store: Store) -> None:
    operation = make_operation("ns", "dev", T - 100, ended=T - 50)
    store.put_operation(operation)
    operation.end_time.CopyFrom(Timestamp(seconds=T + 50))
    store.put_operation(operation)
    assert store.forget_operations_ended_before(T) == 0
    assert store.get_operation(operation.id) == operation
    assert store.forget_operations_ended_before(T + 51) == 1


def test_scans_go_by_namespace_then_newest_first(store: Store) -> None:
    twin_ids = sorted(str(uuid.uuid4()) for _ in range(2))
    a_old = make_operation("ns-a", "dev", T - 30, ended=T - 29)
    a_new = make_operation("ns-a", "web", T - 10)
    # The same start time: the lower id first.
    a_twin_low = make_operation("ns-a", "dev", T - 20, operation_id=twin_ids[0])
    a_twin_high = make_operation("ns-a", "web", T - 20, operation_id=twin_ids[1])
    b_old = make_operation("ns-b", "dev", T - 100, ended=T - 90)
    b_new = make_operation("ns-b", "dev", T + 100)
    for operation in (b_new, a_twin_high, a_old, b_old, a_new, a_twin_low):
        store.put_operation(operation)

    everything = [a_new, a_twin_low, a_twin_high, a_old, b_new, b_old]
    assert scanned(store) == everything
    assert scanned(store, namespace="ns-b") == [b_new, b_old]
    assert scanned(store, namespace="ns-c") == []
    # By vcluster: across namespaces, and within one.
    assert scanned(store, vcluster="dev") == [a_twin_low, a_old, b_new, b_old]
    assert scanned(store, namespace="ns-a", vcluster="web") == [a_new, a_twin_high]
    assert scanned(store, vcluster="db") == []
    # Strictly after a key, as a page token resumes.
    assert (
        list(store.scan_operations(namespace=None, vcluster=None, after=operation_key(a_old)))
        == everything[4:]
    )
    assert list(
        store.scan_operations(namespace="ns-a", vcluster="dev", after=operation_key(a_twin_low))
    ) == [a_old]


def test_get_put_and_delete_by_id(store: Store) -> None:
    operation = make_operation("ns", "dev", T)
    assert store.get_operation(operation.id) is None
    store.put_operation(operation)
    stored = store.get_operation(operation.id)
    assert stored == operation
    assert stored is not None
    # The caller owns what it got: changing it changes nothing stored.
    stored.state = State.STATE_FAILED
    assert store.get_operation(operation.id) == operation
    # A put under the same id replaces it, in place.
    operation.progress.add(phase="RUNNING", time=Timestamp(seconds=T + 1))
    operation.state = State.STATE_SUCCEEDED
    operation.end_time.CopyFrom(Timestamp(seconds=T + 1))
    store.put_operation(operation)
    assert scanned(store) == [operation]
    store.delete_operation(operation.id)
    assert store.get_operation(operation.id) is None
    assert scanned(store) == [] == scanned(store, vcluster="dev")
    store.delete_operation(operation.id)  # absent is fine
    assert store.forget_operations_ended_before(T + 100) == 0


def test_a_transaction_that_raises_leaves_no_operation_change(store: Store) -> None:
    kept = make_operation("ns", "dev", T - 10, ended=T - 5)
    running = make_operation("ns", "dev", T - 8)
    store.put_operation(kept)
    store.put_operation(running)
    before = scanned(store)

    with pytest.raises(PlannedError), store.transaction():
        store.put_operation(make_operation("ns", "dev", T))
        store.delete_operation(kept.id)
        ended = Operation()
        ended.CopyFrom(running)
        ended.end_time.CopyFrom(Timestamp(seconds=T - 1))
        store.put_operation(ended)
        assert store.forget_operations_ended_before(T) == 1
        raise PlannedError

    assert scanned(store) == before
    assert scanned(store, vcluster="dev") == before
    assert store.get_operation(running.id) == running
    # The end-time index was put back too: only the one that had ended goes.
    assert store.forget_operations_ended_before(T) == 1
    assert ids(scanned(store)) == [running.id]


# --- SQLite: durable, and brought up from version 2 ----------------------------------------------


def test_sqlite_keeps_operations_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = SqliteStore(path)
    operations = [
        make_operation("ns", "dev", T - 10, ended=T - 5),
        make_operation("ns", "web", T - 3),
        make_operation("other", "dev", T),
    ]
    with first.transaction():
        for operation in operations[:2]:
            first.put_operation(operation)
    first.put_operation(operations[2])
    first.close()

    second = SqliteStore(path)
    for operation in operations:
        assert second.get_operation(operation.id) == operation
    assert scanned(second) == [operations[1], operations[0], operations[2]]
    assert scanned(second, vcluster="dev") == [operations[0], operations[2]]
    assert second.forget_operations_ended_before(T) == 1
    second.close()


def _schema(path: Path) -> list[tuple[str, str, str]]:
    """Every table, index and trigger of a database file, with its statement."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        connection.close()
    return sorted((kind, name, " ".join(sql.split())) for kind, name, sql in rows)


def test_sqlite_brings_a_version_2_file_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.put_vcluster(VCluster(namespace="ns", name="kept"))
    store.remember_request(
        request_key("alice", "a"),
        RememberedRequest(fingerprint=b"\x01", method="m", response=b"r", expires_at=1e12),
    )
    store.close()
    fresh = tmp_path / "fresh.db"
    SqliteStore(fresh).close()
    # What version 2 was: everything but the operation history.
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE operations")
    connection.execute("PRAGMA user_version = 2")
    connection.commit()
    connection.close()
    assert "operations" not in {name for _, name, _ in _schema(path)}

    store = SqliteStore(path)
    assert store.get_vcluster(("ns", "kept")) is not None
    assert store.count_requests("alice") == 1
    assert scanned(store) == []
    operation = make_operation("ns", "kept", T, ended=T + 1)
    store.put_operation(operation)
    assert scanned(store, vcluster="kept") == [operation]
    store.close()
    connection = sqlite3.connect(path)
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    connection.close()
    assert version == SCHEMA_VERSION == 3
    # The same tables, indexes and triggers as a file created by this version.
    assert _schema(path) == _schema(fresh)
    reopened = SqliteStore(path)
    assert reopened.get_operation(operation.id) == operation
    reopened.close()


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--operations-per-vcluster", "0"], "operations-per-vcluster must be at least 1"),
        (["--operations-per-vcluster", "-3"], "operations-per-vcluster must be at least 1"),
        (["--operation-retention=-1"], "operation-retention must not be negative"),
    ],
)
def test_history_flags_are_checked(flags: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_args(build_parser().parse_args(["serve", *flags]))


def test_history_settings_come_from_flags_and_the_config_file(tmp_path: Path) -> None:
    defaults = config_from_args(build_parser().parse_args(["serve"]))
    assert (defaults.operations_per_vcluster, defaults.operation_retention) == (100, 2_592_000.0)
    path = tmp_path / "server.yaml"
    path.write_text("operations_per_vcluster: 5\noperation-retention: 90\n")
    from_file = config_from_args(build_parser().parse_args(["serve", "--config", str(path)]))
    assert (from_file.operations_per_vcluster, from_file.operation_retention) == (5, 90.0)
    args = ["serve", "--config", str(path), "--operations-per-vcluster", "7"]
    flagged = config_from_args(build_parser().parse_args([*args, "--operation-retention", "60"]))
    assert (flagged.operations_per_vcluster, flagged.operation_retention) == (7, 60.0)
    path.write_text("operations_per_vcluster: 0\n")
    with pytest.raises(ConfigError, match="operations-per-vcluster must be at least 1"):
        config_from_args(build_parser().parse_args(["serve", "--config", str(path)]))


def test_server_info_reports_the_history_limits() -> None:
    with running_server(operations_per_vcluster=7, operation_retention=3600.0) as server:
        limits = connect(server).info.GetServerInfo(info_api.GetServerInfoRequest()).info.limits
    assert (limits.operations_per_vcluster, limits.operation_retention_seconds) == (7, 3600)


def test_server_info_reports_the_default_history_limits(server: RunningServer) -> None:
    limits = connect(server).info.GetServerInfo(info_api.GetServerInfoRequest()).info.limits
    assert (limits.operations_per_vcluster, limits.operation_retention_seconds) == (100, 2_592_000)
