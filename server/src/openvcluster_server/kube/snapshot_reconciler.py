"""The snapshot reconciler: makes each Snapshot resource real, as ``vcluster snapshot`` would.

Level-triggered like the vcluster reconciler, and fed by the watches of
Snapshot resources, snapshot requests and snapshot pods:

PENDING       a snapshot request (options Secret + request ConfigMap) in the
              source's host namespace; for a paused vcluster, which runs no
              snapshot controller, a snapshot pod on its data volume instead.
IN_PROGRESS   while the request is CreatingEtcdBackup (or the pod runs).
READY         the request Completed (its size when it reports one), or the pod
              succeeded. FAILED when it Failed, PartiallyFailed or was
              canceled, the pod failed, or nothing finished within the phase
              timeout.

A deleted resource (DeleteSnapshot, or its vcluster deleted with
delete_snapshots) is gone for the API at once; its finalizer stays until
an unfinished request is canceled, a stored snapshot removed (a request in
phase Deleting, as vcluster deletes snapshots), or the phase timeout passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from openvcluster_server.config import ServerConfig
from openvcluster_server.kube import (
    hooks,
    kinds,
    objects,
    snapshot_host,
    snapshot_objects,
    snapshot_store,
    values,
)
from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import FINALIZER
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.snapshot_host import StoreError
from openvcluster_server.kube.workqueue import WorkQueue
from openvcluster_server.kube.world import World

log = logging.getLogger(__name__)

# What a request's phase means for the API's snapshot.
_API_PHASES = {
    snapshot_host.NOT_STARTED: "PENDING",
    snapshot_host.CREATING: "IN_PROGRESS",
    snapshot_host.COMPLETED: "READY",
    snapshot_host.FAILED: "FAILED",
    snapshot_host.PARTIALLY_FAILED: "FAILED",
    snapshot_host.CANCELING: "FAILED",
    snapshot_host.CANCELED: "FAILED",
}
_POD_STARTED = "PodStarted"
_SNAPSHOT_COMMAND = ["/vcluster", "snapshot"]


class SnapshotReconciler:
    """A work queue of snapshot keys and the steps that move them on."""

    def __init__(
        self,
        api: KubeApi,
        world: World,
        config: ServerConfig,
        # Real time, not the server clock: phases are timed from the
        # API server's own creation and deletion timestamps.
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = api
        self._world = world
        self._config = config
        self._clock = clock
        self.queue = WorkQueue("snapshot reconciler", self._reconcile_and_follow)
        # Told each snapshot after its step, so a running SnapshotVCluster operation follows it.
        self.follow: Callable[[Key], Awaitable[None]] = _nothing

    def enqueue_all(self) -> None:
        """Looks at every snapshot (after a start or a takeover)."""
        for key in list(self._world.snapshots.objects):
            self.queue.enqueue(key)

    async def _reconcile_and_follow(self, key: Key) -> bool:
        done = await self.reconcile(key)
        await self.follow(key)
        return done

    async def reconcile(self, key: Key) -> bool:
        """Takes the next step for one snapshot."""
        resource = self._world.snapshots.objects.get(key)
        if resource is None:
            return True
        if snapshot_objects.deleted(resource):
            return await self._remove(resource)
        if snapshot_objects.phase_of(resource) not in snapshot_objects.UNFINISHED:
            await self._tidy(resource)
            return True
        remaining = self._remaining(resource, "creationTimestamp")
        if remaining <= 0:
            await self._record(
                resource,
                phase="FAILED",
                message=f"the snapshot did not finish within {self._config.phase_timeout:g} s",
            )
            return True
        self.queue.later(key, remaining + 0.05)
        if resource["spec"].get("method") == snapshot_objects.BY_POD:
            await self._follow_pod(resource)
        else:
            await self._follow_request(resource)
        return True

    # --- taking a snapshot --------------------------------------------------------------

    async def _follow_request(self, resource: Obj) -> None:
        host = _host(resource)
        name = snapshot_host.request_name(host[1], resource["metadata"]["uid"])
        config_map = self._world.snapshot_requests.objects.get((host[0], name))
        if config_map is None:
            options = await self._options_to_start(resource, f"snapshot request {host[0]}/{name}")
            if options is None:
                return
            config_map = await snapshot_host.create_request(
                self._api,
                host,
                name,
                _key(resource),
                options,
                hooks.helper_annotations(self._hooks(resource), pod=False),
                objects.now_text(),
            )
            self._world.apply(kinds.CONFIGMAPS, config_map)
        request = snapshot_host.request_status(config_map)
        request_phase = str(request.get("phase") or "")
        phase = _API_PHASES.get(request_phase)
        if phase is None or (
            phase == snapshot_objects.phase_of(resource)
            and request_phase == resource.get("status", {}).get("requestPhase")
        ):
            return
        message = str((request.get("error") or {}).get("message") or "")
        if phase == "FAILED" and not message:
            message = f"the snapshot request ended {request_phase}"
        await self._record(
            resource,
            phase=phase,
            requestPhase=request_phase,
            message=message,
            **_ready_fields(phase, request.get("size")),
        )

    async def _follow_pod(self, resource: Obj) -> None:
        host = _host(resource)
        name = snapshot_host.pod_name(resource["metadata"]["uid"])
        pod = self._world.snapshot_pods.objects.get((host[0], name))
        if pod is None:
            workload = self._world.workload(host)
            options = await self._options_to_start(resource, f"snapshot pod {host[0]}/{name}")
            if options is None:
                return
            if workload is None:
                await self._fail(resource, "the vcluster's control plane workload is gone")
                return
            pod = await snapshot_host.create_pod(
                self._api,
                workload,
                name,
                _SNAPSHOT_COMMAND,
                options,
                (snapshot_host.FOR_SNAPSHOT, _key(resource)),
                hooks.helper_annotations(self._hooks(resource), pod=True),
            )
            self._world.apply(kinds.PODS, pod)
            await self._record(resource, phase="IN_PROGRESS", requestPhase=_POD_STARTED, message="")
            return
        outcome = snapshot_host.pod_outcome(pod)
        if outcome is None:
            return
        succeeded, message = outcome
        phase = "READY" if succeeded else "FAILED"
        await self._record(resource, phase=phase, message=message, **_ready_fields(phase, None))
        await snapshot_host.delete_pod(self._api, host[0], name)

    async def _tidy(self, resource: Obj) -> None:
        """Removes the pod of a finished snapshot, if a step before was cut short."""
        host = _host(resource)
        name = snapshot_host.pod_name(resource["metadata"]["uid"])
        if (host[0], name) in self._world.snapshot_pods.objects:
            await snapshot_host.delete_pod(self._api, host[0], name)

    # --- deleting one -------------------------------------------------------------------

    async def _remove(self, resource: Obj) -> bool:
        meta = resource["metadata"]
        if FINALIZER not in (meta.get("finalizers") or []):
            return True
        host = _host(resource)
        await self._tidy(resource)
        name = snapshot_host.request_name(host[1], meta["uid"])
        config_map = self._world.snapshot_requests.objects.get((host[0], name))
        remaining = self._remaining(resource, "deletionTimestamp")
        if remaining > 0:
            self.queue.later(_key(resource), remaining + 0.05)
            if config_map is None and snapshot_objects.phase_of(resource) == "READY":
                if await self._ask_to_delete(resource, host, name):
                    return True
            elif config_map is not None:
                phase = str(snapshot_host.request_status(config_map).get("phase") or "")
                if phase == snapshot_host.CREATING:
                    await snapshot_host.set_request_phase(
                        self._api, config_map, snapshot_host.CANCELING
                    )
                    return True
                if phase == snapshot_host.COMPLETED:
                    await snapshot_host.set_request_phase(
                        self._api, config_map, snapshot_host.DELETING
                    )
                    return True
                if phase in (snapshot_host.CANCELING, snapshot_host.DELETING):
                    return True  # the request's next phase is an event
        elif config_map is not None:
            log.warning(
                "snapshot %s/%s: its request did not finish its deletion in time; "
                "the stored snapshot at %s may remain",
                *_key(resource),
                resource["spec"].get("location", ""),
            )
        await snapshot_host.delete_request(self._api, host[0], name)
        finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
        patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta["resourceVersion"]}}
        try:
            released = await self._api.patch(
                kinds.SNAPSHOTS, meta["namespace"], meta["name"], patch
            )
        except KubeError as exc:
            if not exc.not_found:
                raise
            return True
        # Out of the cache at once (the API server answers with the version it
        # had): a re-run queued meanwhile by the request's own deletion must not
        # find it and ask for a deletion again.
        self._world.forget(kinds.SNAPSHOTS, released)
        return True

    async def _ask_to_delete(self, resource: Obj, host: Key, name: str) -> bool:
        """Asks the vcluster to remove a stored snapshot whose request is gone (one a
        pod took); False when its host namespace is gone, so nobody can."""
        try:
            options = await self._options(resource, with_release=False)
            config_map = await snapshot_host.create_request(
                self._api,
                host,
                name,
                _key(resource),
                options,
                {},
                objects.now_text(),
                phase=snapshot_host.DELETING,
            )
        except StoreError:
            return False
        except KubeError as exc:
            if exc.not_found or exc.status == 403:  # no namespace, or one terminating
                return False
            raise
        self._world.apply(kinds.CONFIGMAPS, config_map)
        return True

    # --- shared -------------------------------------------------------------------------

    async def _options_to_start(self, resource: Obj, what: str) -> dict[str, Any] | None:
        """The options to start taking the snapshot with; None (and FAILED) when what
        took it before is gone, or the store's settings cannot be used."""
        if resource.get("status", {}).get("requestPhase") is not None:
            await self._fail(resource, f"the {what} was deleted")
            return None
        try:
            return await self._options(resource, with_release=True)
        except StoreError as exc:
            await self._fail(resource, str(exc))
            return None

    async def _options(self, resource: Obj, *, with_release: bool) -> dict[str, Any]:
        """vcluster's snapshot options for this snapshot's location."""
        url = str(resource["spec"].get("location", ""))
        credentials = await snapshot_host.read_credentials(
            self._api, self._config.snapshot_credentials_secret, url
        )
        release = None
        if with_release:
            host = _host(resource)
            chart_values = values.for_host(
                snapshot_objects.source_spec(resource), host, self._config.ingress_domain
            )
            chart = self._config.vcluster_chart.rstrip("/").rsplit("/", 1)[-1]
            release = snapshot_store.release(
                host[0], host[1], chart, self._config.chart_version, chart_values
            )
        return snapshot_store.options(url, credentials, release)

    def _hooks(self, resource: Obj) -> hooks.TransitionHooks:
        return hooks.of(resource, self._config.enable_test_hooks)

    def _remaining(self, resource: Obj, since: str) -> float:
        """Seconds left of the phase timeout, counted from a metadata time."""
        started = objects.timestamp(str(resource["metadata"].get(since, ""))).ToNanoseconds()
        return started / 1e9 + self._config.phase_timeout - self._clock()

    async def _fail(self, resource: Obj, message: str) -> None:
        await self._record(resource, phase="FAILED", message=message)

    async def _record(self, resource: Obj, **fields: Any) -> Obj:
        """Writes status fields at the resource's version."""
        meta = resource["metadata"]
        status = {**resource.get("status", {}), **fields}
        patch = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": status}
        updated = await self._api.patch(
            kinds.SNAPSHOTS, meta["namespace"], meta["name"], patch, sub="status"
        )
        self._world.apply(kinds.SNAPSHOTS, updated)
        return updated


def _ready_fields(phase: str, size: Any) -> dict[str, Any]:
    """The ready time, and the size a request reported, of a snapshot that became READY."""
    if phase != "READY":
        return {}
    fields: dict[str, Any] = {"readyTime": objects.now_text()}
    if isinstance(size, int) and size > 0:
        fields["sizeBytes"] = size
    return fields


def _host(resource: Obj) -> Key:
    """(host namespace, release) of a snapshot's source vcluster."""
    spec = resource.get("spec", {})
    return (str(spec.get("hostNamespace", "")), str(spec.get("vcluster", "")))


def _key(resource: Obj) -> Key:
    return (resource["metadata"]["namespace"], resource["metadata"]["name"])


async def _nothing(key: Key) -> None:
    """The default follower: nothing follows the snapshots."""
