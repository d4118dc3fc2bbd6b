package openvcluster_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// These tests check what the client does with operation ids against a fake
// server, which answers each mutation with an id of its own choosing (none
// for validate_only) and serves a fixed list of operations.

// fakeOperationID is the id the fake server answers for the mutation of a
// method.
func fakeOperationID(method string) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", len(method))
}

type fakeMutations struct {
	openvclusterv1.UnimplementedVClusterServiceServer
	openvclusterv1.UnimplementedSnapshotServiceServer
}

func running(namespace, name string) *openvclusterv1.VCluster {
	return &openvclusterv1.VCluster{Namespace: namespace, Name: name, Status: &openvclusterv1.VClusterStatus{Phase: openvclusterv1.VCluster_PHASE_RUNNING}}
}

func (fakeMutations) CreateVCluster(_ context.Context, r *openvclusterv1.CreateVClusterRequest) (*openvclusterv1.CreateVClusterResponse, error) {
	resp := &openvclusterv1.CreateVClusterResponse{Vcluster: running(r.GetNamespace(), r.GetName())}
	if !r.GetValidateOnly() {
		resp.OperationId = fakeOperationID("CreateVCluster")
	}
	return resp, nil
}

func (fakeMutations) UpdateVCluster(_ context.Context, r *openvclusterv1.UpdateVClusterRequest) (*openvclusterv1.UpdateVClusterResponse, error) {
	resp := &openvclusterv1.UpdateVClusterResponse{Vcluster: running(r.GetVcluster().GetNamespace(), r.GetVcluster().GetName())}
	if !r.GetValidateOnly() {
		resp.OperationId = fakeOperationID("UpdateVCluster")
	}
	return resp, nil
}

func (fakeMutations) DeleteVCluster(_ context.Context, r *openvclusterv1.DeleteVClusterRequest) (*openvclusterv1.DeleteVClusterResponse, error) {
	return &openvclusterv1.DeleteVClusterResponse{Vcluster: running(r.GetNamespace(), r.GetName()), OperationId: fakeOperationID("DeleteVCluster")}, nil
}

func (fakeMutations) ScaleVCluster(_ context.Context, r *openvclusterv1.ScaleVClusterRequest) (*openvclusterv1.ScaleVClusterResponse, error) {
	return &openvclusterv1.ScaleVClusterResponse{Vcluster: running(r.GetNamespace(), r.GetName()), OperationId: fakeOperationID("ScaleVCluster")}, nil
}

func (fakeMutations) SuspendVCluster(_ context.Context, r *openvclusterv1.SuspendVClusterRequest) (*openvclusterv1.SuspendVClusterResponse, error) {
	return &openvclusterv1.SuspendVClusterResponse{Vcluster: running(r.GetNamespace(), r.GetName()), OperationId: fakeOperationID("SuspendVCluster")}, nil
}

func (fakeMutations) ResumeVCluster(_ context.Context, r *openvclusterv1.ResumeVClusterRequest) (*openvclusterv1.ResumeVClusterResponse, error) {
	return &openvclusterv1.ResumeVClusterResponse{Vcluster: running(r.GetNamespace(), r.GetName()), OperationId: fakeOperationID("ResumeVCluster")}, nil
}

func (fakeMutations) SnapshotVCluster(_ context.Context, r *openvclusterv1.SnapshotVClusterRequest) (*openvclusterv1.SnapshotVClusterResponse, error) {
	return &openvclusterv1.SnapshotVClusterResponse{
		Snapshot:    &openvclusterv1.Snapshot{Namespace: r.GetNamespace(), Name: r.GetSnapshotName(), Vcluster: r.GetName()},
		OperationId: fakeOperationID("SnapshotVCluster"),
	}, nil
}

func (fakeMutations) RestoreVCluster(_ context.Context, r *openvclusterv1.RestoreVClusterRequest) (*openvclusterv1.RestoreVClusterResponse, error) {
	return &openvclusterv1.RestoreVClusterResponse{Vcluster: running(r.GetNamespace(), r.GetTargetName()), OperationId: fakeOperationID("RestoreVCluster")}, nil
}

func (fakeMutations) DeleteSnapshot(_ context.Context, r *openvclusterv1.DeleteSnapshotRequest) (*openvclusterv1.DeleteSnapshotResponse, error) {
	if r.GetName() == "missing" {
		return nil, status.Error(codes.NotFound, "snapshot not found")
	}
	return &openvclusterv1.DeleteSnapshotResponse{OperationId: fakeOperationID("DeleteSnapshot")}, nil
}

// fakeOperations serves five operations in namespace "ns", by pages whose
// token is the index of their first operation.
type fakeOperations struct {
	openvclusterv1.UnimplementedOperationServiceServer
	mu       sync.Mutex
	requests []*openvclusterv1.ListOperationsRequest
}

