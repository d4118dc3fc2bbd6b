"""Loads the cross-language wire vectors of conformance/vectors/."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pool, message, message_factory
from google.rpc import error_details_pb2, status_pb2

from openvcluster.v1 import (
    operation_pb2,
    operation_service_pb2,
    snapshot_pb2,
    vcluster_pb2,
    vcluster_service_pb2,
)

# Importing the modules registers their types in the default pool.
_REGISTERED = (
    operation_pb2,
    operation_service_pb2,
    snapshot_pb2,
    vcluster_pb2,
    vcluster_service_pb2,
    status_pb2,
    error_details_pb2,
)

VECTORS_DIR = pathlib.Path(__file__).resolve().parents[3] / "conformance" / "vectors"


@dataclass(frozen=True)
class Vector:
    """One message, encoded in binary and in canonical proto JSON."""

    name: str
    type_name: str
    binary: bytes
    json_text: str
    checks: list[tuple[list[str | int], Any]]

    @property
    def json_value(self) -> Any:
        return json.loads(self.json_text)


def load_vectors() -> list[Vector]:
    manifest = json.loads((VECTORS_DIR / "manifest.json").read_text())
    return [
        Vector(
            name=entry["name"],
            type_name=entry["type"],
            binary=(VECTORS_DIR / entry["binary"]).read_bytes(),
            json_text=(VECTORS_DIR / entry["json"]).read_text(),
            checks=[(check["path"], check["value"]) for check in entry["checks"]],
        )
        for entry in manifest["vectors"]
    ]


def decode(vector: Vector) -> message.Message:
    """The vector's binary, decoded with the protobuf class of its type."""
    descriptor = descriptor_pool.Default().FindMessageTypeByName(vector.type_name)
    return message_factory.GetMessageClass(descriptor).FromString(vector.binary)


def read_path(value: Any, path: list[str | int]) -> Any:
    """Follows a check path through attributes, list indexes and map keys."""
    for step in path:
        if isinstance(step, int) or hasattr(value, "keys"):
            value = value[step]
        else:
            value = getattr(value, step)
    return value
