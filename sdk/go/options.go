package openvcluster

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
)

// Defaults of a client made without options (and without OVC_* variables).
const (
	// DefaultEndpoint is the server address used when neither the target of
	// New nor OVC_ENDPOINT names one: a reference server on this machine.
	DefaultEndpoint = "127.0.0.1:50051"
	// DefaultTimeout is the deadline of each attempt of a unary call.
	DefaultTimeout = 30 * time.Second
	// DefaultWaitTimeout bounds the wait helpers.
	DefaultWaitTimeout = 10 * time.Minute
)

// Option configures a Client made by New: where and how to connect, and how
// calls behave. Options win over the OVC_* environment variables.
type Option interface {
	applyOption(*settings)
}

// CallOption changes how calls behave: timeouts, retries, metadata, the
// token. Given to New, it sets the client's call defaults; given to
// Client.WithOptions, it derives a client with other defaults that shares
// the connection.
type CallOption interface {
	Option
	applyCall(*callSettings)
}

// callSettings are what a derived client may change.
type callSettings struct {
	timeout     time.Duration // per attempt; 0: none
	retry       *RetryPolicy  // nil: one attempt only
	waitTimeout time.Duration // 0: only the context bounds a wait
	metadata    []string      // key, value pairs added to every call
	token       *string       // nil: from OVC_TOKEN
	logger      *slog.Logger  // nil: no logging
	// skipValidation sends requests unchecked (see WithRequestValidation).
	skipValidation bool
}

// settings are everything New takes.
type settings struct {
	call        callSettings
	tls         *bool
	tlsConfig   *tls.Config
	caFile      string
	certFile    string
	keyFile     string
	serverName  string
	dialOptions []grpc.DialOption
}

type callOption func(*callSettings)

func (f callOption) applyOption(s *settings)   { f(&s.call) }
func (f callOption) applyCall(s *callSettings) { f(s) }

type connOption func(*settings)

func (f connOption) applyOption(s *settings) { f(s) }

// WithToken sends "authorization: Bearer TOKEN" with every call, unless the
// call's context already carries an authorization metadata entry. An empty
// token sends none, even when OVC_TOKEN is set.
func WithToken(token string) CallOption {
	return callOption(func(s *callSettings) { s.token = &token })
}

// WithTimeout sets the deadline of each attempt of a unary call (default
// DefaultTimeout); zero means no deadline beyond the context's. A context
// deadline bounds the whole call, retries included.
func WithTimeout(d time.Duration) CallOption {
	return callOption(func(s *callSettings) { s.timeout = d })
}

// WithRetry retries failed unary calls under p (see RetryPolicy; its zero
// fields take the defaults of DefaultRetryPolicy). Retrying mutations is
// safe: the client sends the same request_id on every attempt.
func WithRetry(p RetryPolicy) CallOption {
	p = p.withDefaults()
	return callOption(func(s *callSettings) { s.retry = &p })
}

// WithoutRetry makes every unary call a single attempt.
func WithoutRetry() CallOption {
	return callOption(func(s *callSettings) { s.retry = nil })
}

// WithWaitTimeout bounds the wait helpers and the Wait field of mutations
// (default DefaultWaitTimeout); zero leaves only the context's deadline.
func WithWaitTimeout(d time.Duration) CallOption {
	return callOption(func(s *callSettings) { s.waitTimeout = d })
}

// WithMetadata adds gRPC metadata, as key, value pairs, to every call. For a
// single call, use metadata.AppendToOutgoingContext on its context instead.
// Like metadata.Pairs, it panics on an odd number of arguments.
func WithMetadata(pairs ...string) CallOption {
	if len(pairs)%2 == 1 {
		panic(fmt.Sprintf("openvcluster: WithMetadata got an odd number of arguments: %d", len(pairs)))
	}
	pairs = append([]string(nil), pairs...)
	return callOption(func(s *callSettings) {
		s.metadata = append(append([]string(nil), s.metadata...), pairs...)
	})
}

// WithLogger logs each attempt of a unary call at debug level (method,
// attempt, request_id, code, backoff). Metadata is never logged: it carries
// the token.
func WithLogger(l *slog.Logger) CallOption {
	return callOption(func(s *callSettings) { s.logger = l })
}

// WithTLS switches TLS on with cfg as the base configuration (nil: the system
// roots). WithCAFile, WithClientCertificateFiles, WithTLSServerName and their
// OVC_* variables fill what cfg leaves empty.
func WithTLS(cfg *tls.Config) Option {
	return connOption(func(s *settings) {
		on := true
		s.tls, s.tlsConfig = &on, cfg
	})
}

// WithPlaintext switches TLS off, whatever OVC_TLS says. It suits a server on
// this machine; a token then travels in clear text.
func WithPlaintext() Option {
	return connOption(func(s *settings) {
		off := false
		s.tls, s.tlsConfig = &off, nil
	})
}

// WithCAFile trusts the CA certificates of a PEM file for the server's
// certificate instead of the system roots. It implies TLS.
func WithCAFile(path string) Option {
	return connOption(func(s *settings) { s.caFile = path })
}

// WithClientCertificateFiles presents a client certificate and its key (PEM
// files) for mutual TLS. It implies TLS.
func WithClientCertificateFiles(certFile, keyFile string) Option {
	return connOption(func(s *settings) { s.certFile, s.keyFile = certFile, keyFile })
}

// WithTLSServerName checks this name in the server certificate instead of the
// target's host, for servers reached by an address their certificate does
// not name.
func WithTLSServerName(name string) Option {
	return connOption(func(s *settings) { s.serverName = name })
}

// WithDialOptions adds options to the grpc.NewClient call that opens the
// connection (interceptors, keepalive, a custom dialer, ...). They come after
// the client's own, so they may override the transport credentials.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return connOption(func(s *settings) { s.dialOptions = append(s.dialOptions, opts...) })
}
