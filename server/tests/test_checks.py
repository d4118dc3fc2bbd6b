"""Checks of a request by itself that no conformance case can send: the
runner always names the vcluster an UpdateVCluster changes."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server import checks
from openvcluster_server.config import DEFAULT_KUBERNETES_VERSIONS
from openvcluster_server.errors import ApiError


def test_an_update_without_its_vcluster_names_the_field() -> None:
    request = api.UpdateVClusterRequest(update_mask=field_mask_pb2.FieldMask(paths=["labels"]))
    with pytest.raises(ApiError) as caught:
        checks.update(request, DEFAULT_KUBERNETES_VERSIONS)
    assert caught.value.message == (
        "invalid request: vcluster: must be set: "
        "its namespace and name say which vcluster to update"
    )
