package openvcluster_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// held makes the transition a call starts last an hour, holding the
// vcluster (or snapshot) in its intermediate phase.
func held(ctx context.Context) context.Context {
	return withMetadata(ctx, "ovc-test-transition-delay-ms", "3600000")
}

func TestWaitForPhase(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "a", nil); err != nil {
		t.Fatal(err)
	}
	vc, err := c.WaitForPhase(ctx, ns, "a", openvcluster.PhaseRunning)
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseRunning {
		t.Fatalf("WaitForPhase = %v, %v", vc, err)
	}
	// Absent: the watch's SYNCED event with no state before it says so.
	_, err = c.WaitForPhase(ctx, ns, "absent", openvcluster.PhaseRunning)
	if !openvcluster.IsNotFound(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("wait for an absent vcluster: %v, want NOT_FOUND", err)
	}
	if err := c.WaitForDeletion(ctx, ns, "absent"); err != nil {
		t.Errorf("wait for deletion of an absent vcluster: %v", err)
	}
}

func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(held(ctx), ns, "slow", nil); err != nil {
		t.Fatal(err)
	}
	short := c.WithOptions(openvcluster.WithWaitTimeout(300 * time.Millisecond))
	_, err := short.WaitForPhase(ctx, ns, "slow", openvcluster.PhaseRunning)
	var timeout *openvcluster.WaitTimeoutError
	if !errors.As(err, &timeout) || !openvcluster.IsWaitTimeout(err) {
		t.Fatalf("wait for a held vcluster: %v, want a *WaitTimeoutError", err)
	}
	if timeout.Timeout != 300*time.Millisecond || timeout.LastSeenVCluster.GetStatus().GetPhase() != openvcluster.PhaseProvisioning {
		t.Errorf("timeout = %+v", timeout)
	}
	if !strings.Contains(err.Error(), "did not reach RUNNING within 300ms (last seen PROVISIONING)") {
		t.Errorf("message = %q", err)
	}
	// The context's deadline ends a wait the same way, and says so.
	deadline, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = c.WaitForPhase(deadline, ns, "slow", openvcluster.PhaseRunning)
	if !openvcluster.IsWaitTimeout(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: %v", err)
	}
	// Deletion held in DELETING.
	if _, err := c.DeleteVCluster(held(ctx), ns, "slow", nil); err != nil {
		t.Fatal(err)
	}
	err = short.WaitForDeletion(ctx, ns, "slow")
	if !errors.As(err, &timeout) || timeout.LastSeenVCluster.GetStatus().GetPhase() != openvcluster.PhaseDeleting {
		t.Errorf("wait for a held deletion: %v", err)
	}
	// A cancelled context is CANCELLED, not a timeout.
	cancelled, stop := context.WithCancel(ctx)
	stop()
	if err := c.WaitForDeletion(cancelled, ns, "slow"); openvcluster.Code(err) != codes.Canceled || !openvcluster.IsCancelled(err) {
		t.Errorf("cancelled wait: %v, want CANCELLED", err)
	}
}

