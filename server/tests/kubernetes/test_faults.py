"""Faults: the API server away, Helm failing, a control plane that never serves."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from lightkube.resources.apps_v1 import StatefulSet

import openvcluster
from k8s_testenv.fixtures import KubeEnv, environment
from openvcluster import Phase
from openvcluster_server.kube.conventions import host_namespace
from openvcluster_server.testing import running_server

from .conftest import kubernetes_settings


def api_namespace() -> str:
    return f"faults-{uuid.uuid4().hex[:8]}"


def health_watch(channel: grpc.Channel) -> Any:
    """The server's health as a stream (SERVING, NOT_SERVING, ...), one message per change."""
    stub: Any = health_pb2_grpc.HealthStub(channel)  # its stubs declare no methods
    return stub.Watch(health_pb2.HealthCheckRequest())


def next_health(stream: Iterator[health_pb2.HealthCheckResponse]) -> int:
    return next(stream).status


@pytest.fixture(scope="module")
def own_kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeEnv]:
    """An environment of this module's own: its tests stop the API server."""
    with environment(tmp_path_factory.mktemp("k8s-faults")) as env:
        yield env


@contextmanager
def kube_server(kube: KubeEnv, max_staleness: float) -> Iterator[tuple[openvcluster.Client, Any]]:
    """A client of a server on ``kube``, and the server's health stream (now SERVING)."""
    with (
        running_server(**kubernetes_settings(kube, max_staleness=max_staleness)) as server,
        grpc.insecure_channel(server.address) as channel,
        openvcluster.Client(server.address, retry=None, wait_timeout=60) as client,
    ):
        health = health_watch(channel)
        assert next_health(health) == health_pb2.HealthCheckResponse.SERVING
        try:
            yield client, health
        finally:
            health.cancel()


@contextmanager
def api_server_stopped(kube: KubeEnv, health: Any) -> Iterator[None]:
    """The API server stopped for the block, which starts once the server said NOT_SERVING
    and ends once it said SERVING again."""
    kube.cluster.stop_component("kube-apiserver")
    try:
        assert next_health(health) == health_pb2.HealthCheckResponse.NOT_SERVING
        yield
    finally:
        kube.cluster.start_component("kube-apiserver")
    assert next_health(health) == health_pb2.HealthCheckResponse.SERVING


def test_api_server_away_then_back(own_kube: KubeEnv) -> None:
    namespace = api_namespace()
    with kube_server(own_kube, max_staleness=3600.0) as (client, health):
        client.create_vcluster(namespace, "dev", wait=True)
        with api_server_stopped(own_kube, health):
            with pytest.raises(openvcluster.UnavailableError):
                client.suspend_vcluster(namespace, "dev")
            # Reads answer from the watch cache within the staleness bound.
            assert client.get_vcluster(namespace, "dev").status.phase == Phase.PHASE_RUNNING
        client.suspend_vcluster(namespace, "dev", wait=True)


def test_reads_refuse_once_the_cache_is_too_old(own_kube: KubeEnv) -> None:
    namespace = api_namespace()
    with kube_server(own_kube, max_staleness=0.001) as (client, health):
        client.create_vcluster(namespace, "dev", wait=True)
        # NOT_SERVING comes once a watch noticed, by when the 1 ms bound has passed.
        with api_server_stopped(own_kube, health):
            with pytest.raises(openvcluster.UnavailableError):
                client.get_vcluster(namespace, "dev")
            with pytest.raises(openvcluster.UnavailableError):
                next(client.list_vclusters(namespace).pages)
        assert client.get_vcluster(namespace, "dev").name == "dev"


def test_a_helm_failure_is_failed_with_helms_message(kube: KubeEnv) -> None:
    namespace = api_namespace()
    settings = kubernetes_settings(kube, vcluster_chart="/nonexistent/vcluster-chart")
    with (
        running_server(**settings) as server,
        openvcluster.Client(server.address, wait_timeout=60) as client,
    ):
        client.create_vcluster(namespace, "dev")
        with pytest.raises(openvcluster.VClusterFailedError) as failed:
            client.wait_for_phase(namespace, "dev", Phase.PHASE_RUNNING)
        message = failed.value.vcluster.status.message
        assert message.startswith("helm: ") and "/nonexistent/vcluster-chart" in message
        conditions = {c.type: c for c in failed.value.vcluster.status.conditions}
        assert conditions["HelmReleaseDeployed"].reason == "HelmFailed"


def test_a_control_plane_that_never_serves_fails_after_the_timeout(kube: KubeEnv) -> None:
    namespace = api_namespace()
    settings = kubernetes_settings(kube, phase_timeout=2.0, enable_test_hooks=True)
    with (
        running_server(**settings) as server,
        openvcluster.Client(server.address, wait_timeout=60) as client,
    ):
        # The stand-in holds the control plane not Ready for an hour.
        client.create_vcluster(
            namespace, "dev", metadata=(("ovc-test-transition-delay-ms", "3600000"),)
        )
        with pytest.raises(openvcluster.VClusterFailedError) as failed:
            client.wait_for_phase(namespace, "dev", Phase.PHASE_RUNNING)
        assert (
            failed.value.vcluster.status.message == "PROVISIONING did not finish within 2 seconds"
        )


def test_a_crash_looping_control_plane_is_failed(kube: KubeEnv) -> None:
    namespace = api_namespace()
    with (
        running_server(**kubernetes_settings(kube)) as server,
        openvcluster.Client(server.address, wait_timeout=60) as client,
    ):
        client.create_vcluster(namespace, "dev", wait=True)
        crash = {
            "spec": {
                "template": {
                    "metadata": {"annotations": {"standin.openvcluster.io/control-plane": "crash"}}
                }
            }
        }
        kube.client.patch(StatefulSet, "dev", crash, namespace=host_namespace(namespace, "dev"))
        failed = client.wait_for_phase(namespace, "dev", Phase.PHASE_FAILED)
        assert "CrashLoopBackOff" in failed.status.message
        conditions = {c.type: c for c in failed.status.conditions}
        assert conditions["ControlPlaneAvailable"].reason == "CrashLoopBackOff"
