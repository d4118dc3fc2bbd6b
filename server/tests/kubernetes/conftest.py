"""A Kubernetes-backed reference server on the test environment, for these suites.

They run in ``tox -e kube`` (which builds the environment first), not with
the rest of server/tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

import openvcluster
from k8s_testenv.fixtures import KubeEnv, kube, namespace
from k8s_testenv.server_settings import server_settings
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.testing import RunningServer, running_server

__all__ = ["kube", "namespace"]


def kubernetes_settings(kube: KubeEnv, **overrides: Any) -> dict[str, Any]:
    """running_server settings of a server on the test environment's cluster."""
    return server_settings(kube.cluster, **overrides)


@pytest.fixture(scope="module")
def server(kube: KubeEnv) -> Iterator[RunningServer]:
    """One Kubernetes-backed server for the module's tests."""
    with running_server(**kubernetes_settings(kube)) as running:
        yield running


@pytest.fixture
def stub(server: RunningServer) -> Iterator[api_grpc.VClusterServiceStub]:
    """A VClusterService client of the server."""
    with grpc.insecure_channel(server.address) as channel:
        yield api_grpc.VClusterServiceStub(channel)


@pytest.fixture
def client(server: RunningServer) -> Iterator[openvcluster.Client]:
    """The Python SDK's client of the server, waiting up to a minute."""
    with openvcluster.Client(server.address, wait_timeout=60) as sdk:
        yield sdk


@pytest.fixture
def api_namespace() -> str:
    """A fresh API namespace (the backend makes its host namespaces)."""
    return f"api-{uuid.uuid4().hex[:8]}"