func TestWaitSeesFailures(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	failing := withMetadata(ctx, "ovc-test-fail-transition", "disk on fire")
	_, err := c.CreateVCluster(failing, ns, "doomed", &openvcluster.CreateVClusterParams{Wait: true})
	var failed *openvcluster.VClusterFailedError
	if !errors.As(err, &failed) || !openvcluster.IsVClusterFailed(err) {
		t.Fatalf("create of a failing vcluster: %v, want *VClusterFailedError", err)
	}
	if failed.VCluster.GetStatus().GetMessage() != "disk on fire" || !strings.Contains(err.Error(), "FAILED: disk on fire") {
		t.Errorf("failed = %v", err)
	}
	// Waiting for FAILED itself is fine.
	if _, err := c.WaitForPhase(ctx, ns, "doomed", openvcluster.PhaseFailed); err != nil {
		t.Errorf("wait for FAILED: %v", err)
	}

	if _, err := c.CreateVCluster(ctx, ns, "src", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SnapshotVCluster(failing, ns, "src", &openvcluster.SnapshotVClusterParams{SnapshotName: "bad", Wait: true})
	var snapFailed *openvcluster.SnapshotFailedError
	if !errors.As(err, &snapFailed) || !openvcluster.IsSnapshotFailed(err) || snapFailed.Snapshot.GetName() != "bad" {
		t.Errorf("snapshot that fails: %v, want *SnapshotFailedError", err)
	}
	if _, err := c.SnapshotVCluster(held(ctx), ns, "src", &openvcluster.SnapshotVClusterParams{SnapshotName: "slow"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.WithOptions(openvcluster.WithWaitTimeout(200*time.Millisecond)).WaitForSnapshot(ctx, ns, "slow", openvcluster.SnapshotReady)
	var timeout *openvcluster.WaitTimeoutError
	if !errors.As(err, &timeout) || timeout.LastSeenSnapshot.GetName() != "slow" {
		t.Errorf("held snapshot: %v, want a *WaitTimeoutError", err)
	}
	if _, err := c.WaitForSnapshot(ctx, ns, "none", openvcluster.SnapshotReady); !openvcluster.IsNotFound(err) {
		t.Errorf("absent snapshot: %v", err)
	}
}

// TestWaitPollsWithoutWatch: when the watch is not available, the wait
// helpers poll GetVCluster instead.
func TestWaitPollsWithoutWatch(t *testing.T) {
	t.Parallel()
	noWatch := openvcluster.WithDialOptions(grpc.WithChainStreamInterceptor(
		func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, grpc.Streamer, ...grpc.CallOption) (grpc.ClientStream, error) {
			return nil, status.Error(codes.Unimplemented, "no watch here")
		}))
	ctx, c, ns := testContext(t), newClient(t, noWatch), namespace(t)
	vc, err := c.CreateVCluster(ctx, ns, "a", &openvcluster.CreateVClusterParams{Wait: true})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseRunning {
		t.Fatalf("create and wait by polling = %v, %v", vc, err)
	}
	if _, err := c.DeleteVCluster(ctx, ns, "a", &openvcluster.DeleteVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForPhase(ctx, ns, "a", openvcluster.PhaseRunning); !openvcluster.IsNotFound(err) {
		t.Errorf("polling for a deleted vcluster: %v", err)
	}
}

// TestWaitWatchesAgainAfterUnavailable: a watch that fails with a
// retryable code is started again.
func TestWaitWatchesAgainAfterUnavailable(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "a", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	flaky := withMetadata(ctx, "ovc-test-unavailable", ns+"-watch:2")
	if _, err := c.WaitForPhase(flaky, ns, "a", openvcluster.PhaseRunning); err != nil {
		t.Errorf("wait through two failed watches: %v", err)
	}
}

// phaseNames are the phases of the states an OnChange saw, by name.
func phaseNames(states []*openvcluster.VCluster) []string {
	names := make([]string, len(states))
	for i, vc := range states {
		names[i] = openvcluster.PhaseName(vc.GetStatus().GetPhase())
	}
	return names
}

// TestWaitOnChange: OnChange sees each new state of the wait's own watch in
// order, before the wait returns, and nothing after it.
func TestWaitOnChange(t *testing.T) {
	t.Parallel()
	var watches, reads atomic.Int32
	count := openvcluster.WithDialOptions(
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			watches.Add(1)
			return streamer(ctx, desc, cc, method, opts...)
		}),
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if strings.HasSuffix(method, "/GetVCluster") {
				reads.Add(1)
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}))
	ctx, c, ns := testContext(t), newClient(t, count), namespace(t)
	slow := withMetadata(ctx, "ovc-test-transition-delay-ms", "200")
	if _, err := c.CreateVCluster(slow, ns, "a", nil); err != nil {
		t.Fatal(err)
	}
	var seen []*openvcluster.VCluster
	vc, err := c.WaitForPhase(ctx, ns, "a", openvcluster.PhaseRunning,
		openvcluster.OnChange(func(vc *openvcluster.VCluster) { seen = append(seen, vc) }))
	if err != nil {
		t.Fatal(err)
	}
	if got := phaseNames(seen); !slices.Equal(got, []string{"PROVISIONING", "RUNNING"}) {
		t.Errorf("OnChange saw %v, want PROVISIONING then RUNNING", got)
	}
	if len(seen) == 0 || seen[len(seen)-1] != vc {
		t.Errorf("the last state reported is not the one returned")
	}
	if watches.Load() != 1 || reads.Load() != 0 {
		t.Errorf("%d watches and %d reads, want the wait's one watch only", watches.Load(), reads.Load())
	}
	if _, err := c.SuspendVCluster(ctx, ns, "a", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Errorf("OnChange called after the wait returned: %v", phaseNames(seen))
	}

	if _, err := c.DeleteVCluster(slow, ns, "a", nil); err != nil {
		t.Fatal(err)
	}
	var gone []*openvcluster.VCluster
	err = c.WaitForDeletion(ctx, ns, "a", openvcluster.OnChange(func(vc *openvcluster.VCluster) { gone = append(gone, vc) }))
	if got := phaseNames(gone); err != nil || !slices.Equal(got, []string{"DELETING"}) {
		t.Errorf("WaitForDeletion = %v, OnChange saw %v; want DELETING", err, got)
	}
}

// TestWaitOnChangeWhilePolling: states read by polling are reported once
// each, and snapshot reads each time they differ.
func TestWaitOnChangeWhilePolling(t *testing.T) {
	t.Parallel()
	noWatch := openvcluster.WithDialOptions(grpc.WithChainStreamInterceptor(
		func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, grpc.Streamer, ...grpc.CallOption) (grpc.ClientStream, error) {
			return nil, status.Error(codes.Unimplemented, "no watch here")
		}))
	ctx, c, ns := testContext(t), newClient(t, noWatch), namespace(t)
	slow := withMetadata(ctx, "ovc-test-transition-delay-ms", "200")
	if _, err := c.CreateVCluster(slow, ns, "a", nil); err != nil {
		t.Fatal(err)
	}
	var seen []*openvcluster.VCluster
	_, err := c.WaitForPhase(ctx, ns, "a", openvcluster.PhaseRunning,
		openvcluster.OnChange(func(vc *openvcluster.VCluster) { seen = append(seen, vc) }))
	if got := phaseNames(seen); err != nil || !slices.Equal(got, []string{"PROVISIONING", "RUNNING"}) {
		t.Errorf("WaitForPhase = %v, OnChange saw %v; want PROVISIONING then RUNNING", err, got)
	}

	if _, err := c.SnapshotVCluster(slow, ns, "a", &openvcluster.SnapshotVClusterParams{SnapshotName: "s"}); err != nil {
		t.Fatal(err)
	}
	var reads []*openvcluster.Snapshot
	ready, err := c.WaitForSnapshot(ctx, ns, "s", openvcluster.SnapshotReady,
		openvcluster.OnChange(func(s *openvcluster.Snapshot) { reads = append(reads, s) }))
	if err != nil || len(reads) < 2 || reads[0].GetPhase() != openvcluster.SnapshotPending || reads[len(reads)-1] != ready {
		t.Errorf("WaitForSnapshot = %v, %v; OnChange saw %d reads, want PENDING first and the READY one last", ready, err, len(reads))
	}
	for i := 1; i < len(reads); i++ {
		if proto.Equal(reads[i-1], reads[i]) {
			t.Errorf("read %d reported twice", i)
		}
	}
}
