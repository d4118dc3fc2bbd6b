"""A local copy of one kind of object, kept current by a watch (an informer).

It lists once, then watches from the list's resourceVersion with bookmarks,
so it never polls: a watch that ends or breaks resumes from the last version
it saw, and one whose version expired (410 Gone) lists again and reports
the difference. Every change reaches ``on_change`` as (key, before, after).

Objects the server itself just wrote are applied at once (``apply``), so a
caller reads its own writes before the watch delivers them; the watch's
copy of the same version is then ignored. resourceVersions are compared as
numbers: the API calls them opaque, but every etcd-backed server issues
increasing integers, and ordering is what read-your-writes needs.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from openvcluster_server.kube.api import Kind, KubeApi, KubeError, Obj

log = logging.getLogger(__name__)

Key = tuple[str, str]
Change = Callable[[Key, Obj | None, Obj | None], None]

_BACKOFF_FIRST = 0.2
_BACKOFF_MAX = 5.0
_WATCH_SECONDS = 300


def key_of(obj: Obj) -> Key:
    """(namespace, name) of an object; namespace "" for cluster-scoped ones."""
    meta = obj["metadata"]
    return (str(meta.get("namespace", "")), str(meta["name"]))


def version_of(obj: Obj) -> int:
    """The object's resourceVersion as a number (0 when it has none)."""
    try:
        return int(obj["metadata"].get("resourceVersion", "0"))
    except ValueError:
        return 0


class Reflector:
    """Keeps ``objects`` equal to the API server's objects of one kind and selector."""

    def __init__(
        self,
        api: KubeApi,
        kind: Kind,
        labels: str,
        on_change: Change,
        on_connection: Callable[[], None] = lambda: None,
    ) -> None:
        self.kind = kind
        self.labels = labels
        self.objects: dict[Key, Obj] = {}
        self.synced = asyncio.Event()
        # When the connection to the API server was lost; None while connected.
        self.disconnected_since: float | None = None
        self._api = api
        self._on_change = on_change
        # Told when the watch is lost or back.
        self._on_connection = on_connection
        self._version = ""

    async def run(self) -> None:
        """Lists and watches until cancelled, reconnecting with backoff on failures."""
        backoff = _BACKOFF_FIRST
        while True:
            try:
                if not self._version:
                    await self._list()
                await self._watch()
                backoff = _BACKOFF_FIRST
            except KubeError as exc:
                if exc.status == 410:
                    self._version = ""
                    continue
                if self.disconnected_since is None:
                    self.disconnected_since = time.monotonic()
                    log.warning("watch of %s lost: %s", self.kind.plural, exc)
                    self._on_connection()
                await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
                backoff = min(backoff * 2, _BACKOFF_MAX)

    def apply(self, obj: Obj) -> None:
        """Takes an object the server wrote (read-your-writes), unless a newer one is here."""
        obj.setdefault("kind", self.kind.kind)  # list items come without it
        key = key_of(obj)
        before = self.objects.get(key)
        if before is not None and version_of(before) >= version_of(obj):
            return
        self.objects[key] = obj
        self._on_change(key, before, obj)

    def forget(self, obj: Obj) -> None:
        """Drops an object the server saw deleted, unless a newer one replaced it."""
        key = key_of(obj)
        before = self.objects.get(key)
        if before is None or version_of(before) > version_of(obj):
            return
        del self.objects[key]
        self._on_change(key, before, None)

    async def _list(self) -> None:
        items, version = await self._api.list_all(self.kind, labels=self.labels)
        self._connected()
        for item in items:
            item.setdefault("kind", self.kind.kind)  # list items come without it
        fresh = {key_of(item): item for item in items}
        for key in [k for k in self.objects if k not in fresh]:
            before = self.objects.pop(key)
            self._on_change(key, before, None)
        for key, item in fresh.items():
            known = self.objects.get(key)
            if known is None or version_of(known) != version_of(item):
                self.objects[key] = item
                self._on_change(key, known, item)
        self._version = version
        self.synced.set()

    async def _watch(self) -> None:
        seconds = int(_WATCH_SECONDS * random.uniform(0.8, 1.0))
        events = self._api.watch(
            self.kind,
            self._version,
            labels=self.labels,
            timeout_seconds=seconds,
            on_open=self._connected,
        )
        async for event in events:
            self._handle(event)

    def _handle(self, event: dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object", {})
        if kind == "ERROR":
            raise KubeError(
                int(obj.get("code", 500)), str(obj.get("reason", "")), str(obj.get("message", ""))
            )
        self._version = str(obj.get("metadata", {}).get("resourceVersion", self._version))
        if kind in ("ADDED", "MODIFIED"):
            self.apply(obj)
        elif kind == "DELETED":
            self.forget(obj)

    def _connected(self) -> None:
        if self.disconnected_since is not None:
            log.info("watch of %s is back", self.kind.plural)
            self.disconnected_since = None
            self._on_connection()
