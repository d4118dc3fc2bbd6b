"""The operation history (OperationService): one Operation per accepted mutation.

A mutation's operation is written in the mutation's own store transaction,
so a call that fails leaves none and a request_id replay answers the first
call's id. It follows its subject (a vcluster, or for SnapshotVCluster the
snapshot) to the end of the transition the call started: the core reports
each phase the subject settles in, and the operation ends there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
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
from openvcluster_server.clock import CLOCK
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


def started(principal: Principal, method: str, request: Message, subject: Subject) -> Operation:
    """The new operation of an accepted mutation, in the phase the call left its subject."""
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
    operation.progress.add(time=operation.start_time, phase=subject.phase, message=subject.message)
    if not subject.running:
        operation.end_time.CopyFrom(operation.start_time)
    return operation


def follows(operation: Operation, snapshot: str | None) -> bool:
    """Whether a running operation follows its vcluster (``snapshot`` None) or that snapshot."""
    if operation.state != State.STATE_RUNNING:
        return False
    if operation.method == SNAPSHOT_METHOD:
        return operation.snapshot == snapshot
    return snapshot is None


def overtaken_by(operation: Operation, method: str, phase: str) -> bool:
    """Whether a call of ``method`` that left the vcluster in ``phase`` overtakes a
    running operation: it moved the vcluster on before that one finished."""
    return (
        method != SNAPSHOT_METHOD
        and follows(operation, None)
        and bool(operation.progress)
        and operation.progress[-1].phase != phase
    )


def advance(operation: Operation, phase: str, message: str, done: bool) -> None:
    """Adds a step of progress; ``done`` ends the operation SUCCEEDED there."""
    operation.progress.add(time=resources.now(), phase=phase, message=message)
    if done:
        operation.state = State.STATE_SUCCEEDED
        operation.end_time.CopyFrom(operation.progress[-1].time)


def fail(operation: Operation, phase: str, message: str, failed_in: str) -> None:
    """Ends the operation FAILED in ``phase``: its transition failed in ``failed_in``."""
    text = message or f"the {operation.method} failed in {failed_in}"
    info = error_details_pb2.ErrorInfo(
        reason=TRANSITION_FAILED, domain=ERROR_DOMAIN, metadata={"phase": failed_in}
    )
    _end_failed(operation, phase, message, ApiError(grpc.StatusCode.INTERNAL, text, [info]))


def overtake(operation: Operation, method: str) -> None:
    """Ends the operation FAILED: a call of ``method`` cut its transition short."""
    text = f"overtaken by {method} before it finished"
    info = error_details_pb2.ErrorInfo(
        reason=OVERTAKEN, domain=ERROR_DOMAIN, metadata={"method": method}
    )
    _end_failed(operation, "", "", ApiError(grpc.StatusCode.ABORTED, text, [info]))


def settle(operation: Operation, vcluster: VCluster | None) -> bool:
    """Moves a running vcluster operation to its vcluster's phase (None: deleted);
    whether that changed it. A resting phase ends it, FAILED as a failure."""
    if vcluster is None:
        advance(operation, DELETED, "", done=True)
        return True
    phase = phases.phase_name(vcluster.status.phase)
    if operation.progress and operation.progress[-1].phase == phase:
        return False
    message = vcluster.status.message
    if vcluster.status.phase == phases.Phase.PHASE_FAILED:
        failed_in = operation.progress[-1].phase if operation.progress else ""
        fail(operation, phase, message, failed_in)
    else:
        advance(operation, phase, message, done=vcluster.status.phase not in phases.INTERMEDIATE)
    return True


def settle_snapshot(operation: Operation, snapshot: Snapshot) -> bool:
    """Moves a running SnapshotVCluster operation to its snapshot's phase; whether
    that changed it. READY ends it, FAILED as a failure."""
    phase = phases.snapshot_phase_name(snapshot.phase)
    if operation.progress and operation.progress[-1].phase == phase:
        return False
    if snapshot.phase == Snapshot.Phase.PHASE_FAILED:
        failed_in = operation.progress[-1].phase if operation.progress else ""
        fail(operation, phase, snapshot.message, failed_in)
    else:
        advance(operation, phase, snapshot.message, snapshot.phase == Snapshot.Phase.PHASE_READY)
    return True


def _end_failed(operation: Operation, phase: str, message: str, error: ApiError) -> None:
    now = resources.now()
    if phase:
        operation.progress.add(time=now, phase=phase, message=message)
    operation.state = State.STATE_FAILED
    operation.end_time.CopyFrom(now)
    operation.error.CopyFrom(error.to_status())


def beyond_kept(operations: Iterable[Operation], per_vcluster: int) -> list[Operation]:
    """Of one vcluster's operations, newest first, the ended ones past the number kept."""
    return [
        op
        for i, op in enumerate(operations)
        if i >= per_vcluster and op.state != State.STATE_RUNNING
    ]


