package openvcluster_test

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// TestGetServerInfo checks what the plain server (no tokens, the simulated
// backend, one configured quota) says about itself: every field has its real
// value, and the spec defaults are what an empty create gets.
func TestGetServerInfo(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)

	info, err := c.GetServerInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkServerWide(t, info)

	// The plain server's only quota; it configures no "*".
	limits := info.GetLimits()
	if got := slices.Sorted(maps.Keys(limits.GetQuotas())); !slices.Equal(got, []string{quotaNamespace}) {
		t.Errorf("quotas of %v, want %s only", got, quotaNamespace)
	}
	if q := limits.GetQuotas()[quotaNamespace]; q.GetMaxVclusters() != 1 {
		t.Errorf("quota of %s = %v, want max_vclusters 1", quotaNamespace, q)
	}

	// Without tokens every caller is the anonymous editor of every namespace.
	caller := info.GetCaller()
	if caller.GetName() != "anonymous" || caller.GetRole() != openvclusterv1.Caller_ROLE_EDITOR ||
		!caller.GetAllNamespaces() || len(caller.GetNamespaces()) != 0 {
		t.Errorf("caller = %v, want anonymous, ROLE_EDITOR, all namespaces and none listed", caller)
	}

	// spec_defaults is the spec an empty create gets, field for field.
	vc, err := c.CreateVCluster(ctx, ns, "defaults", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(vc.GetSpec(), info.GetSpecDefaults()) {
		t.Errorf("an empty create got the spec %v, but spec_defaults = %v", vc.GetSpec(), info.GetSpecDefaults())
	}
}

// TestGetServerInfoIsScopedByToken checks that the client sends its token and
// that the caller, and the quotas listed, follow it: the scoped viewer sees
// its name, role and namespace, its namespace's quota and "*", and not a
// quota of a namespace it may not see; the server-wide fields do not change.
func TestGetServerInfoIsScopedByToken(t *testing.T) {
	t.Parallel()
	server := lazyServer(t, "tokens")
	ctx := testContext(t)
	editor := dial(t, server.addr, openvcluster.WithToken(editorToken))

	if _, err := editor.WithOptions(openvcluster.WithToken("")).GetServerInfo(ctx); !openvcluster.IsUnauthenticated(err) {
		t.Errorf("server info without a token: %v, want UNAUTHENTICATED", err)
	}
	if _, err := editor.WithOptions(openvcluster.WithToken("wrong-secret")).GetServerInfo(ctx); !openvcluster.IsUnauthenticated(err) {
		t.Errorf("server info with an unknown token: %v, want UNAUTHENTICATED", err)
	}

	for _, tc := range []struct {
		token, name string
		role        openvclusterv1.Caller_Role
		namespaces  []string // nil: all namespaces
		quotas      []string
	}{
		{editorToken, "editor", openvclusterv1.Caller_ROLE_EDITOR, nil, []string{"*", hiddenQuotaNamespace, scopedNamespace}},
		{viewerToken, "viewer", openvclusterv1.Caller_ROLE_VIEWER, nil, []string{"*", hiddenQuotaNamespace, scopedNamespace}},
		{scopedToken, "scoped", openvclusterv1.Caller_ROLE_VIEWER, []string{scopedNamespace}, []string{"*", scopedNamespace}},
	} {
		info, err := editor.WithOptions(openvcluster.WithToken(tc.token)).GetServerInfo(ctx)
		if err != nil {
			t.Errorf("server info for %s: %v", tc.name, err)
			continue
		}
		checkServerWide(t, info)
		caller := info.GetCaller()
		if caller.GetName() != tc.name || caller.GetRole() != tc.role ||
			caller.GetAllNamespaces() != (tc.namespaces == nil) || !slices.Equal(caller.GetNamespaces(), tc.namespaces) {
			t.Errorf("caller of the %s token = %v, want name %s, %s, namespaces %v (nil: all)",
				tc.name, caller, tc.name, tc.role, tc.namespaces)
		}
		quotas := info.GetLimits().GetQuotas()
		if got := slices.Sorted(maps.Keys(quotas)); !slices.Equal(got, tc.quotas) {
			t.Errorf("the %s token sees quotas of %v, want %v", tc.name, got, tc.quotas)
		}
		if quotas["*"].GetMaxVclusters() != 1000 || quotas[scopedNamespace].GetMaxVclusters() != 100 {
			t.Errorf("the %s token sees quotas %v, want 1000 vclusters for *, 100 for %s", tc.name, quotas, scopedNamespace)
		}
	}
}

