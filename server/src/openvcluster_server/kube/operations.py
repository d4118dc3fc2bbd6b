"""VClusterService's mutations on the Kubernetes backend.

Each one checks the request (checks.py, as on every backend), reads the
vcluster from the watch cache, applies the contract's phase rules, and makes
one write to its VCluster resource at the resourceVersion it read (so a
concurrent change anywhere makes it fail instead of being lost). The
reconciler does the rest. The caller's answer is the resource as written,
which this server's cache shows at once (read-your-writes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import Message

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import checks, phases
from openvcluster_server.auth import Principal
from openvcluster_server.config import ServerConfig
from openvcluster_server.core import SNAPSHOT
from openvcluster_server.errors import (
    already_exists,
    failed_precondition,
    invalid_field,
    not_found,
)
from openvcluster_server.kube import (
    adoption,
    hooks,
    kinds,
    lifecycle,
    objects,
    schedule_objects,
    snapshot_store,
)
from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import (
    ANNOTATION_KEEP_DATA,
    ANNOTATION_UPDATED,
    LABEL_HOLDS_VCLUSTERS,
    host_namespace,
)
from openvcluster_server.kube.mutations import Mutations, RetryError, api_error
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.world import World
from openvcluster_server.phases import Phase
from openvcluster_server.quota import Quotas
from openvcluster_server.reads import VCLUSTER, VClusterReads
from openvcluster_server.resources import copy_vcluster
from openvcluster_server.testhooks import NO_HOOKS, HookPlan
from openvcluster_server.updates import (
    apply_update,
    is_upgrade,
    keep_settings,
    require_unprotected,
)

R = TypeVar("R", bound=Message)
P = TypeVar("P", api.SuspendVClusterResponse, api.ResumeVClusterResponse)
_ATTEMPTS = 3
_UNSUPPORTED_DISTROS = (VClusterSpec.Distro.DISTRO_K3S, VClusterSpec.Distro.DISTRO_K0S)


class KubeVClusterOperations:
    """Create, update, delete, scale, suspend, resume and kubeconfig, on VCluster resources."""

    def __init__(
        self,
        kube: KubeApi,
        world: World,
        reads: VClusterReads,
        mutations: Mutations,
        config: ServerConfig,
    ) -> None:
        self._kube = kube
        self._world = world
        self._reads = reads
        self._config = config
        self._quotas = Quotas(config.quotas)
        self._mutations = mutations

    async def create_vcluster(
        self, principal: Principal, request: api.CreateVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.CreateVClusterResponse:
        """CreateVCluster: a VCluster resource; the reconciler installs the release."""
        principal.require_editor("CreateVCluster")
        spec = checks.create(request, self._config.supported_versions)
        if spec.distro in _UNSUPPORTED_DISTROS:
            name = VClusterSpec.Distro.Name(spec.distro).removeprefix("DISTRO_")
            raise invalid_field(
                "spec.distro",
                f"{name} is not available on the Kubernetes backend: current vcluster releases "
                "run upstream Kubernetes only; use K8S",
            )
        principal.require_create_in(request.namespace, "CreateVCluster")
        key = (request.namespace, request.name)

        async def create() -> api.CreateVClusterResponse:
            self._world.require_fresh()
            if self._world.mirror.get_vcluster(key) is not None:
                raise already_exists(VCLUSTER, *key)
            self._check_quota(request.namespace, removed=None, added=spec)
            labels = dict(request.labels)
            if request.validate_only:
                return api.CreateVClusterResponse(vcluster=checks.planned(*key, spec, labels))
            created = await self._create_new(key, spec, labels, plan)
            return api.CreateVClusterResponse(vcluster=created)

        return await self._mutations.run(
            principal, "CreateVCluster", request, key, api.CreateVClusterResponse, create
        )

    async def update_vcluster(
        self, principal: Principal, request: api.UpdateVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.UpdateVClusterResponse:
        """UpdateVCluster: labels and protection in the resource's metadata; an upgrade
        is a new spec version, which the reconciler rolls out through UPGRADING."""
        principal.require_editor("UpdateVCluster")
        supported = self._config.supported_versions
        change = checks.update(request, supported)
        key = (request.vcluster.namespace, request.vcluster.name)

        async def update() -> api.UpdateVClusterResponse:
            vcluster = self._reads.existing(principal, *key, request.etag)
            upgrade = is_upgrade(vcluster, change, supported)
            if upgrade:
                phases.require_phase(vcluster, phases.UPGRADE_FROM, "upgrade")
            else:
                phases.require_phase(vcluster, phases.UPDATE_FROM, "update")
            wanted = copy_vcluster(vcluster)
            apply_update(wanted, change, upgrade)
            if request.validate_only:
                if upgrade:
                    wanted.status.phase = Phase.PHASE_UPGRADING
                return api.UpdateVClusterResponse(vcluster=wanted)
            if wanted == vcluster:
                return api.UpdateVClusterResponse(vcluster=vcluster)
            resource = await self._managed(key)
            patch: dict[str, Any] = {
                "metadata": {
                    "labels": {
                        **{name: None for name in vcluster.labels},
                        **dict(wanted.labels),
                    },
                    "annotations": {
                        **objects.protection_annotation(wanted.spec.deletion_protection),
                        **schedule_objects.settings_annotations(wanted.spec),
                        **schedule_objects.status_annotation(wanted),
                    },
                }
            }
            if upgrade:
                generation = int(resource["metadata"].get("generation", 1)) + 1
                patch["metadata"]["annotations"].update(self._hook_annotation(plan, generation))
                patch["spec"] = {"kubernetesVersion": wanted.spec.kubernetes_version}
            updated = await self._patch(resource, patch)
            return api.UpdateVClusterResponse(vcluster=objects.to_vcluster(updated))

        return await self._mutations.run(
            principal, "UpdateVCluster", request, key, api.UpdateVClusterResponse, update
        )

    async def delete_vcluster(
        self, principal: Principal, request: api.DeleteVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.DeleteVClusterResponse:
        """DeleteVCluster: deletes the resource; its finalizer lets the reconciler clean up."""
        principal.require_editor("DeleteVCluster")
        checks.fields(request)
        key = (request.namespace, request.name)

        async def delete() -> api.DeleteVClusterResponse:
            vcluster = self._reads.existing(principal, *key, request.etag)
            if vcluster.status.phase in phases.DELETE_NOOP:
                return api.DeleteVClusterResponse(vcluster=vcluster)
            require_unprotected(vcluster)
            snapshots = self._world.snapshots_of(key)
            if not (request.delete_snapshots or request.keep_data):
                _require_no_snapshots_in_volume(vcluster, snapshots)
            resource = await self._managed(key)
            annotations = self._hook_annotation(
                plan, int(resource["metadata"].get("generation", 1)), deletion=True
            )
            if request.keep_data:
                annotations[ANNOTATION_KEEP_DATA] = "true"
            if annotations:
                resource = await self._patch(resource, {"metadata": {"annotations": annotations}})
            try:
                deleted = await self._kube.delete(
                    kinds.VCLUSTERS, *key, resource_version=resource["metadata"]["resourceVersion"]
                )
            except KubeError as exc:
                if exc.conflict:
                    raise RetryError from None
                raise
            self._world.apply(kinds.VCLUSTERS, deleted)
            if request.delete_snapshots:
                await self._delete_snapshots(snapshots)
            return api.DeleteVClusterResponse(vcluster=objects.to_vcluster(deleted))

        return await self._mutations.run(
            principal, "DeleteVCluster", request, key, api.DeleteVClusterResponse, delete
        )

    async def scale_vcluster(
        self, principal: Principal, request: api.ScaleVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.ScaleVClusterResponse:
        """ScaleVCluster: a new spec; RUNNING goes through SCALING, SUSPENDED keeps it for later."""
        principal.require_editor("ScaleVCluster")
        checks.scale(request)
        key = (request.namespace, request.name)

        async def scale() -> api.ScaleVClusterResponse:
            vcluster = self._reads.existing(principal, *key, request.etag)
            phases.require_phase(vcluster, phases.SCALE_FROM, "scale")
            spec = checks.scaled_spec(vcluster.spec, request)
            self._check_quota(vcluster.namespace, removed=vcluster.spec, added=spec)
            resource = await self._managed(key)
            generation = int(resource["metadata"].get("generation", 1)) + 1
            patch = {
                "metadata": {"annotations": self._hook_annotation(plan, generation)},
                "spec": objects.spec_json(spec, complete=True),
            }
            updated = await self._patch(resource, patch)
            return api.ScaleVClusterResponse(vcluster=objects.to_vcluster(updated))

        return await self._mutations.run(
            principal, "ScaleVCluster", request, key, api.ScaleVClusterResponse, scale
        )

    async def suspend_vcluster(
        self, principal: Principal, request: api.SuspendVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.SuspendVClusterResponse:
        """SuspendVCluster: the desired power state off; the reconciler pauses, as vcluster does."""
        principal.require_editor("SuspendVCluster")
        checks.fields(request)
        return await self._power(
            principal, "SuspendVCluster", request, plan, api.SuspendVClusterResponse, suspend=True
        )

    async def resume_vcluster(
        self, principal: Principal, request: api.ResumeVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.ResumeVClusterResponse:
        """ResumeVCluster: the desired power state on; the reconciler resumes, as vcluster does."""
        principal.require_editor("ResumeVCluster")
        checks.fields(request)
        return await self._power(
            principal, "ResumeVCluster", request, plan, api.ResumeVClusterResponse, suspend=False
        )

    async def restore_vcluster(
        self, principal: Principal, request: api.RestoreVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.RestoreVClusterResponse:
        """RestoreVCluster: in place (a restore in the resource's spec: RESTORING) or
        into a new resource (PROVISIONING); the reconciler runs vcluster's restore."""
        principal.require_editor("RestoreVCluster")
        checks.restore(request)
        if request.target_name:
            principal.require_create_in(request.namespace, "RestoreVCluster")
        snapshot_key = (request.namespace, request.snapshot_name)

        async def restore() -> api.RestoreVClusterResponse:
            self._world.require_fresh()
            snapshot = self._world.mirror.get_snapshot(snapshot_key)
            if snapshot is None or not principal.can_see(request.namespace):
                raise not_found(SNAPSHOT, *snapshot_key)
            phases.require_snapshot_ready(snapshot)
            stored = self._world.snapshots.objects[snapshot_key]
            location = str(stored["spec"].get("location", ""))
            if request.target_name:
                return await self._restore_to_new(stored, snapshot, location, request, plan)
            key = (snapshot.namespace, snapshot.vcluster)
            vcluster = self._reads.existing(principal, *key, request.etag)
            phases.require_phase(vcluster, phases.RESTORE_IN_PLACE_FROM, "restore")
            self._check_quota(vcluster.namespace, removed=vcluster.spec, added=snapshot.source_spec)
            spec = VClusterSpec()
            spec.CopyFrom(snapshot.source_spec)
            resource = await self._managed(key)
            generation = int(resource["metadata"].get("generation", 1)) + 1
            patch = {
                "metadata": {"annotations": self._hook_annotation(plan, generation)},
                "spec": {
                    **objects.spec_json(spec, complete=True),
                    objects.SUSPENDED: False,
                    objects.RESTORE: _restore(snapshot.name, location, generation),
                },
            }
            updated = await self._patch(resource, patch)
            return api.RestoreVClusterResponse(vcluster=objects.to_vcluster(updated))

        key = (request.namespace, request.target_name or request.snapshot_name)
        return await self._mutations.run(
            principal, "RestoreVCluster", request, key, api.RestoreVClusterResponse, restore
        )

    async def _restore_to_new(
        self,
        stored: Obj,
        snapshot: Snapshot,
        location: str,
        request: api.RestoreVClusterRequest,
        plan: HookPlan,
    ) -> api.RestoreVClusterResponse:
        """A new VCluster resource that the reconciler installs and restores."""
        key = (snapshot.namespace, request.target_name)
        if snapshot_store.in_volume(location):
            raise failed_precondition(
                f"snapshot {snapshot.namespace}/{snapshot.name} is stored in the volume of "
                f"vcluster {snapshot.vcluster} ({location}); it can only be restored in place",
                reason="SNAPSHOT_IN_VOLUME",
                metadata={"location": location, "vcluster": snapshot.vcluster},
            )
        if self._world.mirror.get_vcluster(key) is not None:
            raise already_exists(VCLUSTER, *key)
        self._check_quota(snapshot.namespace, removed=None, added=snapshot.source_spec)
        spec = VClusterSpec()
        spec.CopyFrom(snapshot.source_spec)
        keep_settings(spec, None)
        labels = dict(stored["spec"].get("sourceLabels") or {})
        created = await self._create_new(
            key, spec, labels, plan, restore=_restore(snapshot.name, location, 1)
        )
        return api.RestoreVClusterResponse(vcluster=created)

    async def get_vcluster_kubeconfig(
        self, principal: Principal, request: api.GetVClusterKubeconfigRequest
    ) -> api.GetVClusterKubeconfigResponse:
        """GetVClusterKubeconfig: the kubeconfig vcluster wrote, pointed where it is reachable."""
        principal.require_editor("GetVClusterKubeconfig")
        checks.fields(request)
        vcluster = self._reads.existing(principal, request.namespace, request.name, etag="")
        phases.require_phase(vcluster, phases.KUBECONFIG_FROM, "get the kubeconfig of")
        host = self._world.host_of((request.namespace, request.name))
        try:
            kubeconfig = await lifecycle.kubeconfig_secret(self._kube, host)
        except KubeError as exc:
            raise api_error(exc) from None
        if kubeconfig is None:
            raise failed_precondition(
                f"vcluster {request.namespace}/{request.name} has not written its kubeconfig "
                f"(Secret vc-{host[1]} in namespace {host[0]}) yet",
                reason="KUBECONFIG_NOT_READY",
                metadata={"secret": f"{host[0]}/vc-{host[1]}"},
            )
        if vcluster.status.api_server_endpoint:
            kubeconfig = lifecycle.with_server(kubeconfig, vcluster.status.api_server_endpoint)
        vcluster.status.kubeconfig = kubeconfig
        return api.GetVClusterKubeconfigResponse(vcluster=vcluster)

    # --- shared -------------------------------------------------------------------------

    async def _power(
        self,
        principal: Principal,
        method: str,
        request: api.SuspendVClusterRequest | api.ResumeVClusterRequest,
        plan: HookPlan,
        response_type: type[P],
        *,
        suspend: bool,
    ) -> P:
        key = (request.namespace, request.name)
        noop, allowed = (
            (phases.SUSPEND_NOOP, phases.SUSPEND_FROM)
            if suspend
            else (phases.RESUME_NOOP, phases.RESUME_FROM)
        )

        async def power() -> P:
            vcluster = self._reads.existing(principal, *key, request.etag)
            if vcluster.status.phase in noop:
                return response_type(vcluster=vcluster)
            phases.require_phase(vcluster, allowed, "suspend" if suspend else "resume")
            resource = await self._managed(key)
            generation = int(resource["metadata"].get("generation", 1)) + 1
            patch = {
                "metadata": {"annotations": self._hook_annotation(plan, generation)},
                "spec": {objects.SUSPENDED: suspend},
            }
            updated = await self._patch(resource, patch)
            return response_type(vcluster=objects.to_vcluster(updated))

        return await self._mutations.run(principal, method, request, key, response_type, power)

    async def record_schedule(self, key: Key, edit: Callable[[VCluster], None]) -> None:
        """The scheduler's status write: next times and its conditions, into their
        annotation, at the version read (re-read on a conflict)."""
        for _ in range(_ATTEMPTS):
            resource = self._world.resource(key)
            if resource is None:
                return
            current = objects.to_vcluster(resource)
            edited = copy_vcluster(current)
            edit(edited)
            if edited == current:
                return
            try:
                await self._patch(
                    resource,
                    {"metadata": {"annotations": schedule_objects.status_annotation(edited)}},
                )
                return
            except RetryError:
                self._world.apply(kinds.VCLUSTERS, await self._kube.get(kinds.VCLUSTERS, *key))
        raise RetryError

    async def _delete_snapshots(self, snapshots: list[Obj]) -> None:
        """Deletes snapshot resources (their reconciler removes what they stored)."""
        for snapshot in snapshots:
            meta = snapshot["metadata"]
            try:
                deleted = await self._kube.delete(kinds.SNAPSHOTS, meta["namespace"], meta["name"])
            except KubeError as exc:
                if not exc.not_found:
                    raise
                continue
            self._world.apply(kinds.SNAPSHOTS, deleted)

    async def _create_new(
        self,
        key: Key,
        spec: VClusterSpec,
        labels: dict[str, str],
        plan: HookPlan,
        restore: dict[str, Any] | None = None,
    ) -> VCluster:
        """A new VCluster resource (restored from a snapshot when ``restore`` says so)."""
        resource = objects.new_resource(
            *key, spec, labels, host_namespace(*key), self._hook_annotation(plan, 1)
        )
        if restore is not None:
            resource["spec"][objects.RESTORE] = restore
        try:
            created = await self._create_resource(resource)
        except KubeError as exc:
            if exc.conflict:
                raise already_exists(VCLUSTER, *key) from None
            raise
        return objects.to_vcluster(created)

    async def _managed(self, key: Key) -> Obj:
        """The vcluster's resource; an adopted vcluster gets one first, where it lives."""
        resource = self._world.resource(key)
        if resource is not None:
            return resource
        found = self._world.mirror.get_vcluster(key)
        assert found is not None
        return await self._create_resource(adoption.resource(found))

    async def _create_resource(self, resource: Obj) -> Obj:
        namespace = resource["metadata"]["namespace"]
        try:
            created = await self._kube.create(kinds.VCLUSTERS, namespace, resource)
        except KubeError as exc:
            if not exc.not_found:
                raise
            await lifecycle.ensure_namespace(
                self._kube, namespace, labels={LABEL_HOLDS_VCLUSTERS: "true"}, annotations={}
            )
            created = await self._kube.create(kinds.VCLUSTERS, namespace, resource)
        self._world.apply(kinds.VCLUSTERS, created)
        return created

    async def _patch(self, resource: Obj, patch: dict[str, Any]) -> Obj:
        """A merge patch at the resource's version, marking the visible change time."""
        meta = resource["metadata"]
        patch.setdefault("metadata", {})
        patch["metadata"]["resourceVersion"] = meta["resourceVersion"]
        patch["metadata"].setdefault("annotations", {})[ANNOTATION_UPDATED] = objects.now_text()
        try:
            updated = await self._kube.patch(
                kinds.VCLUSTERS, meta["namespace"], meta["name"], patch
            )
        except KubeError as exc:
            if exc.conflict:
                raise RetryError from None
            raise
        self._world.apply(kinds.VCLUSTERS, updated)
        return updated

    def _hook_annotation(
        self, plan: HookPlan, generation: int, *, deletion: bool = False
    ) -> dict[str, str]:
        if not self._config.enable_test_hooks:
            return {}
        return hooks.annotation(plan, generation, deletion=deletion)

    def _check_quota(
        self, namespace: str, removed: VClusterSpec | None, added: VClusterSpec
    ) -> None:
        if self._quotas.of(namespace) is None:
            return
        current = [
            vc.spec
            for vc in self._world.mirror.scan_vclusters(namespace=namespace, phase=None, after=None)
        ]
        self._quotas.check_vclusters(namespace, current, removed, added)


def _restore(snapshot: str, location: str, generation: int) -> dict[str, Any]:
    """The spec's record of a restore, bound to the generation that asks for it."""
    return {"snapshot": snapshot, "location": location, "generation": generation}


def _require_no_snapshots_in_volume(vcluster: VCluster, snapshots: list[Obj]) -> None:
    """FAILED_PRECONDITION when deleting the vcluster would lose snapshots the
    caller asked to keep: container:// ones live in its data volume."""
    in_volume = sorted(
        s["metadata"]["name"]
        for s in snapshots
        if snapshot_store.in_volume(str(s["spec"].get("location", "")))
    )
    if in_volume:
        raise failed_precondition(
            f"vcluster {vcluster.namespace}/{vcluster.name} holds {len(in_volume)} snapshot(s) "
            f"in its own volume ({', '.join(in_volume)}), which its deletion would lose; set "
            "delete_snapshots to delete them too, or keep_data to keep the volume",
            reason="SNAPSHOTS_IN_VOLUME",
            metadata={"snapshots": ",".join(in_volume)},
        )
