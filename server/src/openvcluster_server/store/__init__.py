"""Where the server keeps vclusters, snapshots, operations and remembered requests.

``open_store`` turns the ``store`` and ``data_dir`` settings into a backend, so
the rest of the server only ever sees the ``Store`` interface.
"""

from __future__ import annotations

from pathlib import Path

from openvcluster_server.store.base import Key, RememberedRequest, Store, operation_key
from openvcluster_server.store.memory import MemoryStore
from openvcluster_server.store.sqlite import SqliteStore

__all__ = [
    "Key",
    "MemoryStore",
    "RememberedRequest",
    "SqliteStore",
    "Store",
    "open_store",
    "operation_key",
]

# The file SqliteStore keeps in the data directory.
DATABASE_FILE = "openvcluster.db"


def open_store(kind: str, data_dir: Path | None) -> Store:
    """The backend named by ``kind``: "memory", or "sqlite" in ``data_dir`` (created if missing).

    Raises ValueError for an unknown kind, or for "sqlite" without a data directory.
    """
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        if data_dir is None:
            raise ValueError('The "sqlite" store needs a data directory (data_dir).')
        data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteStore(data_dir / DATABASE_FILE)
    raise ValueError(f'Unknown store kind {kind!r}; the allowed kinds are "memory" and "sqlite".')
