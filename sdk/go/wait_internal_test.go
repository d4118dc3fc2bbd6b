package openvcluster

import (
	"context"
	"errors"
	"testing"
	"time"
)

// lateContext is a context whose deadline has passed but whose timer has not
// yet marked it done: the moment in which a loaded machine once made a
// caller's deadline read as the client's wait timeout.
type lateContext struct{ context.Context }

func (lateContext) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// TestTimeoutErrorNamesTheCallersDeadlineBeforeItsTimerFires checks that a
// wait ended by the caller's deadline says so even then.
func TestTimeoutErrorNamesTheCallersDeadlineBeforeItsTimerFires(t *testing.T) {
	w := &waitContext{outer: lateContext{context.Background()}, timeout: 30 * time.Second}
	err := w.timeoutError("vcluster ns/vc", nil, nil)
	var timeout *WaitTimeoutError
	if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) || timeout.Timeout != 0 {
		t.Fatalf("timeoutError = %#v, want a *WaitTimeoutError caused by the caller's deadline", err)
	}

	// Without a caller's deadline, the client's wait timeout is what ended it.
	own := &waitContext{outer: context.Background(), timeout: 30 * time.Second}
	if err := own.timeoutError("vcluster ns/vc", nil, nil); !errors.As(err, &timeout) || timeout.Timeout != 30*time.Second {
		t.Fatalf("timeoutError = %#v, want the client's 30s wait timeout", err)
	}
}
