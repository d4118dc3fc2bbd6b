"""What the server keeps of its own in the host cluster: remembered request ids, its key.

Both live in the system namespace (``--system-namespace``), so every replica
of the server and every restart sees them:

- each remembered answer to a request id is a ConfigMap ``rid-<hash>``
  (labelled ``openvcluster.io/request-record``; the hash of the caller and the
  id, never the token), mirrored into memory by a reflector, so recalling one
  costs no request; at most ``limit`` are kept, the ones closest to expiry go
  first beyond that;
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
from openvcluster_server.kube.reflector import Reflector
from openvcluster_server.store import RememberedRequest

LABEL = f"{PREFIX}/request-record"
SERVER_SECRET = "openvcluster-server"
_SECRET_KEY = "page-token-key"


def record_name(request_key: str) -> str:
    """The ConfigMap name of a remembered request (a hash: keys hold caller scopes)."""
    return "rid-" + hashlib.sha256(request_key.encode()).hexdigest()[:40]


class RequestRecords:
    """Remembered request ids: ConfigMaps, read from a watch-fed mirror."""

    def __init__(self, api: KubeApi, namespace: str, limit: int) -> None:
        self._api = api
        self._namespace = namespace
        self._limit = limit
        self.reflector = Reflector(api, kinds.CONFIGMAPS, LABEL, lambda key, before, after: None)

    def recall_request(self, request_key: str, now: float) -> RememberedRequest | None:
        """The answer remembered for a request key, unless expired."""
        found = self.reflector.objects.get((self._namespace, record_name(request_key)))
        if found is None:
            return None
        remembered = _decode(found)
        return remembered if remembered.expires_at >= now else None

    async def remember(self, request_key: str, remembered: RememberedRequest) -> None:
        """Keeps an answer (the first one wins if two replicas race)."""
        name = record_name(request_key)
        body = {
            "metadata": {"name": name, "namespace": self._namespace, "labels": {LABEL: "true"}},
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
        await self._trim()

    async def forget_expired(self, now: float) -> int:
        """Deletes the records that expired; returns how many."""
        expired = [obj for obj in self.reflector.objects.values() if _decode(obj).expires_at < now]
        for obj in expired:
            await self._delete(obj)
        return len(expired)

    async def _trim(self) -> None:
        excess = len(self.reflector.objects) - self._limit
        if excess <= 0:
            return
        oldest = sorted(self.reflector.objects.values(), key=lambda o: _decode(o).expires_at)
        for obj in oldest[:excess]:
            await self._delete(obj)

    async def _delete(self, obj: Obj) -> None:
        try:
            await self._api.delete(kinds.CONFIGMAPS, self._namespace, obj["metadata"]["name"])
        except KubeError as exc:
            if not exc.not_found:
                raise


def _decode(obj: Obj) -> RememberedRequest:
    binary = obj.get("binaryData") or {}
    data = obj.get("data") or {}
    return RememberedRequest(
        fingerprint=base64.b64decode(binary.get("fingerprint", "")),
        method=str(data.get("method", "")),
        response=base64.b64decode(binary.get("response", "")),
        expires_at=float(data.get("expires", "0")),
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
