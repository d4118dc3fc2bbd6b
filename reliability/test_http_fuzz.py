"""schemathesis against the live HTTP port, from the OpenAPI document it serves.

Every operation of the document gets requests generated from its schemas
(valid ones, and in schemathesis' negative mode invalid ones). No
answer may be a 5xx, an error body of code internal or unknown, a status the
document does not declare, or a body that does not match the document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from openvcluster_server.testing import RunningServer, running_server
from reliability.knobs import scaled

# Connect's error codes that say the server failed rather than the request.
SERVER_FAULTS = {"internal", "unknown", "data_loss"}
STREAMING = "/WatchVClusters"


@pytest.fixture(scope="module")
def http_server() -> Iterator[RunningServer]:
    with running_server() as server:
        yield server


def _error_code(response: Any) -> str | None:
    """The Connect error code of an error answer's JSON body, if it has one."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return str(body.get("code")) if isinstance(body, dict) else None


@schemathesis.check
def no_server_fault(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx and no error code of a server fault.

    Two 5xx are the protocol's answers, not faults: Connect answers a
    compression it does not implement (say compression=false, drawn from
    outside the document's enum) with unimplemented, whose HTTP status is 501;
    and a request that set its own deadline (a Connect-Timeout-Ms of a few
    milliseconds is a valid draw) may be answered deadline_exceeded, 504.
    """
    if response.status_code < 400:
        return None
    code = _error_code(response)
    if code in SERVER_FAULTS:
        raise AssertionError(f"answered {code}: {response.text}")
    refusal = response.status_code == 501 and code == "unimplemented"
    own_deadline = (
        response.status_code == 504 and code == "deadline_exceeded" and _sets_deadline(case)
    )
    if response.status_code >= 500 and not (refusal or own_deadline):
        raise AssertionError(f"answered HTTP {response.status_code}: {response.text}")
    return None


def _sets_deadline(case: Any) -> bool:
    """Whether the generated request carried a Connect timeout header."""
    return any(name.lower() == "connect-timeout-ms" for name in case.headers or {})


def test_every_operation_answers_within_the_document(http_server: RunningServer) -> None:
    # The document names no server: requests go where it was loaded from.
    schema = schemathesis.openapi.from_url(f"{http_server.http_url}/openapi.yaml")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"an operation of the document is invalid: {result}"
        operations.append(result.ok())
    assert len(operations) >= 13
    for operation in operations:
        _fuzz(operation, GenerationMode.NEGATIVE, [no_server_fault, status_code_conformance])
        # A valid request's answer also matches its schema; not a stream's,
        # whose body is enveloped messages schemathesis cannot read as one
        # JSON document, nor a refusal of an invalid one at the HTTP level
        # (an unknown encoding is a bare 415, as the Connect protocol says).
        checks = [no_server_fault, status_code_conformance]
        if not operation.path.endswith(STREAMING):
            checks.append(response_schema_conformance)
        _fuzz(operation, GenerationMode.POSITIVE, checks)


def _fuzz(operation: Any, mode: GenerationMode, checks: list[Any]) -> None:
    """Calls ``operation`` with requests generated in ``mode`` (valid by the
    document, or not), each answer held to ``checks``."""

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=scaled(25), deadline=None, suppress_health_check=list(HealthCheck))
    def answers_within_the_document(case: Any) -> None:
        case.call_and_validate(checks=checks)

    answers_within_the_document()
