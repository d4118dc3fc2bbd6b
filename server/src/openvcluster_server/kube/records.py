"""What the server keeps of its own in the host cluster: remembered request ids, its key.

Both live in the system namespace (``--system-namespace``), so every replica
of the server and every restart sees them:

- each remembered answer to a request id is a ConfigMap ``rid-<hash>``
  (labelled ``openvcluster.io/request-record``; the hash of the caller and the
  id, never the token), mirrored into memory by a reflector, so recalling one
  costs no request; how many are kept is capped per caller (label
  ``openvcluster.io/request-caller``, a hash) and in total (request_caps.py);
- the key that signs page tokens is the Secret ``openvcluster-server``,
  created once by whichever server starts first.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import PREFIX
from openvcluster_server.kube.reflector import Key, Reflector
from openvcluster_server.request_caps import RequestCaps
from openvcluster_server.store import RememberedRequest
from openvcluster_server.store.base import request_caller

LABEL = f"{PREFIX}/request-record"
LABEL_CALLER = f"{PREFIX}/request-caller"
SERVER_SECRET = "openvcluster-server"
_SECRET_KEY = "page-token-key"


def record_name(request_key: str) -> str:
    """The ConfigMap name of a remembered request (a hash: keys hold caller scopes)."""
    return "rid-" + hashlib.sha256(request_key.encode()).hexdigest()[:40]


class RequestRecords:
    """Remembered request ids: ConfigMaps, read from a watch-fed mirror."""

    def __init__(self, api: KubeApi, namespace: str, caps: RequestCaps) -> None:
        self._api = api
        self._namespace = namespace
        self._caps = caps
        # name -> expiry of each record, per caller (a hash), kept by the watch.
        self._by_caller: dict[str, dict[str, float]] = {}
        self._count = 0
        # Records forgotten to make room, to delete from the cluster.
        self._doomed: list[str] = []
        self.reflector = Reflector(api, kinds.CONFIGMAPS, LABEL, self._changed)

    def _changed(self, key: Key, before: Obj | None, after: Obj | None) -> None:
        self._index(before, False)
        self._index(after, True)

    def _index(self, obj: Obj | None, present: bool) -> None:
        if obj is None:
            return
        name = obj["metadata"]["name"]
        caller = (obj["metadata"].get("labels") or {}).get(LABEL_CALLER, "")
        mine = self._by_caller.setdefault(caller, {})
        if mine.pop(name, None) is not None:
            self._count -= 1
        if present and name not in self._doomed:
            mine[name] = _expires(obj)
            self._count += 1
        if not mine:
            del self._by_caller[caller]

    def recall_request(self, request_key: str, now: float) -> RememberedRequest | None:
        """The answer remembered for a request key, unless expired."""
        found = self.reflector.objects.get((self._namespace, record_name(request_key)))
        if found is None:
            return None
        remembered = _decode(found)
        return remembered if remembered.expires_at >= now else None

    async def remember(self, request_key: str, remembered: RememberedRequest) -> None:
        """Keeps an answer (the first one wins if two replicas race), within the caps."""
        name = record_name(request_key)
        self._caps.make_room(self, request_key)
        while self._doomed:
            await self._delete(self._doomed.pop())
        labels = {LABEL: "true", LABEL_CALLER: caller_label(request_caller(request_key))}
        body = {
            "metadata": {"name": name, "namespace": self._namespace, "labels": labels},
            "binaryData": {
                "fingerprint": base64.b64encode(remembered.fingerprint).decode(),
                "response": base64.b64encode(remembered.response).decode(),
            },
            "data": {"method": remembered.method, "expires": repr(remembered.expires_at)},
        }
        try:
            created = await self._api.create(kinds.CONFIGMAPS, self._namespace, body)
        except KubeError as exc:
            if not exc.conflict:
                raise
            return
        self.reflector.apply(created)

    def count_requests(self, caller: str | None) -> int:
        """Records of a caller (its hash as in ``request_caller``), or all of them."""
        if caller is None:
            return self._count
        return len(self._by_caller.get(caller_label(caller), ()))

    def forget_oldest_request(self, caller: str | None) -> None:
        """Takes the record that expires first out of the index; remember deletes it."""
        labels = list(self._by_caller) if caller is None else [caller_label(caller)]
        candidates = [
            (expiry, label, name)
            for label in labels
            for name, expiry in self._by_caller.get(label, {}).items()
        ]
        if not candidates:
            return
        _, label, name = min(candidates)
        mine = self._by_caller[label]
        del mine[name]
        if not mine:
            del self._by_caller[label]
        self._count -= 1
        self._doomed.append(name)

    async def forget_expired(self, now: float) -> int:
        """Deletes the records that expired; returns how many."""
        expired = [obj for obj in self.reflector.objects.values() if _expires(obj) < now]
        for obj in expired:
            await self._delete(obj["metadata"]["name"])
        return len(expired)

    async def _delete(self, name: str) -> None:
        try:
            await self._api.delete(kinds.CONFIGMAPS, self._namespace, name)
        except KubeError as exc:
            if not exc.not_found:
                raise


def caller_label(caller: str) -> str:
    """A caller as a label value: a hash, since callers are token digests or names."""
    return hashlib.sha256(caller.encode()).hexdigest()[:40]


def _expires(obj: Obj) -> float:
    return float((obj.get("data") or {}).get("expires", "0"))


def _decode(obj: Obj) -> RememberedRequest:
    binary = obj.get("binaryData") or {}
    data = obj.get("data") or {}
    return RememberedRequest(
        fingerprint=base64.b64decode(binary.get("fingerprint", "")),
        method=str(data.get("method", "")),
        response=base64.b64decode(binary.get("response", "")),
        expires_at=_expires(obj),
    )


async def page_token_key(api: KubeApi, namespace: str) -> bytes:
    """The shared page-token signing key, created once (the first server to ask wins)."""
    try:
        secret = await api.get(kinds.SECRETS, namespace, SERVER_SECRET)
    except KubeError as exc:
        if not exc.not_found:
            raise
        body = {
            "metadata": {"name": SERVER_SECRET, "namespace": namespace},
            "data": {_SECRET_KEY: base64.b64encode(secrets.token_bytes(32)).decode()},
        }
        try:
            secret = await api.create(kinds.SECRETS, namespace, body)
        except KubeError as created:
            if not created.conflict:
                raise
            secret = await api.get(kinds.SECRETS, namespace, SERVER_SECRET)
    return base64.b64decode(secret["data"][_SECRET_KEY])
