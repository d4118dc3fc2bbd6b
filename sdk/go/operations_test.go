package openvcluster_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// operationIDs collects the operation ids the OnOperation callbacks report.
type operationIDs struct{ ids []string }

func (r *operationIDs) record(id string) { r.ids = append(r.ids, id) }

// last is the id reported last, failing the test when none was.
func (r *operationIDs) last(t *testing.T, call string) string {
	t.Helper()
	if len(r.ids) == 0 {
		t.Fatalf("%s reported no operation", call)
	}
	return r.ids[len(r.ids)-1]
}

// endedOperation returns an operation once it is no longer RUNNING: the
// server ends it when its vcluster (or snapshot) settles, which a wait may
// see a moment before.
func endedOperation(t *testing.T, ctx context.Context, c *openvcluster.Client, id string) *openvcluster.Operation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		op, err := c.GetOperation(ctx, id)
		if err != nil {
			t.Fatalf("GetOperation(%s): %v", id, err)
		}
		if op.GetState() != openvcluster.OperationRunning {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s (%s) still RUNNING after 10 s: %v", id, op.GetMethod(), op)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// phasesOf are the phases an operation went through.
func phasesOf(op *openvcluster.Operation) []string {
	var phases []string
	for _, p := range op.GetProgress() {
		phases = append(phases, p.GetPhase())
	}
	return phases
}

// errorInfo is the google.rpc.ErrorInfo of a failed operation's error.
func errorInfo(t *testing.T, op *openvcluster.Operation) *errdetails.ErrorInfo {
	t.Helper()
	for _, detail := range op.GetError().GetDetails() {
		msg, err := detail.UnmarshalNew()
		if err != nil {
			t.Fatalf("detail %s: %v", detail.GetTypeUrl(), err)
		}
		if info, ok := msg.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	t.Fatalf("operation error %v has no ErrorInfo", op.GetError())
	return nil
}

// TestEveryMutationRecordsAnOperation takes one vcluster through every
// mutation, each reporting its operation through OnOperation, and reads
// each operation back: its method, subject, caller, request id, state and
// the phases it went through. ListOperations then lists them newest first.
func TestEveryMutationRecordsAnOperation(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	ops := &operationIDs{}
	type want struct {
		method, snapshot string
		phases           []string
	}
	var wants []want
	check := func(call string, w want) {
		t.Helper()
		id := ops.last(t, call)
		op := endedOperation(t, ctx, c, id)
		if op.GetId() != id || op.GetMethod() != w.method || op.GetNamespace() != ns || op.GetVcluster() != "dev" ||
			op.GetSnapshot() != w.snapshot || op.GetRequestedBy() != "anonymous" || op.GetState() != openvcluster.OperationSucceeded {
			t.Errorf("%s: operation = %v", call, op)
		}
		if got := phasesOf(op); !slices.Equal(got, w.phases) {
			t.Errorf("%s: phases %v, want %v", call, got, w.phases)
		}
		if op.GetStartTime() == nil || op.GetEndTime() == nil || op.GetEndTime().AsTime().Before(op.GetStartTime().AsTime()) ||
			op.GetError() != nil {
			t.Errorf("%s: times %v to %v, error %v", call, op.GetStartTime(), op.GetEndTime(), op.GetError())
		}
		wants = append(wants, w)
	}

	requestID := openvcluster.NewRequestID()
	if _, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{
		KubernetesVersion: "1.31", RequestID: requestID, OnOperation: ops.record, Wait: true,
	}); err != nil {
		t.Fatal(err)
	}
	check("create", want{"CreateVCluster", "", []string{"PROVISIONING", "RUNNING"}})
	if op, err := c.GetOperation(ctx, ops.last(t, "create")); err != nil || op.GetRequestId() != requestID {
		t.Errorf("create's request id = %q, %v; want %q", op.GetRequestId(), err, requestID)
	}

	// A change without a transition succeeds at once.
	if _, err := c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{
		Labels: &map[string]string{"app": "web"}, OnOperation: ops.record,
	}); err != nil {
		t.Fatal(err)
	}
	check("labels update", want{"UpdateVCluster", "", []string{"RUNNING"}})
	if _, err := c.UpgradeVCluster(ctx, ns, "dev", "1.32", &openvcluster.UpgradeVClusterParams{OnOperation: ops.record, Wait: true}); err != nil {
		t.Fatal(err)
	}
	check("upgrade", want{"UpdateVCluster", "", []string{"UPGRADING", "RUNNING"}})
	if _, err := c.ScaleVCluster(ctx, ns, "dev", &openvcluster.ScaleVClusterParams{CPU: "2", OnOperation: ops.record, Wait: true}); err != nil {
		t.Fatal(err)
	}
	check("scale", want{"ScaleVCluster", "", []string{"SCALING", "RUNNING"}})
	if _, err := c.SuspendVCluster(ctx, ns, "dev", &openvcluster.SuspendVClusterParams{OnOperation: ops.record, Wait: true}); err != nil {
		t.Fatal(err)
	}
	check("suspend", want{"SuspendVCluster", "", []string{"SUSPENDING", "SUSPENDED"}})
	if _, err := c.ResumeVCluster(ctx, ns, "dev", &openvcluster.ResumeVClusterParams{OnOperation: ops.record, Wait: true}); err != nil {
		t.Fatal(err)
	}
	check("resume", want{"ResumeVCluster", "", []string{"RESUMING", "RUNNING"}})

	if _, err := c.SnapshotVCluster(ctx, ns, "dev", &openvcluster.SnapshotVClusterParams{
		SnapshotName: "snap", OnOperation: ops.record, Wait: true,
	}); err != nil {
		t.Fatal(err)
	}
	snapshotOp := endedOperation(t, ctx, c, ops.last(t, "snapshot"))
	if p := phasesOf(snapshotOp); len(p) < 2 || p[0] != "PENDING" || p[len(p)-1] != "READY" {
		t.Errorf("snapshot's phases = %v, want PENDING ... READY", p)
	}
	check("snapshot", want{"SnapshotVCluster", "snap", phasesOf(snapshotOp)})
	if _, err := c.RestoreVCluster(ctx, ns, "snap", &openvcluster.RestoreVClusterParams{OnOperation: ops.record, Wait: true}); err != nil {
		t.Fatal(err)
	}
	check("restore", want{"RestoreVCluster", "snap", []string{"RESTORING", "RUNNING"}})
	if err := c.DeleteSnapshot(ctx, ns, "snap", &openvcluster.DeleteSnapshotParams{OnOperation: ops.record}); err != nil {
		t.Fatal(err)
	}
	deleteSnapshotOp := endedOperation(t, ctx, c, ops.last(t, "delete snapshot"))
	check("delete snapshot", want{"DeleteSnapshot", "snap", phasesOf(deleteSnapshotOp)})
	if _, err := c.DeleteVCluster(ctx, ns, "dev", &openvcluster.DeleteVClusterParams{OnOperation: ops.record, Wait: true}); err != nil {
		t.Fatal(err)
	}
	check("delete", want{"DeleteVCluster", "", []string{"DELETING", "DELETED"}})

	if len(ops.ids) != len(wants) {
		t.Fatalf("%d operations reported for %d calls: %v", len(ops.ids), len(wants), ops.ids)
	}
	// The operations outlive their vcluster, and are listed newest first.
	var listed []string
	for op, err := range c.ListOperations(ctx, ns, &openvcluster.ListOperationsParams{VCluster: "dev"}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, op.GetId())
	}
	newestFirst := slices.Clone(ops.ids)
	slices.Reverse(newestFirst)
	if !slices.Equal(listed, newestFirst) {
		t.Errorf("ListOperations = %v, want %v", listed, newestFirst)
	}
}

