package openvcluster_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// TestGetVClusterUsage checks the figures of a vcluster the test made: what
// its spec requests (with the server's defaults), which figures the
// simulated backend has a source for, and that a figure without one is
// unavailable rather than "0", while a suspended vcluster uses a real "0".
func TestGetVClusterUsage(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	vc, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{CPU: "2", Wait: true})
	if err != nil {
		t.Fatal(err)
	}

	usage, err := c.GetVClusterUsage(ctx, ns, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if usage.GetNamespace() != ns || usage.GetName() != "dev" || usage.GetPhase() != openvcluster.PhaseRunning {
		t.Errorf("usage names %s/%s in %s, want %s/dev in RUNNING", usage.GetNamespace(), usage.GetName(), usage.GetPhase(), ns)
	}
	// Both times come from the server's clock, so they compare without skew.
	if usage.GetObserveTime() == nil || usage.GetObserveTime().AsTime().Before(vc.GetCreateTime().AsTime()) {
		t.Errorf("observe_time %v is before the vcluster's create_time %v", usage.GetObserveTime(), vc.GetCreateTime())
	}
	// Requested is the spec with defaults applied: the CPU asked for, the
	// default memory, one replica.
	if r := usage.GetRequested(); r.GetCpu() != "2" || r.GetMemory() != "2Gi" || usage.GetReplicas() != 1 {
		t.Errorf("requested = %v, replicas = %d; want cpu 2, memory 2Gi, 1 replica", r, usage.GetReplicas())
	}
	for what, f := range map[string]*openvcluster.UsageFigure{
		"cpu_used": usage.GetCpuUsed(), "memory_used": usage.GetMemoryUsed(), "pod_count": usage.GetPodCount(),
	} {
		if !f.GetAvailable() || f.GetValue() == "" || f.GetSource() != "simulated" || f.GetReason() != "" {
			t.Errorf("%s = %v, want available from the simulated source", what, f)
		}
	}
	for what, f := range map[string]*openvcluster.UsageFigure{
		"cpu_requested_by_pods": usage.GetCpuRequestedByPods(), "memory_requested_by_pods": usage.GetMemoryRequestedByPods(),
	} {
		if f.GetAvailable() || f.GetValue() != "" || f.GetSource() != "" || f.GetReason() == "" {
			t.Errorf("%s = %v, want unavailable, with no value and a reason", what, f)
		}
	}

	if _, err := c.SuspendVCluster(ctx, ns, "dev", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	usage, err = c.GetVClusterUsage(ctx, ns, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if usage.GetPhase() != openvcluster.PhaseSuspended || usage.GetRequested().GetCpu() != "2" {
		t.Errorf("suspended usage = %v", usage)
	}
	// A suspended vcluster uses nothing, which is known: "0", available.
	for what, f := range map[string]*openvcluster.UsageFigure{
		"cpu_used": usage.GetCpuUsed(), "memory_used": usage.GetMemoryUsed(), "pod_count": usage.GetPodCount(),
	} {
		if !f.GetAvailable() || f.GetValue() != "0" {
			t.Errorf("suspended %s = %v, want available \"0\"", what, f)
		}
	}
}

func TestGetVClusterUsageErrors(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)

	_, err := c.GetVClusterUsage(ctx, ns, "absent")
	var e *openvcluster.Error
	if !errors.As(err, &e) || e.Code != codes.NotFound || !openvcluster.IsNotFound(err) {
		t.Errorf("usage of an absent vcluster: %v (%T), want an *Error with NOT_FOUND", err, err)
	}

	for _, tc := range []struct{ namespace, name, field string }{
		{ns, "Bad_Name", "name"},
		{ns, "", "name"},
		{"Bad_NS", "dev", "namespace"},
		{"", "dev", "namespace"},
	} {
		_, err := c.GetVClusterUsage(ctx, tc.namespace, tc.name)
		if !openvcluster.IsInvalidArgument(err) || !slices.Contains(violatedFields(err), tc.field) {
			t.Errorf("GetVClusterUsage(%q, %q) = %v with violations of %v, want INVALID_ARGUMENT naming %s",
				tc.namespace, tc.name, err, violatedFields(err), tc.field)
		}
	}
}

// TestGetFleetSummary summarises a namespace of the test's own holding one
// vcluster in each of RUNNING, SUSPENDED and FAILED, so every count and
// total is known.
func TestGetFleetSummary(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "running", &openvcluster.CreateVClusterParams{CPU: "2", Memory: "4Gi", Wait: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVCluster(ctx, ns, "asleep", &openvcluster.CreateVClusterParams{CPU: "1", Replicas: 3, Wait: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendVCluster(ctx, ns, "asleep", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	failing := withMetadata(ctx, "ovc-test-fail-transition", "disk on fire")
	if _, err := c.CreateVCluster(failing, ns, "broken", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForPhase(ctx, ns, "broken", openvcluster.PhaseFailed); err != nil {
		t.Fatal(err)
	}

	summary, err := c.GetFleetSummary(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	if summary.GetObserveTime() == nil || summary.GetVclusterCount() != 3 {
		t.Errorf("summary covers %d vclusters at %v, want 3 at a time", summary.GetVclusterCount(), summary.GetObserveTime())
	}
	// In the order of the Phase enum.
	wantPhases := "PHASE_RUNNING=1 PHASE_SUSPENDED=1 PHASE_FAILED=1"
	if got := phaseCounts(summary.GetPhases()); got != wantPhases {
		t.Errorf("phases = %s, want %s", got, wantPhases)
	}
	if len(summary.GetNamespaces()) != 1 {
		t.Fatalf("namespaces = %v, want only %s", summary.GetNamespaces(), ns)
	}
	n := summary.GetNamespaces()[0]
	if n.GetNamespace() != ns || n.GetVclusterCount() != 3 || phaseCounts(n.GetPhases()) != wantPhases {
		t.Errorf("namespace summary = %v", n)
	}
	// Each spec's resources once, whatever its replicas, as the quota counts them:
	// cpu 2 + 1 + 1 (the default) and memory 4Gi + 2Gi + 2Gi.
	if n.GetCpuRequested() != "4" || n.GetMemoryRequested() != "8Gi" {
		t.Errorf("requested totals cpu %q memory %q, want 4 and 8Gi", n.GetCpuRequested(), n.GetMemoryRequested())
	}
	if n.GetQuota() != nil {
		t.Errorf("quota of a namespace without one = %v, want unset", n.GetQuota())
	}
	if got := mentioned(summary.GetOldestSuspended()); got != ns+"/asleep" {
		t.Errorf("oldest suspended = %s, want %s/asleep", got, ns)
	}
	if s := summary.GetOldestSuspended(); len(s) == 1 && s[0].GetSince() == nil {
		t.Errorf("suspended mention %v has no since", s[0])
	}
	if got := mentioned(summary.GetFailed()); got != ns+"/broken" || summary.GetFailedCount() != 1 {
		t.Errorf("failed = %s (failed_count %d), want %s/broken (1)", got, summary.GetFailedCount(), ns)
	}
	if f := summary.GetFailed(); len(f) == 1 && (f[0].GetMessage() != "disk on fire" || f[0].GetSince() == nil) {
		t.Errorf("failed mention = %v, want its message and since", f[0])
	}

	// Every visible namespace: ours is among them, with the same figures.
	all, err := c.GetFleetSummary(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all.GetNamespaces(), func(s *openvcluster.NamespaceSummary) bool { return s.GetNamespace() == ns })
	if i < 0 || all.GetNamespaces()[i].GetVclusterCount() != 3 || all.GetNamespaces()[i].GetCpuRequested() != "4" {
		t.Errorf("the summary of every namespace has no entry %s with 3 vclusters and cpu 4", ns)
	}
	if all.GetVclusterCount() < 3 || all.GetFailedCount() < 1 {
		t.Errorf("the summary of every namespace counts %d vclusters, %d failed; want at least ours", all.GetVclusterCount(), all.GetFailedCount())
	}
	if !slices.IsSortedFunc(all.GetNamespaces(), func(a, b *openvcluster.NamespaceSummary) int {
		return strings.Compare(a.GetNamespace(), b.GetNamespace())
	}) {
		t.Error("namespaces are not in namespace order")
	}
}

func TestGetFleetSummaryOfEmptyAndQuotaNamespaces(t *testing.T) {
	t.Parallel()
	ctx, c := testContext(t), newClient(t)

	// A namespace that holds nothing is an empty summary, not an error.
	empty, err := c.GetFleetSummary(ctx, namespace(t))
	if err != nil {
		t.Fatal(err)
	}
	if empty.GetVclusterCount() != 0 || len(empty.GetPhases()) != 0 || len(empty.GetNamespaces()) != 0 ||
		len(empty.GetFailed()) != 0 || empty.GetFailedCount() != 0 {
		t.Errorf("summary of an empty namespace = %v", empty)
	}

	// A namespace with a quota has an entry even when it holds nothing; other
	// tests create vclusters there, so only its quota is certain.
	quota, err := c.GetFleetSummary(ctx, quotaNamespace)
	if err != nil {
		t.Fatal(err)
	}
	if len(quota.GetNamespaces()) != 1 || quota.GetNamespaces()[0].GetNamespace() != quotaNamespace ||
		quota.GetNamespaces()[0].GetQuota().GetMaxVclusters() != 1 {
		t.Errorf("summary of %s = %v, want its quota of one vcluster", quotaNamespace, quota.GetNamespaces())
	}

	_, err = c.GetFleetSummary(ctx, "Bad_NS")
	if !openvcluster.IsInvalidArgument(err) || !slices.Contains(violatedFields(err), "namespace") {
		t.Errorf("summary of an invalid namespace: %v with violations of %v, want INVALID_ARGUMENT naming namespace",
			err, violatedFields(err))
	}
}

// TestMonitorCallsAreScopedByToken checks that the client sends its token
// on the monitor calls and that the server scopes them by it: a namespace
// the token may not see is NOT_FOUND for a usage and empty for a summary.
func TestMonitorCallsAreScopedByToken(t *testing.T) {
	t.Parallel()
	server := lazyServer(t, "tokens")
	ctx, other := testContext(t), namespace(t)
	// A name of its own, since scopedNamespace is shared by every run.
	name := "mine-" + openvcluster.NewRequestID()[:8]

	editor := dial(t, server.addr, openvcluster.WithToken(editorToken))
	for _, key := range [][2]string{{scopedNamespace, name}, {other, "hidden"}} {
		if _, err := editor.CreateVCluster(ctx, key[0], key[1], &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
			t.Fatal(err)
		}
	}

	none := editor.WithOptions(openvcluster.WithToken(""))
	if _, err := none.GetVClusterUsage(ctx, scopedNamespace, name); !openvcluster.IsUnauthenticated(err) {
		t.Errorf("usage without a token: %v, want UNAUTHENTICATED", err)
	}
	if _, err := none.GetFleetSummary(ctx, ""); !openvcluster.IsUnauthenticated(err) {
		t.Errorf("summary without a token: %v, want UNAUTHENTICATED", err)
	}

	scoped := editor.WithOptions(openvcluster.WithToken(scopedToken))
	if usage, err := scoped.GetVClusterUsage(ctx, scopedNamespace, name); err != nil || usage.GetName() != name {
		t.Errorf("usage in the token's namespace = %v, %v", usage, err)
	}
	if _, err := scoped.GetVClusterUsage(ctx, other, "hidden"); !openvcluster.IsNotFound(err) {
		t.Errorf("usage in a namespace the token may not see: %v, want NOT_FOUND", err)
	}
	hidden, err := scoped.GetFleetSummary(ctx, other)
	if err != nil || hidden.GetVclusterCount() != 0 || len(hidden.GetNamespaces()) != 0 {
		t.Errorf("summary of a namespace the token may not see = %v, %v; want an empty summary", hidden, err)
	}
	all, err := scoped.GetFleetSummary(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GetNamespaces()) != 1 || all.GetNamespaces()[0].GetNamespace() != scopedNamespace || all.GetVclusterCount() < 1 {
		t.Errorf("summary of every namespace the token sees = %v, want %s only", all.GetNamespaces(), scopedNamespace)
	}
}

// TestMonitorCallsRetryAndTimeOut checks that the monitor calls go through
// the client's retry interceptor and per-attempt timeout like every unary
// call.
func TestMonitorCallsRetryAndTimeOut(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	ctx, c, ns := testContext(t), newClient(t, logs.option()), namespace(t)

	// The server fails the first two calls carrying each key.
	hooked := withMetadata(ctx, "ovc-test-unavailable", ns+"-usage:2")
	if _, err := c.GetVClusterUsage(hooked, ns, "absent"); !openvcluster.IsNotFound(err) {
		t.Errorf("usage through two UNAVAILABLE: %v, want NOT_FOUND from the third attempt", err)
	}
	if n := strings.Count(logs.String(), "GetVClusterUsage"); n != 3 {
		t.Errorf("%d attempts of GetVClusterUsage logged, want 3:\n%s", n, logs.String())
	}
	hooked = withMetadata(ctx, "ovc-test-unavailable", ns+"-summary:2")
	if _, err := c.GetFleetSummary(hooked, ns); err != nil {
		t.Errorf("summary through two UNAVAILABLE: %v", err)
	}
	if n := strings.Count(logs.String(), "GetFleetSummary"); n != 3 {
		t.Errorf("%d attempts of GetFleetSummary logged, want 3:\n%s", n, logs.String())
	}

	slow := withMetadata(ctx, "ovc-test-delay-ms", "3000")
	quick := c.WithOptions(openvcluster.WithTimeout(200 * time.Millisecond))
	if _, err := quick.GetVClusterUsage(slow, ns, "absent"); !openvcluster.IsDeadlineExceeded(err) {
		t.Errorf("usage past its attempt timeout: %v, want DEADLINE_EXCEEDED", err)
	}
	if _, err := quick.GetFleetSummary(slow, ns); !openvcluster.IsDeadlineExceeded(err) {
		t.Errorf("summary past its attempt timeout: %v, want DEADLINE_EXCEEDED", err)
	}
}

// violatedFields are the fields an *Error's BadRequest names.
func violatedFields(err error) []string {
	var e *openvcluster.Error
	if !errors.As(err, &e) {
		return nil
	}
	var fields []string
	for _, v := range e.FieldViolations {
		fields = append(fields, v.GetField())
	}
	return fields
}

// phaseCounts writes phase counts as "PHASE_RUNNING=1 ...", in their order.
func phaseCounts(counts []*openvcluster.PhaseCount) string {
	var parts []string
	for _, p := range counts {
		parts = append(parts, p.GetPhase().String()+"="+strconv.Itoa(int(p.GetCount())))
	}
	return strings.Join(parts, " ")
}

// mentioned writes the vclusters of mentions as "namespace/name ...".
func mentioned(mentions []*openvcluster.VClusterMention) string {
	var parts []string
	for _, m := range mentions {
		parts = append(parts, m.GetNamespace()+"/"+m.GetName())
	}
	return strings.Join(parts, " ")
}
