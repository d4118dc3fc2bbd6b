package main

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

// defaultCollect is how long a watch_collect waits when it names no timeout.
const defaultCollect = 5 * time.Second

// watches are the background watches of one case, by the name of their
// watch_start step.
type watches struct {
	byName map[string]*watchBuffer
}

func newWatches() *watches { return &watches{byName: map[string]*watchBuffer{}} }

// watchBuffer hands the events a background goroutine reads to the
// watch_collect steps.
type watchBuffer struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	events  []*openvcluster.WatchEvent
	ended   bool
	failure error
	stopped bool
	cancel  context.CancelFunc
}

// start begins a watch in the background; its events wait for collect. It
// answers once the SDK opened the stream, or with the error that ended the
// watch before a stream was opened (the SDK's own check of the request).
func (w *watches) start(ctx context.Context, name string, watch watchFunc, r *openvclusterv1.WatchVClustersRequest) error {
	ctx, cancel := context.WithCancel(ctx)
	b := &watchBuffer{changed: make(chan struct{}), cancel: cancel}
	w.byName[name] = b
	opened, finished := make(chan struct{}), make(chan struct{})
	ctx = context.WithValue(ctx, streamOpenedKey{}, sync.OnceFunc(func() { close(opened) }))
	events := watch(ctx, r.GetNamespace(), &openvcluster.WatchVClustersParams{Name: r.GetName(), LabelSelector: r.GetLabelSelector()})
	var early error
	go func() {
		var failure error
		defer close(finished)
		for event, err := range events {
			if err != nil {
				failure = err
				break
			}
			b.update(func() { b.events = append(b.events, event) })
		}
		b.update(func() {
			b.ended = true
			// A watch this client stopped ends without error.
			if !(b.stopped && openvcluster.Code(failure) == codes.Canceled) {
				b.failure = failure
			}
		})
		early = failure
	}()
	select {
	case <-opened:
		return nil
	case <-finished:
	}
	select {
	case <-opened:
		return nil
	default:
		return early
	}
}

// streamOpenedKey marks the context of a watch with the function that tells
// start the SDK opened its stream.
type streamOpenedKey struct{}

// streamOpened is a stream interceptor of the case's clients: it tells the
// watch whose context it sees that its stream is being opened.
func streamOpened(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if opened, ok := ctx.Value(streamOpenedKey{}).(func()); ok {
		opened()
	}
	return streamer(ctx, desc, cc, method, opts...)
}

func (b *watchBuffer) update(change func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	change()
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *watchBuffer) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cancel()
}

// collect runs a watch_collect step: up to count events, waiting for them
// until its timeout or the stream's end.
func (w *watches) collect(r *conformancev1.WatchCollect) *conformancev1.StepResult {
	b, ok := w.byName[r.GetWatch()]
	if !ok {
		return errorResult(&conformancev1.Error{Kind: conformancev1.Error_KIND_CLIENT, Message: "no watch named " + r.GetWatch()})
	}
	wait := defaultCollect
	if r.GetTimeoutMs() > 0 {
		wait = time.Duration(r.GetTimeoutMs()) * time.Millisecond
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	count := int(r.GetCount())
	b.mu.Lock()
	for len(b.events) < count && !b.ended {
		changed := b.changed
		b.mu.Unlock()
		timedOut := false
		select {
		case <-changed:
		case <-deadline.C:
			timedOut = true
		}
		b.mu.Lock()
		if timedOut {
			break
		}
	}
	n := min(count, len(b.events))
	taken := b.events[:n:n]
	b.events = b.events[n:]
	ended := b.ended && len(b.events) == 0
	var failure error
	if ended {
		failure = b.failure
	}
	b.mu.Unlock()
	if r.GetStop() {
		b.stop()
	}
	result := &conformancev1.WatchEvents{Events: taken, Ended: ended}
	if failure != nil {
		result.Error = errorOf(failure)
	}
	return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_WatchEvents{WatchEvents: result}}
}

func (w *watches) stopAll() {
	for _, b := range w.byName {
		b.stop()
	}
}
