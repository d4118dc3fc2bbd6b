"""SnapshotVCluster and SnapshotService on the Kubernetes backend.

A snapshot is a Snapshot resource in the vcluster's API namespace; the
snapshot reconciler turns it into what the vcluster CLI would make (a
snapshot request, or a snapshot pod for a paused vcluster) and follows it.
Reads answer from the watch cache, like the vclusters'.
"""

from __future__ import annotations

import grpc

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster_server import checks, phases
from openvcluster_server.auth import Principal
from openvcluster_server.config import ServerConfig
from openvcluster_server.core import SNAPSHOT
from openvcluster_server.errors import ApiError, already_exists, failed_precondition, not_found
from openvcluster_server.history import DELETED, snapshot_subject
from openvcluster_server.kube import hooks, kinds, snapshot_objects, snapshot_store
from openvcluster_server.kube.api import KubeApi, KubeError
from openvcluster_server.kube.mutations import Mutations, RetryError
from openvcluster_server.kube.world import World
from openvcluster_server.paging import PageTokens
from openvcluster_server.phases import Phase
from openvcluster_server.quota import Quotas
from openvcluster_server.reads import VClusterReads
from openvcluster_server.resources import new_uid
from openvcluster_server.snapshots import free_snapshot_name, list_page
from openvcluster_server.testhooks import NO_HOOKS, HookPlan

# Seconds a new snapshot waits for a deleted one of the same name to go.
_RELEASE_WAIT = 20.0


class KubeSnapshotOperations:
    """Take, get, list and delete snapshots as Snapshot resources."""

    def __init__(
        self,
        kube: KubeApi,
        world: World,
        reads: VClusterReads,
        mutations: Mutations,
        page_tokens: PageTokens,
        config: ServerConfig,
    ) -> None:
        self._kube = kube
        self._world = world
        self._reads = reads
        self._mutations = mutations
        self._page_tokens = page_tokens
        self._config = config
        self._quotas = Quotas(config.quotas)

    async def snapshot_vcluster(
        self, principal: Principal, request: api.SnapshotVClusterRequest, plan: HookPlan = NO_HOOKS
    ) -> api.SnapshotVClusterResponse:
        """SnapshotVCluster: a Snapshot resource, PENDING until the reconciler moves it."""
        principal.require_editor("SnapshotVCluster")
        checks.fields(request)
        key = (request.namespace, request.name)

        async def snapshot() -> api.SnapshotVClusterResponse:
            vcluster = self._reads.existing(principal, *key, etag="")
            phases.require_phase(vcluster, phases.SNAPSHOT_FROM, "snapshot")
            if not self._config.snapshot_url:
                raise failed_precondition(
                    "this server stores no snapshots: it was started without --snapshot-url",
                    reason="SNAPSHOTS_NOT_CONFIGURED",
                    metadata={},
                )
            mirror = self._world.mirror
            name = request.snapshot_name or free_snapshot_name(vcluster, mirror)
            snapshot_key = (vcluster.namespace, name)
            if snapshot_key in self._world.snapshots.objects:
                if mirror.get_snapshot(snapshot_key) is not None:
                    raise already_exists(SNAPSHOT, *snapshot_key)
                # A deleted snapshot keeps its name until its stored copy is
                # removed, which takes seconds: wait for it rather than refuse.
                if await self._world.snapshot_released(snapshot_key, _RELEASE_WAIT):
                    raise RetryError  # the vcluster may have changed meanwhile
                raise ApiError(
                    grpc.StatusCode.UNAVAILABLE,
                    f"snapshot {vcluster.namespace}/{name} is still being deleted; try again",
                )
            self._quotas.check_snapshots(
                vcluster.namespace, mirror.count_snapshots(vcluster.namespace)
            )
            suspended = vcluster.status.phase == Phase.PHASE_SUSPENDED
            resource = snapshot_objects.new_resource(
                vcluster,
                name,
                request.description,
                dict(request.labels),
                self._world.host_of(key)[0],
                snapshot_store.location(self._config.snapshot_url, *snapshot_key, new_uid()),
                snapshot_objects.BY_POD if suspended else snapshot_objects.BY_REQUEST,
                hooks.annotation(plan, 1) if self._config.enable_test_hooks else {},
            )
            try:
                created = await self._kube.create(kinds.SNAPSHOTS, vcluster.namespace, resource)
            except KubeError as exc:
                if exc.conflict:
                    raise already_exists(SNAPSHOT, *snapshot_key) from None
                raise
            self._world.apply(kinds.SNAPSHOTS, created)
            return api.SnapshotVClusterResponse(snapshot=snapshot_objects.to_snapshot(created))

        return await self._mutations.run(
            principal, "SnapshotVCluster", request, key, api.SnapshotVClusterResponse, snapshot
        )

    def get_snapshot(
        self, principal: Principal, request: snap_api.GetSnapshotRequest
    ) -> snap_api.GetSnapshotResponse:
        """GetSnapshot, from the watch cache."""
        checks.fields(request)
        self._world.require_fresh()
        return snap_api.GetSnapshotResponse(
            snapshot=self._visible(principal, request.namespace, request.name)
        )

    def list_snapshots(
        self, principal: Principal, request: snap_api.ListSnapshotsRequest
    ) -> snap_api.ListSnapshotsResponse:
        """ListSnapshots, from the watch cache."""
        self._world.require_fresh()
        return list_page(
            self._world.mirror,
            self._page_tokens,
            self._config.max_message_bytes,
            principal,
            request,
        )

    async def delete_snapshot(
        self,
        principal: Principal,
        request: snap_api.DeleteSnapshotRequest,
        plan: HookPlan = NO_HOOKS,
    ) -> snap_api.DeleteSnapshotResponse:
        """DeleteSnapshot: gone for the API at once; the reconciler cancels its request
        and removes what was stored before the resource goes."""
        principal.require_editor("DeleteSnapshot")
        checks.fields(request)
        key = (request.namespace, request.name)

        deleted_snapshots: list[Snapshot] = []

        async def delete() -> snap_api.DeleteSnapshotResponse:
            deleted_snapshots.append(self._visible(principal, *key))
            try:
                deleted = await self._kube.delete(kinds.SNAPSHOTS, *key)
            except KubeError as exc:
                if exc.not_found:
                    raise not_found(SNAPSHOT, *key) from None
                raise
            self._world.apply(kinds.SNAPSHOTS, deleted)
            return snap_api.DeleteSnapshotResponse()

        return await self._mutations.run(
            principal,
            "DeleteSnapshot",
            request,
            key,
            snap_api.DeleteSnapshotResponse,
            delete,
            # The response names nothing: the operation's subject is the snapshot deleted.
            subject=lambda _: snapshot_subject(deleted_snapshots[-1], running=False, phase=DELETED),
        )

    def _visible(self, principal: Principal, namespace: str, name: str) -> Snapshot:
        snapshot = (
            self._world.mirror.get_snapshot((namespace, name))
            if principal.can_see(namespace)
            else None
        )
        if snapshot is None:
            raise not_found(SNAPSHOT, namespace, name)
        return snapshot
