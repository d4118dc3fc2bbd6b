"""OpenTelemetry traces of the server, off unless enabled.

Enabled, each RPC (on either port) is a server span, a child of the caller's
span when the call carries W3C trace context (``traceparent``), with child
spans for store transactions and Kubernetes API requests. The command line
enables it when ``OTEL_TRACES_EXPORTER`` is ``otlp`` or ``console`` (the
exporter then reads the other standard ``OTEL_*`` variables); tests enable
it with a provider of their own. OpenTelemetry is the ``otel`` extra of the
server, imported only when enabled, so a server without it pays nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from openvcluster_server.config import ConfigError

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_NO_TRACE = "0" * 32
EXPORTERS = ("otlp", "console")


class _State:
    tracer: Tracer | None = None


def enable(provider: TracerProvider) -> None:
    """Traces every RPC from now on, through ``provider``."""
    from openvcluster_server import __version__

    _State.tracer = provider.get_tracer("openvcluster_server", __version__)


def disable() -> None:
    """Stops tracing (tests that enabled it)."""
    _State.tracer = None


def enabled() -> bool:
    """Whether spans are made."""
    return _State.tracer is not None


def configure_from_environment(environ: dict[str, str] | None = None) -> bool:
    """Enables tracing as ``OTEL_TRACES_EXPORTER`` asks; False when it asks for none."""
    env = os.environ if environ is None else environ
    kind = env.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if kind in ("", "none"):
        return False
    if kind not in EXPORTERS:
        raise ConfigError(
            f"OTEL_TRACES_EXPORTER={kind!r}: the server exports traces with "
            f"{' or '.join(EXPORTERS)} (or none)"
        )
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SpanExporter,
        )
    except ImportError:
        raise ConfigError(
            "OTEL_TRACES_EXPORTER is set, but OpenTelemetry is not installed: "
            "pip install 'open-vcluster-api-server[otel]'"
        ) from None
    exporter: SpanExporter
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    else:
        exporter = ConsoleSpanExporter()
    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    provider = TracerProvider(resource=Resource.create({"service.name": "openvcluster-server"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    enable(provider)
    return True


def trace_id(metadata: Collection[tuple[str, str | bytes]]) -> str:
    """The trace id of a call's W3C ``traceparent``, "" when it has none (for the log line)."""
    for key, value in metadata:
        if key == "traceparent":
            found = _TRACEPARENT.match(str(value))
            if found and found.group(1) != _NO_TRACE:
                return found.group(1)
    return ""


def start_rpc_span(
    port: str, service: str, method: str, metadata: Collection[tuple[str, str | bytes]]
) -> Span | None:
    """A server span for one call, under the caller's trace if it sent one; None when off.

    Not made current: a stream's span lives across its writes. The caller ends it.
    """
    tracer = _State.tracer
    if tracer is None:
        return None
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    carrier = {key: str(value) for key, value in metadata if not key.endswith("-bin")}
    return tracer.start_span(
        f"{service}/{method}",
        context=extract(carrier),
        kind=SpanKind.SERVER,
        attributes={
            "rpc.system": "grpc" if port == "grpc" else "connect_rpc",
            "rpc.service": service,
            "rpc.method": method,
        },
    )


def end_rpc_span(span: Span | None, code: str) -> None:
    """Ends a call's span with its status code; a server fault marks it an error."""
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("rpc.grpc.status_code", code)
    if code in ("INTERNAL", "UNKNOWN", "DATA_LOSS", "UNAVAILABLE"):
        span.set_status(Status(StatusCode.ERROR, code))
    span.end()


@contextlib.contextmanager
def use_span(span: Span | None) -> Iterator[None]:
    """Makes ``span`` current for the block (its children nest under it); no-op for None."""
    if span is None:
        yield
        return
    from opentelemetry.trace import use_span as use

    with use(span, end_on_exit=False):
        yield


@contextlib.contextmanager
def child(name: str, **attributes: Any) -> Iterator[None]:
    """A child span of the current one (a store transaction, a Kubernetes request)."""
    tracer = _State.tracer
    if tracer is None:
        yield
        return
    with tracer.start_as_current_span(name, attributes=attributes):
        yield
