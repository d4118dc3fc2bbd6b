package openvcluster_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

func TestTLS(t *testing.T) {
	t.Parallel()
	server, certs := lazyServer(t, "tls"), testCertificates(t)
	ctx, ns := testContext(t), namespace(t)

	c := dial(t, server.addr, openvcluster.WithCAFile(certs.ca))
	if !c.TLS() {
		t.Error("a CA file did not switch TLS on")
	}
	if _, err := c.CreateVCluster(ctx, ns, "a", nil); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	// The certificate names localhost too.
	named := dial(t, "https://"+strings.Replace(server.addr, "127.0.0.1", "localhost", 1), openvcluster.WithCAFile(certs.ca))
	if _, err := named.GetVCluster(ctx, ns, "a"); err != nil {
		t.Errorf("over TLS by name: %v", err)
	}
	// A server name the certificate does not hold is refused.
	wrong := dial(t, server.addr, openvcluster.WithCAFile(certs.ca), openvcluster.WithTLSServerName("elsewhere.example"), openvcluster.WithoutRetry())
	if _, err := wrong.GetVCluster(ctx, ns, "a"); !openvcluster.IsUnavailable(err) {
		t.Errorf("wrong server name: %v, want UNAVAILABLE", err)
	}
	right := dial(t, server.addr, openvcluster.WithCAFile(certs.ca), openvcluster.WithTLSServerName("localhost"))
	if _, err := right.GetVCluster(ctx, ns, "a"); err != nil {
		t.Errorf("server name localhost: %v", err)
	}
	// An untrusted CA, or plaintext against a TLS server, fails.
	untrusted := dial(t, server.addr, openvcluster.WithCAFile(certs.otherCA), openvcluster.WithoutRetry())
	if _, err := untrusted.GetVCluster(ctx, ns, "a"); !openvcluster.IsUnavailable(err) {
		t.Errorf("untrusted CA: %v, want UNAVAILABLE", err)
	}
	plaintext := dial(t, server.addr, openvcluster.WithPlaintext(), openvcluster.WithoutRetry())
	if _, err := plaintext.GetVCluster(ctx, ns, "a"); !openvcluster.IsUnavailable(err) {
		t.Errorf("plaintext to TLS: %v, want UNAVAILABLE", err)
	}
	// A tls.Config of one's own.
	own := dial(t, server.addr, openvcluster.WithTLS(&tls.Config{MinVersion: tls.VersionTLS13}), openvcluster.WithCAFile(certs.ca))
	if _, err := own.GetVCluster(ctx, ns, "a"); err != nil {
		t.Errorf("own tls.Config: %v", err)
	}
}

func TestMutualTLS(t *testing.T) {
	t.Parallel()
	server, certs := lazyServer(t, "mtls"), testCertificates(t)
	ctx, ns := testContext(t), namespace(t)
	c := dial(t, server.addr, openvcluster.WithCAFile(certs.ca), openvcluster.WithClientCertificateFiles(certs.clientCert, certs.clientKey))
	if _, err := c.CreateVCluster(ctx, ns, "a", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatalf("over mutual TLS: %v", err)
	}
	anonymous := dial(t, server.addr, openvcluster.WithCAFile(certs.ca), openvcluster.WithoutRetry())
	if _, err := anonymous.GetVCluster(ctx, ns, "a"); err == nil {
		t.Error("a client without certificate was served")
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	server := lazyServer(t, "tokens")
	ctx, ns := testContext(t), namespace(t)

	none := dial(t, server.addr, openvcluster.WithToken(""))
	if _, err := none.GetVCluster(ctx, ns, "a"); !openvcluster.IsUnauthenticated(err) {
		t.Errorf("no token: %v, want UNAUTHENTICATED", err)
	}
	editor := dial(t, server.addr, openvcluster.WithToken(editorToken))
	if _, err := editor.CreateVCluster(ctx, ns, "a", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatalf("editor: %v", err)
	}
	viewer := editor.WithOptions(openvcluster.WithToken(viewerToken))
	if _, err := viewer.GetVCluster(ctx, ns, "a"); err != nil {
		t.Errorf("viewer read: %v", err)
	}
	if _, err := viewer.SuspendVCluster(ctx, ns, "a", nil); !openvcluster.IsPermissionDenied(err) {
		t.Errorf("viewer mutation: %v, want PERMISSION_DENIED", err)
	}
	if _, err := viewer.GetKubeconfig(ctx, ns, "a"); !openvcluster.IsPermissionDenied(err) {
		t.Errorf("viewer kubeconfig: %v, want PERMISSION_DENIED", err)
	}
	if _, err := viewer.WaitForPhase(ctx, ns, "a", openvcluster.PhaseRunning); err != nil {
		t.Errorf("viewer wait (watch): %v", err)
	}
	// A call's own authorization metadata wins over the client's token.
	own := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+viewerToken)
	if _, err := editor.DeleteVCluster(own, ns, "a", nil); !openvcluster.IsPermissionDenied(err) {
		t.Errorf("editor client with a viewer's authorization: %v, want PERMISSION_DENIED", err)
	}
	invalid := editor.WithOptions(openvcluster.WithToken("wrong"))
	for _, err := range invalid.WatchVClusters(ctx, ns, nil) {
		if !openvcluster.IsUnauthenticated(err) {
			t.Errorf("watch with a wrong token: %v", err)
		}
	}
}

