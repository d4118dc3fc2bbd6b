"""VClusterService's mutations on the Kubernetes backend.

Each one checks the request (checks.py, as on every backend), reads the
vcluster from the watch cache, applies the contract's phase rules, and makes
one write to its VCluster resource at the resourceVersion it read (so a
concurrent change anywhere makes it fail instead of being lost). The
reconciler does the rest. The caller's answer is the resource as written,
which this server's cache shows at once (read-your-writes).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VClusterSpec
from openvcluster_server import checks, idempotency, phases
from openvcluster_server.auth import Principal
from openvcluster_server.config import ServerConfig
from openvcluster_server.errors import (
    ApiError,
    already_exists,
    failed_precondition,
    invalid_field,
    unavailable,
)
from openvcluster_server.kube import adoption, hooks, kinds, lifecycle, objects
from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import (
    ANNOTATION_KEEP_DATA,
    ANNOTATION_UPDATED,
    LABEL_HOLDS_VCLUSTERS,
    host_namespace,
)
from openvcluster_server.kube.records import RequestRecords
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.world import World
from openvcluster_server.phases import Phase
from openvcluster_server.quota import Quotas
from openvcluster_server.reads import VCLUSTER, VClusterReads
from openvcluster_server.resources import copy_vcluster
from openvcluster_server.testhooks import NO_HOOKS, HookPlan
from openvcluster_server.updates import apply_update, is_upgrade, require_unprotected

R = TypeVar("R", bound=Message)
P = TypeVar("P", api.SuspendVClusterResponse, api.ResumeVClusterResponse)
_ATTEMPTS = 3
_UNSUPPORTED_DISTROS = (VClusterSpec.Distro.DISTRO_K3S, VClusterSpec.Distro.DISTRO_K0S)


class _RetryError(Exception):
    """A write lost a race with another writer: read again and retry."""


class KubeVClusterOperations:
    """Create, update, delete, scale, suspend, resume and kubeconfig, on VCluster resources."""

    def __init__(
        self,
        kube: KubeApi,
        world: World,
        reads: VClusterReads,
        records: RequestRecords,
        config: ServerConfig,
    ) -> None:
        self._kube = kube
        self._world = world
        self._reads = reads
        self._records = records
        self._config = config
        self._quotas = Quotas(config.quotas)
        # One mutation of a vcluster at a time in this process; locks nobody
        # holds are dropped with their last reference.
        self._locks: weakref.WeakValueDictionary[Key, asyncio.Lock] = weakref.WeakValueDictionary()

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
            resource = objects.new_resource(
                *key, spec, labels, host_namespace(*key), self._hook_annotation(plan, 1)
            )
            try:
                created = await self._create_resource(resource)
            except KubeError as exc:
                if exc.conflict:
                    raise already_exists(VCLUSTER, *key) from None
                raise
            return api.CreateVClusterResponse(vcluster=objects.to_vcluster(created))

        return await self._mutate(
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
                    "annotations": objects.protection_annotation(wanted.spec.deletion_protection),
                }
            }
            if upgrade:
                generation = int(resource["metadata"].get("generation", 1)) + 1
                patch["metadata"]["annotations"].update(self._hook_annotation(plan, generation))
                patch["spec"] = {"kubernetesVersion": wanted.spec.kubernetes_version}
            updated = await self._patch(resource, patch)
            return api.UpdateVClusterResponse(vcluster=objects.to_vcluster(updated))

        return await self._mutate(
            principal, "UpdateVCluster", request, key, api.UpdateVClusterResponse, update
        )

    async def delete_vcluster(
        self, principal: Principal, request: api.DeleteVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.DeleteVClusterResponse:
        """DeleteVCluster: deletes the resource; its finalizer lets the reconciler clean up."""
        principal.require_editor("DeleteVCluster")
        checks.key(request.namespace, request.name, request.request_id)
        key = (request.namespace, request.name)

        async def delete() -> api.DeleteVClusterResponse:
            vcluster = self._reads.existing(principal, *key, request.etag)
            if vcluster.status.phase in phases.DELETE_NOOP:
                return api.DeleteVClusterResponse(vcluster=vcluster)
            require_unprotected(vcluster)
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
                    raise _RetryError from None
                raise
            self._world.apply(kinds.VCLUSTERS, deleted)
            return api.DeleteVClusterResponse(vcluster=objects.to_vcluster(deleted))

        return await self._mutate(
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

        return await self._mutate(
            principal, "ScaleVCluster", request, key, api.ScaleVClusterResponse, scale
        )

    async def suspend_vcluster(
        self, principal: Principal, request: api.SuspendVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.SuspendVClusterResponse:
        """SuspendVCluster: the desired power state off; the reconciler pauses, as vcluster does."""
        principal.require_editor("SuspendVCluster")
        checks.key(request.namespace, request.name, request.request_id)
        return await self._power(
            principal, "SuspendVCluster", request, plan, api.SuspendVClusterResponse, suspend=True
        )

    async def resume_vcluster(
        self, principal: Principal, request: api.ResumeVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.ResumeVClusterResponse:
        """ResumeVCluster: the desired power state on; the reconciler resumes, as vcluster does."""
        principal.require_editor("ResumeVCluster")
        checks.key(request.namespace, request.name, request.request_id)
        return await self._power(
            principal, "ResumeVCluster", request, plan, api.ResumeVClusterResponse, suspend=False
        )

    async def restore_vcluster(
        self, principal: Principal, request: api.RestoreVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.RestoreVClusterResponse:
        """RestoreVCluster: not on this backend yet."""
        principal.require_editor("RestoreVCluster")
        checks.restore(request)
        raise ApiError(
            grpc.StatusCode.UNIMPLEMENTED,
            "snapshots and restores are not available on the Kubernetes backend yet",
        )

    async def get_kubeconfig(
        self, principal: Principal, request: api.GetVClusterKubeconfigRequest
    ) -> api.GetVClusterKubeconfigResponse:
        """GetVClusterKubeconfig: the kubeconfig vcluster wrote, pointed where it is reachable."""
        principal.require_editor("GetVClusterKubeconfig")
        checks.key(request.namespace, request.name)
        vcluster = self._reads.existing(principal, request.namespace, request.name, etag="")
        phases.require_phase(vcluster, phases.KUBECONFIG_FROM, "get the kubeconfig of")
        host = self._world.host_of((request.namespace, request.name))
        try:
            kubeconfig = await lifecycle.kubeconfig_secret(self._kube, host)
        except KubeError as exc:
            raise _api_error(exc) from None
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

        return await self._mutate(principal, method, request, key, response_type, power)

    async def _mutate(
        self,
        principal: Principal,
        method: str,
        request: Any,
        key: Key,
        response_type: type[R],
        action: Callable[[], Awaitable[R]],
    ) -> R:
        """Runs ``action`` once per request id, one at a time per vcluster, retrying lost races.

        A race is lost when another writer changed the resource since the
        cache read it; the action then runs again on a fresh read (and an
        etag the caller sent is checked against that).
        """
        claim = idempotency.ticket(principal, method, request)
        now = time.time()
        if claim is not None:
            remembered = self._records.recall_request(claim.key, now)
            if remembered is not None:
                return idempotency.replay(claim, remembered, response_type)
        lock = self._locks.get(key) or self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                for attempt in range(_ATTEMPTS):
                    try:
                        response = await action()
                        break
                    except _RetryError:
                        if attempt == _ATTEMPTS - 1:
                            raise unavailable(
                                "the vcluster kept changing under this call; try again"
                            ) from None
                        await self._reread(key)
            if claim is not None:
                record = idempotency.record(claim, response, now + self._config.request_id_ttl)
                await self._records.remember(claim.key, record)
        except KubeError as exc:
            raise _api_error(exc) from None
        return response

    async def _reread(self, key: Key) -> None:
        """Reads a resource that changed under a write, so the retry sees the winner."""
        try:
            self._world.apply(kinds.VCLUSTERS, await self._kube.get(kinds.VCLUSTERS, *key))
        except KubeError as exc:
            if not exc.not_found:
                raise

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
                raise _RetryError from None
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


def _api_error(exc: KubeError) -> ApiError:
    """A refusal of the Kubernetes API as this API's error."""
    if exc.unreachable or exc.status >= 500 or exc.status == 429:
        return unavailable(f"the Kubernetes API server is unavailable: {exc.message}")
    if exc.status == 403:
        return failed_precondition(
            f"the server may not do this on the host cluster: {exc.message}",
            reason="BACKEND_FORBIDDEN",
            metadata={"status": str(exc.status)},
        )
    return failed_precondition(
        f"the host cluster refused: {exc.message}",
        reason="BACKEND_REFUSED",
        metadata={"status": str(exc.status), "reason": exc.reason},
    )
