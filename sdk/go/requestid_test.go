package openvcluster_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// attempt is one request an idRecorder received.
type attempt struct {
	method    string // the RPC's name, e.g. "CreateVCluster"
	requestID string
	hasField  bool // the request message has a request_id field
}

// idRecorder is a bare gRPC server for every service of the API: it decodes
// each request as its method's input message (from the proto registry),
// records the request_id it carries, and answers UNAVAILABLE to the first
// attempt with a (method, request_id) pair it has not seen, UNIMPLEMENTED to
// the next. A call that keeps its request_id across retries thus ends
// UNIMPLEMENTED after two attempts; one that changed it would see UNAVAILABLE
// until the retry policy gave up.
type idRecorder struct {
	mu       sync.Mutex
	attempts []attempt
	seen     map[string]bool
}

func startIDRecorder(t *testing.T) (addr string, r *idRecorder) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r = &idRecorder{seen: map[string]bool{}}
	server := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		full, _ := grpc.MethodFromServerStream(stream) // "/pkg.Service/Method"
		name := strings.ReplaceAll(strings.TrimPrefix(full, "/"), "/", ".")
		desc, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		req := dynamicpb.NewMessage(desc.(protoreflect.MethodDescriptor).Input())
		if err := stream.RecvMsg(req); err != nil {
			return err
		}
		a := attempt{method: full[strings.LastIndex(full, "/")+1:]}
		if f := req.Descriptor().Fields().ByName("request_id"); f != nil {
			a.hasField, a.requestID = true, req.Get(f).String()
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts = append(r.attempts, a)
		key := a.method + " " + a.requestID
		if !r.seen[key] {
			r.seen[key] = true
			return status.Error(codes.Unavailable, "try again")
		}
		return status.Error(codes.Unimplemented, "recorded")
	}))
	go func() { _ = server.Serve(lis) }()
	t.Cleanup(server.Stop)
	return lis.Addr().String(), r
}

// take returns the attempts recorded since the last take.
func (r *idRecorder) take() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.attempts
	r.attempts = nil
	return got
}

// TestMutationsFillTheirRequestID runs every mutation of the client without
// a RequestID against a server that loses the first answer of each call: each
// is sent with a fresh UUID, the same on its retry, different from every
// other call's, and its error reports it. A caller's id is sent unchanged,
// and reads carry none.
func TestMutationsFillTheirRequestID(t *testing.T) {
	t.Parallel()
	addr, r := startIDRecorder(t)
	c := dial(t, addr)
	ctx := testContext(t)
	mutations := map[string]func(id string) error{
		"CreateVCluster": func(id string) error {
			_, err := c.CreateVCluster(ctx, "ns", "a", &openvcluster.CreateVClusterParams{RequestID: id})
			return err
		},
		"DeleteVCluster": func(id string) error {
			_, err := c.DeleteVCluster(ctx, "ns", "a", &openvcluster.DeleteVClusterParams{RequestID: id})
			return err
		},
		"UpdateVCluster": func(id string) error {
			_, err := c.UpgradeVCluster(ctx, "ns", "a", "1.31", &openvcluster.UpgradeVClusterParams{RequestID: id})
			return err
		},
		"ScaleVCluster": func(id string) error {
			_, err := c.ScaleVCluster(ctx, "ns", "a", &openvcluster.ScaleVClusterParams{Replicas: 2, RequestID: id})
			return err
		},
		"SuspendVCluster": func(id string) error {
			_, err := c.SuspendVCluster(ctx, "ns", "a", &openvcluster.SuspendVClusterParams{RequestID: id})
			return err
		},
		"ResumeVCluster": func(id string) error {
			_, err := c.ResumeVCluster(ctx, "ns", "a", &openvcluster.ResumeVClusterParams{RequestID: id})
			return err
		},
		"SnapshotVCluster": func(id string) error {
			_, err := c.SnapshotVCluster(ctx, "ns", "a", &openvcluster.SnapshotVClusterParams{RequestID: id})
			return err
		},
		"RestoreVCluster": func(id string) error {
			_, err := c.RestoreVCluster(ctx, "ns", "s", &openvcluster.RestoreVClusterParams{RequestID: id})
			return err
		},
		"DeleteSnapshot": func(id string) error {
			return c.DeleteSnapshot(ctx, "ns", "s", &openvcluster.DeleteSnapshotParams{RequestID: id})
		},
	}
	used := map[string]string{} // request id -> the call that sent it
	for method, call := range mutations {
		for round := range 2 { // a second call gets another id
			err := call("")
			var e *openvcluster.Error
			if !errors.As(err, &e) || e.Code != codes.Unimplemented {
				t.Errorf("%s without a request id: %v, want UNIMPLEMENTED after one retry", method, err)
				continue
			}
			got := r.take()
			if len(got) != 2 || got[0] != got[1] || got[0].method != method || !got[0].hasField {
				t.Errorf("%s attempts = %+v, want two of %s with one request id", method, got, method)
				continue
			}
			id := got[0].requestID
			if !uuid4.MatchString(id) {
				t.Errorf("%s request id = %q, want a UUID", method, id)
			}
			if e.RequestID != id {
				t.Errorf("%s error's request id = %q, want the one sent, %q", method, e.RequestID, id)
			}
			if other, ok := used[id]; ok {
				t.Errorf("%s call %d sent %s, the id of %s", method, round+1, id, other)
			}
			used[id] = method
		}
		// The caller's own id is sent as given, on every attempt.
		mine := openvcluster.NewRequestID()
		if err := call(mine); openvcluster.Code(err) != codes.Unimplemented {
			t.Errorf("%s with a request id: %v", method, err)
		}
		if got := r.take(); len(got) != 2 || got[0].requestID != mine || got[1].requestID != mine {
			t.Errorf("%s with request id %s: attempts = %+v", method, mine, got)
		}
	}
	// A read has no request_id and is sent as built.
	if _, err := c.GetVCluster(ctx, "ns", "a"); openvcluster.Code(err) != codes.Unimplemented {
		t.Errorf("get: %v", err)
	}
	if got := r.take(); len(got) != 2 || got[0].method != "GetVCluster" || got[0].hasField {
		t.Errorf("get attempts = %+v", got)
	}
}

// TestRequestIDBeforeTheFieldRules checks that a mutation the client itself
// rejects reports the request id it would have sent, and sends nothing.
func TestRequestIDBeforeTheFieldRules(t *testing.T) {
	t.Parallel()
	addr, r := startIDRecorder(t)
	c := dial(t, addr)
	_, err := c.CreateVCluster(context.Background(), "ns", "Not_A_Name", nil)
	var e *openvcluster.Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument || !uuid4.MatchString(e.RequestID) {
		t.Errorf("create of a bad name: %v (request id %q), want INVALID_ARGUMENT with a UUID", err, requestIDOf(e))
	}
	if got := r.take(); len(got) != 0 {
		t.Errorf("a rejected request was sent: %+v", got)
	}
}

func requestIDOf(e *openvcluster.Error) string {
	if e == nil {
		return ""
	}
	return e.RequestID
}
