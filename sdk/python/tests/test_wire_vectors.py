"""The protobuf messages of openvcluster.v1 agree with the shared wire vectors."""

from __future__ import annotations

import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2

from openvcluster.v1 import vcluster_pb2
from tests.vectors import Vector, decode, load_vectors, read_path

VECTORS = load_vectors()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_binary_reencodes_to_the_same_bytes(vector: Vector) -> None:
    assert decode(vector).SerializeToString(deterministic=True) == vector.binary


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_json_matches_binary(vector: Vector) -> None:
    decoded = decode(vector)
    assert json_format.MessageToDict(decoded) == vector.json_value
    # Compared as JSON, not as messages: a google.protobuf.Any holds its
    # message as bytes, whose map order a JSON parser need not reproduce.
    from_json = json_format.Parse(vector.json_text, type(decoded)())
    assert json_format.MessageToDict(from_json) == vector.json_value


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_typed_fields(vector: Vector) -> None:
    decoded = decode(vector)
    for path, expected in vector.checks:
        actual = read_path(decoded, path)
        if isinstance(expected, str) and isinstance(actual, int):
            actual = str(actual)  # 64-bit integers are written as strings
        assert actual == expected, path


def test_full_vcluster_through_the_typed_api() -> None:
    vector = next(v for v in VECTORS if v.name == "vcluster_full")
    vc = vcluster_pb2.VCluster.FromString(vector.binary)
    assert vc.status.phase == vcluster_pb2.VCluster.PHASE_RUNNING
    assert vc.spec.distro == vcluster_pb2.VClusterSpec.DISTRO_K3S
    assert vc.spec.storage.HasField("persistence") and vc.spec.storage.persistence
    assert dict(vc.labels) == {"app.kubernetes.io/name": "demo", "empty-value": "", "tier": "gold"}
    assert vc.create_time.ToJsonString() == "2026-11-18T08:20:00.123456789Z"


def test_error_details_unpack() -> None:
    vector = next(v for v in VECTORS if v.name == "status_invalid_argument")
    status = status_pb2.Status.FromString(vector.binary)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["name", "spec.resources.memory"]
