package openvcluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

func TestInvalidArgumentHasFieldViolations(t *testing.T) {
	t.Parallel()
	// The server's answer: the client's own check would answer first.
	ctx, c, ns := testContext(t), newClient(t, openvcluster.WithRequestValidation(false)), namespace(t)
	_, err := c.CreateVCluster(ctx, ns, "Bad_Name", &openvcluster.CreateVClusterParams{CPU: "lots", Memory: "-1Gi"})
	var e *openvcluster.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *openvcluster.Error", err, err)
	}
	if e.Code != codes.InvalidArgument || !openvcluster.IsInvalidArgument(err) {
		t.Fatalf("code = %v", e.Code)
	}
	var fields []string
	for _, v := range e.FieldViolations {
		fields = append(fields, v.GetField())
		if v.GetDescription() == "" {
			t.Errorf("violation of %s has no description", v.GetField())
		}
	}
	slices.Sort(fields)
	want := []string{"name", "spec.resources.cpu", "spec.resources.memory"}
	if !slices.Equal(fields, want) {
		t.Errorf("violated fields = %v, want %v", fields, want)
	}
	if !slices.ContainsFunc(e.Details, func(d proto.Message) bool { _, ok := d.(*errdetails.BadRequest); return ok }) {
		t.Errorf("details = %v, want a BadRequest", e.Details)
	}
	if e.RequestID == "" {
		t.Error("a mutation's error has no request id")
	}
	text := err.Error()
	if !strings.HasPrefix(text, "INVALID_ARGUMENT: ") || !strings.Contains(text, "spec.resources.cpu: ") {
		t.Errorf("Error() = %q", text)
	}
	// The gRPC status stays reachable for code that speaks grpc-go.
	if st, ok := status.FromError(err); !ok || st.Code() != codes.InvalidArgument || len(st.Details()) == 0 {
		t.Errorf("status.FromError = %v, %v", st, ok)
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	vc, err := c.CreateVCluster(ctx, ns, "a", &openvcluster.CreateVClusterParams{Wait: true})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.CreateVCluster(ctx, ns, "a", nil)
	if !openvcluster.IsAlreadyExists(err) {
		t.Errorf("second create: %v, want ALREADY_EXISTS", err)
	}

	_, err = c.ResumeVCluster(ctx, ns, "a", &openvcluster.ResumeVClusterParams{Etag: "stale"})
	if !openvcluster.IsAborted(err) {
		t.Errorf("stale etag: %v, want ABORTED", err)
	}

	if _, err := c.SuspendVCluster(ctx, ns, "a", &openvcluster.SuspendVClusterParams{Etag: vc.GetEtag(), Wait: true}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SnapshotVCluster(ctx, ns, "missing", nil)
	if !openvcluster.IsNotFound(err) {
		t.Errorf("snapshot of a missing vcluster: %v, want NOT_FOUND", err)
	}
	_, err = c.RestoreVCluster(ctx, ns, "none", nil)
	if !openvcluster.IsNotFound(err) {
		t.Errorf("restore of a missing snapshot: %v", err)
	}

	// FAILED_PRECONDITION carries ErrorInfo: reason and the current phase.
	if _, err := c.DeleteVCluster(ctx, ns, "a", &openvcluster.DeleteVClusterParams{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateVCluster(ctx, ns, "held", &openvcluster.CreateVClusterParams{})
	if err != nil {
		t.Fatal(err)
	}
	heldCtx := withMetadata(ctx, "ovc-test-transition-delay-ms", "3600000")
	if _, err := c.SuspendVCluster(ctx, ns, "held", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResumeVCluster(heldCtx, ns, "held", nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.SuspendVCluster(ctx, ns, "held", nil)
	var e *openvcluster.Error
	if !errors.As(err, &e) || !openvcluster.IsFailedPrecondition(err) {
		t.Fatalf("suspend while RESUMING: %v, want FAILED_PRECONDITION", err)
	}
	if e.Reason != "INVALID_PHASE" || e.Metadata["phase"] == "" || e.Domain == "" {
		t.Errorf("ErrorInfo: reason %q, domain %q, metadata %v", e.Reason, e.Domain, e.Metadata)
	}
}

func TestQuotaViolations(t *testing.T) {
	t.Parallel()
	ctx, c := testContext(t), newClient(t)
	if _, err := c.CreateVCluster(ctx, quotaNamespace, "first", nil); err != nil {
		t.Fatal(err)
	}
	// The quota's namespace is shared by every run of this test.
	t.Cleanup(func() {
		if _, err := c.DeleteVCluster(context.Background(), quotaNamespace, "first", &openvcluster.DeleteVClusterParams{Wait: true}); err != nil {
			t.Error(err)
		}
	})
	_, err := c.CreateVCluster(ctx, quotaNamespace, "second", nil)
	var e *openvcluster.Error
	if !errors.As(err, &e) || !openvcluster.IsResourceExhausted(err) {
		t.Fatalf("over quota: %v, want RESOURCE_EXHAUSTED", err)
	}
	if len(e.QuotaViolations) == 0 || e.QuotaViolations[0].GetSubject() == "" || e.QuotaViolations[0].GetDescription() == "" {
		t.Errorf("quota violations = %v", e.QuotaViolations)
	}
}

func TestCodeOfOtherErrors(t *testing.T) {
	t.Parallel()
	if openvcluster.Code(nil) != codes.OK {
		t.Error("Code(nil) is not OK")
	}
	if openvcluster.Code(errors.New("x")) != codes.Unknown {
		t.Error("Code of a plain error is not UNKNOWN")
	}
	if !openvcluster.IsNotFound(status.Error(codes.NotFound, "x")) {
		t.Error("IsNotFound misses a grpc status error")
	}
	if got := openvcluster.CodeName(codes.Canceled); got != "CANCELLED" {
		t.Errorf("CodeName(Canceled) = %q", got)
	}
	if !openvcluster.IsCancelled(status.Error(codes.Canceled, "x")) || !openvcluster.IsCancelled(context.Canceled) {
		t.Error("IsCancelled misses a CANCELLED status or context.Canceled")
	}
	if openvcluster.IsCancelled(context.DeadlineExceeded) || openvcluster.IsCancelled(nil) {
		t.Error("IsCancelled holds for another code")
	}
	if openvcluster.IsWaitError(status.Error(codes.NotFound, "x")) {
		t.Error("IsWaitError holds for a call's error")
	}
	for _, err := range []error{&openvcluster.WaitTimeoutError{}, &openvcluster.VClusterFailedError{}, &openvcluster.SnapshotFailedError{}} {
		if !openvcluster.IsWaitError(fmt.Errorf("wrapped: %w", err)) {
			t.Errorf("IsWaitError misses %T", err)
		}
	}
}
