package openvcluster_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// TestTraceContext traces as an application does, with a global tracer
// provider and the W3C propagator, and reads in the reference server's log
// which trace each call joined (its trace_id field).
func TestTraceContext(t *testing.T) {
	tracer := useTracing(t)

	t.Run("unary", func(t *testing.T) {
		t.Parallel()
		c, ns := newClient(t), namespace(t)
		ctx, span := tracer.Start(testContext(t), "create and get")
		defer span.End()
		requestID := openvcluster.NewRequestID()
		if _, err := c.CreateVCluster(ctx, ns, "traced", &openvcluster.CreateVClusterParams{RequestID: requestID}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetVCluster(ctx, ns, "traced"); err != nil {
			t.Fatal(err)
		}
		want := span.SpanContext().TraceID().String()
		create := plain.waitForLog(t, "CreateVCluster line", func(line string) bool {
			return unquote(logFields(line)["request_id"]) == requestID
		})
		if got := logFields(create)["trace_id"]; got != want {
			t.Errorf("CreateVCluster in trace %s logged trace_id %q:\n%s", want, got, create)
		}
		plain.waitForLog(t, "GetVCluster line with trace_id="+want, func(line string) bool {
			fields := logFields(line)
			return fields["method"] == "GetVCluster" && fields["trace_id"] == want
		})
	})

	t.Run("every retry attempt", func(t *testing.T) {
		t.Parallel()
		c, ns := newClient(t), namespace(t)
		ctx, span := tracer.Start(testContext(t), "get through a failure")
		defer span.End()
		// The server fails the first attempt with UNAVAILABLE; the retry succeeds.
		hooked := withMetadata(ctx, "ovc-test-unavailable", ns+"-traced:1")
		if _, err := c.GetVCluster(hooked, ns, "missing"); !openvcluster.IsNotFound(err) {
			t.Fatalf("GetVCluster of a missing vcluster: %v, want NOT_FOUND", err)
		}
		want := span.SpanContext().TraceID().String()
		for _, code := range []string{"UNAVAILABLE", "NOT_FOUND"} {
			plain.waitForLog(t, "GetVCluster "+code+" line with trace_id="+want, func(line string) bool {
				fields := logFields(line)
				return fields["method"] == "GetVCluster" && fields["code"] == code && fields["trace_id"] == want
			})
		}
	})

	t.Run("watch", func(t *testing.T) {
		t.Parallel()
		c, ns := newClient(t), namespace(t)
		ctx, span := tracer.Start(testContext(t), "watch")
		defer span.End()
		for ev, err := range c.WatchVClusters(ctx, ns, nil) {
			if err != nil {
				t.Fatal(err)
			}
			if ev.GetType() == openvcluster.EventSynced {
				break // the server logs the call when the stream ends
			}
		}
		want := span.SpanContext().TraceID().String()
		plain.waitForLog(t, "WatchVClusters line with trace_id="+want, func(line string) bool {
			fields := logFields(line)
			return fields["method"] == "WatchVClusters" && fields["trace_id"] == want
		})
	})

	t.Run("no span", func(t *testing.T) {
		t.Parallel()
		c, ns := newClient(t), namespace(t)
		requestID := openvcluster.NewRequestID()
		if _, err := c.CreateVCluster(testContext(t), ns, "untraced", &openvcluster.CreateVClusterParams{RequestID: requestID}); err != nil {
			t.Fatal(err)
		}
		line := plain.waitForLog(t, "CreateVCluster line", func(line string) bool {
			return unquote(logFields(line)["request_id"]) == requestID
		})
		if id := unquote(logFields(line)["trace_id"]); id != "" {
			t.Errorf("a call without a span logged trace_id %q:\n%s", id, line)
		}
	})
}

// useTracing installs, until the test ends, a tracer provider that records
// its spans and the W3C trace context propagator as the global ones, and
// returns a tracer of that provider.
func useTracing(t *testing.T) trace.Tracer {
	t.Helper()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	prevProvider, prevPropagator := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(prevProvider)
		otel.SetTextMapPropagator(prevPropagator)
		_ = provider.Shutdown(context.Background())
	})
	return otel.Tracer("openvcluster-sdk-test")
}

func unquote(value string) string {
	return strings.Trim(value, `"`)
}
