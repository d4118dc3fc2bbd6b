"""The reference server with tracing on and a no-op span exporter.

What tracing costs the server itself: every RPC makes its spans (the call,
its store transaction) and hands them to a batch processor, as with OTLP,
but the exporter drops them, so no collector is needed and none is timed.

    python -m bench.traced_server serve --address 127.0.0.1:0 ...
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from openvcluster_server import cli, tracing


class DroppingExporter(SpanExporter):
    """Accepts every batch and keeps nothing."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def main() -> int:
    """Enables tracing through the dropping exporter, then runs the server's command line."""
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DroppingExporter()))
    tracing.enable(provider)
    try:
        return cli.main(sys.argv[1:])
    finally:
        provider.shutdown()


if __name__ == "__main__":
    sys.exit(main())
