"""The full contents of a server's store, as values a test can compare and diff.

``capture`` reads through the ``Store`` interface on the server's own loop
(``RunningServer.call``), so it works for every backend: each vcluster and
snapshot with its etag, each snapshot's captured state, each operation of
the history, and the per-namespace counters. For the SQLite store
``sqlite_rows`` adds every row of every table (remembered request ids and
settings included), read through a separate read-only connection, so nothing
the server keeps escapes the comparison.
"""

from __future__ import annotations

import ipaddress
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from openvcluster import field_rules
from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster.v1.vcluster_service_pb2 import SnapshotVClusterRequest
from openvcluster_server.app import ReferenceServer
from openvcluster_server.config import DEFAULT_KUBERNETES_VERSIONS
from openvcluster_server.quantity import parse_quantity
from openvcluster_server.store import DATABASE_FILE, Key, Store
from openvcluster_server.testing import RunningServer

Row = tuple[object, ...]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VERSION = re.compile(r"[0-9]{1,9}\.[0-9]{1,9}(\.[0-9]{1,9})?")
# Larger than any valid vcluster can be (64 labels of the longest key and
# value, the longest names and quantities); a bigger stored message means some
# field's length went unchecked.
MAX_STORED_BYTES = 32 * 1024


@dataclass(frozen=True)
class StoreState:
    """Everything a store holds, serialized deterministically."""

    vclusters: Mapping[Key, bytes]
    snapshots: Mapping[Key, bytes]
    snapshot_states: Mapping[Key, bytes | None]
    counts: Mapping[str, tuple[int, int]]
    # Every row of every table of a SQLite store; empty for other backends.
    tables: Mapping[str, tuple[Row, ...]]
    # The operation history, by id.
    operations: Mapping[str, bytes]

    def vcluster(self, key: Key) -> VCluster | None:
        """The stored vcluster, parsed."""
        data = self.vclusters.get(key)
        return None if data is None else VCluster.FromString(data)

    def snapshot(self, key: Key) -> Snapshot | None:
        """The stored snapshot, parsed."""
        data = self.snapshots.get(key)
        return None if data is None else Snapshot.FromString(data)

    def resources(self) -> tuple[object, ...]:
        """What the API exposes, without remembered requests: equal before and after
        a call that changed nothing but the request log."""
        return (
            dict(self.vclusters),
            dict(self.snapshots),
            dict(self.snapshot_states),
            dict(self.counts),
            dict(self.operations),
        )

    def changed(self, other: StoreState) -> set[tuple[str, Key]]:
        """The (kind, key) of every vcluster or snapshot that differs in ``other``."""
        keys: set[tuple[str, Key]] = set()
        for kind, mine, theirs in (
            ("vcluster", self.vclusters, other.vclusters),
            ("snapshot", self.snapshots, other.snapshots),
            ("snapshot", self.snapshot_states, other.snapshot_states),
        ):
            for key in set(mine) | set(theirs):
                if mine.get(key) != theirs.get(key):
                    keys.add((kind, key))
        return keys


def read_store(store: Store, database: Path | None = None) -> StoreState:
    """Reads every resource of ``store``; call it where the store may be used."""
    vclusters = {
        (vc.namespace, vc.name): vc.SerializeToString(deterministic=True)
        for vc in store.scan_vclusters(namespace=None, phase=None, after=None)
    }
    snapshots = {
        (s.namespace, s.name): s.SerializeToString(deterministic=True)
        for s in store.scan_snapshots(namespace=None, vcluster=None, after=None)
    }
    states = {key: store.get_snapshot_state(key) for key in snapshots}
    namespaces = {key[0] for key in vclusters} | {key[0] for key in snapshots}
    counts = {ns: (store.count_vclusters(ns), store.count_snapshots(ns)) for ns in namespaces}
    tables = sqlite_rows(database) if database is not None else {}
    operations = {
        op.id: op.SerializeToString(deterministic=True)
        for op in store.scan_operations(namespace=None, vcluster=None, after=None)
    }
    return StoreState(vclusters, snapshots, states, counts, tables, operations)


def capture(server: RunningServer) -> StoreState:
    """The store of an in-process server, read on its loop between calls."""
    database = (
        server.config.data_dir / DATABASE_FILE
        if server.config.store == "sqlite" and server.config.data_dir is not None
        else None
    )

    def read(running: ReferenceServer) -> StoreState:
        return read_store(running.store)

    state = server.call(read)
    if database is None:
        return state
    return StoreState(
        state.vclusters,
        state.snapshots,
        state.snapshot_states,
        state.counts,
        sqlite_rows(database),
        state.operations,
    )


