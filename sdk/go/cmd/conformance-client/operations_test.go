package main

import (
	"context"
	"net"
	"path"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

const (
	createOperation = "00000000-0000-4000-8000-000000000001"
	deleteOperation = "00000000-0000-4000-8000-000000000002"
)

// fakeServer answers a create and a snapshot deletion with an operation
// id, the operation reads with the operations of those ids, and a
// kubeconfig read; every other RPC is UNIMPLEMENTED.
type fakeServer struct {
	openvclusterv1.UnimplementedVClusterServiceServer
	openvclusterv1.UnimplementedSnapshotServiceServer
	openvclusterv1.UnimplementedOperationServiceServer
	openvclusterv1.UnimplementedMonitorServiceServer
}

// fakeKubeconfig is the kubeconfig of every vcluster of fakeServer.
const fakeKubeconfig = "apiVersion: v1\nkind: Config\n"

// received keeps the last request of each method a fake server received.
type received struct {
	mu       sync.Mutex
	requests map[string]proto.Message
}

// intercept records the request, by method name, before answering it.
func (r *received) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	r.mu.Lock()
	r.requests[path.Base(info.FullMethod)] = req.(proto.Message)
	r.mu.Unlock()
	return handler(ctx, req)
}

// request is the last request of method, or nil.
func (r *received) request(method string) proto.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[method]
}

// startFake serves fakeServer until the test ends and returns its address
// and what it receives.
func startFake(t *testing.T) (string, *received) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := &received{requests: map[string]proto.Message{}}
	srv := grpc.NewServer(grpc.UnaryInterceptor(got.intercept))
	openvclusterv1.RegisterVClusterServiceServer(srv, fakeServer{})
	openvclusterv1.RegisterSnapshotServiceServer(srv, fakeServer{})
	openvclusterv1.RegisterOperationServiceServer(srv, fakeServer{})
	openvclusterv1.RegisterMonitorServiceServer(srv, fakeServer{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), got
}

// callStep is a call step of method with request.
func callStep(name, method string, request proto.Message) *conformancev1.Step {
	packed, err := anypb.New(request)
	if err != nil {
		panic(err)
	}
	return &conformancev1.Step{Name: name, Action: &conformancev1.Step_Call{Call: &conformancev1.UnaryCall{Method: method, Request: packed}}}
}

func (fakeServer) CreateVCluster(_ context.Context, r *openvclusterv1.CreateVClusterRequest) (*openvclusterv1.CreateVClusterResponse, error) {
	resp := &openvclusterv1.CreateVClusterResponse{Vcluster: &openvclusterv1.VCluster{Namespace: r.GetNamespace(), Name: r.GetName()}}
	if !r.GetValidateOnly() {
		resp.OperationId = createOperation
	}
	return resp, nil
}

func (fakeServer) GetVClusterKubeconfig(_ context.Context, r *openvclusterv1.GetVClusterKubeconfigRequest) (*openvclusterv1.GetVClusterKubeconfigResponse, error) {
	return &openvclusterv1.GetVClusterKubeconfigResponse{Vcluster: &openvclusterv1.VCluster{
		Namespace: r.GetNamespace(), Name: r.GetName(), Status: &openvclusterv1.VClusterStatus{Kubeconfig: fakeKubeconfig},
	}}, nil
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
	address, _ := startFake(t)

	list := &openvclusterv1.ListOperationsRequest{Namespace: "ns", PageSize: 1}
	get := callStep("get", "GetOperation", &openvclusterv1.GetOperationRequest{})
	get.Refs = []*conformancev1.Ref{{Step: "create", Path: "operationId", Field: "id"}}
	request := &conformancev1.CaseRequest{
		CaseName:   "operations",
		Connection: &conformancev1.Connection{Address: address},
		Steps: []*conformancev1.Step{
			callStep("create", "CreateVCluster", &openvclusterv1.CreateVClusterRequest{Namespace: "ns", Name: "dev"}),
			callStep("check", "CreateVCluster", &openvclusterv1.CreateVClusterRequest{Namespace: "ns", Name: "dev", ValidateOnly: true}),
			callStep("delete", "DeleteSnapshot", &openvclusterv1.DeleteSnapshotRequest{Namespace: "ns", Name: "s1"}),
			get,
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