// checkServerWide checks the fields every caller of the test servers sees
// alike: the reference server's version, backend, defaults and limits.
func checkServerWide(t *testing.T, info *openvcluster.ServerInfo) {
	t.Helper()
	if info.GetVersion() == "" {
		t.Error("version is empty")
	}
	if info.GetBackend() != openvclusterv1.ServerInfo_BACKEND_SIMULATED {
		t.Errorf("backend = %s, want BACKEND_SIMULATED", info.GetBackend())
	}

	versions := info.GetKubernetesVersions()
	if len(versions) == 0 {
		t.Fatal("no kubernetes_versions")
	}
	// Oldest first: strictly increasing as major.minor numbers.
	if !slices.IsSortedFunc(versions, compareMinor) || len(slices.Compact(slices.Clone(versions))) != len(versions) {
		t.Errorf("kubernetes_versions %v are not oldest first without repeats", versions)
	}

	// The last version is the default; the documented resource defaults.
	d := info.GetSpecDefaults()
	if d.GetKubernetesVersion() != versions[len(versions)-1] {
		t.Errorf("default kubernetes_version %q, want the last of %v", d.GetKubernetesVersion(), versions)
	}
	if d.GetDistro() != openvcluster.DistroK8s || d.GetReplicas() != 1 || d.GetEnableHa() {
		t.Errorf("spec defaults distro %s, %d replicas, HA %v; want K8S, 1, false", d.GetDistro(), d.GetReplicas(), d.GetEnableHa())
	}
	if r := d.GetResources(); r.GetCpu() != "1" || r.GetMemory() != "2Gi" || r.GetStorage() == "" {
		t.Errorf("default resources = %v, want cpu 1, memory 2Gi and a storage", r)
	}
	if d.GetNetwork().GetServiceCidr() == "" {
		t.Errorf("default network = %v, want a service CIDR", d.GetNetwork())
	}

	l := info.GetLimits()
	if l.GetDefaultPageSize() != 50 || l.GetMaxPageSize() != 1000 || l.GetMaxMessageBytes() != 4<<20 {
		t.Errorf("limits: page size %d (max %d), max message %d bytes; want 50, 1000, 4 MiB",
			l.GetDefaultPageSize(), l.GetMaxPageSize(), l.GetMaxMessageBytes())
	}
}

// compareMinor orders Kubernetes versions such as "1.9" and "1.31" as numbers.
func compareMinor(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, errX := strconv.Atoi(pa[i])
		y, errY := strconv.Atoi(pb[i])
		if errX != nil || errY != nil {
			return strings.Compare(a, b)
		}
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

// TestGetServerInfoRetriesAndTimesOut checks that GetServerInfo goes through
// the client's retry interceptor and per-attempt timeout like every unary
// call.
func TestGetServerInfoRetriesAndTimesOut(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	ctx, c, ns := testContext(t), newClient(t, logs.option()), namespace(t)

	// The server fails the first two calls carrying the key.
	hooked := withMetadata(ctx, "ovc-test-unavailable", ns+"-info:2")
	if info, err := c.GetServerInfo(hooked); err != nil || info.GetVersion() == "" {
		t.Errorf("server info through two UNAVAILABLE = %v, %v", info, err)
	}
	if n := strings.Count(logs.String(), "GetServerInfo"); n != 3 {
		t.Errorf("%d attempts of GetServerInfo logged, want 3:\n%s", n, logs.String())
	}

	slow := withMetadata(ctx, "ovc-test-delay-ms", "3000")
	quick := c.WithOptions(openvcluster.WithTimeout(200 * time.Millisecond))
	if _, err := quick.GetServerInfo(slow); !openvcluster.IsDeadlineExceeded(err) {
		t.Errorf("server info past its attempt timeout: %v, want DEADLINE_EXCEEDED", err)
	}
}
