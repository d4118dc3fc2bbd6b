"""The exceptions of the SDK: one class per gRPC status code the API uses.

Every error the server answers becomes an :class:`OpenVClusterError` subclass
with the rich details of its ``google.rpc.Status`` already decoded, so callers
catch ``NotFoundError`` instead of comparing status codes, and read
``err.field_violations`` instead of unpacking ``google.protobuf.Any``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2

from openvcluster.v1 import snapshot_pb2, vcluster_pb2

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "CancelledError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InvalidArgumentError",
    "NotFoundError",
    "OpenVClusterError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "SnapshotFailedError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnexpectedStatusError",
    "VClusterFailedError",
    "WaitError",
    "WaitTimeoutError",
    "error_for_status",
    "from_rpc_error",
]

_STATUS_DETAILS_KEY = "grpc-status-details-bin"
_M = TypeVar("_M", bound=Message)

# The google.rpc detail messages a server may attach, by full proto name.
_DETAIL_TYPES: dict[str, type[Message]] = {
    cls.DESCRIPTOR.full_name: cls
    for cls in (
        error_details_pb2.ErrorInfo,
        error_details_pb2.RetryInfo,
        error_details_pb2.DebugInfo,
        error_details_pb2.QuotaFailure,
        error_details_pb2.PreconditionFailure,
        error_details_pb2.BadRequest,
        error_details_pb2.RequestInfo,
        error_details_pb2.ResourceInfo,
        error_details_pb2.Help,
        error_details_pb2.LocalizedMessage,
    )
}


class OpenVClusterError(Exception):
    """Base of every error the SDK raises for a failed call.

    Attributes:
        code: the gRPC status code.
        message: the server's explanation, meant for people.
        details: the decoded ``google.rpc`` detail messages (``BadRequest``,
            ``ErrorInfo``, ``QuotaFailure``, ...); details of unknown types stay
            ``google.protobuf.Any``.
        request_id: the idempotency key the SDK sent with a mutation (quote it
            when reporting a problem), ``None`` for reads.
    """

    default_code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        details: Sequence[Message] = (),
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code: grpc.StatusCode = code if code is not None else self.default_code
        self.message = message
        self.details: tuple[Message, ...] = tuple(details)
        self.request_id = request_id

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        if self.request_id:
            text += f" (request_id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, request_id={self.request_id!r})"

    @property
    def error_info(self) -> error_details_pb2.ErrorInfo | None:
        """The ``google.rpc.ErrorInfo`` detail, when the server sent one."""
        return _first(self.details, error_details_pb2.ErrorInfo)

    @property
    def reason(self) -> str | None:
        """The machine-readable reason of the ErrorInfo detail, such as ``INVALID_PHASE``."""
        info = self.error_info
        return info.reason if info is not None else None

    @property
    def metadata(self) -> Mapping[str, str]:
        """The metadata of the ErrorInfo detail (empty without one)."""
        info = self.error_info
        return dict(info.metadata) if info is not None else {}


class InvalidArgumentError(OpenVClusterError):
    """A field of the request is invalid; ``field_violations`` names every bad field."""

    default_code = grpc.StatusCode.INVALID_ARGUMENT

    @property
    def field_violations(self) -> list[error_details_pb2.BadRequest.FieldViolation]:
        """One entry per bad field: ``.field`` (a path such as ``spec.resources.memory``)
        and ``.description`` (what to change)."""
        return [
            v for d in _all(self.details, error_details_pb2.BadRequest) for v in d.field_violations
        ]

    def __str__(self) -> str:
        text = super().__str__()
        for violation in self.field_violations:
            text += f"\n  {violation.field}: {violation.description}"
        return text


class NotFoundError(OpenVClusterError):
    """The vcluster or snapshot does not exist (or is in a namespace you may not see)."""

    default_code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(OpenVClusterError):
    """A vcluster or snapshot of that name already exists in the namespace."""

    default_code = grpc.StatusCode.ALREADY_EXISTS


class FailedPreconditionError(OpenVClusterError):
    """The resource is in a phase that does not allow the call.

    ``reason`` is ``INVALID_PHASE``; ``phase`` and ``allowed_phases`` come from
    the ErrorInfo metadata.
    """

    default_code = grpc.StatusCode.FAILED_PRECONDITION

    @property
    def phase(self) -> str | None:
        """The phase the resource was in, as the server names it."""
        return self.metadata.get("phase")

    @property
    def allowed_phases(self) -> list[str]:
        """The phases in which the call would have been accepted."""
        raw = self.metadata.get("allowed_phases", "")
        return [p.strip() for p in raw.split(",") if p.strip()]


class AbortedError(OpenVClusterError):
    """The ``etag`` sent is stale: the resource changed since you read it. Read it again."""

    default_code = grpc.StatusCode.ABORTED


class ResourceExhaustedError(OpenVClusterError):
    """A namespace quota would be exceeded; ``quota_violations`` says which."""

    default_code = grpc.StatusCode.RESOURCE_EXHAUSTED

    @property
    def quota_violations(self) -> list[error_details_pb2.QuotaFailure.Violation]:
        """One entry per exceeded quota: ``.subject`` and ``.description``."""
        return [v for d in _all(self.details, error_details_pb2.QuotaFailure) for v in d.violations]


class PermissionDeniedError(OpenVClusterError):
    """The token is valid but its role does not allow the call (a viewer's mutation)."""

    default_code = grpc.StatusCode.PERMISSION_DENIED


class UnauthenticatedError(OpenVClusterError):
    """No token, or a token the server does not know."""

    default_code = grpc.StatusCode.UNAUTHENTICATED


class UnavailableError(OpenVClusterError):
    """The server could not be reached or did not handle the call, even after retries."""

    default_code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceededError(OpenVClusterError):
    """The call did not finish within its timeout."""

    default_code = grpc.StatusCode.DEADLINE_EXCEEDED


class CancelledError(OpenVClusterError):
    """The call was cancelled: by the caller (a ``Client`` closed while the
    call ran) or by the server.

    Not to be confused with :class:`asyncio.CancelledError`, which the SDK
    never converts: cancelling the asyncio task running an ``AsyncClient``
    call raises ``asyncio.CancelledError`` untouched, as asyncio requires, and
    so does closing an ``AsyncClient`` while a call runs (grpc.aio cancels the
    call locally).
    """

    default_code = grpc.StatusCode.CANCELLED


class UnexpectedStatusError(OpenVClusterError):
    """A status code the API contract never promises (UNKNOWN, INTERNAL, UNIMPLEMENTED, ...)."""


class WaitError(OpenVClusterError):
    """Base of the errors of the wait helpers (``wait_for_phase``, ``wait=True``, ...)."""


class WaitTimeoutError(WaitError, TimeoutError):
    """The awaited state was not reached in time. ``last_seen`` is the last state observed."""

    default_code = grpc.StatusCode.DEADLINE_EXCEEDED

    def __init__(
        self,
        message: str,
        *,
        last_seen: vcluster_pb2.VCluster | snapshot_pb2.Snapshot | None = None,
    ) -> None:
        super().__init__(message)
        self.last_seen = last_seen


class VClusterFailedError(WaitError):
    """The vcluster ended in FAILED while another phase was awaited.

    ``vcluster`` is its state; ``message`` is the server's ``status.message``.
    Only deletion is allowed from FAILED.
    """

    default_code = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, vcluster: vcluster_pb2.VCluster) -> None:
        text = vcluster.status.message or "no reason given"
        super().__init__(f"vcluster {vcluster.namespace}/{vcluster.name} FAILED: {text}")
        self.vcluster = vcluster


