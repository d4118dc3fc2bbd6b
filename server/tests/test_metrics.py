"""Prometheus metrics on --metrics-address: what moves after known calls, on
both ports, what is counted when scraped, and bounded cardinality."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from http_support import http_api
from prometheus_client.parser import text_string_to_metric_families

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterStatus
from openvcluster_server.api_services import SERVICES
from openvcluster_server.app import ReferenceServer
from openvcluster_server.config import ConfigError
from openvcluster_server.metrics import SERVICE_OF
from openvcluster_server.testing import RunningServer, running_server
from support import Phase, connect, failure

VCLUSTERS = "openvcluster.v1.VClusterService"


def _scrape(server: RunningServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by (name, sorted labels)."""
    url = f"http://127.0.0.1:{server.server.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _rpcs(port: str, method: str, code: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"port": port, "service": VCLUSTERS, "method": method, "code": code}
    return ("openvcluster_rpcs_total", tuple(sorted(labels.items())))


def test_calls_on_both_ports_move_the_counters_exactly() -> None:
    with running_server(metrics_address="127.0.0.1:0") as server:
        before = _scrape(server)
        assert _rpcs("grpc", "CreateVCluster", "OK") not in before
        stubs = connect(server)
        stubs.running("team-a", "dev")
        failure(stubs.get, "team-a", "missing")
        failure(stubs.create, "team-a", "Not_A_Name")
        with http_api(server.http_url) as http:
            http.vclusters.get_v_cluster(api.GetVClusterRequest(namespace="team-a", name="dev"))
        stubs.channel.close()
        after = _scrape(server)
    assert after[_rpcs("grpc", "CreateVCluster", "OK")] == 1
    assert after[_rpcs("grpc", "CreateVCluster", "INVALID_ARGUMENT")] == 1
    assert after[_rpcs("grpc", "GetVCluster", "NOT_FOUND")] == 1
    assert after[_rpcs("http", "GetVCluster", "OK")] == 1
    duration = dict(port="http", service=VCLUSTERS, method="GetVCluster")
    key = tuple(sorted(duration.items()))
    assert after[("openvcluster_rpc_duration_seconds_count", key)] == 1
    assert after[("openvcluster_rpcs_in_flight", key)] == 0
    assert after[("openvcluster_vclusters", (("phase", "RUNNING"),))] == 1
    assert after[("openvcluster_watches_open", ())] == 0


def test_open_watches_and_inventory_are_read_when_scraped() -> None:
    with running_server(metrics_address="127.0.0.1:0") as server:
        stubs = connect(server)
        stream = stubs.vclusters.WatchVClusters(api.WatchVClustersRequest(namespace="w"))
        assert next(stream).type == api.WatchVClustersResponse.EVENT_TYPE_SYNCED
        watching = _scrape(server)
        stream.cancel()
        stubs.channel.close()
    assert watching[("openvcluster_watches_open", ())] == 1
    in_flight = tuple(sorted(dict(port="grpc", service=VCLUSTERS, method="WatchVClusters").items()))
    assert watching[("openvcluster_rpcs_in_flight", in_flight)] == 1


def test_namespaces_are_labels_only_when_asked() -> None:
    namespaces = [f"ns-{i}" for i in range(60)]
    for labelled in (False, True):
        with running_server(
            metrics_address="127.0.0.1:0", metrics_namespace_labels=labelled
        ) as server:
            stubs = connect(server)
            for namespace in namespaces:
                stubs.create(namespace, "dev")
            for namespace in namespaces:
                stubs.wait_phase(namespace, "dev", Phase.PHASE_RUNNING)
            samples = _scrape(server)
            stubs.channel.close()
        series = [key for key in samples if key[0] == "openvcluster_vclusters"]
        # Without namespace labels the series do not grow with the namespaces.
        assert len(series) == (len(namespaces) if labelled else 1)


def test_metrics_are_off_by_default_and_loopback_unless_insecure() -> None:
    with running_server() as server:
        assert server.server.metrics is None
        assert server.server.metrics_port == 0
    with pytest.raises(ConfigError, match="metrics"), running_server(metrics_address="0.0.0.0:0"):
        pass


def test_only_metrics_are_served_on_the_metrics_port() -> None:
    with running_server(metrics_address="127.0.0.1:0") as server:
        url = f"http://127.0.0.1:{server.server.metrics_port}/openvcluster.v1.VClusterService/GetVCluster"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 404


def test_each_phase_is_timed_when_the_vcluster_leaves_it() -> None:
    with running_server(metrics_address="127.0.0.1:0") as server:
        stubs = connect(server)
        stubs.running("team-a", "dev")
        stubs.vclusters.DeleteVCluster(api.DeleteVClusterRequest(namespace="team-a", name="dev"))
        stubs.wait_gone("team-a", "dev")
        samples = _scrape(server)
        stubs.channel.close()
    timed = {
        dict(labels)["phase"]: value
        for (name, labels), value in samples.items()
        if name == "openvcluster_phase_duration_seconds_count"
    }
    # Created in PROVISIONING, RUNNING until deleted, DELETING until gone.
    assert timed == {"PROVISIONING": 1, "RUNNING": 1, "DELETING": 1}
    # Two calls and the two transitions they began: one store transaction each.
    assert samples[("openvcluster_store_transaction_duration_seconds_count", ())] == 4


def test_ten_thousand_vclusters_add_no_series() -> None:
    with running_server(metrics_address="127.0.0.1:0") as server:
        few = len(_scrape(server))

        def fill(reference: ReferenceServer) -> None:
            with reference.store.transaction():
                for index in range(10_000):
                    reference.store.put_vcluster(
                        VCluster(
                            namespace=f"ns-{index}",
                            name="dev",
                            status=VClusterStatus(phase=Phase.PHASE_RUNNING),
                        )
                    )

        server.call(fill)
        many = _scrape(server)
    assert many[("openvcluster_vclusters", (("phase", "RUNNING"),))] == 10_000
    # One more series (the RUNNING count) for ten thousand vclusters in as many namespaces.
    assert len(many) == few + 1


def test_every_rpc_is_labelled_with_its_service() -> None:
    """No method of the API's services is counted under service="unknown"."""
    for service in SERVICES:
        for method in service.methods:
            assert SERVICE_OF[method.name] == service.full_name
    assert SERVICE_OF["GetOperation"] == "openvcluster.v1.OperationService"
