"""A store in one SQLite file: what the server keeps survives a crash or restart.

Every committed write is durable: the database runs in WAL mode with
``synchronous=FULL``, so a write that returned (or a ``transaction()`` that
exited) is on disk even if the process is then killed with SIGKILL or the
machine loses power. Transactions are managed explicitly (the connection is in
autocommit mode): a write outside ``transaction()`` is one statement and commits
on its own.

Scans read the table in batches along an index, resuming after the last key
read, so a caller who stops early pays only for the batches read. Batches
start small (most callers want one list page) and double for long scans.

The connection is opened with ``check_same_thread=False`` because the server
may hand calls from one thread to another (an executor), but calls still come
one at a time, as the Store contract says; nothing here is locked.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.store.base import Key, RememberedRequest, operation_key, request_caller

# Bumped with every change of the statements below; a file written by a newer
# server is refused rather than misread.
SCHEMA_VERSION = 3

# What version 2 added: who each remembered request belongs to, so the
# number kept per caller is capped (see idempotency.py), with trigger-kept
# counts as for namespaces.
_REQUEST_CALLERS = (
    "CREATE INDEX requests_by_caller ON requests (caller, expires_at)",
    "CREATE TABLE request_counts (caller TEXT PRIMARY KEY, requests INTEGER NOT NULL)",
    """
    CREATE TRIGGER requests_counted AFTER INSERT ON requests BEGIN
        INSERT INTO request_counts (caller, requests) VALUES (NEW.caller, 1)
        ON CONFLICT (caller) DO UPDATE SET requests = requests + 1;
    END
    """,
    """
    CREATE TRIGGER requests_uncounted AFTER DELETE ON requests BEGIN
        UPDATE request_counts SET requests = requests - 1 WHERE caller = OLD.caller;
        DELETE FROM request_counts WHERE caller = OLD.caller AND requests = 0;
    END
    """,
)

# What version 3 added: the operation history. `name` is the position of
# store.operation_key (newest first in a namespace), so scans page along it
# like along a resource name.
_OPERATIONS = (
    """
    CREATE TABLE operations (
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        id TEXT NOT NULL UNIQUE,
        vcluster TEXT NOT NULL,
        ended REAL,
        data BLOB NOT NULL,
        PRIMARY KEY (namespace, name)
    )
    """,
    "CREATE INDEX operations_by_vcluster ON operations (vcluster, namespace, name)",
    "CREATE INDEX operations_by_end ON operations (ended) WHERE ended IS NOT NULL",
)

_SCHEMA = (
    """
    CREATE TABLE vclusters (
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        phase INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (namespace, name)
    )
    """,
    "CREATE INDEX vclusters_by_phase ON vclusters (phase, namespace, name)",
    # state comes last: it can be large, and a row is read only as far as the
    # last column asked for, so scans never touch its overflow pages.
    """
    CREATE TABLE snapshots (
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        vcluster TEXT NOT NULL,
        data BLOB NOT NULL,
        state BLOB,
        PRIMARY KEY (namespace, name)
    )
    """,
    # vcluster leads so that one index serves "this vcluster's snapshots" both
    # in one namespace and across all of them, in (namespace, name) order.
    "CREATE INDEX snapshots_by_vcluster ON snapshots (vcluster, namespace, name)",
    """
    CREATE TABLE requests (
        request_key TEXT PRIMARY KEY,
        fingerprint BLOB NOT NULL,
        method TEXT NOT NULL,
        response BLOB NOT NULL,
        expires_at REAL NOT NULL,
        caller TEXT NOT NULL
    )
    """,
    "CREATE INDEX requests_by_expiry ON requests (expires_at)",
    *_REQUEST_CALLERS,
    *_OPERATIONS,
    "CREATE TABLE settings (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    # Per-namespace counts, kept by triggers in the same statement as the
    # change, so counting is one lookup however large the namespace. Puts are
    # upserts (ON CONFLICT DO UPDATE), which fire no insert trigger on replace.
    """
    CREATE TABLE namespace_counts (
        namespace TEXT PRIMARY KEY,
        vclusters INTEGER NOT NULL,
        snapshots INTEGER NOT NULL
    )
    """,
    """
    CREATE TRIGGER vclusters_counted AFTER INSERT ON vclusters BEGIN
        INSERT INTO namespace_counts (namespace, vclusters, snapshots)
        VALUES (NEW.namespace, 1, 0)
        ON CONFLICT (namespace) DO UPDATE SET vclusters = vclusters + 1;
    END
    """,
    """
    CREATE TRIGGER vclusters_uncounted AFTER DELETE ON vclusters BEGIN
        UPDATE namespace_counts SET vclusters = vclusters - 1
        WHERE namespace = OLD.namespace;
        DELETE FROM namespace_counts
        WHERE namespace = OLD.namespace AND vclusters = 0 AND snapshots = 0;
    END
    """,
    """
    CREATE TRIGGER snapshots_counted AFTER INSERT ON snapshots BEGIN
        INSERT INTO namespace_counts (namespace, vclusters, snapshots)
        VALUES (NEW.namespace, 0, 1)
        ON CONFLICT (namespace) DO UPDATE SET snapshots = snapshots + 1;
    END
    """,
    """
    CREATE TRIGGER snapshots_uncounted AFTER DELETE ON snapshots BEGIN
        UPDATE namespace_counts SET snapshots = snapshots - 1
        WHERE namespace = OLD.namespace;
        DELETE FROM namespace_counts
        WHERE namespace = OLD.namespace AND vclusters = 0 AND snapshots = 0;
    END
    """,
)

# Rows read by the first query of a scan, and by any query at most.
_FIRST_BATCH = 64
_MAX_BATCH = 1024


class SqliteStore:
    """The ``Store`` of ``--store sqlite``: one database file, durable on every commit."""

    def __init__(self, path: Path) -> None:
        self._lock = _lock_exclusively(path.parent / f"{path.name}.lock")
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except BaseException:
            self._lock.close()
            raise
        # Nesting depth of transaction(); inner levels are savepoints.
        self._depth = 0
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            # 64 MiB of page cache: with SQLite's 2 MiB default, a list page of a
            # large store costs more than one of a small store in cache misses.
            self._conn.execute("PRAGMA cache_size = -65536")
            self._migrate(path)
        except BaseException:
            self._conn.close()
            self._lock.close()
            raise

    def _migrate(self, path: Path) -> None:
        """Creates the schema in a new file, brings an older one up to date, and
        refuses a file of a newer schema."""
        with self.transaction():
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
            if version == SCHEMA_VERSION:
                return
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{path} has store schema version {version}, but this server "
                    f"reads version {SCHEMA_VERSION}; use the server that wrote it."
                )
            if version == 0:
                for statement in _SCHEMA:
                    self._conn.execute(statement)
            if version == 1:
                self._add_request_callers()
            if 1 <= version <= 2:
                for statement in _OPERATIONS:
                    self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _add_request_callers(self) -> None:
        """Version 1 to 2: the caller of each remembered request, and the counts."""
        self._conn.execute("ALTER TABLE requests ADD COLUMN caller TEXT NOT NULL DEFAULT ''")
        keys = [key for (key,) in self._conn.execute("SELECT request_key FROM requests")]
        self._conn.executemany(
            "UPDATE requests SET caller = ? WHERE request_key = ?",
            [(request_caller(key), key) for key in keys],
        )
        for statement in _REQUEST_CALLERS:
            self._conn.execute(statement)
        self._conn.execute(
            "INSERT INTO request_counts (caller, requests) "
            "SELECT caller, count(*) FROM requests GROUP BY caller"
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        rollback: tuple[str, ...]
        if self._depth == 0:
            begin, commit, rollback = "BEGIN IMMEDIATE", "COMMIT", ("ROLLBACK",)
        else:
            savepoint = f"level{self._depth}"
            begin = f"SAVEPOINT {savepoint}"
            commit = f"RELEASE {savepoint}"
            rollback = (f"ROLLBACK TO {savepoint}", f"RELEASE {savepoint}")
        self._conn.execute(begin)
        self._depth += 1
        try:
            yield
            self._conn.execute(commit)
        except BaseException:
            # A failed COMMIT can leave the transaction open, and some errors
            # end it on their own; roll back only what is still open.
            if self._conn.in_transaction:
                for statement in rollback:
                    self._conn.execute(statement)
            raise
        finally:
            self._depth -= 1

    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the block raises.

        A nested block is a savepoint: it joins the outer transaction, and if
        it raises, only its own writes are rolled back.
        """
        return self._transaction()

    def _pages(
        self,
        table: str,
        where: Sequence[tuple[str, str | int]],
        namespace: str | None,
        after: Key | None,
    ) -> Iterator[tuple[Key, bytes]]:
        """The key and ``data`` of rows matching ``where``, in (namespace, name) order
        after ``after``.

        ``table`` and the column names in ``where`` are constants of this
        module, never caller input.
        """
        conditions = [f"{column} = ?" for column, _ in where]
        params: list[str | int] = [value for _, value in where]
        last: tuple[str, ...] | None
        if namespace is not None:
            if after is not None and after[0] > namespace:
                return
            conditions.append("namespace = ?")
            params.append(namespace)
            # Within one namespace the position is the name alone.
            position = "name"
            last = (after[1],) if after is not None and after[0] == namespace else None
        else:
            position = "namespace, name"
            last = after
        after_last = f"({position}) > ({', '.join('?' for _ in position.split(','))})"
        batch = _FIRST_BATCH
        while True:
            clauses = conditions if last is None else [*conditions, after_last]
            rows = self._conn.execute(
                f"SELECT namespace, name, data FROM {table} "
                f"WHERE {' AND '.join(clauses) or '1'} ORDER BY {position} LIMIT ?",
                (*params, *(last or ()), batch),
            ).fetchall()
            for row_namespace, name, data in rows:
                yield (row_namespace, name), data
            if len(rows) < batch:
                return
            last = (rows[-1][1],) if namespace is not None else (rows[-1][0], rows[-1][1])
            batch = min(batch * 2, _MAX_BATCH)

    def _one(self, sql: str, params: Sequence[str]) -> bytes | None:
        """The single column of the single row ``sql`` selects, or None."""
        row: tuple[bytes | None] | None = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def _count(self, column: str, namespace: str) -> int:
        row: tuple[int] | None = self._conn.execute(
            f"SELECT {column} FROM namespace_counts WHERE namespace = ?", (namespace,)
        ).fetchone()
        return 0 if row is None else row[0]

    # Vclusters.

    def get_vcluster(self, key: Key) -> VCluster | None:
        """The stored vcluster, parsed afresh so the caller owns it."""
        data = self.vcluster_data(key)
        return None if data is None else VCluster.FromString(data)

    def vcluster_data(self, key: Key) -> bytes | None:
        """The stored vcluster serialized, or None."""
        return self._one("SELECT data FROM vclusters WHERE namespace = ? AND name = ?", key)

    def put_vcluster(self, vcluster: VCluster) -> None:
        """One upsert; the phase column feeds the phase index."""
        self._conn.execute(
            "INSERT INTO vclusters (namespace, name, phase, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (namespace, name) DO UPDATE SET phase = excluded.phase, "
            "data = excluded.data",
            (
                vcluster.namespace,
                vcluster.name,
                vcluster.status.phase,
                vcluster.SerializeToString(),
            ),
        )

    def delete_vcluster(self, key: Key) -> None:
        """Removes the vcluster; absent is fine."""
        self._conn.execute("DELETE FROM vclusters WHERE namespace = ? AND name = ?", key)

    def scan_vclusters(
        self, *, namespace: str | None, phase: int | None, after: Key | None
    ) -> Iterator[VCluster]:
        """Pages along the primary key, or along (phase, namespace, name) for a phase."""
        for _, data in self.scan_vcluster_data(namespace=namespace, phase=phase, after=after):
            yield VCluster.FromString(data)

    def scan_vcluster_data(
        self, *, namespace: str | None, phase: int | None, after: Key | None
    ) -> Iterator[tuple[Key, bytes]]:
        """As scan_vclusters, without parsing."""
        where = [] if phase is None else [("phase", phase)]
        return self._pages("vclusters", where, namespace, after)

    def count_vclusters(self, namespace: str) -> int:
        """Read from the trigger-kept counter."""
        return self._count("vclusters", namespace)

    # Snapshots.

    def get_snapshot(self, key: Key) -> Snapshot | None:
        """The stored snapshot, parsed afresh so the caller owns it."""
        data = self._one("SELECT data FROM snapshots WHERE namespace = ? AND name = ?", key)
        return None if data is None else Snapshot.FromString(data)

    def get_snapshot_state(self, key: Key) -> bytes | None:
        """The captured state, or None if the snapshot or its state is absent."""
        return self._one("SELECT state FROM snapshots WHERE namespace = ? AND name = ?", key)

    def put_snapshot(self, snapshot: Snapshot, state: bytes | None = None) -> None:
        """One upsert; without ``state`` the stored state column is left alone."""
        keep_or_replace = "" if state is None else ", state = excluded.state"
        self._conn.execute(
            "INSERT INTO snapshots (namespace, name, vcluster, data, state) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (namespace, name) DO UPDATE SET vcluster = excluded.vcluster, "
            f"data = excluded.data{keep_or_replace}",
            (
                snapshot.namespace,
                snapshot.name,
                snapshot.vcluster,
                snapshot.SerializeToString(),
                state,
            ),
        )

    def delete_snapshot(self, key: Key) -> None:
        """Removes the snapshot and its state (one row); absent is fine."""
        self._conn.execute("DELETE FROM snapshots WHERE namespace = ? AND name = ?", key)

    def scan_snapshots(
        self, *, namespace: str | None, vcluster: str | None, after: Key | None
    ) -> Iterator[Snapshot]:
        """Pages along the primary key, or along (vcluster, namespace, name) for a vcluster."""
        where = [] if vcluster is None else [("vcluster", vcluster)]
        for _, data in self._pages("snapshots", where, namespace, after):
            yield Snapshot.FromString(data)

    def count_snapshots(self, namespace: str) -> int:
        """Read from the trigger-kept counter."""
        return self._count("snapshots", namespace)

    # Operations.

    def get_operation(self, operation_id: str) -> Operation | None:
        """The stored operation, parsed afresh so the caller owns it."""
        data = self._one("SELECT data FROM operations WHERE id = ?", (operation_id,))
        return None if data is None else Operation.FromString(data)

    def put_operation(self, operation: Operation) -> None:
        """One upsert by id; the key columns never change for an id."""
        namespace, position = operation_key(operation)
        ended = operation.end_time.ToNanoseconds() / 1e9 if operation.HasField("end_time") else None
        self._conn.execute(
            "INSERT INTO operations (namespace, name, id, vcluster, ended, data) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET ended = excluded.ended, data = excluded.data",
            (
                namespace,
                position,
                operation.id,
                operation.vcluster,
                ended,
                operation.SerializeToString(),
            ),
        )

    def delete_operation(self, operation_id: str) -> None:
        """Removes the operation; absent is fine."""
        self._conn.execute("DELETE FROM operations WHERE id = ?", (operation_id,))

    def scan_operations(
        self, *, namespace: str | None, vcluster: str | None, after: Key | None
    ) -> Iterator[Operation]:
        """Pages along the primary key, or along (vcluster, namespace, name) for a vcluster."""
        where = [] if vcluster is None else [("vcluster", vcluster)]
        for _, data in self._pages("operations", where, namespace, after):
            yield Operation.FromString(data)

    def forget_operations_ended_before(self, when: float) -> int:
        """One DELETE along the end-time index."""
        cursor = self._conn.execute(
            "DELETE FROM operations WHERE ended IS NOT NULL AND ended < ?", (when,)
        )
        return cursor.rowcount

    # Remembered requests.

    def remember_request(self, request_key: str, remembered: RememberedRequest) -> None:
        """Stores (or replaces, such as an expired one) the answer to a request_id.

        An upsert, so that a replacement fires no insert trigger (see request_counts).
        """
        self._conn.execute(
            "INSERT INTO requests "
            "(request_key, fingerprint, method, response, expires_at, caller) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (request_key) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "method = excluded.method, response = excluded.response, "
            "expires_at = excluded.expires_at",
            (
                request_key,
                remembered.fingerprint,
                remembered.method,
                remembered.response,
                remembered.expires_at,
                request_caller(request_key),
            ),
        )

    def recall_request(self, request_key: str, now: float) -> RememberedRequest | None:
        """The answer, unless it expired before ``now``."""
        row: tuple[bytes, str, bytes, float] | None = self._conn.execute(
            "SELECT fingerprint, method, response, expires_at FROM requests "
            "WHERE request_key = ? AND expires_at >= ?",
            (request_key, now),
        ).fetchone()
        if row is None:
            return None
        fingerprint, method, response, expires_at = row
        return RememberedRequest(
            fingerprint=fingerprint, method=method, response=response, expires_at=expires_at
        )

    def forget_expired_requests(self, now: float) -> int:
        """One DELETE along the expiry index."""
        cursor = self._conn.execute("DELETE FROM requests WHERE expires_at < ?", (now,))
        return cursor.rowcount

    def count_requests(self, caller: str | None) -> int:
        """Read from the trigger-kept counts: one row per caller."""
        if caller is None:
            row = self._conn.execute("SELECT coalesce(sum(requests), 0) FROM request_counts")
        else:
            row = self._conn.execute(
                "SELECT requests FROM request_counts WHERE caller = ?", (caller,)
            )
        found = row.fetchone()
        return int(found[0]) if found is not None else 0

    def forget_oldest_request(self, caller: str | None) -> None:
        """One DELETE of the first row along the caller's (or the expiry) index."""
        if caller is None:
            self._conn.execute(
                "DELETE FROM requests WHERE request_key = "
                "(SELECT request_key FROM requests ORDER BY expires_at LIMIT 1)"
            )
        else:
            self._conn.execute(
                "DELETE FROM requests WHERE request_key = (SELECT request_key FROM requests "
                "WHERE caller = ? ORDER BY expires_at LIMIT 1)",
                (caller,),
            )

    # Settings.

    def get_setting(self, name: str) -> bytes | None:
        """The value, or None if never stored."""
        return self._one("SELECT value FROM settings WHERE name = ?", (name,))

    def put_setting(self, name: str, value: bytes) -> None:
        """Stores (or replaces) the value."""
        self._conn.execute(
            "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", (name, value)
        )

    def close(self) -> None:
        """Closes the connection (SQLite checkpoints the WAL into the file) and
        lets another process open the store."""
        self._conn.close()
        self._lock.close()


def _lock_exclusively(path: Path) -> IO[bytes]:
    """Holds an exclusive lock on ``path`` for as long as the returned file is open.

    Two servers on one database would each run their own timers and watchers
    over the other's writes; the lock makes the second one refuse to start.
    The operating system drops the lock when its process dies, even by SIGKILL.
    """
    handle = path.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreInUseError(
            f"another process uses the store in {path.parent}; stop it or choose another "
            "data directory"
        ) from None
    return handle


class StoreInUseError(RuntimeError):
    """The SQLite store is open in another process."""
