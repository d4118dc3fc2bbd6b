"""The operation history (OperationService): one Operation per accepted mutation.

A mutation's operation is written in the mutation's own store transaction,
so a call that fails leaves none and a request_id replay answers the first
call's id. It follows its subject (a vcluster, or for SnapshotVCluster the
snapshot) to the end of the transition the call started: the core reports
each phase the subject settles in, and the operation ends there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2

from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server import checks, phases, resources
from openvcluster_server.auth import Principal
from openvcluster_server.errors import ERROR_DOMAIN, ApiError
from openvcluster_server.paging import PageTokens, vcluster_scoped_page
from openvcluster_server.store import Key, Store, operation_key

State = Operation.State
# The method whose operation follows a snapshot rather than its vcluster.
SNAPSHOT_METHOD = "SnapshotVCluster"
# Progress.phase when a delete removed its subject.
DELETED = "DELETED"
TRANSITION_FAILED = "TRANSITION_FAILED"
OVERTAKEN = "OVERTAKEN"


@dataclass(frozen=True)
class Subject:
    """What a mutation acted on, and where the call left it."""

    namespace: str
    vcluster: str
    snapshot: str
    # The phase the call left its subject in, and whether a transition goes on.
    phase: str
    message: str
    running: bool


def subject_of(request: Message, response: Message) -> Subject | None:
    """The subject of a mutation's response: its vcluster, or its new snapshot."""
    fields = response.DESCRIPTOR.fields_by_name
    if "vcluster" in fields and response.HasField("vcluster"):
        vcluster: VCluster = getattr(response, "vcluster")  # noqa: B009 - any response type
        return Subject(
            vcluster.namespace,
            vcluster.name,
            # RestoreVCluster's snapshot; other requests that answer a vcluster have none.
            getattr(request, "snapshot_name", ""),
            phases.phase_name(vcluster.status.phase),
            vcluster.status.message,
            vcluster.status.phase in phases.INTERMEDIATE,
        )
    if "snapshot" in fields and response.HasField("snapshot"):
        return snapshot_subject(getattr(response, "snapshot"), running=True)  # noqa: B009
    return None


def snapshot_subject(snapshot: Snapshot, running: bool, phase: str = "") -> Subject:
    """A snapshot as the subject of an operation (taken, or deleted with ``phase``)."""
    return Subject(
        snapshot.namespace,
        snapshot.vcluster,
        snapshot.name,
        phase or phases.snapshot_phase_name(snapshot.phase),
        snapshot.message,
        running,
    )