func fakeOperationList() []*openvclusterv1.Operation {
	var ops []*openvclusterv1.Operation
	for i := range 5 {
		ops = append(ops, &openvclusterv1.Operation{
			Id:        fmt.Sprintf("00000000-0000-4000-8000-%012d", 100+i),
			Namespace: "ns",
			Vcluster:  "dev",
			Method:    "ScaleVCluster",
			State:     openvclusterv1.Operation_STATE_SUCCEEDED,
			Progress:  []*openvclusterv1.Operation_Progress{{Phase: "SCALING"}, {Phase: "RUNNING"}},
		})
	}
	return ops
}

func (f *fakeOperations) GetOperation(_ context.Context, r *openvclusterv1.GetOperationRequest) (*openvclusterv1.GetOperationResponse, error) {
	for _, op := range fakeOperationList() {
		if op.GetId() == r.GetId() {
			return &openvclusterv1.GetOperationResponse{Operation: op}, nil
		}
	}
	return nil, status.Error(codes.NotFound, "no such operation")
}

func (f *fakeOperations) ListOperations(_ context.Context, r *openvclusterv1.ListOperationsRequest) (*openvclusterv1.ListOperationsResponse, error) {
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.mu.Unlock()
	ops := fakeOperationList()
	start := 0
	if r.GetPageToken() != "" {
		var err error
		if start, err = strconv.Atoi(r.GetPageToken()); err != nil || start > len(ops) {
			return nil, status.Error(codes.InvalidArgument, "bad page token")
		}
	}
	size := int(r.GetPageSize())
	if size == 0 {
		size = 50
	}
	end := min(start+size, len(ops))
	resp := &openvclusterv1.ListOperationsResponse{Operations: ops[start:end]}
	if end < len(ops) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

// fakeServer starts a gRPC server of the fakes and a client of it.
func fakeServer(t *testing.T) (*openvcluster.Client, *fakeOperations) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	ops := &fakeOperations{}
	openvclusterv1.RegisterVClusterServiceServer(srv, fakeMutations{})
	openvclusterv1.RegisterSnapshotServiceServer(srv, fakeMutations{})
	openvclusterv1.RegisterOperationServiceServer(srv, ops)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := openvcluster.New(lis.Addr().String(), openvcluster.WithPlaintext(), openvcluster.WithToken(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, ops
}

// TestOnOperationOfEveryMutation: every mutation's OnOperation is called
// once with the id the server answered, and not when it answered none
// (validate_only) or failed.
func TestOnOperationOfEveryMutation(t *testing.T) {
	t.Parallel()
	c, _ := fakeServer(t)
	ctx := testContext(t)
	var got []string
	record := func(id string) { got = append(got, id) }
	calls := []struct {
		method string
		call   func() error
	}{
		{"CreateVCluster", func() error {
			_, err := c.CreateVCluster(ctx, "ns", "dev", &openvcluster.CreateVClusterParams{OnOperation: record})
			return err
		}},
		{"UpdateVCluster", func() error {
			_, err := c.UpdateVCluster(ctx, "ns", "dev", &openvcluster.UpdateVClusterParams{Labels: &map[string]string{}, OnOperation: record})
			return err
		}},
		{"UpdateVCluster", func() error { // UpgradeVCluster is an UpdateVCluster
			_, err := c.UpgradeVCluster(ctx, "ns", "dev", "1.32", &openvcluster.UpgradeVClusterParams{OnOperation: record})
			return err
		}},
		{"DeleteVCluster", func() error {
			_, err := c.DeleteVCluster(ctx, "ns", "dev", &openvcluster.DeleteVClusterParams{OnOperation: record})
			return err
		}},
		{"ScaleVCluster", func() error {
			_, err := c.ScaleVCluster(ctx, "ns", "dev", &openvcluster.ScaleVClusterParams{Replicas: 3, OnOperation: record})
			return err
		}},
		{"SuspendVCluster", func() error {
			_, err := c.SuspendVCluster(ctx, "ns", "dev", &openvcluster.SuspendVClusterParams{OnOperation: record})
			return err
		}},
		{"ResumeVCluster", func() error {
			_, err := c.ResumeVCluster(ctx, "ns", "dev", &openvcluster.ResumeVClusterParams{OnOperation: record})
			return err
		}},
		{"SnapshotVCluster", func() error {
			_, err := c.SnapshotVCluster(ctx, "ns", "dev", &openvcluster.SnapshotVClusterParams{SnapshotName: "s1", OnOperation: record})
			return err
		}},
		{"RestoreVCluster", func() error {
			_, err := c.RestoreVCluster(ctx, "ns", "s1", &openvcluster.RestoreVClusterParams{TargetName: "copy", OnOperation: record})
			return err
		}},
		{"DeleteSnapshot", func() error {
			return c.DeleteSnapshot(ctx, "ns", "s1", &openvcluster.DeleteSnapshotParams{OnOperation: record})
		}},
	}
	for _, call := range calls {
		got = nil
		if err := call.call(); err != nil {
			t.Errorf("%s: %v", call.method, err)
			continue
		}
		if want := []string{fakeOperationID(call.method)}; !slices.Equal(got, want) {
			t.Errorf("%s reported %q, want %q", call.method, got, want)
		}
	}

	// No id, no call: validate_only answers none.
	got = nil
	if _, err := c.CreateVCluster(ctx, "ns", "dev", &openvcluster.CreateVClusterParams{ValidateOnly: true, OnOperation: record}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateVCluster(ctx, "ns", "dev", &openvcluster.UpdateVClusterParams{
		Labels: &map[string]string{}, ValidateOnly: true, OnOperation: record,
	}); err != nil {
		t.Fatal(err)
	}
	// A failed call (by the server, or refused by the client's checks)
	// reports nothing.
	if err := c.DeleteSnapshot(ctx, "ns", "missing", &openvcluster.DeleteSnapshotParams{OnOperation: record}); !openvcluster.IsNotFound(err) {
		t.Errorf("DeleteSnapshot of a missing snapshot: %v, want NOT_FOUND", err)
	}
	if _, err := c.ScaleVCluster(ctx, "ns", "Not A Name", &openvcluster.ScaleVClusterParams{Replicas: 3, OnOperation: record}); !openvcluster.IsInvalidArgument(err) {
		t.Errorf("ScaleVCluster of a bad name: %v, want INVALID_ARGUMENT", err)
	}
	if len(got) != 0 {
		t.Errorf("reported %q without an operation", got)
	}

	// Without a callback nothing happens.
	if _, err := c.CreateVCluster(ctx, "ns", "dev", nil); err != nil {
		t.Fatal(err)
	}
}

// TestOperationReadsOfAFakeServer checks what the operation reads send and
// how the listings page, against the fake server.
func TestOperationReadsOfAFakeServer(t *testing.T) {
	t.Parallel()
	c, fake := fakeServer(t)
	ctx := testContext(t)
	all := fakeOperationList()

	op, err := c.GetOperation(ctx, all[2].GetId())
	if err != nil || op.GetId() != all[2].GetId() || op.GetState() != openvcluster.OperationSucceeded ||
		len(op.GetProgress()) != 2 || op.GetProgress()[0].GetPhase() != "SCALING" {
		t.Errorf("GetOperation = %v, %v", op, err)
	}
	if _, err := c.GetOperation(ctx, "00000000-0000-4000-8000-999999999999"); !openvcluster.IsNotFound(err) {
		t.Errorf("GetOperation of an unknown id: %v, want NOT_FOUND", err)
	}

	var ids []string
	for op, err := range c.ListOperations(ctx, "ns", &openvcluster.ListOperationsParams{VCluster: "dev", PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, op.GetId())
	}
	var want []string
	for _, op := range all {
		want = append(want, op.GetId())
	}
	if !slices.Equal(ids, want) {
		t.Errorf("ListOperations = %v, want %v", ids, want)
	}
	fake.mu.Lock()
	sent := fake.requests
	fake.requests = nil
	fake.mu.Unlock()
	if len(sent) != 3 {
		t.Fatalf("5 operations in pages of 2 took %d calls, want 3", len(sent))
	}
	for i, r := range sent {
		if r.GetNamespace() != "ns" || r.GetVcluster() != "dev" || r.GetPageSize() != 2 || r.GetPageToken() != []string{"", "2", "4"}[i] {
			t.Errorf("request %d = %v", i, r)
		}
	}

	page, err := c.ListOperationsPage(ctx, "ns", &openvcluster.ListOperationsParams{PageSize: 3})
	if err != nil || len(page.Items) != 3 || page.NextPageToken != "3" {
		t.Fatalf("first page = %v, %v", page, err)
	}
	var sizes []int
	for page, err := range c.ListOperationsPages(ctx, "ns", &openvcluster.ListOperationsParams{PageSize: 1, PageToken: page.NextPageToken}) {
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Items))
	}
	if !slices.Equal(sizes, []int{1, 1}) {
		t.Errorf("pages from token 3 = %v", sizes)
	}
	for _, err := range c.ListOperations(ctx, "", &openvcluster.ListOperationsParams{PageToken: "bad"}) {
		if !openvcluster.IsInvalidArgument(err) {
			t.Errorf("bad token: %v, want INVALID_ARGUMENT", err)
		}
	}
}
