"""VClusterService's operations, on top of the shared Core."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import phases, resources, validation
from openvcluster_server.auth import Principal
from openvcluster_server.core import VCLUSTER, Core
from openvcluster_server.errors import FieldViolations, already_exists
from openvcluster_server.kubeconfig import render_kubeconfig
from openvcluster_server.paging import (
    effective_page_size,
    page_byte_budget,
    read_page,
    scan_visible,
)
from openvcluster_server.phases import Phase
from openvcluster_server.resources import copy_vcluster, key_of
from openvcluster_server.selector import Selector
from openvcluster_server.testhooks import NO_HOOKS, HookPlan
from openvcluster_server.watch import Watcher


class VClusterOperations:
    """Create, get, list, delete, scale, suspend, resume, restore, kubeconfig and watch."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create_vcluster(
        self, principal: Principal, request: api.CreateVClusterRequest, hooks: HookPlan = NO_HOOKS
    ) -> api.CreateVClusterResponse:
        """CreateVCluster: PROVISIONING, then RUNNING on its own."""
        principal.require_editor("CreateVCluster")
        violations = FieldViolations()
        validation.check_name(violations, "namespace", request.namespace)
        validation.check_name(violations, "name", request.name)
        validation.check_labels(violations, "labels", request.labels)
        spec = validation.apply_spec_defaults(
            violations, request.spec, self._core.config.kubernetes_versions
        )
        validation.check_request_id(violations, request.request_id)
        violations.raise_if_any()
        principal.require_create_in(request.namespace, "CreateVCluster")

        def create() -> api.CreateVClusterResponse:
            key = (request.namespace, request.name)
            if self._core.store.get_vcluster(key) is not None:
                raise already_exists(VCLUSTER, *key)
            self._core.check_quota(request.namespace, removed=None, added=spec)
            vcluster = resources.new_vcluster(*key, spec, dict(request.labels))
            if request.validate_only:
                return api.CreateVClusterResponse(vcluster=_as_planned(vcluster))
            self._core.put(None, vcluster)
            self._core.schedule_after_commit(VCLUSTER, key, self._core.finish_transition, hooks)
            return api.CreateVClusterResponse(vcluster=vcluster)

        return self._core.mutate(
            principal, "CreateVCluster", request, api.CreateVClusterResponse, create
        )

    def get_vcluster(
        self, principal: Principal, request: api.GetVClusterRequest
    ) -> api.GetVClusterResponse:
        """GetVCluster: the vcluster, without credentials."""
        return api.GetVClusterResponse(vcluster=self._visible_vcluster(principal, request))

    def list_vclusters(
        self, principal: Principal, request: api.ListVClustersRequest
    ) -> api.ListVClustersResponse:
        """ListVClusters: one page in (namespace, name) order."""
        violations = FieldViolations()
        validation.check_optional_name(violations, "namespace", request.namespace)
        validation.check_page_size(violations, request.page_size)
        selector = validation.check_selector(violations, request.label_selector)
        if request.phase not in Phase.values():
            violations.add("phase", f"unknown phase {request.phase}")
        violations.raise_if_any()
        assert selector is not None
        scope = (
            f"ListVClusters\x00{principal.scope}\x00{request.namespace}\x00{selector}"
            f"\x00{request.phase}"
        )
        after = self._core.page_tokens.parse(scope, request.page_token)
        phase = request.phase or None
        scan = scan_visible(
            principal,
            request.namespace,
            after,
            lambda ns, start: self._core.store.scan_vclusters(
                namespace=ns, phase=phase, after=start
            ),
        )
        page = read_page(
            scan,
            key_of,
            lambda vc: selector.matches(vc.labels),
            effective_page_size(request.page_size),
            page_byte_budget(self._core.config.max_message_bytes),
        )
        token = self._core.page_tokens.issue(scope, page.next_after) if page.next_after else ""
        return api.ListVClustersResponse(vclusters=page.items, next_page_token=token)

    def delete_vcluster(
        self, principal: Principal, request: api.DeleteVClusterRequest, hooks: HookPlan = NO_HOOKS
    ) -> api.DeleteVClusterResponse:
        """DeleteVCluster: DELETING, then gone; a no-op when already DELETING."""
        principal.require_editor("DeleteVCluster")
        self._core.check_key(request.namespace, request.name, request.request_id)

        def delete() -> api.DeleteVClusterResponse:
            vcluster = self._core.existing(principal, request.namespace, request.name, request.etag)
            if vcluster.status.phase in phases.DELETE_NOOP:
                return api.DeleteVClusterResponse(vcluster=vcluster)
            if request.delete_snapshots:
                for snapshot in list(
                    self._core.store.scan_snapshots(
                        namespace=vcluster.namespace, vcluster=vcluster.name, after=None
                    )
                ):
                    self._core.remove_snapshot(key_of(snapshot))
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
        violations = FieldViolations()
        validation.check_name(violations, "namespace", request.namespace)
        validation.check_name(violations, "name", request.name)
        validation.check_request_id(violations, request.request_id)
        changes = request.HasField("resources") and any(
            (request.resources.cpu, request.resources.memory, request.resources.storage)
        )
        if not (changes or request.replicas or request.HasField("enable_ha")):
            violations.add("resources", "nothing to change: set resources, replicas or enable_ha")
        for name in ("cpu", "memory", "storage"):
            value = getattr(request.resources, name)
            if value:
                validation.check_quantity(violations, f"resources.{name}", value)
        if request.replicas and not 1 <= request.replicas <= validation.MAX_REPLICAS:
            violations.add(
                "replicas",
                f"must be between 1 and {validation.MAX_REPLICAS}, got {request.replicas}",
            )
        violations.raise_if_any()

        def scale() -> api.ScaleVClusterResponse:
            vcluster = self._core.existing(principal, request.namespace, request.name, request.etag)
            phases.require_phase(vcluster, phases.SCALE_FROM, "scale")
            spec = self._scaled_spec(vcluster.spec, request)
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
        self._core.check_key(request.namespace, request.name, request.request_id)

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
        self._core.check_key(request.namespace, request.name, request.request_id)

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
        violations = FieldViolations()
        validation.check_name(violations, "namespace", request.namespace)
        validation.check_name(violations, "snapshot_name", request.snapshot_name)
        validation.check_optional_name(violations, "target_name", request.target_name)
        validation.check_request_id(violations, request.request_id)
        if request.target_name and request.etag:
            violations.add("etag", "must be empty when restoring to a new name (target_name)")
        violations.raise_if_any()
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
            return api.RestoreVClusterResponse(
                vcluster=self._core.begin(vcluster, Phase.PHASE_RESTORING, hooks, before)
            )

        return self._core.mutate(
            principal, "RestoreVCluster", request, api.RestoreVClusterResponse, restore
        )

    def get_kubeconfig(
        self, principal: Principal, request: api.GetVClusterKubeconfigRequest
    ) -> api.GetVClusterKubeconfigResponse:
        """GetVClusterKubeconfig: the vcluster with status.kubeconfig filled.

        Needs the editor role: a kubeconfig is admin access to the vcluster, more
        than a viewer may read.
        """
        principal.require_editor("GetVClusterKubeconfig")
        vcluster = self._visible_vcluster(principal, request)
        phases.require_phase(vcluster, phases.KUBECONFIG_FROM, "get the kubeconfig of")
        vcluster.status.kubeconfig = render_kubeconfig(vcluster, self._core.secret)
        return api.GetVClusterKubeconfigResponse(vcluster=vcluster)

    def watch_vclusters(self, principal: Principal, request: api.WatchVClustersRequest) -> Watcher:
        """WatchVClusters: a watcher preloaded with ADDED for every current match, then SYNCED."""
        violations = FieldViolations()
        validation.check_optional_name(violations, "namespace", request.namespace)
        validation.check_optional_name(violations, "name", request.name)
        selector = validation.check_selector(violations, request.label_selector)
        violations.raise_if_any()
        assert selector is not None
        matches = _watch_matcher(principal, request, selector)
        watcher = self._core.hub.subscribe(matches)
        current: Iterable[VCluster]
        if request.namespace and request.name:
            # One vcluster, as wait helpers watch: a lookup, not a namespace scan.
            found = self._core.store.get_vcluster((request.namespace, request.name))
            current = [found] if found is not None else []
        else:
            current = scan_visible(
                principal,
                request.namespace,
                None,
                lambda ns, start: self._core.store.scan_vclusters(
                    namespace=ns, phase=None, after=start
                ),
            )
        watcher.preload(current)
        return watcher

    # --- helpers --------------------------------------------------------------------------

    def _visible_vcluster(
        self,
        principal: Principal,
        request: api.GetVClusterRequest | api.GetVClusterKubeconfigRequest,
    ) -> VCluster:
        self._core.check_key(request.namespace, request.name, "")
        return self._core.existing(principal, request.namespace, request.name, etag="")

    def _scaled_spec(
        self, current: VClusterSpec, request: api.ScaleVClusterRequest
    ) -> VClusterSpec:
        spec = VClusterSpec()
        spec.CopyFrom(current)
        for name in ("cpu", "memory", "storage"):
            value = getattr(request.resources, name)
            if value:
                setattr(spec.resources, name, value)
        if request.replicas:
            spec.replicas = request.replicas
        if request.HasField("enable_ha"):
            spec.enable_ha = request.enable_ha
        violations = FieldViolations()
        ha_field = "replicas" if request.replicas else "enable_ha"
        validation.check_replicas(violations, spec.replicas, spec.enable_ha, "replicas", ha_field)
        violations.raise_if_any()
        return spec

    def _restore_to_new(self, snapshot: Snapshot, target: str, hooks: HookPlan) -> VCluster:
        key = (snapshot.namespace, target)
        if self._core.store.get_vcluster(key) is not None:
            raise already_exists(VCLUSTER, *key)
        self._core.check_quota(snapshot.namespace, removed=None, added=snapshot.source_spec)
        state = self._core.store.get_snapshot_state(key_of(snapshot))
        labels = dict(resources.captured_vcluster(state).labels) if state else {}
        vcluster = resources.new_vcluster(*key, snapshot.source_spec, labels)
        vcluster.status.message = f"restoring from snapshot {snapshot.name}"
        self._core.put(None, vcluster)
        self._core.schedule_after_commit(VCLUSTER, key, self._core.finish_transition, hooks)
        return vcluster


def _as_planned(vcluster: VCluster) -> VCluster:
    """What validate_only answers: the vcluster as it would be created, nothing server-made."""
    planned = VCluster(
        namespace=vcluster.namespace, name=vcluster.name, labels=vcluster.labels, spec=vcluster.spec
    )
    planned.status.phase = Phase.PHASE_PROVISIONING
    return planned


def _watch_matcher(
    principal: Principal, request: api.WatchVClustersRequest, selector: Selector
) -> Callable[[VCluster], bool]:
    def matches(vcluster: VCluster) -> bool:
        return (
            principal.can_see(vcluster.namespace)
            and (not request.namespace or vcluster.namespace == request.namespace)
            and (not request.name or vcluster.name == request.name)
            and selector.matches(vcluster.labels)
        )

    return matches