// TestOnOperationComesBeforeTheWait: the callback runs once the server has
// accepted the call, before the wait, so the operation is still RUNNING
// there; a wait that times out has reported it all the same. A delete of
// the vcluster on its way overtakes that operation.
func TestOnOperationComesBeforeTheWait(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	var seen *openvcluster.Operation
	var calls int
	short := c.WithOptions(openvcluster.WithWaitTimeout(300 * time.Millisecond))
	_, err := short.CreateVCluster(held(ctx), ns, "slow", &openvcluster.CreateVClusterParams{
		Wait: true,
		OnOperation: func(id string) {
			calls++
			op, err := c.GetOperation(ctx, id)
			if err != nil {
				t.Errorf("GetOperation in OnOperation: %v", err)
			}
			seen = op
		},
	})
	if !openvcluster.IsWaitTimeout(err) {
		t.Fatalf("create of a held vcluster with Wait: %v, want a *WaitTimeoutError", err)
	}
	if calls != 1 || seen.GetState() != openvcluster.OperationRunning || !slices.Equal(phasesOf(seen), []string{"PROVISIONING"}) ||
		seen.GetEndTime() != nil {
		t.Fatalf("operation seen in OnOperation (%d calls) = %v, want RUNNING in PROVISIONING", calls, seen)
	}

	if _, err := c.DeleteVCluster(ctx, ns, "slow", &openvcluster.DeleteVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	overtaken := endedOperation(t, ctx, c, seen.GetId())
	if info := errorInfo(t, overtaken); overtaken.GetState() != openvcluster.OperationFailed ||
		info.GetReason() != "OVERTAKEN" || info.GetMetadata()["method"] != "DeleteVCluster" {
		t.Errorf("create overtaken by a delete = %v", overtaken)
	}

	// ValidateOnly starts no operation, so reports none.
	calls = 0
	if _, err := c.CreateVCluster(ctx, ns, "checked", &openvcluster.CreateVClusterParams{
		ValidateOnly: true, Wait: true, OnOperation: func(string) { calls++ },
	}); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("OnOperation called %d times with ValidateOnly", calls)
	}
	for op, err := range c.ListOperations(ctx, ns, &openvcluster.ListOperationsParams{VCluster: "checked"}) {
		t.Errorf("operation of a validate-only call: %v, %v", op, err)
	}
}