class SnapshotFailedError(WaitError):
    """The snapshot ended in FAILED; ``snapshot.message`` says why. It can only be deleted."""

    default_code = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, snapshot: snapshot_pb2.Snapshot) -> None:
        text = snapshot.message or "no reason given"
        super().__init__(f"snapshot {snapshot.namespace}/{snapshot.name} FAILED: {text}")
        self.snapshot = snapshot


_BY_CODE: dict[grpc.StatusCode, type[OpenVClusterError]] = {
    cls.default_code: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        AlreadyExistsError,
        FailedPreconditionError,
        AbortedError,
        ResourceExhaustedError,
        PermissionDeniedError,
        UnauthenticatedError,
        UnavailableError,
        DeadlineExceededError,
        CancelledError,
    )
}


def error_for_status(
    code: grpc.StatusCode,
    message: str,
    trailing_metadata: Iterable[Any] | None = None,
    *,
    request_id: str | None = None,
) -> OpenVClusterError:
    """Builds the typed error of a failed call from its code, message and trailers."""
    details: list[Message] = []
    status = _rich_status(trailing_metadata)
    if status is not None and status.code == code.value[0]:
        message = status.message or message
        details = [_unpack(any_detail) for any_detail in status.details]
    cls = _BY_CODE.get(code, UnexpectedStatusError)
    return cls(message, code=code, details=details, request_id=request_id)


def from_rpc_error(error: grpc.RpcError, *, request_id: str | None = None) -> OpenVClusterError:
    """Converts an error raised by grpcio (sync or ``grpc.aio``) into a typed error.

    The clients do this themselves; it is public for code that calls generated
    stubs directly, such as the betterproto flavour's.
    """
    try:
        code = error.code()
        text = error.details() or ""
        trailers = error.trailing_metadata()
    except (AttributeError, TypeError):  # an RpcError that is not a finished call
        return UnexpectedStatusError(str(error) or type(error).__name__, request_id=request_id)
    return error_for_status(code, text, trailers, request_id=request_id)


def _rich_status(trailing_metadata: Iterable[Any] | None) -> status_pb2.Status | None:
    # Pairs, grpc.aio.Metadata items and grpc's _Metadatum tuples all unpack to (key, value).
    for key, value in trailing_metadata or ():
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                return status_pb2.Status.FromString(value)
            except DecodeError:
                return None
    return None


def _unpack(detail: any_pb2.Any) -> Message:
    cls = _DETAIL_TYPES.get(detail.TypeName())
    if cls is None:
        return detail
    unpacked = cls()
    return unpacked if detail.Unpack(unpacked) else detail


def _all(details: Iterable[Message], cls: type[_M]) -> list[_M]:
    return [d for d in details if isinstance(d, cls)]


def _first(details: Iterable[Message], cls: type[_M]) -> _M | None:
    found = _all(details, cls)
    return found[0] if found else None
