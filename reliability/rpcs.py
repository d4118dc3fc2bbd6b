"""Every RPC of the v1 API as data, and one way to call any of them.

The suites loop over ``RPCS`` instead of naming methods one by one, so "for
every RPC" stays true. The catalogue is read from the API itself: the
methods from the services the server registers (api_services.py), and the
errors each one answers from its doc comment in proto/
(documented_errors.py), so a new RPC needs no line here.

``invoke`` calls an RPC with either a request message or raw bytes (so a
suite can send what no generated stub would) and returns an ``Outcome``: the
status code, the decoded ``google.rpc.Status`` trailer, and the response or
the initial events of a watch, in a form that compares by value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from google.rpc import error_details_pb2, status_pb2

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.api_services import SERVICES
from reliability.documented_errors import errors_of

Code = grpc.StatusCode
EventType = api.WatchVClustersResponse.EventType
STATUS_TRAILER = "grpc-status-details-bin"
# Deadline of every call a suite makes; a hung server fails the test, no
# outcome depends on it.
CALL_TIMEOUT = 20.0


@dataclass(frozen=True)
class Rpc:
    """One RPC: where it lives, its messages, and the errors its contract documents."""

    name: str
    service: str
    request: type[Message]
    response: type[Message]
    # Errors the proto documents for this RPC (its comment's "Errors:"
    # paragraph), besides the ones every RPC may give (UNAUTHENTICATED, and
    # INVALID_ARGUMENT for a malformed field).
    errors: frozenset[grpc.StatusCode]
    streaming: bool = False

    @property
    def mutating(self) -> bool:
        """Whether it changes state: read from the proto, where every mutation
        (and nothing else) takes a ``request_id`` for safe retries."""
        return "request_id" in self.request.DESCRIPTOR.fields_by_name

    @property
    def path(self) -> str:
        """The HTTP/2 path of the method."""
        return f"/{self.service}/{self.name}"


def _rpc(method: MethodDescriptor) -> Rpc:
    return Rpc(
        method.name,
        method.containing_service.full_name,
        GetMessageClass(method.input_type),
        GetMessageClass(method.output_type),
        errors_of(method.full_name),
        method.server_streaming,
    )


RPCS: tuple[Rpc, ...] = tuple(_rpc(method) for service in SERVICES for method in service.methods)
BY_NAME = {rpc.name: rpc for rpc in RPCS}
MUTATIONS = tuple(rpc for rpc in RPCS if rpc.mutating)


@dataclass(frozen=True)
class Outcome:
    """What one call answered, comparable by value."""

    code: grpc.StatusCode
    details: str = ""
    # The decoded grpc-status-details-bin trailer; None when absent.
    status: status_pb2.Status | None = None
    # The serialized response of a unary call (deterministic encoding).
    response: bytes = b""
    # The events a watch sent up to and including SYNCED.
    events: tuple[api.WatchVClustersResponse, ...] = field(default=())
    # Whether the trailer could not be decoded at all.
    garbled_trailer: bool = False

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.code == grpc.StatusCode.OK

    def detail(self, kind: type[Message]) -> Message | None:
        """The first detail of this type in the rich status, if any."""
        if self.status is None:
            return None
        for packed in self.status.details:
            if packed.TypeName() == kind.DESCRIPTOR.full_name:
                message = kind()
                packed.Unpack(message)
                return message
        return None

    def canonical(self) -> tuple[str, str, bytes, bytes, tuple[bytes, ...]]:
        """Everything a caller can observe, as plain values (for equality checks)."""
        status = b"" if self.status is None else self.status.SerializeToString(deterministic=True)
        return (
            self.code.name,
            self.details,
            status,
            self.response,
            tuple(event.SerializeToString(deterministic=True) for event in self.events),
        )


def invoke(
    channel: grpc.Channel,
    rpc: Rpc,
    request: Message | bytes,
    metadata: Sequence[tuple[str, str]] = (),
    timeout: float = CALL_TIMEOUT,
) -> Outcome:
    """Calls ``rpc`` with a message or raw bytes; a watch is read up to SYNCED, then cancelled."""
    payload = request if isinstance(request, bytes) else request.SerializeToString()
    if rpc.streaming:
        return _watch(channel, rpc, payload, metadata, timeout)
    call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        rpc.path, request_serializer=None, response_deserializer=None
    )
    try:
        raw: bytes = call(payload, metadata=tuple(metadata), timeout=timeout)
    except grpc.RpcError as error:
        return _failed(error)
    response = rpc.response.FromString(raw)
    _clear_observe_time(response)
    return Outcome(grpc.StatusCode.OK, response=response.SerializeToString(deterministic=True))


def _clear_observe_time(response: Message) -> None:
    """Drops the moment a MonitorService answer was observed: two answers about the
    same state differ only there, and the suites compare answers by value."""
    for descriptor, value in response.ListFields():
        message_type = descriptor.message_type
        if message_type is not None and "observe_time" in message_type.fields_by_name:
            value.ClearField("observe_time")


def _watch(
    channel: grpc.Channel,
    rpc: Rpc,
    payload: bytes,
    metadata: Sequence[tuple[str, str]],
    timeout: float,
) -> Outcome:
    call: grpc.UnaryStreamMultiCallable[bytes, bytes] = channel.unary_stream(
        rpc.path, request_serializer=None, response_deserializer=None
    )
    stream = call(payload, metadata=tuple(metadata), timeout=timeout)
    events: list[api.WatchVClustersResponse] = []
    try:
        for raw in stream:
            event = api.WatchVClustersResponse.FromString(raw)
            events.append(event)
            if event.type == EventType.EVENT_TYPE_SYNCED:
                return Outcome(grpc.StatusCode.OK, events=tuple(events))
    except grpc.RpcError as error:
        failed = _failed(error)
        return Outcome(
            failed.code,
            failed.details,
            failed.status,
            events=tuple(events),
            garbled_trailer=failed.garbled_trailer,
        )
    finally:
        stream.cancel()
    # The contract says a watch sends SYNCED after its initial state and then
    # stays open; a stream that simply ends is reported as such.
    return Outcome(
        grpc.StatusCode.OK, details="the watch ended before SYNCED", events=tuple(events)
    )


def _failed(error: grpc.RpcError) -> Outcome:
    assert isinstance(error, grpc.Call)  # what grpcio raises is both
    status: status_pb2.Status | None = None
    garbled = False
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_TRAILER:
            try:
                status = status_pb2.Status.FromString(bytes(value))
            except Exception:  # any decoding failure is what we report
                garbled = True
    return Outcome(error.code(), error.details() or "", status, garbled_trailer=garbled)


def rich_status_problem(outcome: Outcome) -> str | None:
    """Why a failed answer breaks the error model of the contract, or None.

    Every refusal carries a google.rpc.Status trailer that repeats its code and
    message, with the detail its code promises: BadRequest (at least one field
    violation) for INVALID_ARGUMENT, ErrorInfo INVALID_PHASE for
    FAILED_PRECONDITION, ErrorInfo ETAG_MISMATCH for ABORTED, QuotaFailure for
    a quota's RESOURCE_EXHAUSTED, ResourceInfo for NOT_FOUND and ALREADY_EXISTS.
    """
    if outcome.ok:
        return None
    if outcome.garbled_trailer:
        return "the google.rpc.Status trailer does not decode"
    status = outcome.status
    if status is None:
        if outcome.code in (
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAVAILABLE,
        ):
            return None  # plain statuses: the contract promises no details for these
        return f"{outcome.code.name} without a google.rpc.Status trailer: {outcome.details!r}"
    if status.code != outcome.code.value[0] or status.message != outcome.details:
        return f"the trailer says {status.code} {status.message!r}, the status {outcome.code.name}"
    wanted: dict[grpc.StatusCode, type[Message]] = {
        grpc.StatusCode.INVALID_ARGUMENT: error_details_pb2.BadRequest,
        grpc.StatusCode.FAILED_PRECONDITION: error_details_pb2.ErrorInfo,
        grpc.StatusCode.ABORTED: error_details_pb2.ErrorInfo,
        grpc.StatusCode.RESOURCE_EXHAUSTED: error_details_pb2.QuotaFailure,
        grpc.StatusCode.NOT_FOUND: error_details_pb2.ResourceInfo,
        grpc.StatusCode.ALREADY_EXISTS: error_details_pb2.ResourceInfo,
    }
    kind = wanted.get(outcome.code)
    if kind is None:
        return None
    detail = outcome.detail(kind)
    if detail is None:
        return f"{outcome.code.name} without a {kind.DESCRIPTOR.full_name} detail"
    if isinstance(detail, error_details_pb2.BadRequest) and not detail.field_violations:
        return "INVALID_ARGUMENT with an empty BadRequest"
    if isinstance(detail, error_details_pb2.ErrorInfo):
        failed_precondition = outcome.code == grpc.StatusCode.FAILED_PRECONDITION
        reason = "INVALID_PHASE" if failed_precondition else "ETAG_MISMATCH"
        if detail.reason != reason or detail.domain != "openvcluster.io":
            return f"{outcome.code.name} with ErrorInfo {detail.reason}@{detail.domain}"
    return None


def transport_limit(outcome: Outcome) -> bool:
    """Whether gRPC itself refused a message over the size limit (no rich status then)."""
    return (
        outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        and outcome.status is None
        and "larger than max" in outcome.details
    )