// TestFailedTransitionFailsItsOperation: a transition that ends in FAILED
// ends its operation FAILED, with ErrorInfo TRANSITION_FAILED naming the
// phase it failed in.
func TestFailedTransitionFailsItsOperation(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	ops := &operationIDs{}
	failing := withMetadata(ctx, "ovc-test-fail-transition", "disk on fire")
	_, err := c.CreateVCluster(failing, ns, "doomed", &openvcluster.CreateVClusterParams{OnOperation: ops.record, Wait: true})
	if !openvcluster.IsVClusterFailed(err) {
		t.Fatalf("create of a failing vcluster: %v, want *VClusterFailedError", err)
	}
	op := endedOperation(t, ctx, c, ops.last(t, "failing create"))
	info := errorInfo(t, op)
	if op.GetState() != openvcluster.OperationFailed || info.GetReason() != "TRANSITION_FAILED" ||
		info.GetDomain() != "openvcluster.io" || info.GetMetadata()["phase"] != "PROVISIONING" {
		t.Errorf("operation of a failed create = %v", op)
	}
	if p := phasesOf(op); len(p) != 2 || p[1] != "FAILED" || op.GetProgress()[1].GetMessage() != "disk on fire" {
		t.Errorf("phases of a failed create = %v", op.GetProgress())
	}
}