class OperationReads:
    """GetOperation and ListOperations, from a store (the simulated one, or the
    Kubernetes backend's mirror of its Operation resources).

    ``current`` brings a running operation read from the store up to what the
    same store shows of its vcluster or snapshot, where the two are written
    apart (Kubernetes), so a caller who saw a vcluster settle never reads its
    operation still running.
    """

    def __init__(
        self,
        store: Store,
        page_tokens: PageTokens,
        max_message_bytes: int,
        current: Callable[[Operation], None] = lambda operation: None,
    ) -> None:
        self._store = store
        self._page_tokens = page_tokens
        self._max_message_bytes = max_message_bytes
        self._current = current

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
        self._current(operation)
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
        for operation in items:
            self._current(operation)
        return op_api.ListOperationsResponse(operations=items, next_page_token=token)


class History(OperationReads):
    """The simulated backends' operations: recorded in the mutation's store
    transaction, followed by the core's timers, and read back."""

    def __init__(
        self,
        store: Store,
        page_tokens: PageTokens,
        max_message_bytes: int,
        per_vcluster: int,
        retention: float,
    ) -> None:
        super().__init__(store, page_tokens, max_message_bytes)
        self._per_vcluster = per_vcluster
        self._retention = retention

    def record(self, principal: Principal, method: str, request: Message, subject: Subject) -> str:
        """Writes the operation of an accepted mutation; its id.

        Call it inside the mutation's store transaction. Operations of the same
        vcluster still running, whose subject this call moved to another phase,
        were overtaken by it (a delete during a transition).
        """
        for running in self._of(subject.namespace, subject.vcluster):
            if overtaken_by(running, method, subject.phase):
                overtake(running, method)
                self._store.put_operation(running)
        operation = started(principal, method, request, subject)
        self._store.put_operation(operation)
        for old in beyond_kept(self._of(subject.namespace, subject.vcluster), self._per_vcluster):
            self._store.delete_operation(old.id)
        return operation.id

    def vcluster_settled(self, key: Key, vcluster: VCluster | None) -> None:
        """A vcluster's transition ended, in ``vcluster``'s phase or deleted (None)."""
        for operation in self._of(*key):
            if follows(operation, None) and settle(operation, vcluster):
                self._store.put_operation(operation)

    def snapshot_advanced(self, snapshot: Snapshot) -> None:
        """A snapshot being taken entered a new phase."""
        for operation in self._of(snapshot.namespace, snapshot.vcluster):
            if follows(operation, snapshot.name) and settle_snapshot(operation, snapshot):
                self._store.put_operation(operation)

    def snapshot_removed(self, snapshot: Snapshot, method: str) -> None:
        """A snapshot was deleted (by ``method``): a capture still running is overtaken."""
        for operation in self._of(snapshot.namespace, snapshot.vcluster):
            if follows(operation, snapshot.name):
                overtake(operation, method)
                self._store.put_operation(operation)

    def forget_expired(self) -> int:
        """Housekeeping: drops operations that ended longer ago than the retention."""
        return self._store.forget_operations_ended_before(CLOCK.time() - self._retention)

    def _of(self, namespace: str, vcluster: str) -> list[Operation]:
        """The vcluster's operations, newest first."""
        return list(self._store.scan_operations(namespace=namespace, vcluster=vcluster, after=None))
