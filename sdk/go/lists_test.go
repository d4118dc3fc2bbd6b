package openvcluster_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// callCounter counts the unary calls of each method that leave the client.
type callCounter struct{ lists atomic.Int32 }

func (cc *callCounter) option() openvcluster.Option {
	return openvcluster.WithDialOptions(grpc.WithChainUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, conn *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if strings.HasSuffix(method, "/ListVClusters") || strings.HasSuffix(method, "/ListSnapshots") ||
				strings.HasSuffix(method, "/ListOperations") {
				cc.lists.Add(1)
			}
			return invoker(ctx, method, req, reply, conn, opts...)
		}))
}

func TestListVClustersAcrossPages(t *testing.T) {
	t.Parallel()
	counter := &callCounter{}
	ctx, c, ns := testContext(t), newClient(t, counter.option()), namespace(t)
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("vc-%d", i)
		labels := map[string]string{"tier": "gold"}
		if i%2 == 1 {
			labels["tier"] = "silver"
		}
		if _, err := c.CreateVCluster(ctx, ns, name, &openvcluster.CreateVClusterParams{Labels: labels, Wait: true}); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}

	var names []string
	for vc, err := range c.ListVClusters(ctx, ns, &openvcluster.ListVClustersParams{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, vc.GetName())
	}
	if !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}
	if n := counter.lists.Load(); n != 3 {
		t.Errorf("5 items in pages of 2 took %d calls, want 3", n)
	}

	// Breaking out of the loop fetches no further page.
	counter.lists.Store(0)
	for range c.ListVClusters(ctx, ns, &openvcluster.ListVClustersParams{PageSize: 2}) {
		break
	}
	if n := counter.lists.Load(); n != 1 {
		t.Errorf("one item took %d calls, want 1", n)
	}

	// Filters.
	names = nil
	for vc, err := range c.ListVClusters(ctx, ns, &openvcluster.ListVClustersParams{LabelSelector: "tier=gold", Phase: openvcluster.PhaseRunning, PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, vc.GetName())
	}
	if !slices.Equal(names, []string{"vc-0", "vc-2", "vc-4"}) {
		t.Errorf("filtered listing = %v", names)
	}

	// A page at a time, resumed with its token.
	first, err := c.ListVClustersPage(ctx, ns, &openvcluster.ListVClustersParams{PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Items) != 3 || first.NextPageToken == "" {
		t.Fatalf("first page = %d items, token %q", len(first.Items), first.NextPageToken)
	}
	second, err := c.ListVClustersPage(ctx, ns, &openvcluster.ListVClustersParams{PageSize: 3, PageToken: first.NextPageToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Items) != 2 || second.NextPageToken != "" || second.Items[0].GetName() != "vc-3" {
		t.Errorf("second page = %v, token %q", second.Items, second.NextPageToken)
	}

	var sizes []int
	for page, err := range c.ListVClustersPages(ctx, ns, &openvcluster.ListVClustersParams{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Items))
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("page sizes = %v", sizes)
	}
}

func TestListErrorsEndTheLoop(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	var errs []error
	for vc, err := range c.ListVClusters(ctx, ns, &openvcluster.ListVClustersParams{PageToken: "not-a-token"}) {
		if vc != nil {
			t.Errorf("item %v with a bad token", vc)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || !openvcluster.IsInvalidArgument(errs[0]) {
		t.Errorf("errors = %v, want one INVALID_ARGUMENT", errs)
	}
	for _, err := range c.ListSnapshots(ctx, ns, &openvcluster.ListSnapshotsParams{PageSize: -1}) {
		if !openvcluster.IsInvalidArgument(err) {
			t.Errorf("negative page size: %v", err)
		}
	}
}

func TestListSnapshotsAcrossPages(t *testing.T) {
	t.Parallel()
	counter := &callCounter{}
	ctx, c, ns := testContext(t), newClient(t, counter.option()), namespace(t)
	for _, name := range []string{"a", "b"} {
		if _, err := c.CreateVCluster(ctx, ns, name, &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if _, err := c.SnapshotVCluster(ctx, ns, "a", &openvcluster.SnapshotVClusterParams{SnapshotName: fmt.Sprintf("a-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SnapshotVCluster(ctx, ns, "b", &openvcluster.SnapshotVClusterParams{SnapshotName: "b-0"}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for s, err := range c.ListSnapshots(ctx, ns, &openvcluster.ListSnapshotsParams{VCluster: "a", PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, s.GetName())
	}
	if !slices.Equal(names, []string{"a-0", "a-1", "a-2"}) {
		t.Errorf("snapshots of a = %v", names)
	}
	if n := counter.lists.Load(); n != 2 {
		t.Errorf("3 snapshots in pages of 2 took %d calls", n)
	}
	page, err := c.ListSnapshotsPage(ctx, ns, &openvcluster.ListSnapshotsParams{PageSize: 3})
	if err != nil || len(page.Items) != 3 || page.NextPageToken == "" {
		t.Fatalf("first page = %v, %v", page, err)
	}
	var rest []string
	for page, err := range c.ListSnapshotsPages(ctx, ns, &openvcluster.ListSnapshotsParams{PageSize: 3, PageToken: page.NextPageToken}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Items {
			rest = append(rest, s.GetName())
		}
	}
	if !slices.Equal(rest, []string{"b-0"}) {
		t.Errorf("rest = %v", rest)
	}
}
