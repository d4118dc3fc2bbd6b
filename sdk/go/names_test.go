package openvcluster

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// The deprecated names (deprecated.go) are aliases of the new ones, not
// copies: a value of one is a value of the other.
var (
	_ *CreateVClusterParams   = (*CreateParams)(nil)
	_ *DeleteVClusterParams   = (*DeleteParams)(nil)
	_ *ScaleVClusterParams    = (*ScaleParams)(nil)
	_ *SuspendVClusterParams  = (*SuspendParams)(nil)
	_ *ResumeVClusterParams   = (*ResumeParams)(nil)
	_ *SnapshotVClusterParams = (*SnapshotParams)(nil)
	_ *RestoreVClusterParams  = (*RestoreParams)(nil)
	_ *WatchVClustersParams   = (*WatchParams)(nil)

	_ func(*Client, context.Context, string, string) (string, error) = (*Client).GetVClusterKubeconfig
	_ func(*Client, ...CallOption) *Client                           = (*Client).With
)

func TestDeprecatedWithIsWithOptions(t *testing.T) {
	c, err := New("127.0.0.1:1", WithPlaintext(), WithToken(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	derived := c.With(WithWaitTimeout(time.Second), WithMetadata("x-a", "1"))
	if derived.call.waitTimeout != time.Second || len(derived.call.metadata) != 2 || derived.owner {
		t.Errorf("With derived %+v", derived.call)
	}
	if c.call.waitTimeout != DefaultWaitTimeout || len(c.call.metadata) != 0 {
		t.Errorf("With changed the original: %+v", c.call)
	}
}

type kubeconfigServer struct {
	openvclusterv1.UnimplementedVClusterServiceServer
}

func (kubeconfigServer) GetVClusterKubeconfig(_ context.Context, req *openvclusterv1.GetVClusterKubeconfigRequest) (*openvclusterv1.GetVClusterKubeconfigResponse, error) {
	return &openvclusterv1.GetVClusterKubeconfigResponse{Vcluster: &openvclusterv1.VCluster{
		Status: &openvclusterv1.VClusterStatus{Kubeconfig: "kind: Config # " + req.GetNamespace() + "/" + req.GetName()},
	}}, nil
}

func TestDeprecatedGetVClusterKubeconfigDelegates(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	openvclusterv1.RegisterVClusterServiceServer(srv, kubeconfigServer{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	c, err := New(lis.Addr().String(), WithPlaintext(), WithToken(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })

	want, err := c.GetKubeconfig(t.Context(), "ns", "dev")
	if err != nil || want != "kind: Config # ns/dev" {
		t.Fatalf("GetKubeconfig = %q, %v", want, err)
	}
	got, err := c.GetVClusterKubeconfig(t.Context(), "ns", "dev")
	if err != nil || got != want {
		t.Errorf("GetVClusterKubeconfig = %q, %v; want %q", got, err, want)
	}
}
