"""W3C trace context on every call made inside an OpenTelemetry span.

With OpenTelemetry's API installed (the ``otel`` extra) and a span active
when a call is made, the call carries ``traceparent`` (and ``tracestate``)
from the global propagator, so the server's spans join the caller's trace.
Without the API, or without a span, nothing is added and nothing is paid.
"""

from __future__ import annotations

try:
    from opentelemetry import propagate
except ImportError:  # the otel extra is not installed
    propagate = None  # type: ignore[assignment]


def trace_metadata() -> tuple[tuple[str, str], ...]:
    """The trace context headers of the current span, as gRPC metadata."""
    if propagate is None:
        return ()
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return tuple(carrier.items())
