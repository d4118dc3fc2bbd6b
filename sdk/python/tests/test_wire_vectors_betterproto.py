"""The betterproto2 flavour (openvcluster.betterproto) agrees with the shared
wire vectors, up to one documented limitation: it holds Timestamps as Python
datetimes, which keep microseconds, so nanoseconds below that are dropped.
"""

from __future__ import annotations

import datetime
from typing import Any

import betterproto2
import pytest
from google.protobuf import json_format, message, timestamp_pb2

from openvcluster import betterproto
from tests.vectors import Vector, decode, load_vectors, read_path

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

# google.rpc types are not part of this flavour: its users read error details
# from grpc's own status API.
VECTORS = [v for v in load_vectors() if v.type_name.startswith("openvcluster.v1.")]


def truncated_to_microseconds(msg: message.Message) -> message.Message:
    """A copy of msg with every Timestamp cut to microsecond precision."""
    copy = type(msg)()
    copy.CopyFrom(msg)
    _truncate(copy)
    return copy


def _truncate(msg: message.Message) -> None:
    if isinstance(msg, timestamp_pb2.Timestamp):
        msg.nanos -= msg.nanos % 1000
        return
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is not None:
                for item in value.values():
                    _truncate(item)
        elif field.is_repeated:
            for item in value:
                _truncate(item)
        else:
            _truncate(value)


def expected(vector: Vector) -> message.Message:
    return truncated_to_microseconds(decode(vector))


def message_class(vector: Vector) -> type[betterproto2.Message]:
    cls: type[betterproto2.Message] = getattr(betterproto, vector.type_name.rsplit(".", 1)[1])
    return cls


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_binary_reencodes_to_the_same_bytes(vector: Vector) -> None:
    decoded = message_class(vector).parse(vector.binary)
    assert bytes(decoded) == expected(vector).SerializeToString(deterministic=True)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_json_matches_binary(vector: Vector) -> None:
    cls = message_class(vector)
    want = json_format.MessageToDict(expected(vector))
    assert cls.parse(vector.binary).to_dict() == want
    assert cls.from_dict(vector.json_value).to_dict() == want


def read_typed(decoded: betterproto2.Message, path: list[str | int]) -> Any:
    """Like read_path, with this flavour's two differences: an unset message
    field reads as None (its fields then read as their defaults, which the
    checks expect), and a Timestamp is a datetime."""
    value: Any = decoded
    for index, step in enumerate(path):
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            seconds = (value - EPOCH) // datetime.timedelta(seconds=1)
            return seconds if step == "seconds" else value.microsecond * 1000
        value = read_path(value, path[index : index + 1])
    return value


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_typed_fields(vector: Vector) -> None:
    decoded = message_class(vector).parse(vector.binary)
    for path, want in vector.checks:
        actual = read_typed(decoded, path)
        if actual is None:
            assert want in (0, "", False), path
            continue
        if isinstance(want, str) and isinstance(actual, int):
            actual = str(actual)
        if path[-1] == "nanos":
            want -= want % 1000
        assert actual == want, path


def test_full_vcluster_through_the_typed_api() -> None:
    vector = next(v for v in VECTORS if v.name == "vcluster_full")
    vc = betterproto.VCluster.parse(vector.binary)
    assert vc.status is not None and vc.status.phase == betterproto.VClusterPhase.RUNNING
    assert vc.spec is not None and vc.spec.distro == betterproto.VClusterSpecDistro.K3S
    assert vc.create_time is not None
    assert vc.create_time.isoformat() == "2026-11-18T08:20:00.123456+00:00"
