package openvcluster

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RetryPolicy says when and how long to wait before sending a failed unary
// call again. Watches are never retried by the interceptor; the wait helpers
// watch again under the same policy.
//
// Only the codes in RetryCodes are retried: by default UNAVAILABLE, which
// means the server did not handle the call (or its answer was lost). The wait
// before attempt n+1 is drawn uniformly from [0, min(MaxBackoff,
// InitialBackoff * Multiplier^(n-1))] ("full jitter"), which keeps many
// clients from retrying in lock step. No attempt starts, and no wait
// reaches, beyond TotalTimeout after the first attempt.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included (default 5).
	MaxAttempts int
	// InitialBackoff caps the wait after the first failure (default 100 ms).
	InitialBackoff time.Duration
	// MaxBackoff caps every wait (default 5 s).
	MaxBackoff time.Duration
	// Multiplier grows the cap after each failure (default 2).
	Multiplier float64
	// TotalTimeout bounds all attempts and waits together (default 60 s); a
	// negative value lifts the bound.
	TotalTimeout time.Duration
	// RetryCodes are the retried codes (default UNAVAILABLE).
	RetryCodes []codes.Code
	// Codes is the previous name of RetryCodes: when RetryCodes is empty,
	// Codes is used in its place.
	//
	// Deprecated: use RetryCodes.
	Codes []codes.Code
}

// DefaultRetryPolicy is the policy of a client made without WithRetry or
// WithoutRetry: up to 5 attempts of UNAVAILABLE within 60 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:    5,
		InitialBackoff: 100 * time.Millisecond,
		MaxBackoff:     5 * time.Second,
		Multiplier:     2,
		TotalTimeout:   60 * time.Second,
		RetryCodes:     []codes.Code{codes.Unavailable},
	}
}

// withDefaults fills the zero fields from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = d.InitialBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = d.MaxBackoff
	}
	if p.Multiplier < 1 {
		p.Multiplier = d.Multiplier
	}
	if p.TotalTimeout == 0 {
		p.TotalTimeout = d.TotalTimeout
	}
	if len(p.RetryCodes) == 0 {
		p.RetryCodes = p.Codes
	}
	if len(p.RetryCodes) == 0 {
		p.RetryCodes = d.RetryCodes
	} else {
		p.RetryCodes = slices.Clone(p.RetryCodes)
	}
	p.Codes = nil
	return p
}

// backoffCap is the longest wait after failed attempt number attempt (1-based).
func (p *RetryPolicy) backoffCap(attempt int) time.Duration {
	limit := float64(p.InitialBackoff) * math.Pow(p.Multiplier, float64(attempt-1))
	return time.Duration(min(limit, float64(p.MaxBackoff)))
}

// retryState tracks the attempts of one logical call under a policy (nil:
// one attempt only).
type retryState struct {
	policy  *RetryPolicy
	start   time.Time
	attempt int
}

func newRetryState(p *RetryPolicy) *retryState {
	return &retryState{policy: p, start: time.Now(), attempt: 1}
}

// remaining is the time left of the total timeout; ok is false when unbounded.
func (s *retryState) remaining() (left time.Duration, ok bool) {
	if s.policy == nil || s.policy.TotalTimeout < 0 {
		return 0, false
	}
	return s.policy.TotalTimeout - time.Since(s.start), true
}

// attemptTimeout is the deadline of the next attempt: the call timeout, cut to
// the time left (0: none).
func (s *retryState) attemptTimeout(timeout time.Duration) time.Duration {
	left, ok := s.remaining()
	if !ok {
		return timeout
	}
	left = max(left, time.Millisecond)
	if timeout <= 0 {
		return left
	}
	return min(timeout, left)
}

// next is the wait before another attempt after one failed with code; ok is
// false to give up. It advances the attempt counter when it answers a wait.
func (s *retryState) next(code codes.Code) (wait time.Duration, ok bool) {
	p := s.policy
	if p == nil || !slices.Contains(p.RetryCodes, code) || s.attempt >= p.MaxAttempts {
		return 0, false
	}
	wait = time.Duration(rand.Float64() * float64(p.backoffCap(s.attempt)))
	if left, bounded := s.remaining(); bounded && wait >= left {
		return 0, false
	}
	s.attempt++
	return wait, true
}

// settingsOption carries a client's call settings to the interceptor, so a
// client derived with Client.WithOptions shares the connection but not its
// defaults.
type settingsOption struct {
	grpc.EmptyCallOption
	settings *callSettings
}

// retryInterceptor runs the attempts of a unary call: a deadline per attempt,
// and retries of the policy's codes with exponential backoff and full
// jitter. The request is sent unchanged on every attempt, so a mutation's
// request_id is the same on each. defaults apply to calls made through the
// connection without a client (Client.Conn).
func retryInterceptor(defaults *callSettings) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		s := defaults
		for _, o := range opts {
			if so, ok := o.(settingsOption); ok {
				s = so.settings
			}
		}
		state := newRetryState(s.retry)
		for {
			attemptCtx, cancel := ctx, context.CancelFunc(func() {})
			if timeout := state.attemptTimeout(s.timeout); timeout > 0 {
				attemptCtx, cancel = context.WithTimeout(ctx, timeout)
			}
			err := invoker(attemptCtx, method, req, reply, cc, opts...)
			cancel()
			if err == nil {
				logAttempt(ctx, s.logger, method, req, state.attempt, codes.OK, -1)
				return nil
			}
			code := status.Code(err)
			attempt := state.attempt
			wait, again := state.next(code)
			if again && ctx.Err() != nil {
				again = false
			}
			if !again {
				logAttempt(ctx, s.logger, method, req, attempt, code, -1)
				return err
			}
			logAttempt(ctx, s.logger, method, req, attempt, code, wait)
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return err
			case <-timer.C:
			}
		}
	}
}

func logAttempt(ctx context.Context, l *slog.Logger, method string, req any, attempt int, code codes.Code, wait time.Duration) {
	if l == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.Int("attempt", attempt),
		slog.String("code", codeName(code)),
	}
	if r, ok := req.(interface{ GetRequestId() string }); ok && r.GetRequestId() != "" {
		attrs = append(attrs, slog.String("request_id", r.GetRequestId()))
	}
	if wait >= 0 {
		attrs = append(attrs, slog.Duration("retry_in", wait))
	}
	l.LogAttrs(ctx, slog.LevelDebug, "openvcluster call attempt", attrs...)
}
