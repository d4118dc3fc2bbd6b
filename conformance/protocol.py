"""The messages of the runner/client protocol (conformance/proto), re-exported.

Generated code lives in ``conformance/_generated``; this module gives it a
short import path and holds the line codec both sides of the pipe use.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from conformance._generated.openvcluster.conformance.v1.protocol_pb2 import (
    CallOptions,
    CaseRequest,
    Connection,
    Done,
    Error,
    FieldViolation,
    Ref,
    SnapshotList,
    Step,
    StepResult,
    Tls,
    VClusterList,
    WaitForDeletion,
    WaitForPhase,
    WaitForSnapshot,
    WatchCollect,
    WatchEvents,
)

__all__ = [
    "CallOptions",
    "CaseRequest",
    "Connection",
    "Done",
    "Error",
    "FieldViolation",
    "Ref",
    "SnapshotList",
    "Step",
    "StepResult",
    "Tls",
    "VClusterList",
    "WaitForDeletion",
    "WaitForPhase",
    "WaitForSnapshot",
    "WatchCollect",
    "WatchEvents",
    "as_dict",
    "decode_line",
    "encode_line",
]

M = TypeVar("M", bound=Message)


def encode_line(message: Message) -> str:
    """One protocol line: the message's canonical proto3 JSON, no newlines inside."""
    return json.dumps(json_format.MessageToDict(message), separators=(",", ":"), sort_keys=True)


def decode_line(line: str, message: M) -> M:
    """Parses one protocol line into ``message``; unknown fields are an error."""
    json_format.Parse(line, message)
    return message


def as_dict(message: Message) -> dict[str, Any]:
    """A message as the runner compares it: declared field names, defaults included."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
