package openvcluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// How the wait helpers pace their reads when they poll.
const (
	firstPoll = 50 * time.Millisecond
	maxPoll   = time.Second
)

// WaitState is what a wait follows: *VCluster for WaitForPhase and
// WaitForDeletion, *Snapshot for WaitForSnapshot.
type WaitState interface{ *VCluster | *Snapshot }

// WaitOption changes one call of a wait helper that follows a T (see
// WaitState); OnChange makes one.
type WaitOption[T WaitState] func(*waitOptions[T])

type waitOptions[T WaitState] struct {
	onChange func(T)
}

// OnChange reports the progress of a wait: f is called with each state the
// wait sees (from its watch, or a read when it polls), the first one
// included, once per state (never twice for the same etag; for a snapshot,
// for the same read), before the wait decides whether it is over, and never
// after the wait returns. f runs on the goroutine of the wait, which it
// holds up while it runs.
//
//	vc, err := client.WaitForPhase(ctx, "team-a", "dev", openvcluster.PhaseRunning,
//		openvcluster.OnChange(func(vc *openvcluster.VCluster) {
//			fmt.Println(openvcluster.PhaseName(vc.GetStatus().GetPhase())) // PROVISIONING, RUNNING
//		}))
func OnChange[T WaitState](f func(T)) WaitOption[T] {
	return func(o *waitOptions[T]) { o.onChange = f }
}

