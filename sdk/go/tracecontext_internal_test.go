package openvcluster

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
)

// TestInjectTraceContext checks the metadata a call gets, which the server's
// log cannot show in full: tracestate, the caller's own entries kept, a
// stale traceparent replaced, and nothing at all without a span.
func TestInjectTraceContext(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })

	state, err := trace.ParseTraceState("vendor=opaque")
	if err != nil {
		t.Fatal(err)
	}
	span := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
		TraceState: state,
	})
	caller := metadata.AppendToOutgoingContext(context.Background(),
		"x-caller", "kept", "traceparent", "00-00000000000000000000000000000001-0000000000000001-01")
	ctx := injectTraceContext(trace.ContextWithSpanContext(caller, span))
	md, _ := metadata.FromOutgoingContext(ctx)
	want := map[string]string{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"tracestate":  "vendor=opaque",
		"x-caller":    "kept",
	}
	for key, value := range want {
		if got := md.Get(key); len(got) != 1 || got[0] != value {
			t.Errorf("%s = %q, want [%q]", key, got, value)
		}
	}
	if before, _ := metadata.FromOutgoingContext(caller); len(before.Get("tracestate")) != 0 {
		t.Error("the caller's metadata was changed")
	}

	if got := injectTraceContext(caller); got != caller {
		t.Error("a context without a span was changed")
	}
}
