"""The contract's behaviour: every RPC as a method over a Store.

The engine runs on the server's event loop. Each operation reads, checks and
writes without awaiting, so operations never interleave: mutations of one
vcluster are serialised and no update is lost, with no locks. Intermediate
phases end through timers the engine schedules itself, and watchers hear of a
change only after the store has committed it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import TypeVar

from google.protobuf.message import Message

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import phases, resources, validation
from openvcluster_server.auth import Principal
from openvcluster_server.config import ServerConfig
from openvcluster_server.errors import (
    FieldViolations,
    aborted_stale_etag,
    already_exists,
    not_found,
)
from openvcluster_server.idempotency import RequestLog
from openvcluster_server.kubeconfig import render_kubeconfig
from openvcluster_server.paging import PageTokens, effective_page_size, read_page, scan_visible
from openvcluster_server.phases import Phase
from openvcluster_server.quota import Quotas
from openvcluster_server.selector import Selector
from openvcluster_server.store import Key, Store
from openvcluster_server.testhooks import NO_HOOKS, HookPlan
from openvcluster_server.timers import Step, Timers
from openvcluster_server.watch import Watcher, WatchHub

log = logging.getLogger(__name__)

VCLUSTER = "vcluster"
SNAPSHOT = "snapshot"
_SECRET_SETTING = "secret"

R = TypeVar("R", bound=Message)


def _key(resource: VCluster | Snapshot) -> Key:
    return (resource.namespace, resource.name)


class Engine:
    """Implements both services' operations for one store."""

    def __init__(self, store: Store, config: ServerConfig) -> None:
        self._store = store
        self._config = config
        self.hub = WatchHub(config.watch_buffer)
        self._quotas = Quotas(config.quotas)
        self._requests = RequestLog(store, config.request_id_ttl)
        self._secret = self._load_secret()
        self._tokens = PageTokens(hashlib.sha256(b"page-token\x00" + self._secret).digest())
        self._timers = Timers(config.transition_delay)
        # Work that must wait for the store commit: watch events and timers.
        self._after_commit: list[Callable[[], None]] = []

    # --- lifecycle of the engine itself -------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Binds to the event loop and resumes transitions a restart interrupted."""
        self._timers.bind(loop)
        for phase in phases.INTERMEDIATE:
            for vcluster in list(
                self._store.scan_vclusters(namespace=None, phase=phase, after=None)
            ):
                self._timers.schedule(VCLUSTER, _key(vcluster), self._finish_transition, None)
        unfinished = (Snapshot.Phase.PHASE_PENDING, Snapshot.Phase.PHASE_IN_PROGRESS)
        for snapshot in list(self._store.scan_snapshots(namespace=None, vcluster=None, after=None)):
            if snapshot.phase in unfinished:
                self._timers.schedule(SNAPSHOT, _key(snapshot), self._advance_snapshot, None)

    def stop(self) -> None:
        """Cancels pending transitions; the store keeps their intermediate phases."""
        self._timers.cancel_all()

    def forget_expired_requests(self) -> int:
        """Housekeeping: drops request ids older than the configured window."""
        return self._requests.forget_expired()

    # --- VClusterService ------------------------------------------------------------------

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
            violations, request.spec, self._config.kubernetes_versions
        )
        validation.check_request_id(violations, request.request_id)
        violations.raise_if_any()
        principal.require_create_in(request.namespace, "CreateVCluster")

        def create() -> api.CreateVClusterResponse:
            key = (request.namespace, request.name)
            if self._store.get_vcluster(key) is not None:
                raise already_exists(VCLUSTER, *key)
            self._check_quota(request.namespace, removed=None, added=spec)
            vcluster = resources.new_vcluster(*key, spec, dict(request.labels))
            if request.validate_only:
                return api.CreateVClusterResponse(vcluster=_as_planned(vcluster))
            self._put(None, vcluster)
            self._schedule_after_commit(
                VCLUSTER, key, self._finish_transition, hooks.fail_transition
            )
            return api.CreateVClusterResponse(vcluster=vcluster)

        return self._mutate(
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
        after = self._tokens.parse(scope, request.page_token)
        phase = request.phase or None
        scan = scan_visible(
            principal,
            request.namespace,
            after,
            lambda ns, start: self._store.scan_vclusters(namespace=ns, phase=phase, after=start),
        )
        page = read_page(
            scan,
            _key,
            lambda vc: selector.matches(vc.labels),
            effective_page_size(request.page_size),
        )
        token = self._tokens.issue(scope, page.next_after) if page.next_after else ""
        return api.ListVClustersResponse(vclusters=page.items, next_page_token=token)

    def delete_vcluster(
        self, principal: Principal, request: api.DeleteVClusterRequest, hooks: HookPlan = NO_HOOKS
    ) -> api.DeleteVClusterResponse:
        """DeleteVCluster: DELETING, then gone; a no-op when already DELETING."""
        principal.require_editor("DeleteVCluster")
        self._check_key(request.namespace, request.name, request.request_id)

        def delete() -> api.DeleteVClusterResponse:
            vcluster = self._existing(principal, request.namespace, request.name, request.etag)
            if vcluster.status.phase in phases.DELETE_NOOP:
                return api.DeleteVClusterResponse(vcluster=vcluster)
            if request.delete_snapshots:
                for snapshot in list(
                    self._store.scan_snapshots(
                        namespace=vcluster.namespace, vcluster=vcluster.name, after=None
                    )
                ):
                    self._remove_snapshot(_key(snapshot))
            updated = self._begin(vcluster, Phase.PHASE_DELETING, hooks)
            return api.DeleteVClusterResponse(vcluster=updated)

        return self._mutate(
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
            vcluster = self._existing(principal, request.namespace, request.name, request.etag)
            phases.require_phase(vcluster, phases.SCALE_FROM, "scale")
            spec = self._scaled_spec(vcluster.spec, request)
            self._check_quota(vcluster.namespace, removed=vcluster.spec, added=spec)
            before = _copy(vcluster)
            vcluster.spec.CopyFrom(spec)
            if vcluster.status.phase == Phase.PHASE_RUNNING:
                return api.ScaleVClusterResponse(
                    vcluster=self._begin(vcluster, Phase.PHASE_SCALING, hooks, before)
                )
            resources.touch(vcluster)
            self._put(before, vcluster)
            return api.ScaleVClusterResponse(vcluster=vcluster)

        return self._mutate(principal, "ScaleVCluster", request, api.ScaleVClusterResponse, scale)

    def suspend_vcluster(
        self,
        principal: Principal,
        request: api.SuspendVClusterRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> api.SuspendVClusterResponse:
        """SuspendVCluster: SUSPENDING, then SUSPENDED; a no-op when already on the way."""
        principal.require_editor("SuspendVCluster")
        self._check_key(request.namespace, request.name, request.request_id)

        def suspend() -> api.SuspendVClusterResponse:
            vcluster = self._existing(principal, request.namespace, request.name, request.etag)
            if vcluster.status.phase in phases.SUSPEND_NOOP:
                return api.SuspendVClusterResponse(vcluster=vcluster)
            phases.require_phase(vcluster, phases.SUSPEND_FROM, "suspend")
            message = (
                "draining workloads, then stopping the control plane"
                if request.drain_workloads
                else ""
            )
            return api.SuspendVClusterResponse(
                vcluster=self._begin(vcluster, Phase.PHASE_SUSPENDING, hooks, message=message)
            )

        return self._mutate(
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
        self._check_key(request.namespace, request.name, request.request_id)

        def resume() -> api.ResumeVClusterResponse:
            vcluster = self._existing(principal, request.namespace, request.name, request.etag)
            if vcluster.status.phase in phases.RESUME_NOOP:
                return api.ResumeVClusterResponse(vcluster=vcluster)
            phases.require_phase(vcluster, phases.RESUME_FROM, "resume")
            return api.ResumeVClusterResponse(
                vcluster=self._begin(vcluster, Phase.PHASE_RESUMING, hooks)
            )

        return self._mutate(
            principal, "ResumeVCluster", request, api.ResumeVClusterResponse, resume
        )

    def snapshot_vcluster(
        self,
        principal: Principal,
        request: api.SnapshotVClusterRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> api.SnapshotVClusterResponse:
        """SnapshotVCluster: a snapshot that goes PENDING, IN_PROGRESS, READY."""
        principal.require_editor("SnapshotVCluster")
        violations = FieldViolations()
        validation.check_name(violations, "namespace", request.namespace)
        validation.check_name(violations, "name", request.name)
        validation.check_optional_name(violations, "snapshot_name", request.snapshot_name)
        validation.check_description(violations, request.description)
        validation.check_labels(violations, "labels", request.labels)
        validation.check_request_id(violations, request.request_id)
        violations.raise_if_any()

        def snapshot() -> api.SnapshotVClusterResponse:
            vcluster = self._existing(principal, request.namespace, request.name, etag="")
            phases.require_phase(vcluster, phases.SNAPSHOT_FROM, "snapshot")
            name = request.snapshot_name or self._free_snapshot_name(vcluster)
            key = (vcluster.namespace, name)
            if self._store.get_snapshot(key) is not None:
                raise already_exists(SNAPSHOT, *key)
            self._quotas.check_snapshots(
                vcluster.namespace, self._store.count_snapshots(vcluster.namespace)
            )
            created, state = resources.new_snapshot(
                vcluster, name, request.description, dict(request.labels)
            )
            self._store.put_snapshot(created, state)
            self._schedule_after_commit(
                SNAPSHOT, key, self._advance_snapshot, hooks.fail_transition
            )
            return api.SnapshotVClusterResponse(snapshot=created)

        return self._mutate(
            principal, "SnapshotVCluster", request, api.SnapshotVClusterResponse, snapshot
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
            snapshot = self._visible_snapshot(principal, request.namespace, request.snapshot_name)
            phases.require_snapshot_ready(snapshot)
            if request.target_name:
                return api.RestoreVClusterResponse(
                    vcluster=self._restore_to_new(snapshot, request.target_name, hooks)
                )
            vcluster = self._existing(
                principal, snapshot.namespace, snapshot.vcluster, request.etag
            )
            phases.require_phase(vcluster, phases.RESTORE_IN_PLACE_FROM, "restore")
            self._check_quota(vcluster.namespace, removed=vcluster.spec, added=snapshot.source_spec)
            before = _copy(vcluster)
            vcluster.spec.CopyFrom(snapshot.source_spec)
            return api.RestoreVClusterResponse(
                vcluster=self._begin(vcluster, Phase.PHASE_RESTORING, hooks, before)
            )

        return self._mutate(
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
        vcluster.status.kubeconfig = render_kubeconfig(vcluster, self._secret)
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
        watcher = self.hub.subscribe(matches)
        current: Iterable[VCluster]
        if request.namespace and request.name:
            # One vcluster, as wait helpers watch: a lookup, not a namespace scan.
            found = self._store.get_vcluster((request.namespace, request.name))
            current = [found] if found is not None else []
        else:
            current = scan_visible(
                principal,
                request.namespace,
                None,
                lambda ns, start: self._store.scan_vclusters(namespace=ns, phase=None, after=start),
            )
        watcher.preload(current)
        return watcher

    # --- SnapshotService ------------------------------------------------------------------

    def get_snapshot(
        self, principal: Principal, request: snap_api.GetSnapshotRequest
    ) -> snap_api.GetSnapshotResponse:
        """GetSnapshot."""
        violations = FieldViolations()
        validation.check_name(violations, "namespace", request.namespace)
        validation.check_name(violations, "name", request.name)
        violations.raise_if_any()
        return snap_api.GetSnapshotResponse(
            snapshot=self._visible_snapshot(principal, request.namespace, request.name)
        )

    def list_snapshots(
        self, principal: Principal, request: snap_api.ListSnapshotsRequest
    ) -> snap_api.ListSnapshotsResponse:
        """ListSnapshots: one page in (namespace, name) order."""
        violations = FieldViolations()
        validation.check_optional_name(violations, "namespace", request.namespace)
        validation.check_optional_name(violations, "vcluster", request.vcluster)
        validation.check_page_size(violations, request.page_size)
        violations.raise_if_any()
        scope = f"ListSnapshots\x00{principal.scope}\x00{request.namespace}\x00{request.vcluster}"
        after = self._tokens.parse(scope, request.page_token)
        source = request.vcluster or None
        scan = scan_visible(
            principal,
            request.namespace,
            after,
            lambda ns, start: self._store.scan_snapshots(
                namespace=ns, vcluster=source, after=start
            ),
        )
        page = read_page(scan, _key, lambda _: True, effective_page_size(request.page_size))
        token = self._tokens.issue(scope, page.next_after) if page.next_after else ""
        return snap_api.ListSnapshotsResponse(snapshots=page.items, next_page_token=token)

    def delete_snapshot(
        self,
        principal: Principal,
        request: snap_api.DeleteSnapshotRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> snap_api.DeleteSnapshotResponse:
        """DeleteSnapshot: at once, in any phase."""
        principal.require_editor("DeleteSnapshot")
        self._check_key(request.namespace, request.name, request.request_id)

        def delete() -> snap_api.DeleteSnapshotResponse:
            snapshot = self._visible_snapshot(principal, request.namespace, request.name)
            self._remove_snapshot(_key(snapshot))
            return snap_api.DeleteSnapshotResponse()

        return self._mutate(
            principal, "DeleteSnapshot", request, snap_api.DeleteSnapshotResponse, delete
        )

    # --- helpers: reading -----------------------------------------------------------------

    def _check_key(self, namespace: str, name: str, request_id: str) -> None:
        violations = FieldViolations()
        validation.check_name(violations, "namespace", namespace)
        validation.check_name(violations, "name", name)
        validation.check_request_id(violations, request_id)
        violations.raise_if_any()

    def _visible_vcluster(
        self,
        principal: Principal,
        request: api.GetVClusterRequest | api.GetVClusterKubeconfigRequest,
    ) -> VCluster:
        self._check_key(request.namespace, request.name, "")
        return self._existing(principal, request.namespace, request.name, etag="")

    def _existing(self, principal: Principal, namespace: str, name: str, etag: str) -> VCluster:
        """The vcluster if the caller may see it, with the etag condition checked."""
        vcluster = (
            self._store.get_vcluster((namespace, name)) if principal.can_see(namespace) else None
        )
        if vcluster is None:
            raise not_found(VCLUSTER, namespace, name)
        if etag and etag != vcluster.etag:
            raise aborted_stale_etag(VCLUSTER, namespace, name)
        return vcluster

    def _visible_snapshot(self, principal: Principal, namespace: str, name: str) -> Snapshot:
        snapshot = (
            self._store.get_snapshot((namespace, name)) if principal.can_see(namespace) else None
        )
        if snapshot is None:
            raise not_found(SNAPSHOT, namespace, name)
        return snapshot

    def _free_snapshot_name(self, vcluster: VCluster) -> str:
        base = vcluster.name[:57].rstrip("-")
        while True:
            name = f"{base}-{resources.random_suffix()}"
            if self._store.get_snapshot((vcluster.namespace, name)) is None:
                return name

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

    def _check_quota(
        self, namespace: str, removed: VClusterSpec | None, added: VClusterSpec | None
    ) -> None:
        if self._quotas.of(namespace) is None:
            return
        current = [
            vc.spec
            for vc in self._store.scan_vclusters(namespace=namespace, phase=None, after=None)
        ]
        self._quotas.check_vclusters(namespace, current, removed, added)

    # --- helpers: changing ----------------------------------------------------------------

    def _mutate(
        self,
        principal: Principal,
        method: str,
        request: _Mutation,
        response_type: type[R],
        mutate: Callable[[], R],
    ) -> R:
        """Runs a mutation once per request id, in one store transaction.

        Watch events and timers it produced take effect only after the commit.
        """
        try:
            with self._store.transaction():
                response = self._requests.run(principal, method, request, response_type, mutate)
        except BaseException:
            self._after_commit.clear()
            raise
        pending, self._after_commit = self._after_commit, []
        for action in pending:
            action()
        return response

    def _put(self, before: VCluster | None, after: VCluster) -> None:
        self._store.put_vcluster(after)
        published_before = _copy(before) if before is not None else None
        published_after = _copy(after)
        self._after_commit.append(lambda: self.hub.publish(published_before, published_after))

    def _begin(
        self,
        vcluster: VCluster,
        phase: int,
        hooks: HookPlan,
        before: VCluster | None = None,
        message: str = "",
    ) -> VCluster:
        """Starts an intermediate phase and the timer that ends it."""
        before = before if before is not None else _copy(vcluster)
        resources.set_phase(vcluster, phase, message)
        resources.touch(vcluster)
        self._put(before, vcluster)
        self._schedule_after_commit(
            VCLUSTER, _key(vcluster), self._finish_transition, hooks.fail_transition
        )
        return vcluster

    def _restore_to_new(self, snapshot: Snapshot, target: str, hooks: HookPlan) -> VCluster:
        key = (snapshot.namespace, target)
        if self._store.get_vcluster(key) is not None:
            raise already_exists(VCLUSTER, *key)
        self._check_quota(snapshot.namespace, removed=None, added=snapshot.source_spec)
        state = self._store.get_snapshot_state(_key(snapshot))
        labels = dict(resources.captured_vcluster(state).labels) if state else {}
        vcluster = resources.new_vcluster(*key, snapshot.source_spec, labels)
        vcluster.status.message = f"restoring from snapshot {snapshot.name}"
        self._put(None, vcluster)
        self._schedule_after_commit(VCLUSTER, key, self._finish_transition, hooks.fail_transition)
        return vcluster

    def _schedule_after_commit(
        self, kind: str, key: Key, step: Step, fail_message: str | None
    ) -> None:
        self._after_commit.append(lambda: self._timers.schedule(kind, key, step, fail_message))

    def _remove_snapshot(self, key: Key) -> None:
        self._timers.cancel(SNAPSHOT, key)
        self._store.delete_snapshot(key)

    def _finish_transition(self, key: Key, fail_message: str | None) -> None:
        vcluster = self._store.get_vcluster(key)
        if vcluster is None or vcluster.status.phase not in phases.INTERMEDIATE:
            return
        before = _copy(vcluster)
        end = phases.TRANSITION_END[vcluster.status.phase]
        with self._store.transaction():
            if fail_message is not None:
                resources.set_phase(vcluster, Phase.PHASE_FAILED, fail_message)
            elif end is None:
                self._store.delete_vcluster(key)
            else:
                resources.set_phase(vcluster, end)
            if fail_message is not None or end is not None:
                resources.touch(vcluster)
                self._store.put_vcluster(vcluster)
        self.hub.publish(before, None if fail_message is None and end is None else vcluster)

    def _advance_snapshot(self, key: Key, fail_message: str | None) -> None:
        snapshot = self._store.get_snapshot(key)
        if snapshot is None:
            return
        if fail_message is not None:
            snapshot.phase = Snapshot.Phase.PHASE_FAILED
            snapshot.message = fail_message
        elif snapshot.phase == Snapshot.Phase.PHASE_PENDING:
            snapshot.phase = Snapshot.Phase.PHASE_IN_PROGRESS
            snapshot.message = "copying the control-plane state"
            self._store.put_snapshot(snapshot)
            self._timers.schedule(SNAPSHOT, key, self._advance_snapshot, None)
            return
        elif snapshot.phase == Snapshot.Phase.PHASE_IN_PROGRESS:
            state = self._store.get_snapshot_state(key) or b""
            snapshot.phase = Snapshot.Phase.PHASE_READY
            snapshot.size_bytes = len(state)
            snapshot.ready_time.CopyFrom(resources.now())
            snapshot.message = "ready to restore"
        else:
            return
        self._store.put_snapshot(snapshot)

    def _load_secret(self) -> bytes:
        secret = self._store.get_setting(_SECRET_SETTING)
        if secret is None:
            secret = secrets.token_bytes(32)
            self._store.put_setting(_SECRET_SETTING, secret)
        return secret


_Mutation = (
    api.CreateVClusterRequest
    | api.DeleteVClusterRequest
    | api.ScaleVClusterRequest
    | api.SuspendVClusterRequest
    | api.ResumeVClusterRequest
    | api.SnapshotVClusterRequest
    | api.RestoreVClusterRequest
    | snap_api.DeleteSnapshotRequest
)


def _copy(vcluster: VCluster) -> VCluster:
    copied = VCluster()
    copied.CopyFrom(vcluster)
    return copied


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
