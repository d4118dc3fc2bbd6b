"""The messages of the runner/client protocol (conformance/proto), re-exported.

Generated code lives in ``conformance/_generated``; this module gives it a
short import path and holds the line codec both sides of the pipe use.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor
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
    UnaryCall,
    VClusterList,
    WaitForDeletion,
    WaitForPhase,
    WaitForSnapshot,
    WatchCollect,
    WatchEvents,
)

__all__ = [
    "UNARY_RPCS",
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
    "UnaryCall",
    "VClusterList",
    "WaitForDeletion",
    "WaitForPhase",
    "WaitForSnapshot",
    "WatchCollect",
    "WatchEvents",
    "as_dict",
    "decode_line",
    "encode_line",
    "snake_case",
    "step_request",
]

M = TypeVar("M", bound=Message)


def snake_case(name: str) -> str:
    """An RPC name in snake_case: CreateVCluster is create_vcluster."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _unary_rpcs() -> dict[str, MethodDescriptor]:
    # The protocol imports every service of the API, so its file's
    # dependencies name them all.
    methods: dict[str, MethodDescriptor] = {}
    for dependency in Step.DESCRIPTOR.file.dependencies:
        for service in dependency.services_by_name.values():
            for method in service.methods:
                if not method.client_streaming and not method.server_streaming:
                    methods[snake_case(method.name)] = method
    return methods


# The unary RPCs of the API by the name a case step gives them, the RPC's
# name in snake_case (create_vcluster): each runs as a UnaryCall step.
UNARY_RPCS: dict[str, MethodDescriptor] = _unary_rpcs()


def step_request(step: Step) -> Message:
    """The request a step sends: its action's message, or the one a
    UnaryCall packs (the request_id filled in by the runner included)."""
    action = step.WhichOneof("action")
    if action is None:
        raise ValueError(f"step {step.name!r} has no action")
    if action != "call":
        request: Message = getattr(step, action)
        return request
    packed = step.call.request
    descriptor = descriptor_pool.Default().FindMessageTypeByName(packed.TypeName())
    unpacked: Message = message_factory.GetMessageClass(descriptor)()
    packed.Unpack(unpacked)
    return unpacked


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
