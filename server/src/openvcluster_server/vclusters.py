"""VClusterService's operations, on top of the shared Core."""

from __future__ import annotations

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import checks, phases, resources
from openvcluster_server.auth import Principal
from openvcluster_server.core import Core
from openvcluster_server.errors import already_exists
from openvcluster_server.kubeconfig import render_kubeconfig
from openvcluster_server.phases import Phase
from openvcluster_server.reads import VCLUSTER
from openvcluster_server.resources import copy_vcluster, key_of
from openvcluster_server.testhooks import NO_HOOKS, HookPlan
from openvcluster_server.updates import (
    apply_update,
    is_upgrade,
    keep_settings,
    require_unprotected,
)


class VClusterOperations:
    """Create, update, delete, scale, suspend, resume, restore and kubeconfig."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create_vcluster(
        self, principal: Principal, request: api.CreateVClusterRequest, hooks: HookPlan = NO_HOOKS
    ) -> api.CreateVClusterResponse:
        """CreateVCluster: PROVISIONING, then RUNNING on its own."""
        principal.require_editor("CreateVCluster")
        spec = checks.create(request, self._core.config.supported_versions)
        principal.require_create_in(request.namespace, "CreateVCluster")

        def create() -> api.CreateVClusterResponse:
            key = (request.namespace, request.name)
            if self._core.store.get_vcluster(key) is not None:
                raise already_exists(VCLUSTER, *key)
            self._core.check_quota(request.namespace, removed=None, added=spec)
            if request.validate_only:
                planned = checks.planned(*key, spec, dict(request.labels))
                return api.CreateVClusterResponse(vcluster=planned)
            vcluster = resources.new_vcluster(*key, spec, dict(request.labels))
            self._core.put(None, vcluster)
            self._core.schedule_after_commit(VCLUSTER, key, self._core.finish_transition, hooks)
            return api.CreateVClusterResponse(vcluster=vcluster)

        return self._core.mutate(
            principal, "CreateVCluster", request, api.CreateVClusterResponse, create
        )

    def update_vcluster(
        self, principal: Principal, request: api.UpdateVClusterRequest, hooks: HookPlan = NO_HOOKS
    ) -> api.UpdateVClusterResponse:
        """UpdateVCluster: labels and protection at once; a new version through UPGRADING."""
        principal.require_editor("UpdateVCluster")
        supported = self._core.config.supported_versions
        change = checks.update(request, supported)
        key = (request.vcluster.namespace, request.vcluster.name)

        def update() -> api.UpdateVClusterResponse:
            vcluster = self._core.existing(principal, *key, request.etag)
            before = copy_vcluster(vcluster)
            upgrade = is_upgrade(vcluster, change, supported)
            if upgrade:
                phases.require_phase(vcluster, phases.UPGRADE_FROM, "upgrade")
            else:
                phases.require_phase(vcluster, phases.UPDATE_FROM, "update")
            apply_update(vcluster, change, upgrade)
            if request.validate_only:
                if upgrade:
                    resources.set_phase(vcluster, Phase.PHASE_UPGRADING)
                return api.UpdateVClusterResponse(vcluster=vcluster)
            if upgrade:
                return api.UpdateVClusterResponse(
                    vcluster=self._core.begin(vcluster, Phase.PHASE_UPGRADING, hooks, before)
                )
            if vcluster != before:
                resources.touch(vcluster)
                self._core.put(before, vcluster)
            return api.UpdateVClusterResponse(vcluster=vcluster)

        return self._core.mutate(
            principal, "UpdateVCluster", request, api.UpdateVClusterResponse, update
        )

    def delete_vcluster(
        self, principal: Principal, request: api.DeleteVClusterRequest, hooks: HookPlan = NO_HOOKS
    ) -> api.DeleteVClusterResponse:
        """DeleteVCluster: DELETING, then gone; a no-op when already DELETING."""
        principal.require_editor("DeleteVCluster")
        checks.fields(request)

        def delete() -> api.DeleteVClusterResponse:
            vcluster = self._core.existing(principal, request.namespace, request.name, request.etag)
            if vcluster.status.phase in phases.DELETE_NOOP:
                return api.DeleteVClusterResponse(vcluster=vcluster)
            require_unprotected(vcluster)
            if request.delete_snapshots:
                for snapshot in list(
                    self._core.store.scan_snapshots(
                        namespace=vcluster.namespace, vcluster=vcluster.name, after=None
                    )
                ):
                    self._core.remove_snapshot(snapshot, "DeleteVCluster")
            updated = self._core.begin(vcluster, Phase.PHASE_DELETING, hooks)
            return api.DeleteVClusterResponse(vcluster=updated)

        return self._core.mutate(
            principal, "DeleteVCluster", request, api.DeleteVClusterResponse, delete
        )

    def scale_vcluster(
        self, principal: Principal, request: api.ScaleVClusterRequest, hooks: HookPlan = NO_HOOKS
    ) -> api.ScaleVClusterResponse:
        """ScaleVCluster: SCALING back to RUNNING, or a new spec kept while SUSPENDED."""
        principal.require_editor("ScaleVCluster")
        checks.scale(request)

        def scale() -> api.ScaleVClusterResponse:
            vcluster = self._core.existing(principal, request.namespace, request.name, request.etag)
            phases.require_phase(vcluster, phases.SCALE_FROM, "scale")
            spec = checks.scaled_spec(vcluster.spec, request)
            self._core.check_quota(vcluster.namespace, removed=vcluster.spec, added=spec)
            before = copy_vcluster(vcluster)
            vcluster.spec.CopyFrom(spec)
            if vcluster.status.phase == Phase.PHASE_RUNNING:
                return api.ScaleVClusterResponse(
                    vcluster=self._core.begin(vcluster, Phase.PHASE_SCALING, hooks, before)
                )
            resources.touch(vcluster)
            self._core.put(before, vcluster)
            return api.ScaleVClusterResponse(vcluster=vcluster)

        return self._core.mutate(
            principal, "ScaleVCluster", request, api.ScaleVClusterResponse, scale
        )

    def suspend_vcluster(
        self,
        principal: Principal,
        request: api.SuspendVClusterRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> api.SuspendVClusterResponse:
        """SuspendVCluster: SUSPENDING, then SUSPENDED; a no-op when already on the way."""
        principal.require_editor("SuspendVCluster")
        checks.fields(request)

        def suspend() -> api.SuspendVClusterResponse:
            vcluster = self._core.existing(principal, request.namespace, request.name, request.etag)
            if vcluster.status.phase in phases.SUSPEND_NOOP:
                return api.SuspendVClusterResponse(vcluster=vcluster)
            phases.require_phase(vcluster, phases.SUSPEND_FROM, "suspend")
            message = (
                "draining workloads, then stopping the control plane"
                if request.drain_workloads
                else ""
            )
            return api.SuspendVClusterResponse(
                vcluster=self._core.begin(vcluster, Phase.PHASE_SUSPENDING, hooks, message=message)
            )

        return self._core.mutate(
            principal, "SuspendVCluster", request, api.SuspendVClusterResponse, suspend
        )

    def resume_vcluster(
        self,
        principal: Principal,
        request: api.ResumeVClusterRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> api.ResumeVClusterResponse:
        """ResumeVCluster: RESUMING, then RUNNING; a no-op when already on the way."""
        principal.require_editor("ResumeVCluster")
        checks.fields(request)

        def resume() -> api.ResumeVClusterResponse:
            vcluster = self._core.existing(principal, request.namespace, request.name, request.etag)
            if vcluster.status.phase in phases.RESUME_NOOP:
                return api.ResumeVClusterResponse(vcluster=vcluster)
            phases.require_phase(vcluster, phases.RESUME_FROM, "resume")
            return api.ResumeVClusterResponse(
                vcluster=self._core.begin(vcluster, Phase.PHASE_RESUMING, hooks)
            )

        return self._core.mutate(
            principal, "ResumeVCluster", request, api.ResumeVClusterResponse, resume
        )

    def restore_vcluster(
        self,
        principal: Principal,
        request: api.RestoreVClusterRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> api.RestoreVClusterResponse:
        """RestoreVCluster: in place (RESTORING) or to a new name (PROVISIONING)."""
        principal.require_editor("RestoreVCluster")
        checks.restore(request)
        if request.target_name:
            principal.require_create_in(request.namespace, "RestoreVCluster")

        def restore() -> api.RestoreVClusterResponse:
            snapshot = self._core.visible_snapshot(
                principal, request.namespace, request.snapshot_name
            )
            phases.require_snapshot_ready(snapshot)
            if request.target_name:
                return api.RestoreVClusterResponse(
                    vcluster=self._restore_to_new(snapshot, request.target_name, hooks)
                )
            vcluster = self._core.existing(
                principal, snapshot.namespace, snapshot.vcluster, request.etag
            )
            phases.require_phase(vcluster, phases.RESTORE_IN_PLACE_FROM, "restore")
            self._core.check_quota(
                vcluster.namespace, removed=vcluster.spec, added=snapshot.source_spec
            )
            before = copy_vcluster(vcluster)
            vcluster.spec.CopyFrom(snapshot.source_spec)
            keep_settings(vcluster.spec, before.spec)
            return api.RestoreVClusterResponse(
                vcluster=self._core.begin(vcluster, Phase.PHASE_RESTORING, hooks, before)
            )

        return self._core.mutate(
            principal, "RestoreVCluster", request, api.RestoreVClusterResponse, restore
        )

    def get_vcluster_kubeconfig(
        self, principal: Principal, request: api.GetVClusterKubeconfigRequest
    ) -> api.GetVClusterKubeconfigResponse:
        """GetVClusterKubeconfig: the vcluster with status.kubeconfig filled.

        Needs the editor role: a kubeconfig is admin access to the vcluster, more
        than a viewer may read.
        """
        principal.require_editor("GetVClusterKubeconfig")
        checks.fields(request)
        vcluster = self._core.existing(principal, request.namespace, request.name, etag="")
        phases.require_phase(vcluster, phases.KUBECONFIG_FROM, "get the kubeconfig of")
        vcluster.status.kubeconfig = render_kubeconfig(vcluster, self._core.secret)
        return api.GetVClusterKubeconfigResponse(vcluster=vcluster)

    def _restore_to_new(self, snapshot: Snapshot, target: str, hooks: HookPlan) -> VCluster:
        key = (snapshot.namespace, target)
        if self._core.store.get_vcluster(key) is not None:
            raise already_exists(VCLUSTER, *key)
        self._core.check_quota(snapshot.namespace, removed=None, added=snapshot.source_spec)
        state = self._core.store.get_snapshot_state(key_of(snapshot))
        labels = dict(resources.captured_vcluster(state).labels) if state else {}
        spec = VClusterSpec()
        spec.CopyFrom(snapshot.source_spec)
        keep_settings(spec, None)
        vcluster = resources.new_vcluster(*key, spec, labels)
        vcluster.status.message = f"restoring from snapshot {snapshot.name}"
        self._core.put(None, vcluster)
        self._core.schedule_after_commit(VCLUSTER, key, self._core.finish_transition, hooks)
        return vcluster
