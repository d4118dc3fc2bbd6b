"""The SDK's request builders (``openvcluster._requests``) called with only the
arguments a test is about: every other keyword argument is "not given"
(``None``, an empty etag, no validate_only), so a new argument of the builders
needs no change in the tests."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from openvcluster import _requests as build
from openvcluster.v1 import vcluster_service_pb2 as vs

# The keyword arguments whose "not given" is not None.
_NOT_GIVEN = {"etag": "", "validate_only": False}


def _not_given(builder: Callable[..., Any]) -> dict[str, Any]:
    parameters = inspect.signature(builder).parameters.values()
    return {p.name: _NOT_GIVEN.get(p.name) for p in parameters if p.kind is p.KEYWORD_ONLY}


def create_request(
    namespace: str = "ns", name: str = "dev", **given: Any
) -> vs.CreateVClusterRequest:
    """``build.create_request`` with ``given`` and nothing else."""
    return build.create_request(namespace, name, **{**_not_given(build.create_request), **given})


def update_request(
    namespace: str = "ns", name: str = "dev", **given: Any
) -> vs.UpdateVClusterRequest:
    """``build.update_request`` with ``given`` and nothing else."""
    return build.update_request(namespace, name, **{**_not_given(build.update_request), **given})
