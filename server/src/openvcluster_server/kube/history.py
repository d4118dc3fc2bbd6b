"""The operation history on the Kubernetes backend: Operation resources.

Each operation is an ``operations.openvcluster.io`` resource named by its id,
in the namespace of its vcluster's resource, holding the API's Operation in
proto3 JSON form, so every replica reads the same history from its watch
cache (the mirror) and it survives any replica. The replica that accepts a
mutation creates the operation (and ends those the call overtook); the
leader's reconcilers move running ones along as their vcluster or snapshot
changes phase, level-triggered like every other step; housekeeping deletes
those past their age.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server import history
from openvcluster_server.auth import Principal
from openvcluster_server.clock import CLOCK
from openvcluster_server.history import Subject
from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import KubeApi, KubeError
from openvcluster_server.kube.operation_objects import to_object
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.world import World


class KubeHistory:
    """Writes the operation history to Operation resources."""

    def __init__(self, kube: KubeApi, world: World, per_vcluster: int, retention: float) -> None:
        self._kube = kube
        self._world = world
        self._per_vcluster = per_vcluster
        self._retention = retention

    async def record(
        self,
        principal: Principal,
        method: str,
        request: Message,
        subject: Subject,
        before: VCluster | None,
    ) -> str:
        """Creates the operation of an accepted mutation; its id.

        ``before`` is the vcluster as the call found it: an operation the leader
        has not yet moved along ends where the vcluster was (a call accepted in
        a resting phase comes after it), unless the call cut its transition
        short (a delete), which overtakes it.
        """
        for running in self._of(subject.namespace, subject.vcluster):
            if not history.follows(running, None):
                continue
            changed = before is not None and history.settle(running, before)
            if history.overtaken_by(running, method, subject.phase):
                history.overtake(running, method)
                changed = True
            if changed:
                await self._write(running)
        operation = history.started(principal, method, request, subject)
        created = await self._kube.create(
            kinds.OPERATIONS, operation.namespace, to_object(operation)
        )
        self._world.apply(kinds.OPERATIONS, created)
        for old in history.beyond_kept(
            self._of(subject.namespace, subject.vcluster), self._per_vcluster
        ):
            await self._delete(old)
        return operation.id

    async def follow_vcluster(self, key: Key) -> None:
        """Moves the running operations of a vcluster to its current phase (leader only)."""
        vcluster = self._world.mirror.get_vcluster(key)
        for operation in self._of(*key):
            if history.follows(operation, None) and history.settle(operation, vcluster):
                await self._write(operation)

    async def follow_snapshot(self, key: Key) -> None:
        """Moves a running SnapshotVCluster operation to its snapshot's phase; a snapshot
        deleted before it was READY ends it overtaken (leader only)."""
        snapshot = self._world.mirror.get_snapshot(key)
        namespace, name = key
        for operation in list(
            self._world.mirror.scan_operations(namespace=namespace, vcluster=None, after=None)
        ):
            if not history.follows(operation, name):
                continue
            if snapshot is None:
                history.overtake(operation, "a delete")
                await self._write(operation)
            elif history.settle_snapshot(operation, snapshot):
                await self._write(operation)

    def current(self, operation: Operation) -> None:
        """Brings a running operation read from the watch cache up to its vcluster's (or
        snapshot's) phase there, which the leader writes to it only a moment later."""
        if history.follows(operation, None):
            history.settle(
                operation,
                self._world.mirror.get_vcluster((operation.namespace, operation.vcluster)),
            )
        elif history.follows(operation, operation.snapshot):
            snapshot = self._world.mirror.get_snapshot((operation.namespace, operation.snapshot))
            if snapshot is None:
                history.overtake(operation, "a delete")
            else:
                history.settle_snapshot(operation, snapshot)

    async def forget_expired(self) -> int:
        """Deletes the operations that ended longer ago than the retention."""
        cutoff = CLOCK.time() - self._retention
        expired = [
            op
            for op in self._world.mirror.scan_operations(namespace=None, vcluster=None, after=None)
            if op.HasField("end_time") and op.end_time.ToNanoseconds() / 1e9 < cutoff
        ]
        for operation in expired:
            await self._delete(operation)
        return len(expired)

    def _of(self, namespace: str, vcluster: str) -> list[Operation]:
        """A vcluster's operations, newest first, from the watch cache."""
        return list(
            self._world.mirror.scan_operations(namespace=namespace, vcluster=vcluster, after=None)
        )

    async def _write(self, operation: Operation) -> None:
        """Writes an operation's new state over its resource."""
        patch: dict[str, Any] = {"spec": to_object(operation)["spec"]}
        try:
            written = await self._kube.patch(
                kinds.OPERATIONS, operation.namespace, operation.id, patch
            )
        except KubeError as exc:
            if exc.not_found:
                return  # forgotten meanwhile: nothing to move along
            raise
        self._world.apply(kinds.OPERATIONS, written)

    async def _delete(self, operation: Operation) -> None:
        try:
            deleted = await self._kube.delete(kinds.OPERATIONS, operation.namespace, operation.id)
        except KubeError as exc:
            if exc.not_found:
                return
            raise
        if deleted.get("kind") == kinds.OPERATIONS.kind:  # not a Status
            self._world.forget(kinds.OPERATIONS, deleted)
