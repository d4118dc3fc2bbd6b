package openvcluster

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// The SDK makes no spans of its own: it depends on the OpenTelemetry API
// only, so an application that does not trace pays for nothing but a
// context lookup per call. When the caller's context carries a span, the
// interceptors below write it into the call's metadata through the global
// propagator (traceparent and tracestate once the application has set
// propagation.TraceContext), so the server's spans join the caller's trace.

// traceContextUnaryInterceptor propagates the caller's span on a unary
// call. It runs inside the retry interceptor, so every attempt carries it.
func traceContextUnaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(injectTraceContext(ctx), method, req, reply, cc, opts...)
}

// traceContextStreamInterceptor propagates the caller's span on a stream
// (WatchVClusters).
func traceContextStreamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
	method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(injectTraceContext(ctx), desc, cc, method, opts...)
}

// injectTraceContext returns ctx with the propagator's fields of its span
// in the outgoing metadata; ctx itself when it carries no span. The fields
// replace entries of the same key, since two traceparent values would make
// the header invalid and the span in the context is the caller's truth.
func injectTraceContext(ctx context.Context) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	// FromOutgoingContext returns a copy, so setting keys on it leaves the
	// caller's metadata alone.
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok {
		md = metadata.MD{}
	}
	otel.GetTextMapPropagator().Inject(ctx, metadataCarrier(md))
	return metadata.NewOutgoingContext(ctx, md)
}

// metadataCarrier lets a propagator read and write gRPC metadata.
type metadataCarrier metadata.MD

// Get returns the first value of key, "" when there is none.
func (c metadataCarrier) Get(key string) string {
	if values := metadata.MD(c).Get(key); len(values) > 0 {
		return values[0]
	}
	return ""
}

// Set replaces the values of key with value.
func (c metadataCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

// Keys returns the metadata's keys.
func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
