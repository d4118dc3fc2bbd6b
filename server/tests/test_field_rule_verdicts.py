"""The server keeps the field rules' verdicts on reads it has seen, and never
answers a request with another request's verdict."""

from __future__ import annotations

import pytest

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server import checks
from openvcluster_server.errors import ApiError


def test_a_kept_verdict_is_the_verdict_of_the_same_request() -> None:
    checks._VERDICTS.clear()
    good = api.GetVClusterRequest(namespace="team-a", name="dev")
    bad = api.GetVClusterRequest(namespace="team-a", name="Dev")
    for _ in range(2):
        checks.fields(good)
        with pytest.raises(ApiError) as caught:
            checks.fields(bad)
        assert "name:" in caught.value.message
    assert len(checks._VERDICTS) == 2


def test_requests_with_a_request_id_are_not_kept() -> None:
    checks._VERDICTS.clear()
    delete = api.DeleteVClusterRequest(
        namespace="team-a", name="dev", request_id="0f8fad5b-d9cb-469f-a165-70867728950e"
    )
    checks.fields(delete)
    assert not checks._VERDICTS


def test_the_kept_verdicts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    checks._VERDICTS.clear()
    monkeypatch.setattr(checks, "_MAX_VERDICTS", 3)
    for index in range(10):
        checks.fields(api.GetVClusterRequest(namespace="team-a", name=f"dev-{index}"))
        assert len(checks._VERDICTS) <= 3
