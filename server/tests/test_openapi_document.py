"""The OpenAPI document the HTTP port serves at /openapi.yaml.

scripts/generate writes it from proto/ (buf.gen.openapi.yaml); these tests
hold it to what the port serves: a valid OpenAPI 3.1 document with one path
per RPC of every service, GET exactly for the NO_SIDE_EFFECTS reads, the
streaming RPCs in Connect's streaming media types, the proto comments, the
bearer token and the google.rpc error details.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any, cast

import pytest
import yaml
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions
from openapi_spec_validator import validate

from openvcluster_server.api_services import SERVICE_NAMES

Document = dict[str, Any]

# Every service the server registers (importing the app loads their descriptors),
# so a service added to the API is never left out here.
SERVICES = tuple(descriptor_pool.Default().FindServiceByName(name) for name in SERVICE_NAMES)
METHODS = [method for service in SERVICES for method in service.methods]


def path_of(method: MethodDescriptor) -> str:
    """The Connect protocol's route of an RPC."""
    return f"/{method.containing_service.full_name}/{method.name}"


def has_no_side_effects(method: MethodDescriptor) -> bool:
    return method.GetOptions().idempotency_level == MethodOptions.NO_SIDE_EFFECTS


@pytest.fixture(scope="module")
def document() -> Document:
    text = (resources.files("openvcluster_server") / "http/generated/openapi.yaml").read_text()
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return cast(Document, loaded)


def resolve(document: Document, node: dict[str, Any]) -> dict[str, Any]:
    """Follows a local $ref ("#/components/schemas/x") to what it names."""
    while "$ref" in node:
        reference = node["$ref"]
        assert isinstance(reference, str) and reference.startswith("#/"), reference
        target: Any = document
        for part in reference[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = cast(dict[str, Any], target)
    return node


def operations(document: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, HTTP method, operation) of every operation of the document."""
    for path, item in document["paths"].items():
        for verb in ("get", "post", "put", "patch", "delete"):
            if verb in item:
                yield path, verb, item[verb]


def test_is_a_valid_openapi_3_1_document(document: Document) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_every_rpc_has_a_post_operation_and_nothing_else_is_routed(document: Document) -> None:
    assert len(METHODS) > 10, "the descriptors of every service are loaded"
    assert set(document["paths"]) == {path_of(method) for method in METHODS}
    for method in METHODS:
        operation = document["paths"][path_of(method)]["post"]
        assert operation["operationId"] == method.full_name


@pytest.mark.parametrize("method", METHODS, ids=lambda method: method.full_name)
def test_get_exactly_for_the_rpcs_without_side_effects(
    document: Document, method: MethodDescriptor
) -> None:
    item = document["paths"][path_of(method)]
    if has_no_side_effects(method):
        parameters = {parameter["name"] for parameter in item["get"]["parameters"]}
        # A Connect GET carries the request in the query string.
        assert {"message", "encoding"} <= parameters
    else:
        assert "get" not in item


def test_the_reads_are_marked_no_side_effects() -> None:
    # Guards the test above against passing vacuously.
    reads = {method.full_name for method in METHODS if has_no_side_effects(method)}
    assert "openvcluster.v1.VClusterService.GetVCluster" in reads
    assert "openvcluster.v1.VClusterService.CreateVCluster" not in reads


def test_every_operation_declares_the_connect_protocol_version_header(
    document: Document,
) -> None:
    for path, verb, operation in operations(document):
        headers = {
            parameter["name"]: parameter
            for parameter in operation["parameters"]
            if parameter["in"] == "header"
        }
        assert headers["Connect-Protocol-Version"]["required"] is True, (path, verb)


def test_streaming_rpcs_use_connect_streaming_media_types(document: Document) -> None:
    streaming = [method for method in METHODS if method.server_streaming]
    assert [method.name for method in streaming] == ["WatchVClusters"]
    for method in streaming:
        operation = document["paths"][path_of(method)]["post"]
        assert "application/connect+json" in operation["requestBody"]["content"]
        response = operation["responses"]["200"]["content"]["application/connect+json"]
        output = resolve(document, response["schema"])
        assert output["title"] == method.output_type.name


def test_rpc_comments_are_the_descriptions(document: Document) -> None:
    operation = document["paths"]["/openvcluster.v1.VClusterService/GetVCluster"]["get"]
    # The generator makes the comment's first paragraph the summary and the
    # rest the description; proto comment lines keep their leading space.
    text = " ".join(f"{operation['summary']} {operation['description']}".split())
    assert "Returns one vcluster. status.kubeconfig is always empty here." in text
    assert "Errors: NOT_FOUND when absent" in text


def test_the_bearer_token_is_required(document: Document) -> None:
    schemes = document["components"]["securitySchemes"]
    bearer = [name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"]
    assert len(bearer) == 1
    assert schemes[bearer[0]]["type"] == "http"
    assert {bearer[0]: []} in document["security"]


def test_errors_carry_the_google_rpc_details(document: Document) -> None:
    for path, verb, operation in operations(document):
        for media in operation["responses"]["default"]["content"].values():
            error = resolve(document, media["schema"])
            detail = resolve(document, error["properties"]["details"]["items"])
            kinds = {
                resolve(document, option).get("title")
                for option in detail["properties"]["debug"]["oneOf"]
            }
            # The details the VClusterService comment promises.
            assert {"BadRequest", "ErrorInfo", "QuotaFailure"} <= kinds, (path, verb)
            mapping = detail["properties"]["debug"]["discriminator"]["mapping"]
            assert "type.googleapis.com/google.rpc.BadRequest" in mapping