def restore(server: RunningServer, state: StoreState) -> None:
    """Puts the vclusters, snapshots and operations of ``state`` back (remembered
    requests stay).

    Only for servers whose transitions never fire on their own (a long
    transition delay): a pending timer would move a restored vcluster later.
    """

    def put_back(running: ReferenceServer) -> None:
        store = running.store
        with store.transaction():
            for vc in list(store.scan_vclusters(namespace=None, phase=None, after=None)):
                if (vc.namespace, vc.name) not in state.vclusters:
                    store.delete_vcluster((vc.namespace, vc.name))
            for snap in list(store.scan_snapshots(namespace=None, vcluster=None, after=None)):
                if (snap.namespace, snap.name) not in state.snapshots:
                    store.delete_snapshot((snap.namespace, snap.name))
            for data in state.vclusters.values():
                store.put_vcluster(VCluster.FromString(data))
            for key, data in state.snapshots.items():
                store.put_snapshot(Snapshot.FromString(data), state.snapshot_states[key])
            for operation in list(store.scan_operations(namespace=None, vcluster=None, after=None)):
                if operation.id not in state.operations:
                    store.delete_operation(operation.id)
            for data in state.operations.values():
                store.put_operation(Operation.FromString(data))

    if capture(server).resources() != state.resources():
        server.call(put_back)


def sqlite_rows(database: Path) -> dict[str, tuple[Row, ...]]:
    """Every row of every table, sorted, through a read-only connection."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        names = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        # Table names come from the database's own catalogue, not from input.
        return {
            name: tuple(sorted(connection.execute(f'SELECT * FROM "{name}"'), key=repr))
            for name in names
        }
    finally:
        connection.close()


# --- what a stored resource must look like, whatever was sent ------------------------------


def spec_problems(
    spec: VClusterSpec, versions: Iterable[str] = DEFAULT_KUBERNETES_VERSIONS
) -> list[str]:
    """Why a stored spec could not have passed validation; empty when it could."""
    problems = [f"{field}: {problem}" for field, problem in field_rules.violations(spec)]
    for name in ("cpu", "memory", "storage"):
        value = getattr(spec.resources, name)
        try:
            if parse_quantity(value) <= 0:
                problems.append(f"resources.{name} {value!r} is not positive")
        except ValueError as exc:
            problems.append(f"resources.{name} {value[:80]!r}: {exc}")
    if not 1 <= spec.replicas <= 5:
        problems.append(f"replicas {spec.replicas}")
    if spec.enable_ha and (spec.replicas < 3 or spec.replicas % 2 == 0):
        problems.append(f"enable_ha with {spec.replicas} replicas")
    if spec.distro not in (1, 2, 3):
        problems.append(f"distro {spec.distro}")
    if spec.network.expose_type not in (1, 2, 3, 4):
        problems.append(f"expose_type {spec.network.expose_type}")
    try:
        ipaddress.ip_network(spec.network.service_cidr, strict=True)
    except ValueError:
        problems.append(f"service_cidr {spec.network.service_cidr[:80]!r}")
    version = spec.kubernetes_version
    # A version is ASCII digits of sane length whose minor is supported.
    if not _VERSION.fullmatch(version) or ".".join(
        str(int(part)) for part in version.split(".")[:2]
    ) not in set(versions):
        problems.append(f"kubernetes_version {version[:80]!r} (length {len(version)})")
    if spec.storage.size:
        try:
            parse_quantity(spec.storage.size)
        except ValueError:
            problems.append(f"storage.size {spec.storage.size[:80]!r}")
    return problems


def vcluster_problems(vcluster: VCluster) -> list[str]:
    """Why a stored vcluster breaks the invariants validation should guarantee."""
    # The proto's field rules of a VCluster: namespace, name, labels (and its spec's).
    problems = [f"{field}: {problem}" for field, problem in field_rules.violations(vcluster)]
    if not _UUID.fullmatch(vcluster.uid):
        problems.append(f"uid {vcluster.uid!r}")
    if not vcluster.etag:
        problems.append("no etag")
    if vcluster.status.phase not in range(1, 10):
        problems.append(f"phase {vcluster.status.phase}")
    if vcluster.status.kubeconfig:
        problems.append("a kubeconfig is stored")
    if vcluster.ByteSize() > MAX_STORED_BYTES:
        problems.append(f"{vcluster.ByteSize()} bytes stored")
    return problems + spec_problems(vcluster.spec)


def snapshot_problems(snapshot: Snapshot) -> list[str]:
    """Why a stored snapshot breaks the invariants validation should guarantee."""
    # What the request that made it had to keep.
    made_by = SnapshotVClusterRequest(
        namespace=snapshot.namespace,
        name=snapshot.vcluster,
        snapshot_name=snapshot.name or "-",
        labels=snapshot.labels,
        description=snapshot.description,
    )
    problems = [f"{field}: {problem}" for field, problem in field_rules.violations(made_by)]
    if not _UUID.fullmatch(snapshot.uid):
        problems.append(f"uid {snapshot.uid!r}")
    if snapshot.phase not in range(1, 5):
        problems.append(f"phase {snapshot.phase}")
    if snapshot.ByteSize() > MAX_STORED_BYTES:
        problems.append(f"{snapshot.ByteSize()} bytes stored")
    return problems + spec_problems(snapshot.source_spec)
