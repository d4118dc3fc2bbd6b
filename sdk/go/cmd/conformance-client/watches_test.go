package main

import (
	"context"
	"errors"
	"iter"
	"testing"

	"google.golang.org/grpc"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// TestWatchStartAnswers: watch_start answers done once the SDK opens the
// stream (through the clients' stream interceptor), and with the error of a
// watch that ended before opening one, such as the SDK's check of the request.
func TestWatchStartAnswers(t *testing.T) {
	refused := errors.New("refused before streaming")
	early := func(context.Context, string, *openvcluster.WatchVClustersParams) iter.Seq2[*openvcluster.WatchEvent, error] {
		return func(yield func(*openvcluster.WatchEvent, error) bool) { yield(nil, refused) }
	}
	streaming := func(ctx context.Context, _ string, _ *openvcluster.WatchVClustersParams) iter.Seq2[*openvcluster.WatchEvent, error] {
		return func(yield func(*openvcluster.WatchEvent, error) bool) {
			noStream := func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
				return nil, nil
			}
			_, _ = streamOpened(ctx, &grpc.StreamDesc{ServerStreams: true}, nil, "/watch", noStream)
			<-ctx.Done() // a stream with no events, until stopped
			yield(nil, ctx.Err())
		}
	}
	w := newWatches()
	defer w.stopAll()
	request := &openvclusterv1.WatchVClustersRequest{}
	if err := w.start(t.Context(), "early", early, request); !errors.Is(err, refused) {
		t.Errorf("watch refused before streaming: %v, want %v", err, refused)
	}
	if err := w.start(t.Context(), "streaming", streaming, request); err != nil {
		t.Errorf("streaming watch: %v, want done", err)
	}
}
