"""The backend's watch cache: the host cluster as far as vclusters go.

Reflectors keep VCluster and Snapshot resources and the host objects they
are made of (control-plane StatefulSets and Deployments, their pods, the
pods they synced, their Services, the host namespaces the backend made,
snapshot requests, snapshot and restore pods) current.
After every change the affected vcluster's API view is recomputed into the
mirror (a MemoryStore, which the read side serves from) and, when a client
would see a difference, published to watchers, in the order changes
arrived. The reconciler hears of every change to a vcluster it manages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.errors import unavailable
from openvcluster_server.kube import (
    adoption,
    kinds,
    objects,
    operation_objects,
    snapshot_host,
    snapshot_objects,
)
from openvcluster_server.kube.api import Kind, KubeApi, Obj
from openvcluster_server.kube.conventions import (
    CONTROL_PLANE_SELECTOR,
    LABEL_API_NAMESPACE,
    LABEL_RELEASE,
    LABEL_SNAPSHOT_REQUEST,
    MANAGED_BY,
    SNAPSHOT_POD_SELECTOR,
    host_namespace,
)
from openvcluster_server.kube.reflector import Key, Reflector
from openvcluster_server.resources import copy_vcluster
from openvcluster_server.store.memory import MemoryStore
from openvcluster_server.watch import WatchHub


class World:
    """Reflectors of everything vclusters are made of, and the API view derived from them."""

    def __init__(
        self, api: KubeApi, mirror: MemoryStore, hub: WatchHub, max_staleness: float
    ) -> None:
        self.mirror = mirror
        self._hub = hub
        self._max_staleness = max_staleness
        # Told the API key of every vcluster resource that may need work.
        self.on_vcluster_change: Callable[[Key], None] = lambda key: None
        # Told the API key of every snapshot resource that may need work.
        self.on_snapshot_change: Callable[[Key], None] = lambda key: None
        # Told when a watch is lost or back (see connected()).
        self.on_connection_change: Callable[[], None] = lambda: None
        # (host namespace, release) -> API key, for vclusters that have a resource.
        self._claims: dict[Key, Key] = {}
        # Set when the Snapshot resource of a key is gone (see snapshot_released).
        self._snapshots_gone: dict[Key, asyncio.Event] = {}
        self.vclusters = self._reflector(api, kinds.VCLUSTERS, "", self._vcluster_changed)
        self.statefulsets = self._reflector(
            api, kinds.STATEFULSETS, CONTROL_PLANE_SELECTOR, self._host_changed
        )
        self.deployments = self._reflector(
            api, kinds.DEPLOYMENTS, CONTROL_PLANE_SELECTOR, self._host_changed
        )
        self.control_pods = self._reflector(
            api, kinds.PODS, CONTROL_PLANE_SELECTOR, self._host_changed
        )
        self.services = self._reflector(
            api, kinds.SERVICES, CONTROL_PLANE_SELECTOR, self._host_changed
        )
        self.synced_pods = self._reflector(api, kinds.PODS, MANAGED_BY, self._synced_pod_changed)
        self.namespaces = self._reflector(
            api, kinds.NAMESPACES, LABEL_API_NAMESPACE, self._namespace_changed
        )
        self.snapshots = self._reflector(api, kinds.SNAPSHOTS, "", self._snapshot_changed)
        self.operations = self._reflector(api, kinds.OPERATIONS, "", self._operation_changed)
        self.snapshot_requests = self._reflector(
            api, kinds.CONFIGMAPS, LABEL_SNAPSHOT_REQUEST, self._helper_changed
        )
        self.snapshot_pods = self._reflector(
            api, kinds.PODS, SNAPSHOT_POD_SELECTOR, self._helper_changed
        )
        self._reflectors = [
            self.vclusters,
            self.snapshots,
            self.operations,
            self.snapshot_requests,
            self.snapshot_pods,
            self.statefulsets,
            self.deployments,
            self.control_pods,
            self.services,
            self.synced_pods,
            self.namespaces,
        ]

    def _reflector(
        self,
        api: KubeApi,
        kind: Kind,
        labels: str,
        on_change: Callable[[Key, Obj | None, Obj | None], None],
    ) -> Reflector:
        return Reflector(api, kind, labels, on_change, lambda: self.on_connection_change())

    def run(self) -> list[asyncio.Task[None]]:
        """Starts every reflector; the tasks run until cancelled."""
        return [
            asyncio.create_task(r.run(), name=f"watch {r.kind.plural}") for r in self._reflectors
        ]

    async def synced(self) -> None:
        """Returns once every reflector has listed once."""
        await asyncio.gather(*(r.synced.wait() for r in self._reflectors))

    def fresh(self) -> bool:
        """Whether every watch is connected, or lost for less than the staleness bound."""
        now = time.monotonic()
        return all(
            r.synced.is_set()
            and (r.disconnected_since is None or now - r.disconnected_since <= self._max_staleness)
            for r in self._reflectors
        )

    def connected(self) -> bool:
        """Whether every watch is connected right now."""
        return all(r.synced.is_set() and r.disconnected_since is None for r in self._reflectors)

    def require_fresh(self) -> None:
        """UNAVAILABLE when the cache may be too far behind the cluster to answer from."""
        if not self.fresh():
            raise unavailable(
                "the Kubernetes API server has not been reachable for longer than the staleness "
                "bound; try again later"
            )

    # --- lookups ------------------------------------------------------------------------

    def resource(self, key: Key) -> Obj | None:
        """The VCluster resource of an API key, if it has one."""
        return self.vclusters.objects.get(key)

    def host_of(self, key: Key) -> Key:
        """(host namespace, release) of an API key's vcluster."""
        resource = self.resource(key)
        if resource is not None:
            return host_key(resource)
        return key  # found on the host (adopted): the API key is where it lives

    def workload(self, host: Key) -> Obj | None:
        """The control-plane StatefulSet (or Deployment) of (host namespace, release)."""
        return self.statefulsets.objects.get(host) or self.deployments.objects.get(host)

    def control_plane_pods(self, host: Key) -> list[Obj]:
        """The control-plane pods of (host namespace, release)."""
        namespace, release = host
        return [
            pod
            for (ns, _), pod in self.control_pods.objects.items()
            if ns == namespace and pod["metadata"].get("labels", {}).get(LABEL_RELEASE) == release
        ]

    def synced_pods_of(self, host: Key) -> list[Obj]:
        """The pods the vcluster synced to the host (its workloads)."""
        namespace, release = host
        return [
            pod
            for (ns, _), pod in self.synced_pods.objects.items()
            if ns == namespace and pod["metadata"].get("labels", {}).get(MANAGED_BY) == release
        ]

    def service(self, host: Key) -> Obj | None:
        """The vcluster's own Service (named after the release)."""
        return self.services.objects.get(host)

    def namespace_exists(self, name: str) -> bool:
        """Whether a host namespace the backend made still exists (any phase)."""
        return ("", name) in self.namespaces.objects

    # --- keeping the mirror -------------------------------------------------------------

    def apply(self, kind: Kind, obj: Obj) -> None:
        """Takes an object this server just wrote, before its watch event arrives."""
        for reflector in self._reflectors:
            if reflector.kind == kind:
                reflector.apply(obj)
                return

    def forget(self, kind: Kind, obj: Obj) -> None:
        """Drops an object this server just saw go (unless the cache holds a newer one)."""
        for reflector in self._reflectors:
            if reflector.kind == kind:
                reflector.forget(obj)
                return

    def refresh(self, key: Key) -> VCluster | None:
        """Recomputes a vcluster's API view; publishes it when a client would see a change."""
        after = self._view(key)
        before = self.mirror.get_vcluster(key)
        if (before is None and after is None) or (
            before is not None and after is not None and before.etag == after.etag
        ):
            return after
        if after is None:
            self.mirror.delete_vcluster(key)
        else:
            self.mirror.put_vcluster(after)
        self._hub.publish(before, copy_vcluster(after) if after is not None else None)
        return after

    def _view(self, key: Key) -> VCluster | None:
        resource = self.resource(key)
        if resource is not None:
            return objects.to_vcluster(resource)
        if key in self._claims:
            return None  # the host objects belong to a vcluster listed under another key
        workload = self.workload(key)
        if workload is None:
            return None
        return adoption.view(workload, self.service(key), self.control_plane_pods(key))

    def _vcluster_changed(self, key: Key, before: Obj | None, after: Obj | None) -> None:
        old = host_key(before) if before is not None else None
        new = host_key(after) if after is not None else None
        if old is not None and old != new:
            self._claims.pop(old, None)
        if new is not None:
            self._claims[new] = key
        # What a resource stops claiming may show as adopted again, and what
        # it starts claiming stops; claims are settled first, so nothing flickers.
        for host in {old, new} - {None, key}:
            assert host is not None
            self.refresh(host)
        self.refresh(key)
        self.on_vcluster_change(key)

    def _host_changed(self, host: Key, before: Obj | None, after: Obj | None) -> None:
        obj = after or before
        assert obj is not None
        release = obj["metadata"].get("labels", {}).get(LABEL_RELEASE, "")
        self._touch((host[0], release))

    def _synced_pod_changed(self, host: Key, before: Obj | None, after: Obj | None) -> None:
        obj = after or before
        assert obj is not None
        self._touch((host[0], obj["metadata"].get("labels", {}).get(MANAGED_BY, "")))

    async def snapshot_released(self, key: Key, timeout: float) -> bool:
        """Waits until no Snapshot resource holds ``key`` (a deleted one keeps its name
        until its stored snapshot is removed); False if one still does after ``timeout``."""
        if key not in self.snapshots.objects:
            return True
        gone = self._snapshots_gone.setdefault(key, asyncio.Event())
        try:
            async with asyncio.timeout(timeout):
                await gone.wait()
        except TimeoutError:
            return False
        return True

    def _snapshot_changed(self, key: Key, before: Obj | None, after: Obj | None) -> None:
        if after is None:
            gone = self._snapshots_gone.pop(key, None)
            if gone is not None:
                gone.set()
        if after is None or snapshot_objects.deleted(after):
            self.mirror.delete_snapshot(key)
        else:
            self.mirror.put_snapshot(snapshot_objects.to_snapshot(after))
        self.on_snapshot_change(key)

    def _operation_changed(self, key: Key, before: Obj | None, after: Obj | None) -> None:
        if after is None:
            self.mirror.delete_operation(key[1])
        else:
            self.mirror.put_operation(operation_objects.to_operation(after))

    def _helper_changed(self, key: Key, before: Obj | None, after: Obj | None) -> None:
        """A snapshot request or a snapshot or restore pod changed: its owner may move on."""
        obj = after or before
        assert obj is not None
        owner = snapshot_host.owner_of(obj)
        if owner is None:
            return  # made by someone else (the vcluster CLI)
        kind, api_key = owner
        if kind == snapshot_host.FOR_SNAPSHOT:
            self.on_snapshot_change(api_key)
        elif api_key in self.vclusters.objects:
            self.on_vcluster_change(api_key)

    def snapshots_of(self, key: Key) -> list[Obj]:
        """The live snapshot resources of a vcluster (API key)."""
        return [
            snapshot
            for (namespace, _), snapshot in self.snapshots.objects.items()
            if namespace == key[0]
            and snapshot.get("spec", {}).get("vcluster") == key[1]
            and not snapshot_objects.deleted(snapshot)
        ]

    def _namespace_changed(self, key: Key, before: Obj | None, after: Obj | None) -> None:
        obj = after or before
        assert obj is not None
        labels = obj["metadata"].get("labels", {})
        owner = (labels.get(LABEL_API_NAMESPACE, ""), labels.get("openvcluster.io/name", ""))
        if owner in self.vclusters.objects:
            self.on_vcluster_change(owner)

    def _touch(self, host: Key) -> None:
        key = self._claims.get(host)
        if key is None:
            self.refresh(host)
        else:
            self.refresh(key)
            self.on_vcluster_change(key)


def host_key(resource: Obj) -> Key:
    """(host namespace, release) of a VCluster resource."""
    meta = resource["metadata"]
    spec = resource.get("spec", {})
    namespace = spec.get(objects.HOST_NAMESPACE) or host_namespace(meta["namespace"], meta["name"])
    return (str(namespace), str(meta["name"]))
