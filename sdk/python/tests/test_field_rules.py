"""Requests are checked against the proto's field rules before they are sent.

The clients here point at 127.0.0.1:1, where nothing listens, with retries
off: an InvalidArgumentError can only come from the SDK's own check, and an
UnavailableError shows that a call went to the network.
"""

from __future__ import annotations

import pytest

import openvcluster
from openvcluster import field_rules
from openvcluster.v1 import vcluster_service_pb2 as vs

NOWHERE = "127.0.0.1:1"


def fields(error: openvcluster.InvalidArgumentError) -> list[str]:
    return [violation.field for violation in error.field_violations]


def test_violations_name_each_bad_field_once_as_the_api_writes_paths() -> None:
    request = vs.CreateVClusterRequest(
        namespace="team-a", name="Dev", labels={"-bad": "white space", "app": "web"}
    )
    request.spec.resources.memory = "4GB"
    found = dict(field_rules.violations(request))
    # A label whose key and value are both bad is one violation, its key's.
    assert list(found) == ["name", "spec.resources.memory", "labels[-bad]"]
    assert found["labels[-bad]"].startswith("the key must be a label key")
    assert "4Gi" in found["spec.resources.memory"]


def test_the_entries_of_a_map_are_named_in_key_order() -> None:
    # protovalidate walks a map in each language's own order; the SDKs agree on the key's.
    request = vs.CreateVClusterRequest(
        namespace="team-a", name="dev", labels={"z": "x y", "a-b": "x y", "a": "x y"}
    )
    request.request_id = "nope"
    assert [field for field, _ in field_rules.violations(request)] == [
        "labels[a]",
        "labels[a-b]",
        "labels[z]",
        "request_id",
    ]


def test_a_valid_request_has_no_violations() -> None:
    request = vs.CreateVClusterRequest(namespace="team-a", name="dev", labels={"app": "web"})
    assert field_rules.violations(request) == []


def test_the_error_is_the_servers() -> None:
    request = vs.GetVClusterRequest(namespace="team-a", name="Dev")
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        field_rules.check(request)
    assert caught.value.code.name == "INVALID_ARGUMENT"
    assert caught.value.message.startswith("invalid request: name: must be a DNS-1123 label")
    assert fields(caught.value) == ["name"]


def test_a_bad_request_fails_without_a_call() -> None:
    with (
        openvcluster.Client(NOWHERE, retry=None) as client,
        pytest.raises(openvcluster.InvalidArgumentError) as caught,
    ):
        client.create_vcluster("team-a", "Dev", labels={"-bad": "ok"})
    assert fields(caught.value) == ["name", "labels[-bad]"]
    # A mutation's error names the request id the SDK made, as a server's does.
    assert caught.value.request_id


def test_a_good_request_is_sent() -> None:
    with (
        openvcluster.Client(NOWHERE, retry=None) as client,
        pytest.raises(openvcluster.UnavailableError),
    ):
        client.get_vcluster("team-a", "dev")


def test_the_check_can_be_turned_off() -> None:
    with openvcluster.Client(NOWHERE, retry=None, validate_requests=False) as client:
        assert not client.defaults.validate_requests
        with pytest.raises(openvcluster.UnavailableError):
            client.get_vcluster("team-a", "Dev")


def test_a_watch_is_checked_before_it_starts() -> None:
    with (
        openvcluster.Client(NOWHERE, retry=None) as client,
        pytest.raises(openvcluster.InvalidArgumentError) as caught,
    ):
        client.watch_vclusters("Team_A")
    assert fields(caught.value) == ["namespace"]


@pytest.mark.asyncio
async def test_the_async_client_checks_too() -> None:
    async with openvcluster.AsyncClient(NOWHERE, retry=None) as client:
        with pytest.raises(openvcluster.InvalidArgumentError) as caught:
            await anext(client.list_vclusters("team-a", page_size=-1).pages)
        assert fields(caught.value) == ["page_size"]
        with pytest.raises(openvcluster.InvalidArgumentError):
            client.watch_vclusters("team-a", name="Dev")


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch) -> dict[object, object]:
    """The kept verdicts, emptied for the test."""
    kept: dict[object, object] = {}
    monkeypatch.setattr(field_rules, "_VERDICTS", kept)
    return kept


def test_a_kept_verdict_is_the_verdict_of_the_same_request(verdicts: dict[object, object]) -> None:
    good = vs.GetVClusterRequest(namespace="team-a", name="dev")
    bad = vs.GetVClusterRequest(namespace="team-a", name="Dev")
    for _ in range(2):
        assert field_rules.violations(good) == []
        assert [field for field, _ in field_rules.violations(bad)] == ["name"]
    assert len(verdicts) == 2


def test_a_mutation_or_a_large_request_is_checked_every_time(
    verdicts: dict[object, object],
) -> None:
    delete = vs.DeleteVClusterRequest(
        namespace="team-a", name="dev", request_id="0f8fad5b-d9cb-469f-a165-70867728950e"
    )
    large = vs.GetVClusterRequest(namespace="team-a", name="d" * field_rules.MAX_VERDICT_BYTES)
    assert field_rules.violations(delete) == []
    assert [field for field, _ in field_rules.violations(large)] == ["name"]
    # Neither is kept: a request_id never repeats, and a large request's bytes
    # would make the kept verdicts unbounded in memory.
    assert not verdicts


def test_the_kept_verdicts_are_bounded(
    verdicts: dict[object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(field_rules, "MAX_VERDICTS", 3)
    for index in range(10):
        field_rules.violations(vs.GetVClusterRequest(namespace="team-a", name=f"dev-{index}"))
        assert len(verdicts) <= 3