class History:
    """Records operations in the store and answers OperationService."""

    def __init__(
        self,
        store: Store,
        page_tokens: PageTokens,
        max_message_bytes: int,
        per_vcluster: int,
        retention: float,
    ) -> None:
        self._store = store
        self._page_tokens = page_tokens
        self._max_message_bytes = max_message_bytes
        self._per_vcluster = per_vcluster
        self._retention = retention

    # --- recording ------------------------------------------------------------------------

    def record(self, principal: Principal, method: str, request: Message, subject: Subject) -> str:
        """Writes the operation of an accepted mutation; its id.

        Call it inside the mutation's store transaction. Operations of the same
        vcluster still running, whose subject this call moved to another phase,
        were overtaken by it (a delete during a transition).
        """
        follows_snapshot = method == SNAPSHOT_METHOD
        if not follows_snapshot:
            for running in self._running(subject.namespace, subject.vcluster, snapshot=None):
                if running.progress and running.progress[-1].phase != subject.phase:
                    self._overtake(running, method)
        operation = Operation(
            id=str(uuid.uuid4()),
            namespace=subject.namespace,
            vcluster=subject.vcluster,
            snapshot=subject.snapshot,
            method=method,
            requested_by=principal.name,
            request_id=getattr(request, "request_id", "").lower(),
            state=State.STATE_RUNNING if subject.running else State.STATE_SUCCEEDED,
        )
        operation.start_time.CopyFrom(resources.now())
        operation.progress.add(
            time=operation.start_time, phase=subject.phase, message=subject.message
        )
        if not subject.running:
            operation.end_time.CopyFrom(operation.start_time)
        self._store.put_operation(operation)
        self._keep_newest(subject.namespace, subject.vcluster)
        return operation.id

    def vcluster_settled(self, key: Key, vcluster: VCluster | None, failed_in: int) -> None:
        """A vcluster's transition ended: in ``vcluster``'s phase, or deleted (None).

        ``failed_in`` is the intermediate phase it failed in, or 0.
        """
        for operation in self._running(*key, snapshot=None):
            phase = DELETED if vcluster is None else phases.phase_name(vcluster.status.phase)
            message = "" if vcluster is None else vcluster.status.message
            if failed_in:
                failed = phases.phase_name(failed_in)
                self._fail(operation, phase, message, TRANSITION_FAILED, failed)
            else:
                self._advance(operation, phase, message, done=True)

    def snapshot_advanced(self, snapshot: Snapshot) -> None:
        """A snapshot being taken entered a new phase."""
        for operation in self._running(snapshot.namespace, snapshot.vcluster, snapshot.name):
            phase = phases.snapshot_phase_name(snapshot.phase)
            if snapshot.phase == Snapshot.Phase.PHASE_FAILED:
                failed_in = operation.progress[-1].phase if operation.progress else ""
                self._fail(operation, phase, snapshot.message, TRANSITION_FAILED, failed_in)
            else:
                done = snapshot.phase == Snapshot.Phase.PHASE_READY
                self._advance(operation, phase, snapshot.message, done)

    def snapshot_removed(self, snapshot: Snapshot, method: str) -> None:
        """A snapshot was deleted (by ``method``): a capture still running is overtaken."""
        for operation in self._running(snapshot.namespace, snapshot.vcluster, snapshot.name):
            self._overtake(operation, method)

    def forget_expired(self) -> int:
        """Housekeeping: drops operations that ended longer ago than the retention."""
        return self._store.forget_operations_ended_before(time.time() - self._retention)

    def _running(self, namespace: str, vcluster: str, snapshot: str | None) -> Iterator[Operation]:
        """The running operations following a vcluster (``snapshot`` None) or a snapshot."""
        for operation in list(
            self._store.scan_operations(namespace=namespace, vcluster=vcluster, after=None)
        ):
            if operation.state != State.STATE_RUNNING:
                continue
            if operation.method == SNAPSHOT_METHOD:
                if operation.snapshot == snapshot:
                    yield operation
            elif snapshot is None:
                yield operation

    def _advance(self, operation: Operation, phase: str, message: str, done: bool) -> None:
        operation.progress.add(time=resources.now(), phase=phase, message=message)
        if done:
            operation.state = State.STATE_SUCCEEDED
            operation.end_time.CopyFrom(operation.progress[-1].time)
        self._store.put_operation(operation)

    def _fail(
        self, operation: Operation, phase: str, message: str, reason: str, failed_in: str
    ) -> None:
        code = grpc.StatusCode.INTERNAL
        text = message or f"the {operation.method} failed in {failed_in}"
        self._end_failed(
            operation,
            phase,
            message,
            ApiError(
                code,
                text,
                [
                    error_details_pb2.ErrorInfo(
                        reason=reason, domain=ERROR_DOMAIN, metadata={"phase": failed_in}
                    )
                ],
            ),
        )

    def _overtake(self, operation: Operation, method: str) -> None:
        text = f"overtaken by {method} before it finished"
        info = error_details_pb2.ErrorInfo(
            reason=OVERTAKEN, domain=ERROR_DOMAIN, metadata={"method": method}
        )
        self._end_failed(operation, "", "", ApiError(grpc.StatusCode.ABORTED, text, [info]))

    def _end_failed(self, operation: Operation, phase: str, message: str, error: ApiError) -> None:
        now = resources.now()
        if phase:
            operation.progress.add(time=now, phase=phase, message=message)
        operation.state = State.STATE_FAILED
        operation.end_time.CopyFrom(now)
        operation.error.CopyFrom(error.to_status())
        self._store.put_operation(operation)

    def _keep_newest(self, namespace: str, vcluster: str) -> None:
        """Forgets the vcluster's oldest ended operations beyond the number kept."""
        scan = self._store.scan_operations(namespace=namespace, vcluster=vcluster, after=None)
        older = [op for i, op in enumerate(scan) if i >= self._per_vcluster]
        for operation in older:
            if operation.state != State.STATE_RUNNING:
                self._store.delete_operation(operation.id)

    # --- reading --------------------------------------------------------------------------

    def get_operation(
        self, principal: Principal, request: op_api.GetOperationRequest
    ) -> op_api.GetOperationResponse:
        """GetOperation: NOT_FOUND for an unknown id or a namespace the caller may not see."""
        checks.fields(request)
        operation = self._store.get_operation(request.id.lower())
        if operation is None or not principal.can_see(operation.namespace):
            info = error_details_pb2.ResourceInfo(
                resource_type="operation", resource_name=request.id, description="not found"
            )
            raise ApiError(grpc.StatusCode.NOT_FOUND, f"operation {request.id} not found", [info])
        return op_api.GetOperationResponse(operation=operation)

    def list_operations(
        self, principal: Principal, request: op_api.ListOperationsRequest
    ) -> op_api.ListOperationsResponse:
        """ListOperations: one page, by namespace and newest first."""
        checks.fields(request)
        items, token = vcluster_scoped_page(
            self._page_tokens,
            self._max_message_bytes,
            principal,
            "ListOperations",
            request.namespace,
            request.vcluster,
            request.page_size,
            request.page_token,
            lambda ns, vcluster, start: self._store.scan_operations(
                namespace=ns, vcluster=vcluster, after=start
            ),
            operation_key,
        )
        return op_api.ListOperationsResponse(operations=items, next_page_token=token)
