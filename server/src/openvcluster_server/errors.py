"""API errors with the rich error model (google.rpc.Status details).

The engine raises ``ApiError``; the RPC layer turns it into a gRPC status with
its details in the ``grpc-status-details-bin`` trailer. Constructors here are
the only place error details are built, so every RPC answers alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

ERROR_DOMAIN = "openvcluster.io"
DETAILS_METADATA_KEY = "grpc-status-details-bin"


class ApiError(Exception):
    """An answer other than OK, with the details a client decodes."""

    def __init__(
        self, code: grpc.StatusCode, message: str, details: Sequence[Message] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = tuple(details)

    def to_status(self) -> status_pb2.Status:
        """The google.rpc.Status sent in the trailer."""
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        for detail in self.details:
            packed = any_pb2.Any()
            packed.Pack(detail)
            status.details.append(packed)
        return status

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        """The trailer that carries the rich status."""
        return ((DETAILS_METADATA_KEY, self.to_status().SerializeToString()),)


class FieldViolations:
    """Collects every bad field of a request, so one answer names them all."""

    def __init__(self) -> None:
        self._violations: list[tuple[str, str]] = []

    def add(self, field: str, description: str) -> None:
        """Records that ``field`` (a path such as ``spec.resources.cpu``) is bad
        and why, unless it is already named: each field keeps the first rule it
        breaks (the proto's come first)."""
        if all(named != field for named, _ in self._violations):
            self._violations.append((field, description))

    def __bool__(self) -> bool:
        return bool(self._violations)

    def raise_if_any(self) -> None:
        """Raises INVALID_ARGUMENT naming every recorded field, if there is one."""
        if self._violations:
            raise invalid_argument(self._violations)


# gRPC clients refuse response trailers beyond 8 KiB by default (at random
# between 8 and 16 KiB, always beyond), and then report RESOURCE_EXHAUSTED
# instead of the answer. An INVALID_ARGUMENT trailer holds each violation
# twice (in the message, and base64-encoded in grpc-status-details-bin), so
# client input quoted in it is cut short, non-ASCII is escaped (grpc-message
# percent-encodes it), and violations beyond a byte budget are summarised.
_MAX_FIELD = 100
_MAX_DESCRIPTION = 250
_VIOLATIONS_BUDGET = 3500


def _bounded(text: str, limit: int) -> str:
    """``text`` in ASCII without '%' (both grow when percent-encoded), cut to ``limit``."""
    text = text.encode("ascii", "backslashreplace").decode("ascii").replace("%", "\\x25")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def invalid_argument(violations: Iterable[tuple[str, str]]) -> ApiError:
    """INVALID_ARGUMENT with one BadRequest field violation per bad field.

    Should the violations outgrow what a trailer can carry, the last one
    names the fields left out.
    """
    pairs = [(_bounded(f, _MAX_FIELD), _bounded(d, _MAX_DESCRIPTION)) for f, d in violations]
    kept: list[tuple[str, str]] = []
    used = 0
    for index, (field, description) in enumerate(pairs):
        used += 2 * (len(field) + len(description) + 8)
        if used > _VIOLATIONS_BUDGET:
            rest = ", ".join(f for f, _ in pairs[index:])
            kept.append(("", _bounded(f"{len(pairs) - index} more invalid: {rest}", 300)))
            break
        kept.append((field, description))
    pairs = kept
    request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
            for field, description in pairs
        ]
    )
    summary = "; ".join(f"{field}: {description}" for field, description in pairs)
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid request: {summary}", [request])


def invalid_field(field: str, description: str) -> ApiError:
    """INVALID_ARGUMENT for one bad field."""
    return invalid_argument([(field, description)])


def failed_precondition(message: str, reason: str, metadata: Mapping[str, str]) -> ApiError:
    """FAILED_PRECONDITION with an ErrorInfo saying why and what state blocked it."""
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)
    return ApiError(grpc.StatusCode.FAILED_PRECONDITION, message, [info])


def not_found(kind: str, namespace: str, name: str) -> ApiError:
    """NOT_FOUND naming the resource."""
    info = error_details_pb2.ResourceInfo(
        resource_type=kind, resource_name=f"{namespace}/{name}", description="not found"
    )
    return ApiError(grpc.StatusCode.NOT_FOUND, f"{kind} {namespace}/{name} not found", [info])


def already_exists(kind: str, namespace: str, name: str) -> ApiError:
    """ALREADY_EXISTS naming the resource."""
    info = error_details_pb2.ResourceInfo(
        resource_type=kind, resource_name=f"{namespace}/{name}", description="already exists"
    )
    return ApiError(
        grpc.StatusCode.ALREADY_EXISTS, f"{kind} {namespace}/{name} already exists", [info]
    )


def aborted_stale_etag(kind: str, namespace: str, name: str) -> ApiError:
    """ABORTED: the caller's etag is stale."""
    info = error_details_pb2.ErrorInfo(
        reason="ETAG_MISMATCH",
        domain=ERROR_DOMAIN,
        metadata={"resource": f"{namespace}/{name}"},
    )
    return ApiError(
        grpc.StatusCode.ABORTED,
        f"{kind} {namespace}/{name} changed since the etag was read; read it again and retry",
        [info],
    )


def quota_exceeded(namespace: str, violations: Iterable[tuple[str, str]]) -> ApiError:
    """RESOURCE_EXHAUSTED with a QuotaFailure per exceeded limit."""
    pairs = list(violations)
    failure = error_details_pb2.QuotaFailure(
        violations=[
            error_details_pb2.QuotaFailure.Violation(
                subject=f"namespace:{namespace}", description=description
            )
            for _, description in pairs
        ]
    )
    summary = "; ".join(description for _, description in pairs)
    return ApiError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"quota of namespace {namespace} exceeded: {summary}",
        [failure],
    )


def limit_exceeded(subject: str, description: str) -> ApiError:
    """RESOURCE_EXHAUSTED with a QuotaFailure: a server limit (not a namespace quota) is reached."""
    failure = error_details_pb2.QuotaFailure(
        violations=[
            error_details_pb2.QuotaFailure.Violation(subject=subject, description=description)
        ]
    )
    return ApiError(grpc.StatusCode.RESOURCE_EXHAUSTED, description, [failure])


def unauthenticated(message: str) -> ApiError:
    """UNAUTHENTICATED: no usable credentials."""
    return ApiError(grpc.StatusCode.UNAUTHENTICATED, message)


def permission_denied(message: str) -> ApiError:
    """PERMISSION_DENIED: the caller's role does not allow the call."""
    return ApiError(grpc.StatusCode.PERMISSION_DENIED, message)


def unavailable(message: str) -> ApiError:
    """UNAVAILABLE: try again later (also what the test hooks inject)."""
    return ApiError(grpc.StatusCode.UNAVAILABLE, message)
