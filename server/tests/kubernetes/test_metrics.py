"""The Kubernetes backend's metrics: reconciles, the reconciler's queue, the
requests to the API server and the remembered request ids, after a vcluster
goes through its life."""

from __future__ import annotations

import urllib.request
import uuid

from prometheus_client.parser import text_string_to_metric_families

import openvcluster
from k8s_testenv.fixtures import KubeEnv
from openvcluster_server.testing import running_server

from .conftest import kubernetes_settings


def test_reconciles_and_api_requests_are_counted(kube: KubeEnv) -> None:
    namespace = f"metrics-{uuid.uuid4().hex[:8]}"
    settings = kubernetes_settings(kube, metrics_address="127.0.0.1:0")
    with running_server(**settings) as server:
        with openvcluster.Client(server.address, wait_timeout=120) as client:
            client.create_vcluster(namespace, "dev")
            client.wait_for_phase(namespace, "dev", openvcluster.Phase.PHASE_RUNNING)
            client.delete_vcluster(namespace, "dev")
        url = f"http://127.0.0.1:{server.server.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as answer:
            families = {f.name: f for f in text_string_to_metric_families(answer.read().decode())}
    reconciles = {
        s.name: s.value for s in families["openvcluster_kube_reconcile_duration_seconds"].samples
    }
    assert reconciles["openvcluster_kube_reconcile_duration_seconds_count"] >= 2
    requests = {
        (s.labels["method"], s.labels["code"]): s.value
        for s in families["openvcluster_kube_api_requests"].samples
    }
    # The VCluster resource was created, then patched as its phases moved.
    assert requests[("POST", "201")] >= 1
    assert sum(v for (method, _), v in requests.items() if method == "WATCH") >= 1
    assert len(families["openvcluster_kube_reconcile_queue_depth"].samples) == 1
    # Without --leader-elect the one server reconciles.
    assert families["openvcluster_kube_leader"].samples[0].value == 1
    # The create's and the delete's answers, kept as ConfigMaps for their retries.
    (remembered,) = families["openvcluster_request_ids_remembered"].samples
    assert remembered.value >= 2
