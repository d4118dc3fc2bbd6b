"""Seeded requests for every RPC, drawn from the proto descriptors: valid-ish and hostile.

Hypothesis is made for hundreds of draws inside a test, not a million outside
one, so the soak draws from a plain ``random.Random``. Every field of every
request message is walked through its descriptor (nested messages, maps,
repeated fields, enums), so a field added to the API is exercised without
touching this file. Most values come from small pools of plausible names,
quantities and selectors, so calls reach deep into the server (creates that
succeed, scales of vclusters that exist, replays of request ids); the rest
are hostile: huge, binary-ish, unicode, over-long numbers, out-of-range
enums and integers.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable

from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from openvcluster.v1 import snapshot_service_pb2, vcluster_service_pb2

# Plausible values by field name; anything else gets a random short token.
_POOLS: dict[str, tuple[str, ...]] = {
    "namespace": ("team-a", "team-b", "team-c"),
    "name": ("dev", "web", "db", "ci", "snap-1", "snap-2"),
    "target_name": ("", "copy", "dev", "restored"),
    "vcluster": ("dev", "web", ""),
    "snapshot": ("snap-1", "snap-2", ""),
    "label_selector": ("", "app=web", "tier in (front,back)", "!legacy", "app,tier!=db", "n>3"),
    "cpu": ("", "1", "500m", "2", "10m"),
    "memory": ("", "1Gi", "64Mi", "4Gi"),
    "storage": ("", "10Gi", "1Gi"),
    "size": ("", "5Gi", "1Gi"),
    "kubernetes_version": ("", "1.31", "1.33.2", "1.29"),
    "service_cidr": ("", "10.96.0.0/12", "fd00::/112"),
    "storage_class": ("", "standard", "fast-ssd"),
    "etag": ("",),
    "page_token": ("",),
    "description": ("", "nightly", "before the upgrade"),
}
# Fields most requests need: left unset only now and then.
_REQUIRED = frozenset(("namespace", "name", "vcluster", "snapshot"))
# Request ids are reused from a small pool part of the time, so replays and
# "used for a different request" are exercised, not only fresh ids.
_REUSED_IDS = tuple(str(uuid.UUID(int=i)) for i in range(1, 64))

_HOSTILE_STRINGS: tuple[Callable[[random.Random], str], ...] = (
    lambda r: "x" * r.choice((64, 254, 4097, 70_000)),
    lambda r: "".join(r.choice(string.printable) for _ in range(r.randint(1, 80))),
    lambda r: "".join(chr(r.randint(0x80, 0x2FFF)) for _ in range(r.randint(1, 40))),
    lambda r: "a>" + "9" * r.choice((19, 20, 4301, 5000)),
    lambda r: ",".join(f"k{i}" for i in range(r.randint(60, 300))),
    lambda r: r.choice(("\x00", " ", "%", "..", "-a", "A", "1e120", "-1", "0.5", "01.031")),
    lambda r: "fe80::%eth0/64",
    lambda r: str(uuid.uuid4()).upper() + r.choice(("", "x", " ")),
)

Method = tuple[str, MethodDescriptor]


def methods() -> list[Method]:
    """(HTTP/2 path, descriptor) of every RPC of both services."""
    found: list[Method] = []
    for module in (vcluster_service_pb2, snapshot_service_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                found.append((f"/{service.full_name}/{method.name}", method))
    return found


class RequestMaker:
    """Draws request messages from one seeded generator."""

    def __init__(self, rng: random.Random, hostile: float = 0.04) -> None:
        self._rng = rng
        self._hostile = hostile

    def request(self, method: MethodDescriptor) -> Message:
        """A request for ``method``, mostly plausible, sometimes hostile."""
        message: Message = GetMessageClass(method.input_type)()
        self._fill(message, method.input_type, depth=0)
        return message

    def _fill(self, message: Message, descriptor: Descriptor, depth: int) -> None:
        for field in descriptor.fields:
            if self._rng.random() < (0.05 if field.name in _REQUIRED else 0.35):
                continue  # left unset, as callers mostly do with optional fields
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                self._fill_map(getattr(message, field.name), field)
            elif field.is_repeated:
                for _ in range(self._rng.randint(0, 3)):
                    self._append(message, field, depth)
            elif field.message_type is not None:
                if depth < 4:
                    self._fill(getattr(message, field.name), field.message_type, depth + 1)
                    getattr(message, field.name).SetInParent()
            else:
                setattr(message, field.name, self._scalar(field))

    def _fill_map(self, target: dict[str, str], field: FieldDescriptor) -> None:
        for _ in range(self._rng.choice((0, 1, 2, 3, 70))):
            key = self._rng.choice(("app", "tier", "example.com/team", "", "x" * 70, "Ünï"))
            target[key + (str(self._rng.randint(0, 99)) if self._rng.random() < 0.5 else "")] = (
                self._rng.choice(("web", "front", "", "v" * 64, "a b"))
            )

    def _append(self, message: Message, field: FieldDescriptor, depth: int) -> None:
        values = getattr(message, field.name)
        if field.message_type is not None:
            if depth < 4:
                self._fill(values.add(), field.message_type, depth + 1)
        else:
            values.append(self._scalar(field))

    def _scalar(self, field: FieldDescriptor) -> object:
        rng = self._rng
        hostile = rng.random() < self._hostile
        kind = field.type
        if kind == FieldDescriptor.TYPE_STRING:
            if hostile:
                return rng.choice(_HOSTILE_STRINGS)(rng)
            if field.name == "request_id":
                return rng.choice(_REUSED_IDS) if rng.random() < 0.3 else str(uuid.uuid4())
            pool = _POOLS.get(field.name)
            return rng.choice(pool) if pool else rng.choice(("", "a", "dev", "x-1"))
        if kind == FieldDescriptor.TYPE_BOOL:
            return rng.random() < 0.5
        if field.enum_type is not None:
            known = [v.number for v in field.enum_type.values]
            return rng.randint(-5, 99) if hostile else rng.choice(known)
        if kind == FieldDescriptor.TYPE_BYTES:
            return rng.randbytes(rng.randint(0, 64))
        if kind in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32):
            return rng.choice((-(2**31), -1, 2**31 - 1)) if hostile else rng.randint(0, 6)
        if kind in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64):
            return rng.choice((-(2**63), -1, 2**63 - 1)) if hostile else rng.randint(0, 6)
        if kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
            return rng.choice((0, 2**32 - 1)) if hostile else rng.randint(0, 6)
        if kind in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
            return rng.choice((0, 2**64 - 1)) if hostile else rng.randint(0, 6)
        if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return rng.choice((float("nan"), float("inf"), -1.0, 0.0, 1.5))
        raise AssertionError(f"no values for {field.full_name} (type {kind})")
