package openvcluster_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// offlineClient is a client for 127.0.0.1:1, where no server listens, whose
// every connection attempt fails at once and is counted in dials: a call
// that answers without a dial never left the client.
func offlineClient(t *testing.T, opts ...openvcluster.Option) (*openvcluster.Client, *atomic.Int32) {
	t.Helper()
	dials := &atomic.Int32{}
	dialer := grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("test: no network")
	})
	base := []openvcluster.Option{openvcluster.WithPlaintext(), openvcluster.WithToken(""), openvcluster.WithDialOptions(dialer)}
	c, err := openvcluster.New("127.0.0.1:1", append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, dials
}

// violations are the (field, description) pairs of an *Error.
func violations(t *testing.T, err error) [][2]string {
	t.Helper()
	var e *openvcluster.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *openvcluster.Error", err, err)
	}
	var pairs [][2]string
	for _, v := range e.FieldViolations {
		pairs = append(pairs, [2]string{v.GetField(), v.GetDescription()})
	}
	return pairs
}

func fields(pairs [][2]string) []string {
	var names []string
	for _, p := range pairs {
		names = append(names, p[0])
	}
	return names
}

// TestFieldRulesRejectLocally: a request that breaks a field rule fails with
// the server's INVALID_ARGUMENT before any network call, retries on or not.
func TestFieldRulesRejectLocally(t *testing.T) {
	t.Parallel()
	c, dials := offlineClient(t) // the default retry policy
	_, err := c.CreateVCluster(t.Context(), "team-a", "Dev", &openvcluster.CreateVClusterParams{
		Labels: map[string]string{"-bad": "ok", "app": "web"},
	})
	if code := openvcluster.Code(err); code != codes.InvalidArgument {
		t.Fatalf("code = %s (%v), want INVALID_ARGUMENT", openvcluster.CodeName(code), err)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d connection attempts, want none", n)
	}
	got := violations(t, err)
	if want := []string{"name", "labels[-bad]"}; !slices.Equal(fields(got), want) {
		t.Fatalf("fields = %v, want %v", fields(got), want)
	}
	if !strings.HasPrefix(got[0][1], "must be a DNS-1123 label") || !strings.HasPrefix(got[1][1], "the key must be a label key") {
		t.Errorf("descriptions = %q", got)
	}
	var e *openvcluster.Error
	errors.As(err, &e)
	if want := "invalid request: name: " + got[0][1] + "; labels[-bad]: " + got[1][1]; e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	if e.RequestID == "" {
		t.Error("a mutation's error has no request id")
	}
	if !slices.ContainsFunc(e.Details, func(d proto.Message) bool { _, ok := d.(*errdetails.BadRequest); return ok }) {
		t.Errorf("details = %v, want a BadRequest", e.Details)
	}
	if st, ok := status.FromError(err); !ok || st.Code() != codes.InvalidArgument || len(st.Details()) != 1 {
		t.Errorf("status.FromError = %v, %v", st, ok)
	}

	// A request id the caller chose is checked as sent, and quoted.
	_, err = c.DeleteVCluster(t.Context(), "team-a", "dev", &openvcluster.DeleteVClusterParams{RequestID: "not-a-uuid"})
	if got := fields(violations(t, err)); !slices.Equal(got, []string{"request_id"}) {
		t.Errorf("fields = %v, want [request_id]", got)
	}
	if errors.As(err, &e); e.RequestID != "not-a-uuid" {
		t.Errorf("request id = %q", e.RequestID)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d connection attempts, want none", n)
	}
}

// TestRequestValidationOff: with the check off, the same request goes to the
// network (and finds no server there).
func TestRequestValidationOff(t *testing.T) {
	t.Parallel()
	c, dials := offlineClient(t, openvcluster.WithoutRetry(), openvcluster.WithRequestValidation(false))
	_, err := c.CreateVCluster(t.Context(), "team-a", "Dev", nil)
	if code := openvcluster.Code(err); code != codes.Unavailable {
		t.Fatalf("code = %s (%v), want UNAVAILABLE", openvcluster.CodeName(code), err)
	}
	if dials.Load() == 0 {
		t.Error("no connection attempt")
	}

	// A client derived with the check on (or off) shares the connection.
	on, _ := offlineClient(t, openvcluster.WithoutRetry())
	off := on.WithOptions(openvcluster.WithRequestValidation(false))
	if _, err := off.GetVCluster(t.Context(), "Team", "dev"); !openvcluster.IsUnavailable(err) {
		t.Errorf("derived without the check: %v, want UNAVAILABLE", err)
	}
	if _, err := on.GetVCluster(t.Context(), "Team", "dev"); !openvcluster.IsInvalidArgument(err) {
		t.Errorf("original: %v, want INVALID_ARGUMENT", err)
	}
}

