"""The Store contract, checked on every backend, plus what only SQLite promises.

Both backends run the same tests, so the engine can rely on the contract and
not on a backend's accidents. A stateful property test drives both against a
plain dict model with random writes, scans and transactions.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.store import (
    Key,
    MemoryStore,
    RememberedRequest,
    SqliteStore,
    Store,
    open_store,
)
from openvcluster_server.store.base import request_key

RUNNING = VCluster.PHASE_RUNNING
SUSPENDED = VCluster.PHASE_SUSPENDED
FAILED = VCluster.PHASE_FAILED


class PlannedError(Exception):
    """Raised inside transactions to make them fail."""


def make_vcluster(namespace: str, name: str, phase: int = RUNNING, uid: str = "") -> VCluster:
    vcluster = VCluster(namespace=namespace, name=name, uid=uid or f"uid-{namespace}-{name}")
    vcluster.status.phase = VCluster.Phase.ValueType(phase)
    vcluster.labels["team"] = "a"
    vcluster.spec.resources.cpu = "2"
    return vcluster


def make_snapshot(namespace: str, name: str, vcluster: str, uid: str = "") -> Snapshot:
    return Snapshot(
        namespace=namespace,
        name=name,
        vcluster=vcluster,
        uid=uid or f"uid-{namespace}-{name}",
        description="nightly",
    )


def keys_of(messages: Iterator[VCluster] | Iterator[Snapshot]) -> list[Key]:
    return [(m.namespace, m.name) for m in messages]


def request(expires_at: float, response: bytes = b"answer") -> RememberedRequest:
    return RememberedRequest(
        fingerprint=b"\x01\x02",
        method="/v1.VClusterService/Create",
        response=response,
        expires_at=expires_at,
    )


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield backend
    backend.close()


# Vclusters.


def test_get_of_absent_vcluster_is_none(store: Store) -> None:
    assert store.get_vcluster(("ns", "nope")) is None


def test_put_then_get_returns_an_equal_vcluster(store: Store) -> None:
    vcluster = make_vcluster("ns", "dev")
    store.put_vcluster(vcluster)
    assert store.get_vcluster(("ns", "dev")) == vcluster


def test_put_replaces_the_stored_vcluster(store: Store) -> None:
    store.put_vcluster(make_vcluster("ns", "dev", uid="first"))
    store.put_vcluster(make_vcluster("ns", "dev", uid="second"))
    stored = store.get_vcluster(("ns", "dev"))
    assert stored is not None
    assert stored.uid == "second"
    assert store.count_vclusters("ns") == 1


def test_vclusters_are_stored_as_copies(store: Store) -> None:
    vcluster = make_vcluster("ns", "dev")
    store.put_vcluster(vcluster)
    vcluster.uid = "changed after put"
    vcluster.labels["team"] = "b"

    got = store.get_vcluster(("ns", "dev"))
    assert got is not None
    assert got.uid == "uid-ns-dev"
    got.uid = "changed after get"
    (scanned,) = store.scan_vclusters(namespace=None, phase=None, after=None)
    scanned.spec.resources.cpu = "99"

    again = store.get_vcluster(("ns", "dev"))
    assert again == make_vcluster("ns", "dev")


def test_vcluster_data_is_the_stored_vcluster_serialized_or_none(store: Store) -> None:
    assert store.vcluster_data(("ns", "dev")) is None
    store.put_vcluster(make_vcluster("ns", "dev"))
    data = store.vcluster_data(("ns", "dev"))
    assert data is not None
    assert VCluster.FromString(data) == make_vcluster("ns", "dev")


def test_delete_vcluster_removes_it_and_absent_is_fine(store: Store) -> None:
    store.put_vcluster(make_vcluster("ns", "dev"))
    store.delete_vcluster(("ns", "dev"))
    store.delete_vcluster(("ns", "dev"))
    store.delete_vcluster(("other", "never"))
    assert store.get_vcluster(("ns", "dev")) is None
    assert list(store.scan_vclusters(namespace=None, phase=None, after=None)) == []
    assert store.count_vclusters("ns") == 0


NAMESPACED_KEYS: list[Key] = [
    ("a", "x"),
    ("a", "y"),
    ("a-b", "a"),
    ("b", "a"),
    ("b", "m"),
    ("b", "z"),
    ("c", "b"),
]


@pytest.fixture
def filled(store: Store) -> Store:
    """``store`` with NAMESPACED_KEYS put in a shuffled order."""
    shuffled = NAMESPACED_KEYS.copy()
    random.Random(7).shuffle(shuffled)
    for namespace, name in shuffled:
        store.put_vcluster(make_vcluster(namespace, name))
    return store


def test_scan_orders_by_namespace_then_name(filled: Store) -> None:
    assert keys_of(filled.scan_vclusters(namespace=None, phase=None, after=None)) == (
        NAMESPACED_KEYS
    )


@pytest.mark.parametrize("namespace", ["a", "a-b", "b", "c", "zzz", ""])
def test_scan_of_a_namespace_returns_only_it(filled: Store, namespace: str) -> None:
    expected = [key for key in NAMESPACED_KEYS if key[0] == namespace]
    assert keys_of(filled.scan_vclusters(namespace=namespace, phase=None, after=None)) == (expected)


@pytest.mark.parametrize(
    "after",
    [
        ("a", "x"),
        ("a", "xa"),
        ("a", ""),
        ("", ""),
        ("b", "m"),
        ("b", "zz"),
        ("c", "b"),
        ("d", ""),
    ],
)
def test_scan_starts_strictly_after_after(filled: Store, after: Key) -> None:
    expected = [key for key in NAMESPACED_KEYS if key > after]
    assert keys_of(filled.scan_vclusters(namespace=None, phase=None, after=after)) == expected


@pytest.mark.parametrize(
    ("namespace", "after"),
    [
        ("b", ("a", "zzz")),
        ("b", ("b", "")),
        ("b", ("b", "a")),
        ("b", ("b", "b")),
        ("b", ("b", "z")),
        ("b", ("c", "")),
        ("a", ("a-b", "a")),
    ],
)
def test_scan_of_a_namespace_after_a_key(filled: Store, namespace: str, after: Key) -> None:
    expected = [key for key in NAMESPACED_KEYS if key[0] == namespace and key > after]
    assert keys_of(filled.scan_vclusters(namespace=namespace, phase=None, after=after)) == (
        expected
    )


def test_scan_is_lazy_and_may_stop_early(filled: Store) -> None:
    scan = filled.scan_vclusters(namespace=None, phase=None, after=None)
    assert keys_of(itertools.islice(scan, 2)) == NAMESPACED_KEYS[:2]
    # The store is usable again once the caller lets go of the scan.
    filled.put_vcluster(make_vcluster("a", "new"))
    assert filled.count_vclusters("a") == 3


def test_phase_scan_follows_phase_changes_and_deletes(store: Store) -> None:
    for namespace, name in NAMESPACED_KEYS:
        store.put_vcluster(make_vcluster(namespace, name, RUNNING))
    store.put_vcluster(make_vcluster("b", "m", SUSPENDED))
    store.put_vcluster(make_vcluster("a", "x", SUSPENDED))
    store.put_vcluster(make_vcluster("c", "b", FAILED))
    store.delete_vcluster(("a", "y"))

    def phase_keys(phase: int, namespace: str | None = None, after: Key | None = None) -> list[Key]:
        return keys_of(store.scan_vclusters(namespace=namespace, phase=phase, after=after))

    assert phase_keys(SUSPENDED) == [("a", "x"), ("b", "m")]
    assert phase_keys(FAILED) == [("c", "b")]
    assert phase_keys(RUNNING) == [("a-b", "a"), ("b", "a"), ("b", "z")]
    assert phase_keys(RUNNING, namespace="b") == [("b", "a"), ("b", "z")]
    assert phase_keys(RUNNING, namespace="b", after=("b", "a")) == [("b", "z")]
    assert phase_keys(RUNNING, after=("a-b", "a")) == [("b", "a"), ("b", "z")]
    assert phase_keys(SUSPENDED, namespace="a", after=("a", "x")) == []
    assert phase_keys(VCluster.PHASE_DELETING) == []

    store.put_vcluster(make_vcluster("a", "x", RUNNING))
    store.delete_vcluster(("b", "m"))
    assert phase_keys(SUSPENDED) == []
    assert phase_keys(RUNNING, namespace="a") == [("a", "x")]


def test_vcluster_counts_follow_puts_and_deletes(filled: Store) -> None:
    assert filled.count_vclusters("a") == 2
    assert filled.count_vclusters("b") == 3
    assert filled.count_vclusters("a-b") == 1
    assert filled.count_vclusters("missing") == 0
    filled.put_vcluster(make_vcluster("b", "a", SUSPENDED))
    assert filled.count_vclusters("b") == 3
    filled.delete_vcluster(("b", "a"))
    filled.delete_vcluster(("b", "a"))
    assert filled.count_vclusters("b") == 2
    assert filled.count_snapshots("b") == 0


# Snapshots.


def test_snapshot_put_get_replace_delete(store: Store) -> None:
    assert store.get_snapshot(("ns", "s1")) is None
    snapshot = make_snapshot("ns", "s1", "dev")
    store.put_snapshot(snapshot)
    assert store.get_snapshot(("ns", "s1")) == snapshot
    store.put_snapshot(make_snapshot("ns", "s1", "dev", uid="second"))
    stored = store.get_snapshot(("ns", "s1"))
    assert stored is not None
    assert stored.uid == "second"
    store.delete_snapshot(("ns", "s1"))
    store.delete_snapshot(("ns", "s1"))
    assert store.get_snapshot(("ns", "s1")) is None
    assert store.count_snapshots("ns") == 0


def test_snapshots_are_stored_as_copies(store: Store) -> None:
    snapshot = make_snapshot("ns", "s1", "dev")
    store.put_snapshot(snapshot, state=b"etcd")
    snapshot.description = "changed after put"
    got = store.get_snapshot(("ns", "s1"))
    assert got is not None
    got.description = "changed after get"
    (scanned,) = store.scan_snapshots(namespace="ns", vcluster=None, after=None)
    scanned.labels["x"] = "y"
    assert store.get_snapshot(("ns", "s1")) == make_snapshot("ns", "s1", "dev")


def test_snapshot_state_is_kept_unless_replaced(store: Store) -> None:
    key = ("ns", "s1")
    assert store.get_snapshot_state(key) is None
    store.put_snapshot(make_snapshot("ns", "s1", "dev"))
    assert store.get_snapshot_state(key) is None
    store.put_snapshot(make_snapshot("ns", "s1", "dev"), state=b"captured")
    assert store.get_snapshot_state(key) == b"captured"
    store.put_snapshot(make_snapshot("ns", "s1", "dev", uid="phase change"))
    assert store.get_snapshot_state(key) == b"captured"
    store.put_snapshot(make_snapshot("ns", "s1", "dev"), state=b"")
    assert store.get_snapshot_state(key) == b""
    store.put_snapshot(make_snapshot("ns", "s1", "dev"), state=b"again")
    store.delete_snapshot(key)
    assert store.get_snapshot_state(key) is None
    store.put_snapshot(make_snapshot("ns", "s1", "dev"))
    assert store.get_snapshot_state(key) is None


SNAPSHOTS: list[tuple[str, str, str]] = [
    ("a", "s1", "dev"),
    ("a", "s2", "prod"),
    ("a", "s3", "dev"),
    ("b", "s0", "dev"),
    ("b", "s1", "prod"),
    ("c", "s9", "dev"),
]


@pytest.fixture
def with_snapshots(store: Store) -> Store:
    for namespace, name, vcluster in reversed(SNAPSHOTS):
        store.put_snapshot(make_snapshot(namespace, name, vcluster))
    return store


@pytest.mark.parametrize("namespace", [None, "a", "b", "c", "d"])
@pytest.mark.parametrize("vcluster", [None, "dev", "prod", "gone"])
@pytest.mark.parametrize("after", [None, ("a", "s1"), ("a", "s4"), ("b", ""), ("c", "s9")])
def test_snapshot_scans_narrow_by_namespace_and_vcluster(
    with_snapshots: Store, namespace: str | None, vcluster: str | None, after: Key | None
) -> None:
    expected = [
        (ns, name)
        for ns, name, source in SNAPSHOTS
        if (namespace is None or ns == namespace)
        and (vcluster is None or source == vcluster)
        and (after is None or (ns, name) > after)
    ]
    scan = with_snapshots.scan_snapshots(namespace=namespace, vcluster=vcluster, after=after)
    assert keys_of(scan) == expected


def test_snapshot_vcluster_index_follows_replacement(with_snapshots: Store) -> None:
    with_snapshots.put_snapshot(make_snapshot("a", "s1", "prod"))
    with_snapshots.delete_snapshot(("a", "s3"))
    dev = with_snapshots.scan_snapshots(namespace="a", vcluster="dev", after=None)
    prod = with_snapshots.scan_snapshots(namespace=None, vcluster="prod", after=None)
    assert keys_of(dev) == []
    assert keys_of(prod) == [("a", "s1"), ("a", "s2"), ("b", "s1")]


def test_snapshot_counts_are_per_namespace(with_snapshots: Store) -> None:
    assert [with_snapshots.count_snapshots(ns) for ns in ("a", "b", "c", "d")] == [3, 2, 1, 0]
    with_snapshots.put_snapshot(make_snapshot("a", "s1", "other"))
    with_snapshots.delete_snapshot(("b", "s0"))
    assert [with_snapshots.count_snapshots(ns) for ns in ("a", "b", "c")] == [3, 1, 1]
    assert with_snapshots.count_vclusters("a") == 0


# Remembered requests and settings.


def test_recall_returns_the_remembered_request_until_it_expires(store: Store) -> None:
    assert store.recall_request("r1", now=0.0) is None
    remembered = request(expires_at=100.0)
    store.remember_request("r1", remembered)
    assert store.recall_request("r1", now=50.0) == remembered
    assert store.recall_request("r1", now=100.0) == remembered
    assert store.recall_request("r1", now=100.5) is None
    assert store.recall_request("r2", now=50.0) is None


def test_remember_replaces_an_earlier_answer(store: Store) -> None:
    store.remember_request("r1", request(expires_at=10.0, response=b"old"))
    store.remember_request("r1", request(expires_at=500.0, response=b"new"))
    assert store.recall_request("r1", now=100.0) == request(expires_at=500.0, response=b"new")
    assert store.forget_expired_requests(now=100.0) == 0


def test_forget_expired_requests_drops_only_expired_ones(store: Store) -> None:
    for i in range(10):
        store.remember_request(f"r{i}", request(expires_at=float(i)))
    assert store.forget_expired_requests(now=4.0) == 4
    assert store.forget_expired_requests(now=4.0) == 0
    assert store.recall_request("r3", now=0.0) is None
    assert store.recall_request("r4", now=0.0) == request(expires_at=4.0)
    assert store.forget_expired_requests(now=100.0) == 6
    assert store.recall_request("r9", now=0.0) is None


def test_remembered_requests_are_counted_and_forgotten_oldest_first_per_caller(
    store: Store,
) -> None:
    for i in range(3):
        store.remember_request(request_key("alice", f"id-{i}"), request(expires_at=10.0 + i))
        store.remember_request(request_key("bob", f"id-{i}"), request(expires_at=20.0 + i))
    # Replaced, as an expired answer is by a new one: it now expires last.
    store.remember_request(request_key("alice", "id-0"), request(expires_at=30.0))
    assert [store.count_requests(c) for c in ("alice", "bob", "carol", None)] == [3, 3, 0, 6]
    store.forget_oldest_request("bob")
    assert store.recall_request(request_key("bob", "id-0"), now=0.0) is None
    assert store.recall_request(request_key("bob", "id-1"), now=0.0) is not None
    store.forget_oldest_request(None)  # alice's id-1 expires first of all
    assert store.recall_request(request_key("alice", "id-1"), now=0.0) is None
    assert store.recall_request(request_key("alice", "id-0"), now=0.0) is not None
    assert [store.count_requests(c) for c in ("alice", "bob", None)] == [2, 2, 4]
    store.forget_oldest_request("carol")  # none: nothing happens
    assert store.forget_expired_requests(now=100.0) == 4
    assert [store.count_requests(c) for c in ("alice", "bob", None)] == [0, 0, 0]


def test_settings_are_kept_and_replaced(store: Store) -> None:
    assert store.get_setting("page-token-key") is None
    store.put_setting("page-token-key", b"\x00secret")
    assert store.get_setting("page-token-key") == b"\x00secret"
    store.put_setting("page-token-key", b"rotated")
    assert store.get_setting("page-token-key") == b"rotated"
    assert store.get_setting("other") is None


# Transactions.


def write_one_of_everything(store: Store, tag: str) -> None:
    store.put_vcluster(make_vcluster("ns", f"vc-{tag}"))
    store.put_snapshot(make_snapshot("ns", f"snap-{tag}", f"vc-{tag}"), state=b"state")
    store.remember_request(f"req-{tag}", request(expires_at=1e12))
    store.put_setting(f"setting-{tag}", b"value")


def holds_everything(store: Store, tag: str) -> bool:
    found = [
        store.get_vcluster(("ns", f"vc-{tag}")) is not None,
        store.get_snapshot(("ns", f"snap-{tag}")) is not None,
        store.get_snapshot_state(("ns", f"snap-{tag}")) is not None,
        store.recall_request(f"req-{tag}", now=0.0) is not None,
        store.get_setting(f"setting-{tag}") is not None,
    ]
    assert len(set(found)) == 1, f"partly written: {found}"
    return found[0]


def test_transaction_commits_its_writes(store: Store) -> None:
    with store.transaction():
        write_one_of_everything(store, "t")
        with store.transaction():
            write_one_of_everything(store, "inner")
    assert holds_everything(store, "t")
    assert holds_everything(store, "inner")


def test_transaction_that_raises_undoes_every_write(store: Store) -> None:
    store.put_vcluster(make_vcluster("ns", "kept", RUNNING))
    store.put_snapshot(make_snapshot("ns", "kept-snap", "kept"), state=b"old")
    store.remember_request("old", request(expires_at=1.0))
    with pytest.raises(PlannedError), store.transaction():
        write_one_of_everything(store, "t")
        store.put_vcluster(make_vcluster("ns", "kept", SUSPENDED))
        store.put_snapshot(make_snapshot("ns", "kept-snap", "moved"), state=b"new")
        store.delete_vcluster(("ns", "kept"))
        assert store.forget_expired_requests(now=2.0) == 1
        with store.transaction():
            write_one_of_everything(store, "inner")
        raise PlannedError
    assert not holds_everything(store, "t")
    assert not holds_everything(store, "inner")
    assert store.get_vcluster(("ns", "kept")) == make_vcluster("ns", "kept", RUNNING)
    assert keys_of(store.scan_vclusters(namespace=None, phase=RUNNING, after=None)) == [
        ("ns", "kept")
    ]
    assert keys_of(store.scan_vclusters(namespace=None, phase=SUSPENDED, after=None)) == []
    assert keys_of(store.scan_snapshots(namespace=None, vcluster="kept", after=None)) == [
        ("ns", "kept-snap")
    ]
    assert store.get_snapshot_state(("ns", "kept-snap")) == b"old"
    assert store.count_vclusters("ns") == 1
    assert store.count_snapshots("ns") == 1
    assert store.forget_expired_requests(now=2.0) == 1
    # The store works normally after a rollback.
    write_one_of_everything(store, "after")
    assert holds_everything(store, "after")


def test_inner_transaction_that_raises_undoes_only_its_writes(store: Store) -> None:
    with store.transaction():
        write_one_of_everything(store, "outer")
        with pytest.raises(PlannedError), store.transaction():
            write_one_of_everything(store, "inner")
            raise PlannedError
        assert not holds_everything(store, "inner")
        write_one_of_everything(store, "later")
    assert holds_everything(store, "outer")
    assert holds_everything(store, "later")
    assert not holds_everything(store, "inner")


# Size.


def test_scans_that_stop_early_on_a_large_store(store: Store) -> None:
    with store.transaction():
        for i in range(5000):
            namespace = f"ns-{i % 10}"
            phase = SUSPENDED if i % 7 == 0 else RUNNING
            store.put_vcluster(make_vcluster(namespace, f"vc-{i:05d}", phase))
            store.put_snapshot(make_snapshot(namespace, f"snap-{i:05d}", f"vc-{i % 3}"))
    everything = store.scan_vclusters(namespace=None, phase=None, after=None)
    assert keys_of(itertools.islice(everything, 3)) == [
        ("ns-0", "vc-00000"),
        ("ns-0", "vc-00010"),
        ("ns-0", "vc-00020"),
    ]
    in_namespace = store.scan_vclusters(namespace="ns-9", phase=SUSPENDED, after=("ns-9", "vc-0"))
    assert keys_of(itertools.islice(in_namespace, 2)) == [
        ("ns-9", "vc-00049"),
        ("ns-9", "vc-00119"),
    ]
    snapshots = store.scan_snapshots(namespace=None, vcluster="vc-1", after=("ns-0", "snap-04990"))
    assert keys_of(itertools.islice(snapshots, 2)) == [
        ("ns-1", "snap-00001"),
        ("ns-1", "snap-00031"),
    ]
    # Whole scans cross many pages without losing or repeating a row.
    assert len(list(store.scan_vclusters(namespace=None, phase=None, after=None))) == 5000
    assert len(list(store.scan_vclusters(namespace="ns-3", phase=None, after=None))) == 500
    assert len(list(store.scan_vclusters(namespace=None, phase=RUNNING, after=None))) == 4285
    assert store.count_vclusters("ns-3") == 500
    assert store.count_snapshots("ns-3") == 500


def test_sqlite_scan_that_stops_early_reads_one_page(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.transaction():
        for i in range(5000):
            store.put_vcluster(make_vcluster("ns", f"vc-{i:05d}"))
    statements: list[str] = []
    # The connection is private, but the statements it runs are what this test is about.
    store._conn.set_trace_callback(statements.append)
    scan = store.scan_vclusters(namespace="ns", phase=RUNNING, after=("ns", "vc-02500"))
    assert keys_of(itertools.islice(scan, 5))[0] == ("ns", "vc-02501")
    assert len(statements) == 1
    assert "LIMIT" in statements[0]
    store.close()


# What only SQLite promises.


def test_sqlite_keeps_everything_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = SqliteStore(path)
    write_one_of_everything(first, "a")
    with first.transaction():
        write_one_of_everything(first, "b")
    first.put_vcluster(make_vcluster("other", "x", SUSPENDED))
    first.close()

    second = SqliteStore(path)
    assert holds_everything(second, "a")
    assert holds_everything(second, "b")
    assert second.get_vcluster(("ns", "vc-a")) == make_vcluster("ns", "vc-a")
    assert second.get_snapshot_state(("ns", "snap-b")) == b"state"
    assert second.count_vclusters("ns") == 2
    assert second.count_snapshots("ns") == 2
    assert keys_of(second.scan_vclusters(namespace=None, phase=SUSPENDED, after=None)) == [
        ("other", "x")
    ]
    second.close()


def test_sqlite_transaction_that_raises_leaves_nothing_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = SqliteStore(path)
    with pytest.raises(PlannedError), first.transaction():
        write_one_of_everything(first, "t")
        raise PlannedError
    first.close()
    second = SqliteStore(path)
    assert not holds_everything(second, "t")
    assert second.count_vclusters("ns") == 0
    second.close()


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.store import SqliteStore
store = SqliteStore(Path(sys.argv[1]))
store.put_vcluster(VCluster(namespace="ns", name="alone"))
with store.transaction():
    for i in range(100):
        store.put_vcluster(VCluster(namespace="ns", name=f"vc-{i}"))
store.put_setting("last", b"written")
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sqlite_committed_writes_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    result = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)], check=False, env=dict(os.environ)
    )
    assert result.returncode == -signal.SIGKILL
    store = SqliteStore(path)
    assert store.count_vclusters("ns") == 101
    assert store.get_setting("last") == b"written"
    store.close()


def test_sqlite_brings_a_version_1_file_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.put_vcluster(make_vcluster("ns", "kept"))
    for caller, request_id in (("alice", "a"), ("alice", "b"), ("bob", "c")):
        store.remember_request(request_key(caller, request_id), request(expires_at=1e12))
    store.close()
    # What version 1 was: remembered requests without their caller (and no
    # operation history, which version 3 added).
    connection = sqlite3.connect(path)
    for statement in (
        "DROP TABLE operations",
        "DROP TRIGGER requests_counted",
        "DROP TRIGGER requests_uncounted",
        "DROP TABLE request_counts",
        "DROP INDEX requests_by_caller",
        "ALTER TABLE requests DROP COLUMN caller",
        "PRAGMA user_version = 1",
    ):
        connection.execute(statement)
    connection.commit()
    connection.close()
    store = SqliteStore(path)
    assert store.get_vcluster(("ns", "kept")) is not None
    assert [store.count_requests(c) for c in ("alice", "bob", None)] == [2, 1, 3]
    assert store.recall_request(request_key("alice", "b"), now=0.0) is not None
    # Brought past version 2 as well: the operation history is there, empty.
    assert list(store.scan_operations(namespace=None, vcluster=None, after=None)) == []
    store.close()


def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SqliteStore(path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(RuntimeError, match="schema version 99"):
        SqliteStore(path)


# open_store.


def test_open_store_memory() -> None:
    assert isinstance(open_store("memory", None), MemoryStore)


def test_open_store_sqlite_creates_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "deep" / "data"
    store = open_store("sqlite", data_dir)
    assert isinstance(store, SqliteStore)
    store.put_setting("x", b"y")
    store.close()
    assert (data_dir / "openvcluster.db").is_file()


def test_open_store_sqlite_needs_a_data_dir() -> None:
    with pytest.raises(ValueError, match="data directory"):
        open_store("sqlite", None)


def test_open_store_names_the_allowed_kinds() -> None:
    with pytest.raises(ValueError, match='"memory" and "sqlite"'):
        open_store("postgres", None)


# Both backends against a model.

NAMESPACES = st.sampled_from(["a", "b", "c"])
NAMES = st.sampled_from(["m", "n", "o", "p", "q"])
PHASES = st.sampled_from([RUNNING, SUSPENDED, FAILED])
SOURCES = st.sampled_from(["m", "n", "x"])
# Bounds that fall before, on, between and after stored keys.
AFTERS = st.none() | st.tuples(st.sampled_from(["", "a", "b", "bb", "c", "d"]), NAMES | st.just(""))


class StoresMatchModel(RuleBasedStateMachine):
    """Random writes, scans and transactions give both backends the model's answers."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp()
        self.stores: list[Store] = [MemoryStore(), SqliteStore(Path(self.directory) / "s.db")]
        self.vclusters: dict[Key, VCluster] = {}
        self.snapshots: dict[Key, Snapshot] = {}
        self.states: dict[Key, bytes] = {}
        self.version = 0

    def teardown(self) -> None:
        for store in self.stores:
            store.close()
        shutil.rmtree(self.directory)

    def _uid(self) -> str:
        self.version += 1
        return f"v{self.version}"

    def _put_vcluster(self, namespace: str, name: str, phase: int) -> None:
        vcluster = make_vcluster(namespace, name, phase, uid=self._uid())
        self.vclusters[(namespace, name)] = vcluster
        for store in self.stores:
            store.put_vcluster(vcluster)

    def _delete_vcluster(self, key: Key) -> None:
        self.vclusters.pop(key, None)
        for store in self.stores:
            store.delete_vcluster(key)

    @rule(namespace=NAMESPACES, name=NAMES, phase=PHASES)
    def put_vcluster(self, namespace: str, name: str, phase: int) -> None:
        self._put_vcluster(namespace, name, phase)

    @rule(namespace=NAMESPACES, name=NAMES)
    def delete_vcluster(self, namespace: str, name: str) -> None:
        self._delete_vcluster((namespace, name))

    @rule(
        namespace=NAMESPACES,
        name=NAMES,
        source=SOURCES,
        state=st.none() | st.binary(max_size=4),
    )
    def put_snapshot(self, namespace: str, name: str, source: str, state: bytes | None) -> None:
        snapshot = make_snapshot(namespace, name, source, uid=self._uid())
        self.snapshots[(namespace, name)] = snapshot
        if state is not None:
            self.states[(namespace, name)] = state
        for store in self.stores:
            store.put_snapshot(snapshot, state)

    @rule(namespace=NAMESPACES, name=NAMES)
    def delete_snapshot(self, namespace: str, name: str) -> None:
        self.snapshots.pop((namespace, name), None)
        self.states.pop((namespace, name), None)
        for store in self.stores:
            store.delete_snapshot((namespace, name))

    @rule(writes=st.lists(st.tuples(NAMESPACES, NAMES, PHASES | st.none()), min_size=1, max_size=4))
    def failed_transaction(self, writes: list[tuple[str, str, int | None]]) -> None:
        """Writes that end in an exception leave every backend as the model was."""
        for store in self.stores:
            with pytest.raises(PlannedError), store.transaction():
                for namespace, name, phase in writes:
                    if phase is None:
                        store.delete_vcluster((namespace, name))
                    else:
                        store.put_vcluster(make_vcluster(namespace, name, phase, uid="lost"))
                raise PlannedError

    @rule(writes=st.lists(st.tuples(NAMESPACES, NAMES, PHASES | st.none()), min_size=1, max_size=4))
    def committed_transaction(self, writes: list[tuple[str, str, int | None]]) -> None:
        contexts = [store.transaction() for store in self.stores]
        for context in contexts:
            context.__enter__()
        for namespace, name, phase in writes:
            if phase is None:
                self._delete_vcluster((namespace, name))
            else:
                self._put_vcluster(namespace, name, phase)
        for context in contexts:
            context.__exit__(None, None, None)

    @rule(
        namespace=st.none() | NAMESPACES,
        phase=st.none() | PHASES,
        after=AFTERS,
        limit=st.integers(min_value=0, max_value=6),
    )
    def scan_vclusters(
        self, namespace: str | None, phase: int | None, after: Key | None, limit: int
    ) -> None:
        expected = [
            self.vclusters[key]
            for key in sorted(self.vclusters)
            if (namespace is None or key[0] == namespace)
            and (phase is None or self.vclusters[key].status.phase == phase)
            and (after is None or key > after)
        ][:limit]
        for store in self.stores:
            scan = store.scan_vclusters(namespace=namespace, phase=phase, after=after)
            assert list(itertools.islice(scan, limit)) == expected
            # The same scan unparsed: each key with its vcluster serialized.
            data = store.scan_vcluster_data(namespace=namespace, phase=phase, after=after)
            assert [(key, VCluster.FromString(d)) for key, d in itertools.islice(data, limit)] == [
                ((v.namespace, v.name), v) for v in expected
            ]

    @rule(
        namespace=st.none() | NAMESPACES,
        source=st.none() | SOURCES,
        after=AFTERS,
        limit=st.integers(min_value=0, max_value=6),
    )
    def scan_snapshots(
        self, namespace: str | None, source: str | None, after: Key | None, limit: int
    ) -> None:
        expected = [
            self.snapshots[key]
            for key in sorted(self.snapshots)
            if (namespace is None or key[0] == namespace)
            and (source is None or self.snapshots[key].vcluster == source)
            and (after is None or key > after)
        ][:limit]
        for store in self.stores:
            scan = store.scan_snapshots(namespace=namespace, vcluster=source, after=after)
            assert list(itertools.islice(scan, limit)) == expected

    @rule(namespace=NAMESPACES, name=NAMES)
    def get(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        for store in self.stores:
            assert store.get_vcluster(key) == self.vclusters.get(key)
            assert store.get_snapshot(key) == self.snapshots.get(key)
            assert store.get_snapshot_state(key) == self.states.get(key)

    @invariant()
    def counts_match(self) -> None:
        for namespace in ("a", "b", "c"):
            vclusters = sum(1 for key in self.vclusters if key[0] == namespace)
            snapshots = sum(1 for key in self.snapshots if key[0] == namespace)
            for store in self.stores:
                assert store.count_vclusters(namespace) == vclusters
                assert store.count_snapshots(namespace) == snapshots


StoresMatchModel.TestCase.settings = settings(
    max_examples=75, stateful_step_count=40, deadline=None
)
TestStoresMatchModel = StoresMatchModel.TestCase
