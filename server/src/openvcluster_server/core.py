"""What every operation shares: the store, commit-then-publish, timers, lookups.

The core runs on the server's event loop. Each operation reads, checks and
writes without awaiting, so operations never interleave: mutations of one
vcluster are serialised and no update is lost, with no locks. Intermediate
phases end through timers the core schedules itself, and watchers hear of a
change only after the store has committed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from google.protobuf.message import Message

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import phases, resources, tracing
from openvcluster_server.auth import Principal
from openvcluster_server.config import ServerConfig
from openvcluster_server.errors import not_found
from openvcluster_server.history import History, Subject, subject_of
from openvcluster_server.idempotency import RequestLog
from openvcluster_server.paging import PageTokens
from openvcluster_server.phases import Phase
from openvcluster_server.quota import Quotas
from openvcluster_server.reads import VCLUSTER, VClusterReads
from openvcluster_server.resources import copy_vcluster, key_of
from openvcluster_server.store import Key, Store
from openvcluster_server.testhooks import HookPlan
from openvcluster_server.timers import Step, Timers
from openvcluster_server.watch import WatchHub

SNAPSHOT = "snapshot"
_SECRET_SETTING = "secret"

R = TypeVar("R", bound=Message)

Mutation = (
    api.CreateVClusterRequest
    | api.UpdateVClusterRequest
    | api.DeleteVClusterRequest
    | api.ScaleVClusterRequest
    | api.SuspendVClusterRequest
    | api.ResumeVClusterRequest
    | api.SnapshotVClusterRequest
    | api.RestoreVClusterRequest
    | snap_api.DeleteSnapshotRequest
)


class Core:
    """The shared machinery under VClusterOperations and SnapshotOperations."""

    def __init__(self, store: Store, config: ServerConfig) -> None:
        self.store = store
        self.config = config
        self.hub = WatchHub(config.watch_limits)
        self.quotas = Quotas(config.quotas)
        self._requests = RequestLog(store, config.request_id_ttl, config.request_caps)
        self.secret = self._load_secret()
        self.page_tokens = PageTokens(hashlib.sha256(b"page-token\x00" + self.secret).digest())
        self.timers = Timers(config.transition_delay)
        self.reads = VClusterReads(
            store, self.page_tokens, self.hub, config.max_message_bytes, config.selector_limits
        )
        self.history = History(
            store,
            self.page_tokens,
            config.max_message_bytes,
            config.operations_per_vcluster,
            config.operation_retention,
        )
        # Work that must wait for the store commit: watch events and timers.
        self._after_commit: list[Callable[[], None]] = []
        # Told the duration in seconds of every store transaction (the metrics).
        self.transaction_observers: list[Callable[[float], None]] = []

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Binds to the event loop and resumes transitions a restart interrupted."""
        self.timers.bind(loop)
        for phase in phases.INTERMEDIATE:
            for vcluster in list(
                self.store.scan_vclusters(namespace=None, phase=phase, after=None)
            ):
                self.timers.schedule(VCLUSTER, key_of(vcluster), self.finish_transition)
        unfinished = (Snapshot.Phase.PHASE_PENDING, Snapshot.Phase.PHASE_IN_PROGRESS)
        for snapshot in list(self.store.scan_snapshots(namespace=None, vcluster=None, after=None)):
            if snapshot.phase in unfinished:
                self.timers.schedule(SNAPSHOT, key_of(snapshot), self.advance_snapshot)

    def stop(self) -> None:
        """Cancels pending transitions; the store keeps their intermediate phases."""
        self.timers.cancel_all()

    def forget_expired_requests(self) -> int:
        """Housekeeping: drops request ids older than the configured window."""
        return self._requests.forget_expired()

    def forget_expired_operations(self) -> int:
        """Housekeeping: drops operations that ended before the retention window."""
        with self.transaction(**{"openvcluster.housekeeping": "operations"}):
            return self.history.forget_expired()

    # --- reading --------------------------------------------------------------------------

    def existing(self, principal: Principal, namespace: str, name: str, etag: str) -> VCluster:
        """The vcluster if the caller may see it, with the etag condition checked."""
        return self.reads.existing(principal, namespace, name, etag)

    def visible_snapshot(self, principal: Principal, namespace: str, name: str) -> Snapshot:
        """The snapshot if the caller may see it; NOT_FOUND otherwise, as for an absent one."""
        snapshot = (
            self.store.get_snapshot((namespace, name)) if principal.can_see(namespace) else None
        )
        if snapshot is None:
            raise not_found(SNAPSHOT, namespace, name)
        return snapshot

    def check_quota(
        self, namespace: str, removed: VClusterSpec | None, added: VClusterSpec | None
    ) -> None:
        """RESOURCE_EXHAUSTED when replacing ``removed`` by ``added`` breaks a quota."""
        if self.quotas.of(namespace) is None:
            return
        current = [
            vc.spec for vc in self.store.scan_vclusters(namespace=namespace, phase=None, after=None)
        ]
        self.quotas.check_vclusters(namespace, current, removed, added)

    # --- changing -------------------------------------------------------------------------

    def mutate(
        self,
        principal: Principal,
        method: str,
        request: Mutation,
        response_type: type[R],
        mutate: Callable[[], R],
        subject: Callable[[R], Subject | None] | None = None,
    ) -> R:
        """Runs a mutation once per request id, in one store transaction, and
        records its operation (unless validate_only): its subject is the
        response's vcluster or snapshot, or what ``subject`` says.

        Watch events and timers it produced take effect only after the commit.
        """

        def recorded() -> R:
            response = mutate()
            if getattr(request, "validate_only", False):
                return response
            found = subject(response) if subject is not None else subject_of(request, response)
            if found is not None:
                operation_id = self.history.record(principal, method, request, found)
                setattr(response, "operation_id", operation_id)  # noqa: B010 - every mutation's
            return response

        try:
            with self.transaction(**{"openvcluster.method": method}):
                response = self._requests.run(principal, method, request, response_type, recorded)
        except BaseException:
            self._after_commit.clear()
            raise
        pending, self._after_commit = self._after_commit, []
        for action in pending:
            action()
        return response

    def put(self, before: VCluster | None, after: VCluster) -> None:
        """Stores a vcluster; watchers hear of the change after the commit."""
        self.store.put_vcluster(after)
        published_before = copy_vcluster(before) if before is not None else None
        published_after = copy_vcluster(after)
        self._after_commit.append(lambda: self.hub.publish(published_before, published_after))

    def begin(
        self,
        vcluster: VCluster,
        phase: int,
        hooks: HookPlan,
        before: VCluster | None = None,
        message: str = "",
    ) -> VCluster:
        """Starts an intermediate phase and the timer that ends it."""
        before = before if before is not None else copy_vcluster(vcluster)
        resources.set_phase(vcluster, phase, message)
        resources.touch(vcluster)
        self.put(before, vcluster)
        self.schedule_after_commit(VCLUSTER, key_of(vcluster), self.finish_transition, hooks)
        return vcluster

    def schedule_after_commit(self, kind: str, key: Key, step: Step, hooks: HookPlan) -> None:
        """Starts ``step``'s timer once the current mutation has committed."""
        self._after_commit.append(lambda: self.timers.schedule(kind, key, step, hooks))

    def remove_snapshot(self, snapshot: Snapshot, method: str) -> None:
        """Deletes a snapshot and cancels its unfinished capture (overtaken by ``method``)."""
        key = key_of(snapshot)
        self.timers.cancel(SNAPSHOT, key)
        self.store.delete_snapshot(key)
        self.history.snapshot_removed(snapshot, method)

    def finish_transition(self, key: Key, hooks: HookPlan) -> None:
        """Timer step: ends a vcluster's intermediate phase (or the vcluster, after DELETING)."""
        fail_message = hooks.fail_transition
        vcluster = self.store.get_vcluster(key)
        if vcluster is None or vcluster.status.phase not in phases.INTERMEDIATE:
            return
        before = copy_vcluster(vcluster)
        end = phases.TRANSITION_END[vcluster.status.phase]
        with self.transaction(**{"openvcluster.transition": "finish"}):
            if fail_message is not None:
                resources.set_phase(vcluster, Phase.PHASE_FAILED, fail_message)
            elif end is None:
                self.store.delete_vcluster(key)
            else:
                resources.set_phase(vcluster, end)
            if fail_message is not None or end is not None:
                resources.touch(vcluster)
                self.store.put_vcluster(vcluster)
            self.history.vcluster_settled(
                key, None if fail_message is None and end is None else vcluster
            )
        self.hub.publish(before, None if fail_message is None and end is None else vcluster)

    def edit_vcluster(self, key: Key, edit: Callable[[VCluster], None], reason: str) -> None:
        """Changes a stored vcluster outside any call (the scheduler's status
        writes): a new etag if ``edit`` changed it, watchers told after the commit."""
        with self.transaction(**{"openvcluster.transition": reason}):
            vcluster = self.store.get_vcluster(key)
            if vcluster is None:
                return
            before = copy_vcluster(vcluster)
            edit(vcluster)
            if vcluster == before:
                return
            resources.touch(vcluster)
            self.store.put_vcluster(vcluster)
        self.hub.publish(before, vcluster)

    @contextlib.contextmanager
    def transaction(self, **span_attributes: str) -> Iterator[None]:
        """One store transaction, traced as a child span of the call and timed for
        ``transaction_observers`` (committed or rolled back alike)."""
        started = time.perf_counter()
        try:
            with tracing.child("store.transaction", **span_attributes), self.store.transaction():
                yield
        finally:
            elapsed = time.perf_counter() - started
            for observe in self.transaction_observers:
                observe(elapsed)

    def advance_snapshot(self, key: Key, hooks: HookPlan) -> None:
        """Timer step: PENDING to IN_PROGRESS to READY (or FAILED by the test hook)."""
        fail_message = hooks.fail_transition
        snapshot = self.store.get_snapshot(key)
        if snapshot is None:
            return
        if fail_message is not None:
            snapshot.phase = Snapshot.Phase.PHASE_FAILED
            snapshot.message = fail_message
        elif snapshot.phase == Snapshot.Phase.PHASE_PENDING:
            snapshot.phase = Snapshot.Phase.PHASE_IN_PROGRESS
            snapshot.message = "copying the control-plane state"
            with self.transaction(**{"openvcluster.transition": "snapshot"}):
                self.store.put_snapshot(snapshot)
                self.history.snapshot_advanced(snapshot)
            self.timers.schedule(SNAPSHOT, key, self.advance_snapshot, hooks)
            return
        elif snapshot.phase == Snapshot.Phase.PHASE_IN_PROGRESS:
            state = self.store.get_snapshot_state(key) or b""
            snapshot.phase = Snapshot.Phase.PHASE_READY
            snapshot.size_bytes = len(state)
            snapshot.ready_time.CopyFrom(resources.now())
            snapshot.message = "ready to restore"
        else:
            return
        with self.transaction(**{"openvcluster.transition": "snapshot"}):
            self.store.put_snapshot(snapshot)
            self.history.snapshot_advanced(snapshot)

    def _load_secret(self) -> bytes:
        secret = self.store.get_setting(_SECRET_SETTING)
        if secret is None:
            secret = secrets.token_bytes(32)
            self.store.put_setting(_SECRET_SETTING, secret)
        return secret