// TestValidRequestIsNotRejected: a request within the rules goes to the
// network.
func TestValidRequestIsNotRejected(t *testing.T) {
	t.Parallel()
	c, dials := offlineClient(t, openvcluster.WithoutRetry())
	_, err := c.CreateVCluster(t.Context(), "team-a", "dev", &openvcluster.CreateVClusterParams{
		Labels: map[string]string{"example.com/app": "web", "tier": ""}, CPU: "500m", Memory: "1Gi", Replicas: 3,
	})
	if !openvcluster.IsUnavailable(err) {
		t.Fatalf("create: %v, want UNAVAILABLE", err)
	}
	if _, err := c.GetServerInfo(t.Context()); !openvcluster.IsUnavailable(err) {
		t.Fatalf("server info: %v, want UNAVAILABLE", err)
	}
	if n := dials.Load(); n == 0 {
		t.Error("no connection attempt")
	}
}

// TestWatchWithBadNamespaceIsRejected: a watch that breaks a rule yields the
// error without opening a stream.
func TestWatchWithBadNamespaceIsRejected(t *testing.T) {
	t.Parallel()
	c, dials := offlineClient(t)
	var errs []error
	for ev, err := range c.WatchVClusters(t.Context(), "Team_A", nil) {
		if ev != nil {
			t.Fatalf("event %v", ev)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || !openvcluster.IsInvalidArgument(errs[0]) {
		t.Fatalf("errors = %v, want one INVALID_ARGUMENT", errs)
	}
	if got := fields(violations(t, errs[0])); !slices.Equal(got, []string{"namespace"}) {
		t.Errorf("fields = %v, want [namespace]", got)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d connection attempts, want none", n)
	}
}

// TestMapKeyPaths: a bad map entry is named by its raw key, once however many
// rules the entry breaks, and the entries come in key order whatever order
// Go ranges over the map in.
func TestMapKeyPaths(t *testing.T) {
	t.Parallel()
	c, _ := offlineClient(t)
	labels := map[string]string{
		"good": "white space", "-bad": "ok", "Zed/x": "ok", "both-": "bad value",
		"example.com/app": "web", "m": "-", "a.b/c": "x", "Q": "ok",
	}
	want := []string{"labels[-bad]", "labels[Zed/x]", "labels[both-]", "labels[good]", "labels[m]"}
	for range 20 {
		_, err := c.SnapshotVCluster(t.Context(), "team-a", "dev", &openvcluster.SnapshotVClusterParams{
			SnapshotName: "snap", Labels: labels,
		})
		got := violations(t, err)
		if !slices.Equal(fields(got), want) {
			t.Fatalf("fields = %v, want %v", fields(got), want)
		}
		// "both-" breaks the key's rule and the value's: the key's comes first.
		if !strings.HasPrefix(got[2][1], "the key") {
			t.Fatalf("labels[both-]: %q, want the key's violation", got[2][1])
		}
	}
}

// TestLocalErrorIsTheServers: for requests the field rules alone answer, the
// client's error is the one the server gives with the check off.
func TestLocalErrorIsTheServers(t *testing.T) {
	t.Parallel()
	ctx, ns := testContext(t), namespace(t)
	local, dials := offlineClient(t)
	remote := newClient(t, openvcluster.WithRequestValidation(false))
	calls := map[string]func(*openvcluster.Client) error{
		"create": func(c *openvcluster.Client) error {
			_, err := c.CreateVCluster(ctx, "Team_A", "", &openvcluster.CreateVClusterParams{
				// One bad label: the server lists a map's entries in the order
				// its Python map gives them, not in key order.
				Labels:    map[string]string{"-bad": "ok", "good": "fine"},
				RequestID: "not-a-uuid",
				Spec: &openvcluster.VClusterSpec{
					KubernetesVersion: "1.020",
					Resources:         &openvcluster.Resources{Cpu: "lots", Memory: "-1Gi"},
					Replicas:          9,
					Network:           &openvcluster.NetworkSpec{ServiceCidr: "10.96.0.1/12"},
					Storage:           &openvcluster.StorageSpec{Size: "5 GB", StorageClass: "Fast_SSD"},
				},
			})
			return err
		},
		"list": func(c *openvcluster.Client) error {
			_, err := c.ListVClustersPage(ctx, ns, &openvcluster.ListVClustersParams{PageSize: -1})
			return err
		},
		"scale": func(c *openvcluster.Client) error {
			_, err := c.ScaleVCluster(ctx, ns, "dev", &openvcluster.ScaleVClusterParams{Replicas: 6})
			return err
		},
		"kubeconfig": func(c *openvcluster.Client) error {
			_, err := c.GetKubeconfig(ctx, ns, "Dev")
			return err
		},
	}
	for name, call := range calls {
		want, got := call(remote), call(local)
		var w, g *openvcluster.Error
		if !errors.As(want, &w) || !errors.As(got, &g) || w.Code != codes.InvalidArgument {
			t.Errorf("%s: server %v, client %v", name, want, got)
			continue
		}
		if g.Code != w.Code || g.Message != w.Message || !slices.Equal(violations(t, got), violations(t, want)) {
			t.Errorf("%s:\nclient %v\nserver %v", name, got, want)
		}
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d connection attempts, want none", n)
	}
}
