"""The catalogue's errors come from the proto comments (documented_errors.py)."""

from __future__ import annotations

import grpc
import pytest

from reliability.documented_errors import (
    UndocumentedError,
    codes_in,
    errors_of,
    errors_paragraph,
)
from reliability.rpcs import BY_NAME

Code = grpc.StatusCode


def test_the_errors_paragraph_is_found_and_read() -> None:
    comment = (
        " Does a thing. NOT_FOUND elsewhere is not an error of this RPC.\n"
        "\n"
        " Errors: INVALID_ARGUMENT for a bad name; FAILED_PRECONDITION\n"
        " (reason INVALID_PHASE) in another phase; ABORTED.\n"
        "\n"
        " With validate_only, nothing changes.\n"
    )
    paragraph = errors_paragraph(comment)
    assert paragraph is not None
    # INVALID_PHASE is a reason, not a status code.
    assert codes_in(paragraph) == {
        Code.INVALID_ARGUMENT,
        Code.FAILED_PRECONDITION,
        Code.ABORTED,
    }
    assert errors_paragraph(" Does a thing.\n") is None


def test_the_catalogue_holds_what_the_proto_documents() -> None:
    assert BY_NAME["ScaleVCluster"].errors == {
        Code.INVALID_ARGUMENT,
        Code.FAILED_PRECONDITION,
        Code.NOT_FOUND,
        Code.ABORTED,
        Code.RESOURCE_EXHAUSTED,
    }
    assert BY_NAME["GetVClusterKubeconfig"].errors == {
        Code.NOT_FOUND,
        Code.FAILED_PRECONDITION,
        Code.PERMISSION_DENIED,
    }
    assert BY_NAME["WatchVClusters"].streaming


def test_an_rpc_without_an_errors_paragraph_is_named() -> None:
    with pytest.raises(UndocumentedError, match=r"openvcluster\.v1\.NoSuchService\.Foo"):
        errors_of("openvcluster.v1.NoSuchService.Foo")
