"""Responses in their wire form (encoded.py): the same bytes a parsed and
re-serialized response would be, for every length a varint can take here."""

from __future__ import annotations

import pytest

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.encoded import Encoded, field, serialize, with_field


@pytest.mark.parametrize("description_length", [0, 100, 127, 128, 20_000, 3_000_000])
def test_with_field_is_the_response_serialized(description_length: int) -> None:
    vcluster = VCluster(namespace="team-a", name="dev", uid="u-1")
    vcluster.labels["note"] = "x" * description_length
    expected = api.GetVClusterResponse(vcluster=vcluster)

    encoded = with_field(api.GetVClusterResponse, 1, vcluster.SerializeToString())

    assert encoded.data == expected.SerializeToString()
    assert encoded.message() == expected


def test_serialize_sends_encoded_bytes_as_they_are_and_serializes_messages() -> None:
    response = api.GetVClusterResponse(vcluster=VCluster(namespace="team-a", name="dev"))
    data = response.SerializeToString()

    assert serialize(Encoded(api.GetVClusterResponse, data)) is data
    assert serialize(response) == data


def test_repeated_frames_and_a_string_field_make_a_list_response() -> None:
    vclusters = [VCluster(namespace="team-a", name=f"vc-{i}", uid="u" * i) for i in range(3)]
    expected = api.ListVClustersResponse(vclusters=vclusters, next_page_token="tok€n")

    data = b"".join(field(1, v.SerializeToString()) for v in vclusters) + field(2, "tok€n".encode())

    assert data == expected.SerializeToString()
