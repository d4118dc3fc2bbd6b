"""W3C trace context: sent inside an OpenTelemetry span, absent outside one."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from openvcluster._trace_context import trace_metadata


def test_no_span_no_trace_context() -> None:
    assert trace_metadata() == ()


def test_a_span_sends_its_traceparent() -> None:
    with TracerProvider().get_tracer("test").start_as_current_span("caller") as span:
        sent = dict(trace_metadata())
    context = span.get_span_context()
    # version-trace_id-span_id-flags; the flags depend on the sampler
    version, trace_id, span_id, _flags = sent["traceparent"].split("-")
    expected = ("00", f"{context.trace_id:032x}", f"{context.span_id:016x}")
    assert (version, trace_id, span_id) == expected
