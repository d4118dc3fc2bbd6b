"""ApiError as a Connect error: the same code, message and google.rpc details
that the gRPC port sends in its grpc-status-details-bin trailer."""

from __future__ import annotations

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from protobuf.wkt import Any

from openvcluster_server.errors import ApiError

# gRPC and Connect name their codes alike, except that Connect spells it CANCELED.
_CODES = {
    status: Code[status.name] for status in grpc.StatusCode if status.name in Code.__members__
}
_CODES[grpc.StatusCode.CANCELLED] = Code.CANCELED


def connect_error(error: ApiError) -> ConnectError:
    """The Connect error that answers like ``error``.

    connectrpc's own runtime uses protobuf-py messages, so each google.rpc
    detail travels as an Any of that runtime holding the detail's bytes.
    """
    details = [
        Any(
            type_url=f"type.googleapis.com/{detail.DESCRIPTOR.full_name}",
            value=detail.SerializeToString(),
        )
        for detail in error.details
    ]
    return ConnectError(_CODES.get(error.code, Code.UNKNOWN), error.message, details)