func applyWaitOptions[T WaitState](opts []WaitOption[T]) waitOptions[T] {
	var o waitOptions[T]
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WaitForPhase waits until a vcluster is in phase and returns it.
//
// It follows one WatchVClusters stream of the vcluster: the stream's initial
// state and its Synced event tell the current state without a separate read,
// and every later event is a change. A watch the server ends because it fell
// behind is started again, one that fails with a retryable code is started
// again under the client's retry policy, and when the watch cannot be used
// otherwise the helper polls GetVCluster instead.
//
// Every other phase on the way, including UPGRADING and any phase this
// client does not know (a newer server's), is taken as intermediate: the
// wait goes on through it. Only FAILED ends a wait for another phase.
//
// The wait is bounded by the client's wait timeout (WithWaitTimeout) and by
// ctx. OnChange reports its progress. Errors: *WaitTimeoutError when the
// phase was not reached in time; *VClusterFailedError when the vcluster
// ended in FAILED instead; NOT_FOUND when it does not exist or was deleted
// meanwhile.
func (c *Client) WaitForPhase(ctx context.Context, namespace, name string, phase Phase, opts ...WaitOption[*VCluster]) (*VCluster, error) {
	w := c.newVClusterWaiter(namespace, name, &phase)
	w.onChange = applyWaitOptions(opts).onChange
	if err := c.runVClusterWaiter(ctx, w); err != nil {
		return nil, err
	}
	return w.lastSeen, nil
}

// WaitForDeletion waits until a vcluster is gone; it returns at once when
// the vcluster does not exist. OnChange reports each state of the vcluster
// it sees (DELETING ...); its disappearance is the return. Errors:
// *WaitTimeoutError when it still exists in time.
func (c *Client) WaitForDeletion(ctx context.Context, namespace, name string, opts ...WaitOption[*VCluster]) error {
	w := c.newVClusterWaiter(namespace, name, nil)
	w.onChange = applyWaitOptions(opts).onChange
	return c.runVClusterWaiter(ctx, w)
}

// WaitForSnapshot waits until a snapshot is in phase (usually SnapshotReady)
// and returns it, polling GetSnapshot (snapshots have no watch). OnChange
// reports each read that differs from the one before. Errors:
// *WaitTimeoutError; *SnapshotFailedError when it ended in FAILED; NOT_FOUND.
func (c *Client) WaitForSnapshot(ctx context.Context, namespace, name string, phase SnapshotPhase, opts ...WaitOption[*Snapshot]) (*Snapshot, error) {
	w := &snapshotWaiter{namespace: namespace, name: name, target: phase, onChange: applyWaitOptions(opts).onChange}
	wctx, cancel := c.waitContext(ctx)
	defer cancel()
	poll := firstPoll
	for {
		current, err := c.GetSnapshot(wctx.inner, namespace, name)
		if err != nil {
			if wctx.expired() {
				return nil, wctx.timeoutError(w.describe(), nil, w.lastSeen)
			}
			return nil, err
		}
		if done, err := w.observe(current); done || err != nil {
			if err != nil {
				return nil, err
			}
			return current, nil
		}
		if !sleep(wctx.inner, poll) {
			return nil, wctx.timeoutError(w.describe(), nil, w.lastSeen)
		}
		poll = min(poll*2, maxPoll)
	}
}

// waitFrom waits for target, starting from the state a mutation returned.
func (c *Client) waitFrom(ctx context.Context, vc *VCluster, target Phase) (*VCluster, error) {
	w := c.newVClusterWaiter(vc.GetNamespace(), vc.GetName(), &target)
	if done, err := w.observe(vc); err != nil {
		return nil, err
	} else if done {
		return vc, nil
	}
	if err := c.runVClusterWaiter(ctx, w); err != nil {
		return nil, err
	}
	return w.lastSeen, nil
}

// waitContext bounds a wait by the client's wait timeout, keeping the
// caller's context to tell its deadline from the wait timeout.
type waitContext struct {
	outer   context.Context
	inner   context.Context
	timeout time.Duration
}

func (c *Client) waitContext(ctx context.Context) (*waitContext, context.CancelFunc) {
	w := &waitContext{outer: ctx, inner: ctx, timeout: c.call.waitTimeout}
	cancel := context.CancelFunc(func() {})
	if w.timeout > 0 {
		w.inner, cancel = context.WithTimeout(ctx, w.timeout)
	}
	return w, cancel
}

// expired reports whether the wait is over: its context ended, or its
// deadline has passed. grpc can fail a call with DEADLINE_EXCEEDED from its
// own timer a moment before the context's timer marks the context done, and
// that call's error must still read as the wait's timeout.
func (w *waitContext) expired() bool {
	if w.inner.Err() != nil {
		return true
	}
	deadline, ok := w.inner.Deadline()
	return ok && !time.Now().Before(deadline)
}

// timeoutError is the error of a wait whose context ended: a
// *WaitTimeoutError for a deadline, CANCELLED when the caller cancelled.
func (w *waitContext) timeoutError(what string, vc *VCluster, snap *Snapshot) error {
	err := &WaitTimeoutError{What: what, LastSeenVCluster: vc, LastSeenSnapshot: snap}
	cause := w.outer.Err()
	if deadline, ok := w.outer.Deadline(); cause == nil && ok && !time.Now().Before(deadline) {
		// The caller's deadline has passed, but its context's timer has not
		// marked it done yet (expired looks at the clock, as grpc does): the
		// caller's deadline ended the wait, not the client's wait timeout.
		cause = context.DeadlineExceeded
	}
	switch {
	case errors.Is(cause, context.Canceled):
		return toError(cause, "")
	case cause != nil:
		err.Cause = cause
	default:
		err.Timeout = w.timeout
	}
	return err
}

// vclusterWaiter holds the decisions of a vcluster wait, as the Python SDK's
// VClusterWaiter does: what it waits for, what it saw (and reported to
// onChange), and when to watch again or poll.
type vclusterWaiter struct {
	namespace, name string
	target          *Phase // nil: deletion
	lastSeen        *VCluster
	onChange        func(*VCluster) // nil: no reports
	reported        *VCluster       // the last state given to onChange
	retry           *RetryPolicy
	retries         *retryState
	rewatchPause    time.Duration
	// What the current watch has sent: the vcluster's state, and Synced.
	present, synced bool
}

func (c *Client) newVClusterWaiter(namespace, name string, target *Phase) *vclusterWaiter {
	return &vclusterWaiter{
		namespace:    namespace,
		name:         name,
		target:       target,
		retry:        c.call.retry,
		retries:      newRetryState(c.call.retry),
		rewatchPause: firstPoll,
	}
}

func (w *vclusterWaiter) describe() string {
	if w.target == nil {
		return fmt.Sprintf("vcluster %s/%s was not deleted", w.namespace, w.name)
	}
	return fmt.Sprintf("vcluster %s/%s did not reach %s", w.namespace, w.name, PhaseName(*w.target))
}

// observe takes a state in, reporting it first when it is new: done when
// the target is reached, *VClusterFailedError when the vcluster FAILED and
// another phase is awaited.
func (w *vclusterWaiter) observe(vc *VCluster) (bool, error) {
	w.lastSeen = vc
	if w.onChange != nil && (w.reported == nil || !sameVCluster(w.reported, vc)) {
		w.reported = vc
		w.onChange(vc)
	}
	phase := vc.GetStatus().GetPhase()
	if w.target != nil && phase == *w.target {
		return true, nil
	}
	if phase == PhaseFailed && (w.target == nil || *w.target != PhaseFailed) {
		return false, &VClusterFailedError{VCluster: vc}
	}
	return false, nil
}

// sameVCluster tells whether two states are the same one: the etag changes
// with every change; without one, the whole message is compared.
func sameVCluster(a, b *VCluster) bool {
	if a.GetEtag() != "" || b.GetEtag() != "" {
		return a.GetEtag() == b.GetEtag()
	}
	return proto.Equal(a, b)
}

// observeGone: the vcluster does not exist; done when awaiting deletion,
// NOT_FOUND otherwise.
func (w *vclusterWaiter) observeGone() (bool, error) {
	if w.target == nil {
		return true, nil
	}
	what := fmt.Sprintf("vcluster %s/%s", w.namespace, w.name)
	message := fmt.Sprintf("%s was deleted while waiting for %s", what, PhaseName(*w.target))
	if w.lastSeen == nil {
		message = fmt.Sprintf("%s does not exist, so it cannot reach %s", what, PhaseName(*w.target))
	}
	return false, fromStatus(status.New(codes.NotFound, message), "")
}

// observeEvent takes a watch event in. Synced with no state of the vcluster
// before it means the vcluster does not exist; Deleted means it is gone.
// Events of other vclusters and of unknown types are ignored.
func (w *vclusterWaiter) observeEvent(ev *WatchEvent) (bool, error) {
	if ev.GetType() == EventSynced {
		w.synced = true
		if w.present {
			return false, nil
		}
		return w.observeGone()
	}
	vc := ev.GetVcluster()
	if vc == nil || vc.GetName() != w.name || vc.GetNamespace() != w.namespace {
		return false, nil
	}
	switch ev.GetType() {
	case EventDeleted:
		w.lastSeen, w.present = vc, false
		return w.observeGone()
	case EventAdded, EventModified:
		w.present = true
		return w.observe(vc)
	}
	return false, nil
}

// watchEnded decides after a watch ended before the wait was over (ended is
// nil when the stream just ended): the pause before watching again, or
// ok=false to poll from now on.
func (w *vclusterWaiter) watchEnded(ended error) (pause time.Duration, ok bool) {
	if ended == nil {
		return 0, false
	}
	if w.synced {
		// The watch worked: its failure starts a fresh round of retries.
		w.retries = newRetryState(w.retry)
		w.rewatchPause = firstPoll
	}
	code := Code(ended)
	if code == codes.ResourceExhausted {
		// The server ended a watcher that fell behind: watch again. Pause
		// only when the watch never got through its initial state, so a
		// server that refuses every watch is not called in a busy loop.
		if w.synced {
			return 0, true
		}
		pause = w.rewatchPause
		w.rewatchPause = min(pause*2, maxPoll)
		return pause, true
	}
	return w.retries.next(code)
}

// runVClusterWaiter watches the vcluster until the wait is over, falling back
// to polling when the watch cannot be used.
func (c *Client) runVClusterWaiter(ctx context.Context, w *vclusterWaiter) error {
	wctx, cancel := c.waitContext(ctx)
	defer cancel()
	for {
		done, ended, err := c.watchOnce(wctx.inner, w)
		if done || err != nil {
			return err
		}
		if wctx.expired() {
			return wctx.timeoutError(w.describe(), w.lastSeen, nil)
		}
		pause, again := w.watchEnded(ended)
		if !again {
			break
		}
		if !sleep(wctx.inner, pause) {
			return wctx.timeoutError(w.describe(), w.lastSeen, nil)
		}
	}
	return c.pollVCluster(wctx, w)
}

// watchOnce follows one watch of the vcluster: done when the wait is over,
// else the error that ended the stream (nil for a clean end).
func (c *Client) watchOnce(ctx context.Context, w *vclusterWaiter) (done bool, ended error, err error) {
	w.present, w.synced = false, false
	for ev, werr := range c.WatchVClusters(ctx, w.namespace, &WatchVClustersParams{Name: w.name}) {
		if werr != nil {
			return false, werr, nil
		}
		if done, err := w.observeEvent(ev); done || err != nil {
			return done, nil, err
		}
	}
	return false, nil, nil
}

// pollVCluster reads the vcluster with a growing interval until the wait is over.
func (c *Client) pollVCluster(wctx *waitContext, w *vclusterWaiter) error {
	poll := firstPoll
	for {
		current, err := c.GetVCluster(wctx.inner, w.namespace, w.name)
		var done bool
		switch {
		case err == nil:
			done, err = w.observe(current)
		case IsNotFound(err):
			done, err = w.observeGone()
		case wctx.expired():
			return wctx.timeoutError(w.describe(), w.lastSeen, nil)
		}
		if done || err != nil {
			return err
		}
		if !sleep(wctx.inner, poll) {
			return wctx.timeoutError(w.describe(), w.lastSeen, nil)
		}
		poll = min(poll*2, maxPoll)
	}
}

// snapshotWaiter holds the decisions of a snapshot wait.
type snapshotWaiter struct {
	namespace, name string
	target          SnapshotPhase
	lastSeen        *Snapshot
	onChange        func(*Snapshot) // nil: no reports
}

func (w *snapshotWaiter) describe() string {
	return fmt.Sprintf("snapshot %s/%s did not reach %s", w.namespace, w.name, SnapshotPhaseName(w.target))
}

// observe takes a read in, reporting it first when it differs from the one
// before: done when the target is reached, *SnapshotFailedError on FAILED.
func (w *snapshotWaiter) observe(s *Snapshot) (bool, error) {
	if w.onChange != nil && (w.lastSeen == nil || !proto.Equal(w.lastSeen, s)) {
		w.onChange(s)
	}
	w.lastSeen = s
	if s.GetPhase() == w.target {
		return true, nil
	}
	if s.GetPhase() == SnapshotFailed {
		return false, &SnapshotFailedError{Snapshot: s}
	}
	return false, nil
}

// sleep pauses for d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
