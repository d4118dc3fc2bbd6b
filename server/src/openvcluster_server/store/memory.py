"""A store that lives in the process: fast, and gone when the server exits.

It keeps serialized messages, not message objects, so nothing a caller does to
a message after ``put`` or ``get`` can reach what is stored. Sorted key lists
(searched with ``bisect``) stand in for a database's indexes, so a scan that
stops after k items costs O(log n + k) however much is stored.

``transaction()`` records how to undo each write, so a block that raises leaves
the store as it found it, just like the SQLite store. The store is never more
durable than the process, though.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import NamedTuple, TypeVar

from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.store.base import Key, RememberedRequest, operation_key, request_caller

# The group of a secondary index: a phase, or a source vcluster name.
_G = TypeVar("_G")


class _StoredVCluster(NamedTuple):
    phase: int
    data: bytes


class _StoredSnapshot(NamedTuple):
    vcluster: str
    data: bytes
    state: bytes | None


class _StoredOperation(NamedTuple):
    key: Key
    vcluster: str
    # When it ended (seconds since the epoch); None while it runs.
    ended: float | None
    data: bytes


def _add_key(index: dict[_G, list[Key]], group: _G, key: Key) -> None:
    """Files ``key`` under ``group`` of a secondary index, keeping the list sorted."""
    insort(index.setdefault(group, []), key)


def _remove_key(index: dict[_G, list[Key]], group: _G, key: Key) -> None:
    """Takes ``key`` out of ``group``, dropping the group when it empties."""
    keys = index[group]
    del keys[bisect_left(keys, key)]
    if not keys:
        del index[group]


def _walk(keys: list[Key], namespace: str | None, after: Key | None) -> Iterator[Key]:
    """Keys of the sorted ``keys`` strictly after ``after``, within ``namespace`` if given.

    The position is re-found by bisection only when the list changed under the
    walk, which the Store contract rules out but which costs nothing to survive.
    """
    start: Key | None = None if namespace is None else (namespace, "")
    if after is not None and (start is None or after >= start):
        i = bisect_right(keys, after)
    elif start is not None:
        i = bisect_left(keys, start)
    else:
        i = 0
    while i < len(keys):
        key = keys[i]
        if namespace is not None and key[0] != namespace:
            return
        yield key
        if i < len(keys) and keys[i] == key:
            i += 1
        else:
            i = bisect_right(keys, key)


def _bump(counts: dict[str, int], namespace: str, delta: int) -> None:
    """Adjusts a per-namespace counter, forgetting namespaces that reach zero."""
    n = counts.get(namespace, 0) + delta
    if n:
        counts[namespace] = n
    else:
        del counts[namespace]


class MemoryStore:
    """The ``Store`` of ``--store memory``: everything in dicts and sorted lists."""

    def __init__(self) -> None:
        self._vclusters: dict[Key, _StoredVCluster] = {}
        self._vcluster_keys: list[Key] = []
        self._vclusters_by_phase: dict[int, list[Key]] = {}
        self._vcluster_counts: dict[str, int] = {}

        self._snapshots: dict[Key, _StoredSnapshot] = {}
        self._snapshot_keys: list[Key] = []
        # Keyed by source vcluster name across namespaces, because a listing
        # of every namespace may still ask for one vcluster's snapshots.
        self._snapshots_by_vcluster: dict[str, list[Key]] = {}
        self._snapshot_counts: dict[str, int] = {}

        self._operations: dict[str, _StoredOperation] = {}
        self._operation_ids: dict[Key, str] = {}
        self._operation_keys: list[Key] = []
        self._operations_by_vcluster: dict[str, list[Key]] = {}
        # (end time, id) of every ended operation, soonest ended first.
        self._operation_ends: list[tuple[float, str]] = []

        # Oldest first, which with the server's one TTL is also soonest to
        # expire: forgetting the expired or the oldest is O(1) per request.
        self._requests: OrderedDict[str, RememberedRequest] = OrderedDict()
        self._requests_by_caller: dict[str, OrderedDict[str, None]] = {}

        self._settings: dict[str, bytes] = {}

        # How to undo each write of the open transaction, oldest first; None
        # outside a transaction, where nothing needs undoing.
        self._undo: list[Callable[[], None]] | None = None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        outermost = self._undo is None
        if self._undo is None:
            self._undo = []
        undo = self._undo
        mark = len(undo)
        try:
            yield
        except BaseException:
            # Undoing writes must not record undo steps of its own.
            self._undo = None
            try:
                while len(undo) > mark:
                    undo.pop()()
            finally:
                self._undo = undo
            raise
        finally:
            if outermost:
                self._undo = None

    def transaction(self) -> AbstractContextManager[None]:
        """Groups writes so that a block that raises leaves no trace, as on SQLite.

        Nested blocks join the outer one: their writes stay only if the outer
        block also completes, and an inner block that raises undoes only its
        own writes.
        """
        return self._transaction()

    def _record(self, undo: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(undo)

    # Vclusters.

    def _set_vcluster(self, key: Key, stored: _StoredVCluster | None) -> None:
        """The only writer of vclusters: keeps the indexes and counts in step."""
        old = self._vclusters.get(key)
        self._record(lambda: self._set_vcluster(key, old))
        if old is None and stored is not None:
            insort(self._vcluster_keys, key)
            _bump(self._vcluster_counts, key[0], 1)
        elif old is not None and stored is None:
            del self._vcluster_keys[bisect_left(self._vcluster_keys, key)]
            _bump(self._vcluster_counts, key[0], -1)
        if old is not None and (stored is None or stored.phase != old.phase):
            _remove_key(self._vclusters_by_phase, old.phase, key)
        if stored is not None and (old is None or stored.phase != old.phase):
            _add_key(self._vclusters_by_phase, stored.phase, key)
        if stored is None:
            self._vclusters.pop(key, None)
        else:
            self._vclusters[key] = stored

    def get_vcluster(self, key: Key) -> VCluster | None:
        """The stored vcluster, parsed afresh so the caller owns it."""
        data = self.vcluster_data(key)
        return None if data is None else VCluster.FromString(data)

    def vcluster_data(self, key: Key) -> bytes | None:
        """The stored vcluster serialized, or None."""
        stored = self._vclusters.get(key)
        return None if stored is None else stored.data

    def put_vcluster(self, vcluster: VCluster) -> None:
        """Stores a serialized copy, so later changes to ``vcluster`` are not stored."""
        stored = _StoredVCluster(vcluster.status.phase, vcluster.SerializeToString())
        self._set_vcluster((vcluster.namespace, vcluster.name), stored)

    def delete_vcluster(self, key: Key) -> None:
        """Removes the vcluster; absent is fine."""
        if key in self._vclusters:
            self._set_vcluster(key, None)

    def scan_vclusters(
        self, *, namespace: str | None, phase: int | None, after: Key | None
    ) -> Iterator[VCluster]:
        """Walks the phase's sorted keys, or all keys, from ``after``."""
        for _, data in self.scan_vcluster_data(namespace=namespace, phase=phase, after=after):
            yield VCluster.FromString(data)

    def scan_vcluster_data(
        self, *, namespace: str | None, phase: int | None, after: Key | None
    ) -> Iterator[tuple[Key, bytes]]:
        """As scan_vclusters, without parsing."""
        keys = self._vcluster_keys if phase is None else self._vclusters_by_phase.get(phase, [])
        for key in _walk(keys, namespace, after):
            yield key, self._vclusters[key].data

    def count_vclusters(self, namespace: str) -> int:
        """Read from a counter kept by every write."""
        return self._vcluster_counts.get(namespace, 0)

    # Snapshots.

    def _set_snapshot(self, key: Key, stored: _StoredSnapshot | None) -> None:
        """The only writer of snapshots: keeps the indexes and counts in step."""
        old = self._snapshots.get(key)
        self._record(lambda: self._set_snapshot(key, old))
        if old is None and stored is not None:
            insort(self._snapshot_keys, key)
            _bump(self._snapshot_counts, key[0], 1)
        elif old is not None and stored is None:
            del self._snapshot_keys[bisect_left(self._snapshot_keys, key)]
            _bump(self._snapshot_counts, key[0], -1)
        if old is not None and (stored is None or stored.vcluster != old.vcluster):
            _remove_key(self._snapshots_by_vcluster, old.vcluster, key)
        if stored is not None and (old is None or stored.vcluster != old.vcluster):
            _add_key(self._snapshots_by_vcluster, stored.vcluster, key)
        if stored is None:
            self._snapshots.pop(key, None)
        else:
            self._snapshots[key] = stored

    def get_snapshot(self, key: Key) -> Snapshot | None:
        """The stored snapshot, parsed afresh so the caller owns it."""
        stored = self._snapshots.get(key)
        return None if stored is None else Snapshot.FromString(stored.data)

    def get_snapshot_state(self, key: Key) -> bytes | None:
        """The captured state, or None if the snapshot or its state is absent."""
        stored = self._snapshots.get(key)
        return None if stored is None else stored.state

    def put_snapshot(self, snapshot: Snapshot, state: bytes | None = None) -> None:
        """Stores a serialized copy; a None ``state`` keeps the state already stored."""
        key = (snapshot.namespace, snapshot.name)
        if state is None:
            old = self._snapshots.get(key)
            state = None if old is None else old.state
        self._set_snapshot(
            key, _StoredSnapshot(snapshot.vcluster, snapshot.SerializeToString(), state)
        )

    def delete_snapshot(self, key: Key) -> None:
        """Removes the snapshot and its state; absent is fine."""
        if key in self._snapshots:
            self._set_snapshot(key, None)

    def scan_snapshots(
        self, *, namespace: str | None, vcluster: str | None, after: Key | None
    ) -> Iterator[Snapshot]:
        """Walks the source vcluster's sorted keys, or all keys, from ``after``."""
        if vcluster is None:
            keys = self._snapshot_keys
        else:
            keys = self._snapshots_by_vcluster.get(vcluster, [])
        for key in _walk(keys, namespace, after):
            yield Snapshot.FromString(self._snapshots[key].data)

    def count_snapshots(self, namespace: str) -> int:
        """Read from a counter kept by every write."""
        return self._snapshot_counts.get(namespace, 0)

    # Operations.

    def _set_operation(self, operation_id: str, stored: _StoredOperation | None) -> None:
        """The only writer of operations: keeps the indexes in step."""
        old = self._operations.get(operation_id)
        self._record(lambda: self._set_operation(operation_id, old))
        if old is not None:
            del self._operation_keys[bisect_left(self._operation_keys, old.key)]
            _remove_key(self._operations_by_vcluster, old.vcluster, old.key)
            del self._operation_ids[old.key]
            if old.ended is not None:
                ends = self._operation_ends
                del ends[bisect_left(ends, (old.ended, operation_id))]
        if stored is None:
            self._operations.pop(operation_id, None)
            return
        self._operations[operation_id] = stored
        insort(self._operation_keys, stored.key)
        _add_key(self._operations_by_vcluster, stored.vcluster, stored.key)
        self._operation_ids[stored.key] = operation_id
        if stored.ended is not None:
            insort(self._operation_ends, (stored.ended, operation_id))

    def get_operation(self, operation_id: str) -> Operation | None:
        """The stored operation, parsed afresh so the caller owns it."""
        stored = self._operations.get(operation_id)
        return None if stored is None else Operation.FromString(stored.data)

    def put_operation(self, operation: Operation) -> None:
        """Replaces the stored copy and its index entries."""
        ended = operation.end_time.ToNanoseconds() / 1e9 if operation.HasField("end_time") else None
        stored = _StoredOperation(
            operation_key(operation), operation.vcluster, ended, operation.SerializeToString()
        )
        self._set_operation(operation.id, stored)

    def delete_operation(self, operation_id: str) -> None:
        """Removes the operation; absent is fine."""
        if operation_id in self._operations:
            self._set_operation(operation_id, None)

    def scan_operations(
        self, *, namespace: str | None, vcluster: str | None, after: Key | None
    ) -> Iterator[Operation]:
        """Walks the vcluster's sorted keys, or all keys, from ``after``."""
        if vcluster is None:
            keys = self._operation_keys
        else:
            keys = self._operations_by_vcluster.get(vcluster, [])
        for key in _walk(keys, namespace, after):
            yield Operation.FromString(self._operations[self._operation_ids[key]].data)

    def forget_operations_ended_before(self, when: float) -> int:
        """Drops from the soonest ended up to the first that ended at ``when`` or later."""
        forgotten = 0
        while self._operation_ends and self._operation_ends[0][0] < when:
            self._set_operation(self._operation_ends[0][1], None)
            forgotten += 1
        return forgotten

    # Remembered requests.

    def _set_request(self, key: str, remembered: RememberedRequest | None) -> None:
        """The only writer of remembered requests: keeps the per-caller index in step.

        A stored answer goes to the end (the newest), replacing any under its key.
        """
        old = self._requests.pop(key, None)
        self._record(lambda: self._set_request(key, old))
        caller = request_caller(key)
        mine = self._requests_by_caller.setdefault(caller, OrderedDict())
        mine.pop(key, None)
        if remembered is not None:
            self._requests[key] = remembered
            mine[key] = None
        if not mine:
            del self._requests_by_caller[caller]

    def remember_request(self, request_key: str, remembered: RememberedRequest) -> None:
        """Stores (or replaces) the answer; the dataclass is frozen, so no copy is needed."""
        self._set_request(request_key, remembered)

    def recall_request(self, request_key: str, now: float) -> RememberedRequest | None:
        """The answer, unless it expired before ``now``."""
        remembered = self._requests.get(request_key)
        if remembered is None or remembered.expires_at < now:
            return None
        return remembered

    def forget_expired_requests(self, now: float) -> int:
        """Drops from the oldest end up to the first answer still in its window."""
        forgotten = 0
        while self._requests:
            key, remembered = next(iter(self._requests.items()))
            if remembered.expires_at >= now:
                break
            self._set_request(key, None)
            forgotten += 1
        return forgotten

    def count_requests(self, caller: str | None) -> int:
        """Read from the indexes' sizes."""
        if caller is None:
            return len(self._requests)
        return len(self._requests_by_caller.get(caller, ()))

    def forget_oldest_request(self, caller: str | None) -> None:
        """The first key of the caller's index (or of all)."""
        keys: Iterable[str] = (
            self._requests if caller is None else self._requests_by_caller.get(caller, ())
        )
        oldest = next(iter(keys), None)
        if oldest is not None:
            self._set_request(oldest, None)

    # Settings.

    def _set_setting(self, name: str, value: bytes | None) -> None:
        old = self._settings.get(name)
        self._record(lambda: self._set_setting(name, old))
        if value is None:
            self._settings.pop(name, None)
        else:
            self._settings[name] = value

    def get_setting(self, name: str) -> bytes | None:
        """The value, or None if never stored."""
        return self._settings.get(name)

    def put_setting(self, name: str, value: bytes) -> None:
        """Stores the value; bytes are immutable, so no copy is needed."""
        self._set_setting(name, value)

    def close(self) -> None:
        """Nothing to release; the data goes with the object."""
