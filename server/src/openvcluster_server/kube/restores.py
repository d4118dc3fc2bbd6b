"""Restoring a vcluster from a snapshot, as ``vcluster restore`` does (pkg/cli/restore_helm.go).

The control plane is paused with ``loft.sh/restoring=true`` (scaled to
zero, its replica count remembered), the pods it synced are deleted, and a
pod with the syncer's image runs ``/vcluster restore`` on its data volume;
once that pod succeeded the control plane is resumed. A new vcluster made
from a snapshot (``vcluster create --restore``) is installed behind a
``vcluster-restore`` ResourceQuota that admits no pods, so its control
plane never starts on empty state; the quota goes just before the restore
pod runs.

Every step is read from the host as it is now, so a restart (or another
replica) carries on where the last one stopped; the restore pod's success
is recorded in the resource's status (``restoredGeneration``) before the
pod is removed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from openvcluster_server.kube import kinds, lifecycle, snapshot_host, snapshot_store, workloads
from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import RESTORE_QUOTA
from openvcluster_server.kube.hooks import TransitionHooks, helper_annotations
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.snapshot_host import StoreError
from openvcluster_server.kube.world import World, host_key

Record = Callable[..., Awaitable[Obj]]


class RestoreError(Exception):
    """The restore cannot finish; the message says why."""


class Restores:
    """The host-side steps of a restore, in place or into a new vcluster."""

    def __init__(self, api: KubeApi, world: World, credentials_secret: str) -> None:
        self._api = api
        self._world = world
        self._credentials_secret = credentials_secret

    async def hold_back(self, namespace: str) -> None:
        """Makes the ResourceQuota that keeps a new vcluster's control plane from
        starting before its state is restored."""
        quota = {
            "metadata": {"name": RESTORE_QUOTA},
            "spec": {"hard": {"pods": "0"}},
        }
        try:
            await self._api.create(kinds.RESOURCEQUOTAS, namespace, quota)
        except KubeError as exc:
            if not exc.conflict:
                raise

    async def step(
        self,
        resource: Obj,
        restore: dict[str, Any],
        hooks: TransitionHooks,
        record: Record,
        *,
        new: bool,
    ) -> Obj | None:
        """Takes the next step; the resource once restored and resumed, None while
        waiting for an event. Raises RestoreError."""
        host = host_key(resource)
        generation = int(restore["generation"])
        name = snapshot_host.pod_name(resource["metadata"]["uid"], str(generation))
        pod = self._world.snapshot_pods.objects.get((host[0], name))
        workload = self._world.workload(host)
        if int(resource.get("status", {}).get("restoredGeneration", 0)) == generation:
            if pod is not None:
                await snapshot_host.delete_pod(self._api, host[0], name)
            if workload is not None and workloads.is_restoring(workload):
                self._world.apply(
                    kinds.workload_kind(workload), await lifecycle.unpause(self._api, workload)
                )
            return resource
        if workload is None:
            if new:
                return None  # the release's workload appearing is an event
            raise RestoreError("the control plane's workload is gone")
        if not workloads.is_restoring(workload):
            workload = await lifecycle.pause(self._api, workload, restoring=True)
            self._world.apply(kinds.workload_kind(workload), workload)
        if self._world.control_plane_pods(host):
            return None  # their deletion is an event
        if pod is None:
            await self._start(resource, workload, restore, name, hooks, new=new)
            return None
        outcome = snapshot_host.pod_outcome(pod)
        if outcome is None:
            return None  # the pod ending is an event
        succeeded, message = outcome
        if not succeeded:
            # vcluster resumes the control plane after a failed restore too.
            await snapshot_host.delete_pod(self._api, host[0], name)
            self._world.apply(
                kinds.workload_kind(workload), await lifecycle.unpause(self._api, workload)
            )
            raise RestoreError(f"restoring snapshot {restore.get('snapshot')} failed: {message}")
        resource = await record(resource, restoredGeneration=generation)
        return await self.step(resource, restore, hooks, record, new=new)

    async def _start(
        self,
        resource: Obj,
        workload: Obj,
        restore: dict[str, Any],
        name: str,
        hooks: TransitionHooks,
        *,
        new: bool,
    ) -> None:
        """With the control plane down: the synced pods go, the data volume is
        there, and the restore pod starts."""
        host = host_key(resource)
        await lifecycle.delete_synced_pods(self._api, host)
        await lifecycle.delete_if_present(self._api, kinds.RESOURCEQUOTAS, host[0], RESTORE_QUOTA)
        await snapshot_host.ensure_data_claim(self._api, workload)
        url = str(restore.get("location", ""))
        try:
            credentials = await snapshot_host.read_credentials(
                self._api, self._credentials_secret, url
            )
        except StoreError as exc:
            raise RestoreError(str(exc)) from None
        pod = await snapshot_host.create_pod(
            self._api,
            workload,
            name,
            ["/vcluster", "restore", *(["--new-vcluster"] if new else [])],
            snapshot_store.options(url, credentials, None),
            (snapshot_host.FOR_VCLUSTER, _key(resource)),
            helper_annotations(hooks, pod=True),
        )
        self._world.apply(kinds.PODS, pod)


async def remove_leftovers(api: KubeApi, host: Key, owner: Key) -> None:
    """Removes a vcluster's restore pods, their options and the restore quota (a
    deletion interrupting a restore)."""
    selector = ",".join(
        f"{k}={v}" for k, v in snapshot_host.owner_labels(snapshot_host.FOR_VCLUSTER, owner).items()
    )
    try:
        await api.delete_collection(kinds.PODS, host[0], selector)
        await api.delete_collection(kinds.SECRETS, host[0], selector)
    except KubeError as exc:
        if not exc.not_found:
            raise
    await lifecycle.delete_if_present(api, kinds.RESOURCEQUOTAS, host[0], RESTORE_QUOTA)


def _key(resource: Obj) -> Key:
    return (resource["metadata"]["namespace"], resource["metadata"]["name"])
