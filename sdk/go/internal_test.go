package openvcluster

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

func TestRetryStateFullJitter(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 250 * time.Millisecond}.withDefaults()
	for range 200 {
		s := newRetryState(&p)
		caps := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
		for i, limit := range caps {
			wait, ok := s.next(codes.Unavailable)
			if !ok || wait < 0 || wait > limit {
				t.Fatalf("wait %d = %s, %v; want within [0, %s]", i+1, wait, ok, limit)
			}
		}
		if _, ok := s.next(codes.Unavailable); ok {
			t.Fatal("a fifth attempt of a four-attempt policy")
		}
	}
	s := newRetryState(&p)
	if _, ok := s.next(codes.NotFound); ok {
		t.Error("NOT_FOUND retried")
	}
	if _, ok := newRetryState(nil).next(codes.Unavailable); ok {
		t.Error("retried without a policy")
	}
}

func TestRetryStateTotalTimeout(t *testing.T) {
	p := RetryPolicy{TotalTimeout: time.Second}.withDefaults()
	s := newRetryState(&p)
	s.start = time.Now().Add(-999 * time.Millisecond)
	if got := s.attemptTimeout(30 * time.Second); got > time.Millisecond+time.Millisecond/2 {
		t.Errorf("attempt timeout near the end = %s", got)
	}
	s.start = time.Now().Add(-2 * time.Second)
	if _, ok := s.next(codes.Unavailable); ok {
		t.Error("retried after the total timeout")
	}
	unbounded := RetryPolicy{TotalTimeout: -1}.withDefaults()
	if got := newRetryState(&unbounded).attemptTimeout(0); got != 0 {
		t.Errorf("unbounded attempt timeout = %s", got)
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	p := RetryPolicy{}.withDefaults()
	if p.MaxAttempts != 5 || p.InitialBackoff != 100*time.Millisecond || p.MaxBackoff != 5*time.Second ||
		p.Multiplier != 2 || p.TotalTimeout != time.Minute || len(p.RetryCodes) != 1 || p.RetryCodes[0] != codes.Unavailable {
		t.Errorf("defaults = %+v", p)
	}
	// The deprecated Codes stands in for RetryCodes when that is empty.
	old := RetryPolicy{Codes: []codes.Code{codes.Aborted}}.withDefaults()
	if !slices.Equal(old.RetryCodes, []codes.Code{codes.Aborted}) || old.Codes != nil {
		t.Errorf("policy with Codes = %+v", old)
	}
	both := RetryPolicy{RetryCodes: []codes.Code{codes.Unavailable}, Codes: []codes.Code{codes.Aborted}}.withDefaults()
	if !slices.Equal(both.RetryCodes, []codes.Code{codes.Unavailable}) {
		t.Errorf("policy with RetryCodes and Codes = %+v", both)
	}
}

func TestNewRequestID(t *testing.T) {
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := NewRequestID(), NewRequestID()
	if !uuid4.MatchString(a) || a == b {
		t.Errorf("request ids %q, %q", a, b)
	}
}

func TestRestingPhase(t *testing.T) {
	cases := map[Phase]Phase{
		PhaseProvisioning: PhaseRunning, PhaseScaling: PhaseRunning, PhaseSuspending: PhaseSuspended,
		PhaseResuming: PhaseRunning, PhaseRestoring: PhaseRunning, PhaseSuspended: PhaseSuspended, PhaseDeleting: PhaseDeleting,
	}
	for in, want := range cases {
		if got := RestingPhase(in); got != want {
			t.Errorf("RestingPhase(%s) = %s, want %s", in, got, want)
		}
	}
	if PhaseName(PhaseRunning) != "RUNNING" || SnapshotPhaseName(SnapshotReady) != "READY" {
		t.Error("phase names")
	}
}

// pastDeadline is a context whose deadline has passed but whose own timer
// has not yet marked it done: the moment grpc may already have failed a
// call with DEADLINE_EXCEEDED.
type pastDeadline struct{ context.Context }

func (pastDeadline) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

func TestWaitExpiresAtItsDeadlineBeforeItsContextIsDone(t *testing.T) {
	live := &waitContext{inner: context.Background()}
	if live.expired() {
		t.Error("a wait without a deadline expired")
	}
	late := &waitContext{outer: context.Background(), inner: pastDeadline{context.Background()}, timeout: time.Second}
	if !late.expired() {
		t.Error("a wait past its deadline did not expire")
	}
	var timeout *WaitTimeoutError
	if err := late.timeoutError("vcluster a/b did not reach RUNNING", nil, nil); !errors.As(err, &timeout) {
		t.Errorf("timeoutError = %v, want a *WaitTimeoutError", err)
	}
}

func TestUpgradingAndUnknownPhasesAreIntermediate(t *testing.T) {
	if RestingPhase(PhaseUpgrading) != PhaseRunning || PhaseName(PhaseUpgrading) != "UPGRADING" {
		t.Errorf("RestingPhase(UPGRADING) = %s", RestingPhase(PhaseUpgrading))
	}
	unknown := Phase(42)
	cases := map[Phase]Phase{
		PhaseUpgrading: PhaseRunning, unknown: PhaseRunning,
		PhaseRunning: PhaseRunning, PhaseSuspended: PhaseSuspended, PhaseFailed: PhaseFailed,
	}
	for in, want := range cases {
		if got := RestingPhase(in); got != want {
			t.Errorf("RestingPhase(%s) = %s, want %s", in, got, want)
		}
	}
	// A wait passes through UPGRADING and a phase it does not know.
	w := &vclusterWaiter{namespace: "ns", name: "vc", target: new(PhaseRunning)}
	for _, p := range []Phase{PhaseUpgrading, unknown} {
		if done, err := w.observe(&VCluster{Status: &VClusterStatus{Phase: p}}); done || err != nil {
			t.Errorf("observe(%s) = %v, %v; want to wait on", p, done, err)
		}
	}
	if done, err := w.observe(&VCluster{Status: &VClusterStatus{Phase: PhaseRunning}}); !done || err != nil {
		t.Errorf("observe(RUNNING) = %v, %v", done, err)
	}
}