func TestEnvironmentDefaults(t *testing.T) {
	// t.Setenv: not parallel.
	certs := testCertificates(t)
	tokens, tlsServer := lazyServer(t, "tokens"), lazyServer(t, "tls")
	ctx, ns := testContext(t), namespace(t)

	t.Setenv(openvcluster.EnvEndpoint, tokens.addr)
	t.Setenv(openvcluster.EnvToken, editorToken)
	c, err := openvcluster.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Endpoint() != tokens.addr || c.TLS() {
		t.Errorf("target %q tls %v from the environment", c.Endpoint(), c.TLS())
	}
	if _, err := c.CreateVCluster(ctx, ns, "a", nil); err != nil {
		t.Errorf("with OVC_TOKEN: %v", err)
	}

	t.Setenv(openvcluster.EnvEndpoint, "https://"+tlsServer.addr+"/")
	t.Setenv(openvcluster.EnvCAFile, certs.ca)
	t.Setenv(openvcluster.EnvTLSServerName, "localhost")
	c, err = openvcluster.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Endpoint() != tlsServer.addr || !c.TLS() {
		t.Errorf("target %q tls %v from an https:// endpoint", c.Endpoint(), c.TLS())
	}
	if _, err := c.CreateVCluster(ctx, ns, "b", nil); err != nil {
		t.Errorf("TLS from the environment: %v", err)
	}

	t.Setenv(openvcluster.EnvTLS, "maybe")
	if _, err := openvcluster.New(""); err == nil || !strings.Contains(err.Error(), "OVC_TLS") {
		t.Errorf("OVC_TLS=maybe: %v", err)
	}
	t.Setenv(openvcluster.EnvTLS, "off")
	if _, err := openvcluster.New(""); err == nil {
		t.Error("TLS off with a CA file was accepted")
	}
	t.Setenv(openvcluster.EnvTLS, "")
	t.Setenv(openvcluster.EnvCAFile, "")
	t.Setenv(openvcluster.EnvClientCertFile, certs.clientCert)
	if _, err := openvcluster.New(""); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("certificate without key: %v", err)
	}
	t.Setenv(openvcluster.EnvClientCertFile, "")
	t.Setenv(openvcluster.EnvEndpoint, "")
	c, err = openvcluster.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Endpoint() != openvcluster.DefaultEndpoint {
		t.Errorf("default target = %q", c.Endpoint())
	}
}

// recorder is a bare gRPC server that records what the client sends and
// answers UNAVAILABLE to the first calls, then UNIMPLEMENTED.
type recorder struct {
	unavailable int
	calls       chan recorded
}

type recorded struct {
	md        metadata.MD
	requestID string
}

func startRecorder(t *testing.T, unavailable int) (addr string, r *recorder) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r = &recorder{unavailable: unavailable, calls: make(chan recorded, 16)}
	server := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		md, _ := metadata.FromIncomingContext(stream.Context())
		req := &openvclusterv1.CreateVClusterRequest{}
		if err := stream.RecvMsg(req); err != nil {
			return err
		}
		r.calls <- recorded{md: md, requestID: req.GetRequestId()}
		if len(r.calls) <= r.unavailable {
			return status.Error(codes.Unavailable, "try again")
		}
		return status.Error(codes.Unimplemented, "recorded")
	}))
	go func() { _ = server.Serve(lis) }()
	t.Cleanup(server.Stop)
	return lis.Addr().String(), r
}

// TestWhatTheClientSends checks the wire: user agent, token, metadata, and
// one request_id for every attempt of a mutation.
func TestWhatTheClientSends(t *testing.T) {
	t.Parallel()
	addr, r := startRecorder(t, 2)
	c := dial(t, addr, openvcluster.WithToken("tok"), openvcluster.WithMetadata("x-team", "blue"))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-call", "1")
	if _, err := c.CreateVCluster(ctx, "ns", "a", nil); openvcluster.Code(err) != codes.Unimplemented {
		t.Fatalf("create against the recorder: %v", err)
	}
	close(r.calls)
	var ids []string
	for call := range r.calls {
		ids = append(ids, call.requestID)
		agent := call.md.Get("user-agent")
		if len(agent) != 1 || !strings.HasPrefix(agent[0], openvcluster.UserAgent+" ") {
			t.Errorf("user-agent = %q", agent)
		}
		if got := call.md.Get("authorization"); len(got) != 1 || got[0] != "Bearer tok" {
			t.Errorf("authorization = %q", got)
		}
		if call.md.Get("x-team")[0] != "blue" || call.md.Get("x-call")[0] != "1" {
			t.Errorf("metadata = %v", call.md)
		}
	}
	if len(ids) != 3 || ids[0] == "" || ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("request ids of three attempts = %q, want one id", ids)
	}
}

func TestMalformedEndpointsFailInNew(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"https://[bad", "host:notaport", "host:0", ":50051", "ftp://host:1", "a b:1"} {
		if c, err := openvcluster.New(target); err == nil {
			c.Close()
			t.Errorf("New(%q): no error", target)
		} else if !strings.Contains(err.Error(), "endpoint") {
			t.Errorf("New(%q): %v does not name the endpoint", target, err)
		}
	}
	for _, target := range []string{"127.0.0.1:50051", "localhost", "[::1]:50051", "https://example.com", "dns:///example.com:443"} {
		c, err := openvcluster.New(target)
		if err != nil {
			t.Errorf("New(%q): %v", target, err)
			continue
		}
		c.Close()
	}
}
