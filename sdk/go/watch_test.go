package openvcluster_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

func TestWatchVClusters(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "old", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		typ   openvcluster.EventType
		name  string
		phase openvcluster.Phase
	}
	var events []seen
	for ev, err := range c.WatchVClusters(ctx, ns, nil) {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, seen{ev.GetType(), ev.GetVcluster().GetName(), ev.GetVcluster().GetStatus().GetPhase()})
		if ev.GetType() == openvcluster.EventSynced {
			// The initial state is complete: make a change to see it.
			if _, err := c.DeleteVCluster(ctx, ns, "old", nil); err != nil {
				t.Fatal(err)
			}
		}
		if ev.GetType() == openvcluster.EventDeleted {
			break
		}
	}
	want := []seen{
		{openvcluster.EventAdded, "old", openvcluster.PhaseRunning},
		{openvcluster.EventSynced, "", openvcluster.PhaseUnspecified},
		{openvcluster.EventModified, "old", openvcluster.PhaseDeleting},
		{openvcluster.EventDeleted, "old", openvcluster.PhaseDeleting},
	}
	if len(events) != len(want) {
		t.Fatalf("events = %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d = %v, want %v", i, events[i], want[i])
		}
	}
}

func TestWatchEndsWithTheContext(t *testing.T) {
	t.Parallel()
	c, ns := newClient(t), namespace(t)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var errs []error
	for ev, err := range c.WatchVClusters(ctx, ns, &openvcluster.WatchVClustersParams{Name: "x", LabelSelector: "a=b"}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ev.GetType() == openvcluster.EventSynced {
			cancel()
		}
	}
	if len(errs) != 1 || openvcluster.Code(errs[0]) != codes.Canceled {
		t.Errorf("errors = %v, want one CANCELLED", errs)
	}
}

func TestWatchRejectsBadSelector(t *testing.T) {
	t.Parallel()
	ctx, c := testContext(t), newClient(t)
	for _, err := range c.WatchVClusters(ctx, "", &openvcluster.WatchVClustersParams{LabelSelector: "in in in"}) {
		if !openvcluster.IsInvalidArgument(err) {
			t.Errorf("bad selector: %v, want INVALID_ARGUMENT", err)
		}
	}
}
