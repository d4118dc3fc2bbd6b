package openvcluster_test

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// logBuffer collects the client's debug log of attempts.
type logBuffer struct{ bytes.Buffer }

func (b *logBuffer) option() openvcluster.CallOption {
	return openvcluster.WithLogger(slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

func TestRetriesUnavailable(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	ctx, c, ns := testContext(t), newClient(t, logs.option()), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "a", nil); err != nil {
		t.Fatal(err)
	}
	// The server fails the first two calls carrying this key.
	hooked := withMetadata(ctx, "ovc-test-unavailable", ns+"-get:2")
	if _, err := c.GetVCluster(hooked, ns, "a"); err != nil {
		t.Fatalf("GetVCluster through two UNAVAILABLE: %v", err)
	}
	if n := strings.Count(logs.String(), "GetVCluster"); n != 3 {
		t.Errorf("%d attempts logged, want 3:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "code=UNAVAILABLE retry_in=") {
		t.Errorf("log has no retry:\n%s", logs.String())
	}

	// Without retries the first failure is the answer.
	hooked = withMetadata(ctx, "ovc-test-unavailable", ns+"-once:1")
	if _, err := c.WithOptions(openvcluster.WithoutRetry()).GetVCluster(hooked, ns, "a"); !openvcluster.IsUnavailable(err) {
		t.Errorf("without retry: %v, want UNAVAILABLE", err)
	}
	// A policy of two attempts gives up on the third failure.
	two := c.WithOptions(openvcluster.WithRetry(openvcluster.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond}))
	hooked = withMetadata(ctx, "ovc-test-unavailable", ns+"-three:3")
	if _, err := two.GetVCluster(hooked, ns, "a"); !openvcluster.IsUnavailable(err) {
		t.Errorf("two attempts against three failures: %v, want UNAVAILABLE", err)
	}
	if _, err := two.GetVCluster(hooked, ns, "a"); err != nil {
		t.Errorf("the third failure and then success: %v", err)
	}
	// Other codes are not retried.
	logs.Reset()
	if _, err := c.GetVCluster(ctx, ns, "missing"); !openvcluster.IsNotFound(err) {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "GetVCluster"); n != 1 {
		t.Errorf("NOT_FOUND took %d attempts", n)
	}
}

// TestRetrySendsTheSameRequestID loses the answer of a create: the retry
// carries the same request_id, so the server answers the first result
// instead of ALREADY_EXISTS.
func TestRetrySendsTheSameRequestID(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	ctx, c, ns := testContext(t), newClient(t, logs.option()), namespace(t)
	lost := withMetadata(ctx, "ovc-test-unavailable-after", ns+"-create:1")
	vc, err := c.CreateVCluster(lost, ns, "once", nil)
	if err != nil {
		t.Fatalf("create whose first answer was lost: %v", err)
	}
	if vc.GetName() != "once" {
		t.Errorf("vcluster = %v", vc)
	}
	ids := regexp.MustCompile(`request_id=(\S+)`).FindAllStringSubmatch(logs.String(), -1)
	if len(ids) != 2 || ids[0][1] != ids[1][1] {
		t.Errorf("request ids of the attempts = %v, want the same twice", ids)
	}
	// A caller's own request id makes a repeated call answer the first result.
	id := openvcluster.NewRequestID()
	first, err := c.CreateVCluster(ctx, ns, "mine", &openvcluster.CreateVClusterParams{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateVCluster(ctx, ns, "mine", &openvcluster.CreateVClusterParams{RequestID: id})
	if err != nil || again.GetUid() != first.GetUid() {
		t.Errorf("repeated create = %v, %v; want the first result", again, err)
	}
}

func TestRetryThroughTheRawConnection(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	stub := openvclusterv1.NewVClusterServiceClient(c.Conn())
	hooked := withMetadata(ctx, "ovc-test-unavailable", ns+"-raw:1")
	_, err := stub.GetVCluster(hooked, &openvclusterv1.GetVClusterRequest{Namespace: ns, Name: "x"})
	if openvcluster.Code(err) != codes.NotFound {
		t.Errorf("raw call after one UNAVAILABLE: %v, want NOT_FOUND (retried)", err)
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	slow := withMetadata(ctx, "ovc-test-delay-ms", "3000")

	started := time.Now()
	_, err := c.WithOptions(openvcluster.WithTimeout(200*time.Millisecond)).GetVCluster(slow, ns, "a")
	if !openvcluster.IsDeadlineExceeded(err) {
		t.Errorf("attempt timeout: %v, want DEADLINE_EXCEEDED", err)
	}
	short, cancel := context.WithTimeout(slow, 200*time.Millisecond)
	defer cancel()
	_, err = c.GetVCluster(short, ns, "a")
	if !openvcluster.IsDeadlineExceeded(err) {
		t.Errorf("context deadline: %v, want DEADLINE_EXCEEDED", err)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("two 200 ms deadlines took %s", elapsed)
	}
	// A retry's total timeout bounds its attempts.
	bounded := c.WithOptions(openvcluster.WithRetry(openvcluster.RetryPolicy{TotalTimeout: 150 * time.Millisecond}))
	_, err = bounded.GetVCluster(slow, ns, "a")
	if !openvcluster.IsDeadlineExceeded(err) {
		t.Errorf("total timeout: %v, want DEADLINE_EXCEEDED", err)
	}
}
