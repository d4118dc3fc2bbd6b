"""Turning what an SDK call returned or raised into a StepResult."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable
from typing import Any

import openvcluster
from conformance.protocol import Error, StepResult
from conformance_client.calls import BY_TYPE, Call, UnsupportedError
from openvcluster import errors
from openvcluster.v1 import operation_service_pb2, snapshot_service_pb2, vcluster_service_pb2


def fill(result: StepResult, outcome: str, value: Any) -> None:
    """Stores an SDK answer in the StepResult field ``outcome`` (BY_TYPE: the
    field of the answer's type)."""
    if outcome == BY_TYPE:
        outcome = _outcome_of(value)
    if outcome == "done":
        result.done.SetInParent()
    elif outcome == "kubeconfig":
        result.kubeconfig = value
    elif outcome in ("vclusters", "snapshots", "operations"):
        getattr(result, outcome).items.extend(value)
    elif outcome == "vcluster_page":
        result.vcluster_page.CopyFrom(
            vcluster_service_pb2.ListVClustersResponse(
                vclusters=value.items, next_page_token=value.next_page_token
            )
        )
    elif outcome == "snapshot_page":
        result.snapshot_page.CopyFrom(
            snapshot_service_pb2.ListSnapshotsResponse(
                snapshots=value.items, next_page_token=value.next_page_token
            )
        )
    elif outcome == "operation_page":
        result.operation_page.CopyFrom(
            operation_service_pb2.ListOperationsResponse(
                operations=value.items, next_page_token=value.next_page_token
            )
        )
    else:
        getattr(result, outcome).CopyFrom(value)


def _outcome_of(value: Any) -> str:
    """The StepResult.outcome field an answer of this type goes in."""
    if value is None:
        return "done"
    if isinstance(value, str):
        return "kubeconfig"
    for field in StepResult.DESCRIPTOR.oneofs_by_name["outcome"].fields:
        if field.message_type is value.DESCRIPTOR:
            return str(field.name)
    raise TypeError(f"no StepResult outcome holds a {type(value).__name__}")


def call_kwargs(call: Call, result: StepResult) -> dict[str, Any]:
    """The keyword arguments of ``call``; for a mutation, with an ``on_operation``
    callback that records the operation id the SDK reports in ``result``."""
    if not call.mutation:
        return call.kwargs

    def record(operation_id: str) -> None:
        result.operation_id = operation_id

    return {**call.kwargs, "on_operation": record}


def error_of(exc: BaseException) -> Error:
    """The protocol Error of an exception an SDK call raised."""
    if isinstance(exc, UnsupportedError):
        return Error(kind=Error.KIND_UNSUPPORTED, message=str(exc))
    if isinstance(exc, errors.WaitTimeoutError):
        return Error(kind=Error.KIND_WAIT_TIMEOUT, message=exc.message, sdk_error=_name(exc))
    if isinstance(exc, errors.VClusterFailedError):
        return Error(kind=Error.KIND_VCLUSTER_FAILED, message=exc.message, sdk_error=_name(exc))
    if isinstance(exc, errors.SnapshotFailedError):
        return Error(kind=Error.KIND_SNAPSHOT_FAILED, message=exc.message, sdk_error=_name(exc))
    if isinstance(exc, openvcluster.OpenVClusterError):
        error = Error(
            kind=Error.KIND_STATUS,
            code=exc.code.name,
            message=exc.message,
            reason=exc.reason or "",
            metadata=exc.metadata,
            sdk_error=_name(exc),
        )
        info = exc.error_info
        if info is not None:
            error.domain = info.domain
        if isinstance(exc, errors.InvalidArgumentError):
            for violation in exc.field_violations:
                error.field_violations.add(field=violation.field, description=violation.description)
        if isinstance(exc, errors.ResourceExhaustedError):
            for quota in exc.quota_violations:
                error.quota_violations.add(subject=quota.subject, description=quota.description)
        return error
    traceback.print_exception(exc, file=sys.stderr)
    return Error(kind=Error.KIND_CLIENT, message=f"{_name(exc)}: {exc}", sdk_error=_name(exc))


def watch_events(
    events: Iterable[vcluster_service_pb2.WatchVClustersResponse],
    ended: bool,
    failure: BaseException | None,
) -> StepResult:
    """A StepResult holding the events a watch_collect read."""
    result = StepResult()
    result.watch_events.SetInParent()
    result.watch_events.events.extend(events)
    result.watch_events.ended = ended
    if failure is not None:
        result.watch_events.error.CopyFrom(error_of(failure))
    return result


def _name(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}"
