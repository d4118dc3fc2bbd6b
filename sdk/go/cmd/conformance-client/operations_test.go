package main

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

const (
	createOperation = "00000000-0000-4000-8000-000000000001"
	deleteOperation = "00000000-0000-4000-8000-000000000002"
)

// fakeServer answers a create and a snapshot deletion with an operation
// id, and the operation reads with the operations of those ids.
type fakeServer struct {
	openvclusterv1.UnimplementedVClusterServiceServer
	openvclusterv1.UnimplementedSnapshotServiceServer
	openvclusterv1.UnimplementedOperationServiceServer
}

func (fakeServer) CreateVCluster(_ context.Context, r *openvclusterv1.CreateVClusterRequest) (*openvclusterv1.CreateVClusterResponse, error) {
	resp := &openvclusterv1.CreateVClusterResponse{Vcluster: &openvclusterv1.VCluster{Namespace: r.GetNamespace(), Name: r.GetName()}}
	if !r.GetValidateOnly() {
		resp.OperationId = createOperation
	}
	return resp, nil
}

func (fakeServer) DeleteSnapshot(context.Context, *openvclusterv1.DeleteSnapshotRequest) (*openvclusterv1.DeleteSnapshotResponse, error) {
	return &openvclusterv1.DeleteSnapshotResponse{OperationId: deleteOperation}, nil
}

func fakeOperations() []*openvclusterv1.Operation {
	return []*openvclusterv1.Operation{
		{Id: deleteOperation, Namespace: "ns", Method: "DeleteSnapshot", State: openvclusterv1.Operation_STATE_SUCCEEDED},
		{Id: createOperation, Namespace: "ns", Vcluster: "dev", Method: "CreateVCluster", State: openvclusterv1.Operation_STATE_RUNNING},
	}
}

func (fakeServer) GetOperation(_ context.Context, r *openvclusterv1.GetOperationRequest) (*openvclusterv1.GetOperationResponse, error) {
	for _, op := range fakeOperations() {
		if op.GetId() == r.GetId() {
			return &openvclusterv1.GetOperationResponse{Operation: op}, nil
		}
	}
	return &openvclusterv1.GetOperationResponse{}, nil
}

// ListOperations answers one operation per page, the token being "next".
func (fakeServer) ListOperations(_ context.Context, r *openvclusterv1.ListOperationsRequest) (*openvclusterv1.ListOperationsResponse, error) {
	ops := fakeOperations()
	if r.GetPageToken() == "next" {
		return &openvclusterv1.ListOperationsResponse{Operations: ops[1:]}, nil
	}
	return &openvclusterv1.ListOperationsResponse{Operations: ops[:1], NextPageToken: "next"}, nil
}

// TestOperationSteps: a mutation step's result carries the operation id the
// SDK reported (none with validate_only, none for a read), and the
// operation steps answer an operation, every operation of a listing, and
// one page.
func TestOperationSteps(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	openvclusterv1.RegisterVClusterServiceServer(srv, fakeServer{})
	openvclusterv1.RegisterSnapshotServiceServer(srv, fakeServer{})
	openvclusterv1.RegisterOperationServiceServer(srv, fakeServer{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	list := &openvclusterv1.ListOperationsRequest{Namespace: "ns", PageSize: 1}
	request := &conformancev1.CaseRequest{
		CaseName:   "operations",
		Connection: &conformancev1.Connection{Address: lis.Addr().String()},
		Steps: []*conformancev1.Step{
			{Name: "create", Action: &conformancev1.Step_CreateVcluster{CreateVcluster: &openvclusterv1.CreateVClusterRequest{Namespace: "ns", Name: "dev"}}},
			{Name: "check", Action: &conformancev1.Step_CreateVcluster{CreateVcluster: &openvclusterv1.CreateVClusterRequest{Namespace: "ns", Name: "dev", ValidateOnly: true}}},
			{Name: "delete", Action: &conformancev1.Step_DeleteSnapshot{DeleteSnapshot: &openvclusterv1.DeleteSnapshotRequest{Namespace: "ns", Name: "s1"}}},
			{
				Name:   "get",
				Action: &conformancev1.Step_GetOperation{GetOperation: &openvclusterv1.GetOperationRequest{}},
				Refs:   []*conformancev1.Ref{{Step: "create", Path: "operationId", Field: "id"}},
			},
			{Name: "list", Action: &conformancev1.Step_ListOperations{ListOperations: list}},
			{Name: "page", Action: &conformancev1.Step_ListOperationsPage{ListOperationsPage: list}},
		},
	}
	for _, step := range request.Steps {
		step.Options = &conformancev1.CallOptions{} // as the runner sends them
	}
	var mu sync.Mutex
	results := map[string]*conformancev1.StepResult{}
	runCase(request, func(r *conformancev1.StepResult) {
		mu.Lock()
		defer mu.Unlock()
		results[r.GetStepName()] = r
	})

	for step, want := range map[string]string{"create": createOperation, "check": "", "delete": deleteOperation, "get": "", "list": ""} {
		if got := results[step].GetOperationId(); got != want {
			t.Errorf("step %s: operation id %q, want %q", step, got, want)
		}
	}
	if results["delete"].GetDone() == nil {
		t.Errorf("delete = %v, want done", results["delete"])
	}
	if op := results["get"].GetOperation(); op.GetId() != createOperation || op.GetMethod() != "CreateVCluster" {
		t.Errorf("get = %v, want the create's operation", results["get"])
	}
	if items := results["list"].GetOperations().GetItems(); len(items) != 2 || items[0].GetId() != deleteOperation || items[1].GetId() != createOperation {
		t.Errorf("list = %v, want both operations, across two pages", results["list"])
	}
	if page := results["page"].GetOperationPage(); len(page.GetOperations()) != 1 || page.GetNextPageToken() != "next" {
		t.Errorf("page = %v, want the first page", results["page"])
	}
}