// TestLostAnswerReportsTheFirstOperation: when the answer of a mutation is
// lost, the retry (same request id) is answered the first call's
// operation, reported once; so is a repeat of the call with that id.
func TestLostAnswerReportsTheFirstOperation(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	ops := &operationIDs{}
	requestID := openvcluster.NewRequestID()
	lost := withMetadata(ctx, "ovc-test-unavailable-after", ns+"-create:1")
	p := &openvcluster.CreateVClusterParams{RequestID: requestID, OnOperation: ops.record}
	if _, err := c.CreateVCluster(lost, ns, "dev", p); err != nil {
		t.Fatalf("create whose first answer was lost: %v", err)
	}
	if _, err := c.CreateVCluster(ctx, ns, "dev", p); err != nil {
		t.Fatalf("create repeated with its request id: %v", err)
	}
	if len(ops.ids) != 2 || ops.ids[0] != ops.ids[1] {
		t.Errorf("reported %v, want the same operation twice", ops.ids)
	}
	var listed []string
	for op, err := range c.ListOperations(ctx, ns, nil) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, op.GetId())
	}
	if !slices.Equal(listed, ops.ids[:1]) {
		t.Errorf("operations = %v, want only %v", listed, ops.ids[:1])
	}
}

func TestListOperationsAcrossPages(t *testing.T) {
	t.Parallel()
	counter := &callCounter{}
	ctx, c, ns := testContext(t), newClient(t, counter.option()), namespace(t)
	ops := &operationIDs{}
	for _, name := range []string{"a", "b", "c"} {
		if _, err := c.CreateVCluster(ctx, ns, name, &openvcluster.CreateVClusterParams{OnOperation: ops.record, Wait: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a", "b"} {
		if _, err := c.UpdateVCluster(ctx, ns, name, &openvcluster.UpdateVClusterParams{
			Labels: &map[string]string{"k": "v"}, OnOperation: ops.record,
		}); err != nil {
			t.Fatal(err)
		}
	}
	newestFirst := slices.Clone(ops.ids)
	slices.Reverse(newestFirst)

	counter.lists.Store(0)
	var listed []string
	for op, err := range c.ListOperations(ctx, ns, &openvcluster.ListOperationsParams{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, op.GetId())
	}
	if !slices.Equal(listed, newestFirst) {
		t.Errorf("listed %v, want %v", listed, newestFirst)
	}
	if n := counter.lists.Load(); n != 3 {
		t.Errorf("5 operations in pages of 2 took %d calls, want 3", n)
	}

	// Of one vcluster, newest first.
	var ofA []string
	for op, err := range c.ListOperations(ctx, ns, &openvcluster.ListOperationsParams{VCluster: "a", PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		if op.GetVcluster() != "a" {
			t.Errorf("operation of %s listed for a", op.GetVcluster())
		}
		ofA = append(ofA, op.GetMethod())
	}
	if !slices.Equal(ofA, []string{"UpdateVCluster", "CreateVCluster"}) {
		t.Errorf("operations of a = %v", ofA)
	}

	// A page at a time, resumed with its token.
	first, err := c.ListOperationsPage(ctx, ns, &openvcluster.ListOperationsParams{PageSize: 3})
	if err != nil || len(first.Items) != 3 || first.NextPageToken == "" {
		t.Fatalf("first page = %v, %v", first, err)
	}
	var sizes []int
	for page, err := range c.ListOperationsPages(ctx, ns, &openvcluster.ListOperationsParams{PageSize: 1, PageToken: first.NextPageToken}) {
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Items))
	}
	if !slices.Equal(sizes, []int{1, 1}) {
		t.Errorf("page sizes after the first page = %v", sizes)
	}
	// A token is valid only for the namespace and vcluster it was issued for.
	if _, err := c.ListOperationsPage(ctx, ns, &openvcluster.ListOperationsParams{VCluster: "a", PageToken: first.NextPageToken}); !openvcluster.IsInvalidArgument(err) {
		t.Errorf("a token of another listing: %v, want INVALID_ARGUMENT", err)
	}
}

// TestOperationReadErrors: a malformed id or page size is refused by the
// client's checks, as the server would; an unknown id is NOT_FOUND.
func TestOperationReadErrors(t *testing.T) {
	t.Parallel()
	ctx, c := testContext(t), newClient(t)
	_, err := c.GetOperation(ctx, "not-an-id")
	var e *openvcluster.Error
	if !errors.As(err, &e) || !openvcluster.IsInvalidArgument(err) || len(e.FieldViolations) != 1 || e.FieldViolations[0].GetField() != "id" {
		t.Errorf("GetOperation of a malformed id: %v, want INVALID_ARGUMENT on id", err)
	}
	if _, err := c.GetOperation(ctx, ""); !openvcluster.IsInvalidArgument(err) {
		t.Errorf("GetOperation of no id: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := c.GetOperation(ctx, openvcluster.NewRequestID()); !openvcluster.IsNotFound(err) {
		t.Errorf("GetOperation of an unknown id: %v, want NOT_FOUND", err)
	}
	for _, err := range c.ListOperations(ctx, "", &openvcluster.ListOperationsParams{PageSize: -1}) {
		if !openvcluster.IsInvalidArgument(err) {
			t.Errorf("negative page size: %v, want INVALID_ARGUMENT", err)
		}
	}
	for _, err := range c.ListOperations(ctx, "Bad_NS", nil) {
		if !openvcluster.IsInvalidArgument(err) {
			t.Errorf("invalid namespace: %v, want INVALID_ARGUMENT", err)
		}
	}
}

// TestOperationsAreScopedByToken: an operation names the token that asked
// for it, and a viewer reads only the operations of the namespaces it sees.
func TestOperationsAreScopedByToken(t *testing.T) {
	t.Parallel()
	server := lazyServer(t, "tokens")
	ctx, other := testContext(t), namespace(t)
	// A name of its own, since scopedNamespace is shared by every run.
	name := "ops-" + openvcluster.NewRequestID()[:8]
	editor := dial(t, server.addr, openvcluster.WithToken(editorToken))
	ops := &operationIDs{}
	for _, key := range [][2]string{{scopedNamespace, name}, {other, "hidden"}} {
		if _, err := editor.CreateVCluster(ctx, key[0], key[1], &openvcluster.CreateVClusterParams{OnOperation: ops.record}); err != nil {
			t.Fatal(err)
		}
	}
	visible, hidden := ops.ids[0], ops.ids[1]
	if op, err := editor.GetOperation(ctx, hidden); err != nil || op.GetRequestedBy() != "editor" {
		t.Errorf("editor's operation = %v, %v; want requested by editor", op, err)
	}

	scoped := editor.WithOptions(openvcluster.WithToken(scopedToken))
	if op, err := scoped.GetOperation(ctx, visible); err != nil || op.GetVcluster() != name {
		t.Errorf("operation in the viewer's namespace = %v, %v", op, err)
	}
	if _, err := scoped.GetOperation(ctx, hidden); !openvcluster.IsNotFound(err) {
		t.Errorf("operation in a namespace the viewer may not see: %v, want NOT_FOUND", err)
	}
	found := false
	for op, err := range scoped.ListOperations(ctx, "", nil) {
		if err != nil {
			t.Fatal(err)
		}
		if op.GetNamespace() != scopedNamespace {
			t.Errorf("the viewer listed an operation of %s", op.GetNamespace())
		}
		found = found || op.GetId() == visible
	}
	if !found {
		t.Errorf("the viewer's listing lacks %s", visible)
	}
	// Operations of a namespace the viewer may not see behave as absent.
	for op, err := range scoped.ListOperations(ctx, other, nil) {
		t.Errorf("listing of a namespace the viewer may not see: %v, %v; want nothing", op, err)
	}
	if _, err := editor.WithOptions(openvcluster.WithToken("")).GetOperation(ctx, visible); !openvcluster.IsUnauthenticated(err) {
		t.Errorf("GetOperation without a token: %v, want UNAUTHENTICATED", err)
	}
}
