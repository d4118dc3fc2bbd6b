"""Snapshot operations: SnapshotVCluster and SnapshotService, on top of the shared Core."""

from __future__ import annotations

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server import checks, phases, resources
from openvcluster_server.auth import Principal
from openvcluster_server.core import SNAPSHOT, Core
from openvcluster_server.errors import already_exists
from openvcluster_server.history import DELETED, snapshot_subject
from openvcluster_server.paging import PageTokens, vcluster_scoped_page
from openvcluster_server.resources import key_of
from openvcluster_server.store import Store
from openvcluster_server.testhooks import NO_HOOKS, HookPlan


class SnapshotOperations:
    """Take, get, list and delete snapshots (restoring is a vcluster operation)."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def snapshot_vcluster(
        self,
        principal: Principal,
        request: api.SnapshotVClusterRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> api.SnapshotVClusterResponse:
        """SnapshotVCluster: a snapshot that goes PENDING, IN_PROGRESS, READY."""
        principal.require_editor("SnapshotVCluster")
        checks.fields(request)

        def snapshot() -> api.SnapshotVClusterResponse:
            vcluster = self._core.existing(principal, request.namespace, request.name, etag="")
            phases.require_phase(vcluster, phases.SNAPSHOT_FROM, "snapshot")
            name = request.snapshot_name or free_snapshot_name(vcluster, self._core.store)
            key = (vcluster.namespace, name)
            if self._core.store.get_snapshot(key) is not None:
                raise already_exists(SNAPSHOT, *key)
            self._core.quotas.check_snapshots(
                vcluster.namespace, self._core.store.count_snapshots(vcluster.namespace)
            )
            created, state = resources.new_snapshot(
                vcluster, name, request.description, dict(request.labels)
            )
            self._core.store.put_snapshot(created, state)
            self._core.schedule_after_commit(SNAPSHOT, key, self._core.advance_snapshot, hooks)
            return api.SnapshotVClusterResponse(snapshot=created)

        return self._core.mutate(
            principal, "SnapshotVCluster", request, api.SnapshotVClusterResponse, snapshot
        )

    def get_snapshot(
        self, principal: Principal, request: snap_api.GetSnapshotRequest
    ) -> snap_api.GetSnapshotResponse:
        """GetSnapshot."""
        checks.fields(request)
        return snap_api.GetSnapshotResponse(
            snapshot=self._core.visible_snapshot(principal, request.namespace, request.name)
        )

    def list_snapshots(
        self, principal: Principal, request: snap_api.ListSnapshotsRequest
    ) -> snap_api.ListSnapshotsResponse:
        """ListSnapshots: one page in (namespace, name) order."""
        return list_page(
            self._core.store,
            self._core.page_tokens,
            self._core.config.max_message_bytes,
            principal,
            request,
        )

    def delete_snapshot(
        self,
        principal: Principal,
        request: snap_api.DeleteSnapshotRequest,
        hooks: HookPlan = NO_HOOKS,
    ) -> snap_api.DeleteSnapshotResponse:
        """DeleteSnapshot: at once, in any phase."""
        principal.require_editor("DeleteSnapshot")
        checks.fields(request)

        deleted: list[Snapshot] = []

        def delete() -> snap_api.DeleteSnapshotResponse:
            snapshot = self._core.visible_snapshot(principal, request.namespace, request.name)
            self._core.remove_snapshot(snapshot, "DeleteSnapshot")
            deleted.append(snapshot)
            return snap_api.DeleteSnapshotResponse()

        return self._core.mutate(
            principal,
            "DeleteSnapshot",
            request,
            snap_api.DeleteSnapshotResponse,
            delete,
            # The response names nothing: the operation's subject is the snapshot deleted.
            subject=lambda _: snapshot_subject(deleted[-1], running=False, phase=DELETED),
        )


def list_page(
    store: Store,
    page_tokens: PageTokens,
    max_message_bytes: int,
    principal: Principal,
    request: snap_api.ListSnapshotsRequest,
) -> snap_api.ListSnapshotsResponse:
    """One page of ListSnapshots from a store, in (namespace, name) order."""
    checks.fields(request)
    items, token = vcluster_scoped_page(
        page_tokens,
        max_message_bytes,
        principal,
        "ListSnapshots",
        request.namespace,
        request.vcluster,
        request.page_size,
        request.page_token,
        lambda ns, vcluster, start: store.scan_snapshots(
            namespace=ns, vcluster=vcluster, after=start
        ),
        key_of,
    )
    return snap_api.ListSnapshotsResponse(snapshots=items, next_page_token=token)


def free_snapshot_name(vcluster: VCluster, store: Store) -> str:
    """A server-chosen snapshot name ("<vcluster>-<random suffix>") free in the store."""
    base = vcluster.name[:57].rstrip("-")
    while True:
        name = f"{base}-{resources.random_suffix()}"
        if store.get_snapshot((vcluster.namespace, name)) is None:
            return name
