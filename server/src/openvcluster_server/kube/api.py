"""A small async client of the Kubernetes REST API, on JSON objects.

lightkube loads the configuration (kubeconfig files, ``KUBECONFIG``,
in-cluster service accounts, exec plugins) and builds the authenticated
HTTP client; this module adds what the backend needs on top, with nothing
hidden: preconditions on every write, the status subresource, and watches
with bookmarks (``Reflector`` in reflector.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
from lightkube import KubeConfig
from lightkube.config.client_adapter import AsyncClient, ConnectionParams

from openvcluster_server import __version__, tracing

Obj = dict[str, Any]
FIELD_MANAGER = "openvcluster-server"
# How the API server's audit log names this server's requests.
USER_AGENT = f"openvcluster-server/{__version__}"


@dataclass(frozen=True)
class Kind:
    """Where a resource lives in the REST API."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None, sub: str = "") -> str:
        """The URL path of the collection, or of one object (and a subresource of it)."""
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
        if sub:
            base += f"/{sub}"
        return base


class KubeError(Exception):
    """The API server refused a request (``status``: its HTTP status), or was not reached (0)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def not_found(self) -> bool:
        """The object (or its namespace) does not exist."""
        return self.status == 404

    @property
    def conflict(self) -> bool:
        """A precondition failed (resourceVersion) or the object already exists."""
        return self.status == 409

    @property
    def unreachable(self) -> bool:
        """No answer from the API server at all."""
        return self.status == 0


def load_config(kubeconfig: Path | None) -> KubeConfig:
    """``--kubeconfig`` when given, else ``KUBECONFIG``, ~/.kube/config or in-cluster."""
    if kubeconfig is not None:
        return KubeConfig.from_file(kubeconfig)
    return KubeConfig.from_env()


class KubeApi:
    """JSON in, JSON out; raises KubeError for every refusal."""

    def __init__(self, config: KubeConfig, timeout: float = 10.0) -> None:
        single = config.get()
        if single is None:
            raise ValueError("the kubeconfig has no current context")
        params = ConnectionParams(timeout=httpx.Timeout(timeout))
        self._http: httpx.AsyncClient = AsyncClient(single, params)
        watch_params = ConnectionParams(timeout=httpx.Timeout(timeout, read=None))
        self._watch_http: httpx.AsyncClient = AsyncClient(single, watch_params)
        for client in (self._http, self._watch_http):
            client.headers["User-Agent"] = USER_AGENT
        # Requests made, by (HTTP method, status code; 0 when unanswered), for the metrics.
        self.requests: Counter[tuple[str, int]] = Counter()

    async def close(self) -> None:
        """Closes the connections."""
        await self._http.aclose()
        await self._watch_http.aclose()

    async def get(self, kind: Kind, namespace: str | None, name: str, sub: str = "") -> Obj:
        """One object."""
        return await self._call("GET", kind.path(namespace, name, sub))

    async def list_all(
        self, kind: Kind, namespace: str | None = None, *, labels: str = "", limit: int = 500
    ) -> tuple[list[Obj], str]:
        """Every matching object, fetched in pages; and the list's resourceVersion."""
        items: list[Obj] = []
        params: dict[str, str] = {"limit": str(limit)}
        if labels:
            params["labelSelector"] = labels
        while True:
            page = await self._call("GET", kind.path(namespace), params=params)
            items += page.get("items") or []
            cont = page.get("metadata", {}).get("continue", "")
            if not cont:
                return items, str(page.get("metadata", {}).get("resourceVersion", ""))
            params["continue"] = cont

    async def create(self, kind: Kind, namespace: str | None, obj: Mapping[str, Any]) -> Obj:
        """Creates an object; 409 when it exists."""
        return await self._call("POST", kind.path(namespace), body=obj)

    async def replace(
        self, kind: Kind, namespace: str | None, name: str, obj: Mapping[str, Any], sub: str = ""
    ) -> Obj:
        """Replaces an object (or its status); its metadata.resourceVersion is the precondition."""
        return await self._call("PUT", kind.path(namespace, name, sub), body=obj)

    async def patch(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        patch: Mapping[str, Any] | list[Any],
        *,
        patch_type: str = "merge",
        sub: str = "",
    ) -> Obj:
        """A merge (or json) patch; a metadata.resourceVersion in a merge patch is a condition."""
        content = {
            "merge": "application/merge-patch+json",
            "json": "application/json-patch+json",
        }[patch_type]
        return await self._call(
            "PATCH", kind.path(namespace, name, sub), body=patch, content_type=content
        )

    async def delete(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        *,
        resource_version: str = "",
        propagation: str = "Background",
        grace_period: int | None = None,
    ) -> Obj:
        """Deletes an object, only at ``resource_version`` when given."""
        body: dict[str, Any] = {"propagationPolicy": propagation}
        if grace_period is not None:
            body["gracePeriodSeconds"] = grace_period
        if resource_version:
            body["preconditions"] = {"resourceVersion": resource_version}
        return await self._call("DELETE", kind.path(namespace, name), body=body)

    async def delete_collection(self, kind: Kind, namespace: str, labels: str) -> None:
        """Deletes every object of the kind in the namespace that matches ``labels``."""
        await self._call("DELETE", kind.path(namespace), params={"labelSelector": labels}, body={})

    async def watch(
        self,
        kind: Kind,
        resource_version: str,
        *,
        labels: str = "",
        timeout_seconds: int = 300,
        on_open: Callable[[], None] = lambda: None,
    ) -> AsyncIterator[Obj]:
        """The events of a watch from ``resource_version`` on, with bookmarks, until it ends.

        ``on_open`` runs once the API server has accepted the watch.
        """
        params = {
            "watch": "true",
            "allowWatchBookmarks": "true",
            "resourceVersion": resource_version,
            "timeoutSeconds": str(timeout_seconds),
        }
        if labels:
            params["labelSelector"] = labels
        try:
            async with self._watch_http.stream("GET", kind.path(), params=params) as response:
                self.requests[("WATCH", response.status_code)] += 1
                if response.status_code != 200:
                    await response.aread()
                    raise _refusal(response)
                on_open()
                async for line in response.aiter_lines():
                    if line:
                        yield json.loads(line)
        except httpx.TransportError as exc:
            raise KubeError(0, "Unreachable", f"watch of {kind.plural} broke: {exc}") from exc

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Obj:
        content = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": content_type} if content is not None else {}
        query = dict(params or {})
        if method in ("POST", "PUT", "PATCH"):
            query["fieldManager"] = FIELD_MANAGER
        try:
            with tracing.child(
                f"kube {method}", **{"http.request.method": method, "url.path": path}
            ):
                response = await self._http.request(
                    method, path, params=query, content=content, headers=headers
                )
        except httpx.TransportError as exc:
            self.requests[(method, 0)] += 1
            raise KubeError(
                0, "Unreachable", f"the Kubernetes API server did not answer: {exc}"
            ) from exc
        self.requests[(method, response.status_code)] += 1
        if response.status_code >= 400:
            raise _refusal(response)
        result: Obj = response.json()
        return result


def _refusal(response: httpx.Response) -> KubeError:
    try:
        status = response.json()
    except ValueError:
        status = {}
    return KubeError(
        response.status_code,
        str(status.get("reason", "")),
        str(status.get("message", response.text[:200])),
    )
