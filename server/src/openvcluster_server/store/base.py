"""The storage interface every backend implements.

The RPC layer never talks to a backend directly: it goes through the engine,
which holds the only reference to a ``Store``. A backend only stores and
finds; phases, validation and events live above it. That keeps a future
Kubernetes-backed store to this one file's worth of methods.

All methods are called from the server's event loop thread, one at a time, so
a backend needs no locking of its own. Writes inside ``transaction()`` become
durable together when it exits, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster

# (namespace, name): the identity and the sort order of every stored resource.
Key = tuple[str, str]

# Start times (in nanoseconds) are subtracted from it, so that ascending keys
# list a namespace's operations newest first.
_NEWEST_FIRST = 10**20 - 1


def operation_key(operation: Operation) -> Key:
    """(namespace, position) of an operation: in key order, each namespace's
    operations come newest first (by start time, then id)."""
    started = operation.start_time.seconds * 1_000_000_000 + operation.start_time.nanos
    return operation.namespace, f"{_NEWEST_FIRST - started:020d}/{operation.id}"


def request_key(caller: str, request_id: str) -> str:
    """Where a caller's request_id is remembered: ids are scoped to their caller."""
    return f"{caller}\x00{request_id}"


def request_caller(key: str) -> str:
    """The caller a remembered request belongs to (see request_key)."""
    return key.partition("\x00")[0]


@dataclass(frozen=True)
class RememberedRequest:
    """The first answer to a request_id (see engine idempotency)."""

    fingerprint: bytes
    method: str
    response: bytes
    expires_at: float


class Store(Protocol):
    """Durable (or not) home of vclusters, snapshots, operations and remembered requests."""

    def transaction(self) -> AbstractContextManager[None]:
        """Groups the writes made inside it into one atomic, durable change."""
        ...

    def get_vcluster(self, key: Key) -> VCluster | None:
        """The stored vcluster, or None."""
        ...

    def vcluster_data(self, key: Key) -> bytes | None:
        """The stored vcluster serialized, or None: what a read answers without
        parsing it (encoded.py)."""
        ...

    def put_vcluster(self, vcluster: VCluster) -> None:
        """Inserts or replaces the vcluster under (namespace, name)."""
        ...

    def delete_vcluster(self, key: Key) -> None:
        """Removes the vcluster; absent is fine."""
        ...

    def scan_vcluster_data(
        self, *, namespace: str | None, phase: int | None, after: Key | None
    ) -> Iterator[tuple[Key, bytes]]:
        """As scan_vclusters, each vcluster as its key and its serialized form:
        what a listing answers without parsing it (encoded.py)."""
        ...

    def scan_vclusters(
        self, *, namespace: str | None, phase: int | None, after: Key | None
    ) -> Iterator[VCluster]:
        """Vclusters in (namespace, name) order, strictly after ``after``.

        ``namespace`` and ``phase`` narrow the scan using an index, so that a
        caller who stops early pays only for what it read. The iterator is
        consumed before the next store call, so backends may read lazily.
        """
        ...

    def count_vclusters(self, namespace: str) -> int:
        """How many vclusters the namespace holds."""
        ...

    def get_snapshot(self, key: Key) -> Snapshot | None:
        """The stored snapshot, or None."""
        ...

    def get_snapshot_state(self, key: Key) -> bytes | None:
        """The opaque captured state of a snapshot, or None before it is READY."""
        ...

    def put_snapshot(self, snapshot: Snapshot, state: bytes | None = None) -> None:
        """Inserts or replaces the snapshot; ``state`` replaces the captured state when given."""
        ...

    def delete_snapshot(self, key: Key) -> None:
        """Removes the snapshot and its state; absent is fine."""
        ...

    def scan_snapshots(
        self, *, namespace: str | None, vcluster: str | None, after: Key | None
    ) -> Iterator[Snapshot]:
        """Snapshots in (namespace, name) order, strictly after ``after``.

        ``vcluster`` narrows to the snapshots of one source vcluster name.
        """
        ...

    def count_snapshots(self, namespace: str) -> int:
        """How many snapshots the namespace holds."""
        ...

    def get_operation(self, operation_id: str) -> Operation | None:
        """The stored operation of that id, or None."""
        ...

    def put_operation(self, operation: Operation) -> None:
        """Inserts or replaces the operation (under ``operation_key``, which never changes)."""
        ...

    def delete_operation(self, operation_id: str) -> None:
        """Removes the operation; absent is fine."""
        ...

    def scan_operations(
        self, *, namespace: str | None, vcluster: str | None, after: Key | None
    ) -> Iterator[Operation]:
        """Operations in ``operation_key`` order (by namespace, newest first), strictly
        after ``after``; ``vcluster`` narrows to those of one vcluster name."""
        ...

    def forget_operations_ended_before(self, when: float) -> int:
        """Drops operations that ended before ``when`` (seconds since the epoch);
        returns how many. Running ones are kept whatever their age."""
        ...

    def remember_request(self, request_key: str, remembered: RememberedRequest) -> None:
        """Stores the first answer to a request_id."""
        ...

    def recall_request(self, request_key: str, now: float) -> RememberedRequest | None:
        """The first answer to a request_id, unless it expired before ``now``."""
        ...

    def forget_expired_requests(self, now: float) -> int:
        """Drops remembered requests that expired before ``now``; returns how many.

        The server remembers with one TTL, so the oldest expire first; a backend
        may rely on that and stop at the first one still valid.
        """
        ...

    def count_requests(self, caller: str | None) -> int:
        """How many requests the caller (None: everyone) has remembered, expired or not.

        The caller of a request key is ``request_caller(key)``.
        """
        ...

    def forget_oldest_request(self, caller: str | None) -> None:
        """Drops the caller's (None: anyone's) remembered request that expires first."""
        ...

    def get_setting(self, name: str) -> bytes | None:
        """A server-private value kept across restarts (such as the page-token key)."""
        ...

    def put_setting(self, name: str, value: bytes) -> None:
        """Stores a server-private value."""
        ...

    def close(self) -> None:
        """Releases the backend; the store is not used afterwards."""
        ...
