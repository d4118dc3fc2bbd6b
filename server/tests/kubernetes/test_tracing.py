"""Traces on the Kubernetes backend: an SDK call's server span has the
Kubernetes API requests it made as children."""

from __future__ import annotations

import uuid

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import openvcluster
from k8s_testenv.fixtures import KubeEnv
from openvcluster_server import tracing
from openvcluster_server.testing import running_server

from .conftest import kubernetes_settings


def test_a_create_is_traced_down_to_the_kubernetes_api(kube: KubeEnv) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    try:
        with (
            running_server(**kubernetes_settings(kube)) as server,
            openvcluster.Client(server.address) as client,
            provider.get_tracer("test").start_as_current_span("caller"),
        ):
            client.create_vcluster(f"traced-{uuid.uuid4().hex[:8]}", "dev")
    finally:
        tracing.disable()
    spans = exporter.get_finished_spans()
    (served,) = [s for s in spans if s.name == "openvcluster.v1.VClusterService/CreateVCluster"]
    assert served.context is not None
    children = [
        s for s in spans if s.parent is not None and s.parent.span_id == served.context.span_id
    ]
    # The VCluster resource is created with one POST to the API server.
    assert "kube POST" in {s.name for s in children}
