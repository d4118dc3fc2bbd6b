"""OpenTelemetry traces: a Python SDK call inside a span is one trace with the
server's span and its store transaction; the HTTP port joins traces too; the
log line names the caller's trace; the environment turns exporting on."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from http_support import http_api
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import openvcluster
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server import tracing
from openvcluster_server.config import ConfigError
from openvcluster_server.logformat import record_fields
from openvcluster_server.testing import running_server
from support import connect

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    yield provider, exporter
    tracing.disable()


def _named(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    (found,) = [span for span in spans if span.name == name]
    return found


def test_an_sdk_call_inside_a_span_is_one_trace_down_to_the_store(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    traces, exporter = provider
    with (
        running_server() as server,
        openvcluster.Client(server.address) as client,
        traces.get_tracer("test").start_as_current_span("caller") as caller,
    ):
        client.create_vcluster("traced", "dev")
    spans = exporter.get_finished_spans()
    served = _named(spans, "openvcluster.v1.VClusterService/CreateVCluster")
    assert served.kind == SpanKind.SERVER
    context = caller.get_span_context()
    assert served.context is not None and served.context.trace_id == context.trace_id
    assert served.parent is not None and served.parent.span_id == context.span_id
    assert served.attributes is not None and served.attributes["rpc.grpc.status_code"] == "OK"
    store = [span for span in spans if span.name == "store.transaction"]
    assert store and store[0].parent is not None
    assert store[0].parent.span_id == served.context.span_id


def test_the_http_port_joins_the_callers_trace(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = provider
    with running_server() as server, http_api(server.http_url) as http:
        http.vclusters.list_v_clusters(
            api.ListVClustersRequest(namespace="traced"), headers={"traceparent": TRACEPARENT}
        )
    served = _named(exporter.get_finished_spans(), "openvcluster.v1.VClusterService/ListVClusters")
    assert served.context is not None and f"{served.context.trace_id:032x}" == TRACE
    assert served.attributes is not None and served.attributes["rpc.system"] == "connect_rpc"


def test_the_log_line_names_the_callers_trace_with_tracing_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO), running_server() as server:
        stubs = connect(server)
        stubs.vclusters.ListVClusters(
            api.ListVClustersRequest(), metadata=(("traceparent", TRACEPARENT),)
        )
        stubs.vclusters.ListVClusters(api.ListVClustersRequest())
        stubs.channel.close()
    lines = [record_fields(r) for r in caplog.records if r.name == "openvcluster_server.rpc"]
    assert [line.get("trace_id") for line in lines] == [TRACE, None]
    assert not tracing.enabled()


def test_the_environment_turns_exporting_on() -> None:
    assert not tracing.configure_from_environment({})
    assert not tracing.configure_from_environment({"OTEL_TRACES_EXPORTER": "none"})
    with pytest.raises(ConfigError, match="OTEL_TRACES_EXPORTER"):
        tracing.configure_from_environment({"OTEL_TRACES_EXPORTER": "zipkin"})
    try:
        assert tracing.configure_from_environment({"OTEL_TRACES_EXPORTER": "console"})
        assert tracing.enabled()
    finally:
        tracing.disable()
