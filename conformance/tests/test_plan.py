"""Turning cases into CaseRequests: namespaces, placeholders, refs, tokens."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.cases import CaseError, load_file
from conformance.plan import INVALID_TOKEN, plan, token_value, variables
from conformance.protocol import Step
from conformance.tests.test_cases import ENVIRONMENT
from openvcluster.v1 import vcluster_service_pb2 as api

CASE = """
area: demo
cases:
  - name: refs
    tokens: {viewer: {role: viewer, namespaces: ["${ns}"]}}
    steps:
      - {name: get, get_vcluster: {name: dev}}
      - name: scale
        scale_vcluster: {name: dev, etag: "${get.vcluster.etag}", request_id: "${uuid:a}"}
        options: {metadata: {ovc-test-unavailable: "${case}-k:2"}, max_attempts: 3}
        expect: {vcluster: {etag: {$ne: "${get.vcluster.etag}"}, namespace: "${ns}"}}
      - {name: again, suspend_vcluster: {name: dev, request_id: "${uuid:a}"}}
      - {name: all, list_vclusters: {namespace: ""}, options: {token: viewer}}
      - {name: anon, get_vcluster: {name: dev}, options: {token: none}}
      - {name: bad, get_vcluster: {name: dev}, options: {token: invalid}}
      - {name: other, get_vcluster: {name: dev, namespace: "${ns2}"}}
"""


def _run(tmp_path: Path, client: str = "python-sync") -> tuple[Step, ...]:
    path = tmp_path / "demo.yaml"
    path.write_text(CASE)
    (case,) = load_file(path)
    return tuple(plan(case, client, ENVIRONMENT).request.steps)


def _get(step: Step) -> api.GetVClusterRequest:
    request = api.GetVClusterRequest()
    assert step.call.method == "GetVCluster" and step.call.request.Unpack(request)
    return request


def test_an_rpc_step_is_a_unary_call_of_its_method(tmp_path: Path) -> None:
    scale = _run(tmp_path)[1]
    assert scale.WhichOneof("action") == "call" and scale.call.method == "ScaleVCluster"
    request = api.ScaleVClusterRequest()
    assert scale.call.request.Unpack(request) and request.name == "dev"


def test_requests_default_to_the_case_namespace(tmp_path: Path) -> None:
    steps = _run(tmp_path)
    (case,) = load_file(tmp_path / "demo.yaml")
    names = variables("python-sync", case, ENVIRONMENT.salt)
    assert _get(steps[0]).namespace == names["ns"]
    assert steps[3].list_vclusters.namespace == ""  # explicitly every namespace
    assert _get(steps[6]).namespace == names["ns2"] != names["ns"]


def test_each_client_gets_its_own_namespaces_and_keys(tmp_path: Path) -> None:
    sync, other = _run(tmp_path), _run(tmp_path, "python-async")
    assert _get(sync[0]).namespace != _get(other[0]).namespace
    assert (
        sync[1].options.metadata["ovc-test-unavailable"]
        != (other[1].options.metadata["ovc-test-unavailable"])
    )


def test_whole_field_references_become_refs(tmp_path: Path) -> None:
    scale = _run(tmp_path)[1]
    request = api.ScaleVClusterRequest()
    assert scale.call.request.Unpack(request) and request.etag == ""
    assert [(r.field, r.step, r.path) for r in scale.refs] == [("etag", "get", "vcluster.etag")]


def test_request_ids_are_uuids_stable_within_a_case(tmp_path: Path) -> None:
    steps = _run(tmp_path)
    scale, suspend = api.ScaleVClusterRequest(), api.SuspendVClusterRequest()
    assert steps[1].call.request.Unpack(scale) and steps[2].call.request.Unpack(suspend)
    assert uuid.UUID(scale.request_id).version == 4
    assert suspend.request_id == scale.request_id


def test_tokens_resolve_to_their_secrets(tmp_path: Path) -> None:
    steps = _run(tmp_path)
    assert not steps[0].options.HasField("token")  # the connection's admin token
    assert steps[3].options.token == token_value(
        ENVIRONMENT.salt, "python-sync", "demo/refs", "viewer"
    )
    assert steps[4].options.HasField("token") and steps[4].options.token == ""
    assert steps[5].options.token == INVALID_TOKEN


def test_expectations_keep_references_for_the_judge(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(CASE)
    (case,) = load_file(path)
    run = plan(case, "python-sync", ENVIRONMENT)
    expected = run.expectations[1].result
    assert expected == {
        "vcluster": {"etag": {"$ne": "${get.vcluster.etag}"}, "namespace": run.variables["ns"]}
    }


def test_clients_of_the_http_port_get_its_address(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(CASE)
    (case,) = load_file(path)
    endpoint = ENVIRONMENT.endpoints["plain"]
    http = replace(ENVIRONMENT, endpoints={"plain": replace(endpoint, http_address="[::1]:8080")})
    assert plan(case, "typescript", http).request.connection.address == endpoint.address
    assert plan(case, "typescript-connect", http, "http").request.connection.address == "[::1]:8080"
    with pytest.raises(CaseError, match="http address"):
        plan(case, "typescript-connect", ENVIRONMENT, "http")
