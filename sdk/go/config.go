package openvcluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// The environment variables a client reads for what its options leave out;
// the same as the Python SDK's.
const (
	EnvEndpoint       = "OVC_ENDPOINT"         // host:port (https:// switches TLS on)
	EnvToken          = "OVC_TOKEN"            // bearer token
	EnvTLS            = "OVC_TLS"              // true or false
	EnvCAFile         = "OVC_CA_FILE"          // PEM file of the server's CA
	EnvClientCertFile = "OVC_CLIENT_CERT_FILE" // PEM client certificate, for mutual TLS
	EnvClientKeyFile  = "OVC_CLIENT_KEY_FILE"  // its key
	EnvTLSServerName  = "OVC_TLS_SERVER_NAME"  // name to check in the server certificate
)

// connection is the resolved endpoint and transport security of a client.
type connection struct {
	target string
	tls    *tls.Config // nil: plaintext
}

// resolveConnection applies the environment to what the options left out.
//
// TLS is on when asked (WithTLS, OVC_TLS=true), when the target starts with
// https://, or when a CA file or client certificate is configured;
// otherwise the connection is plaintext, which suits the default local
// endpoint.
func resolveConnection(target string, s *settings) (*connection, error) {
	target = firstNonEmpty(target, os.Getenv(EnvEndpoint), DefaultEndpoint)
	var schemeTLS *bool
	if rest, ok := strings.CutPrefix(target, "https://"); ok {
		target, schemeTLS = rest, ptr(true)
	} else if rest, ok := strings.CutPrefix(target, "http://"); ok {
		target, schemeTLS = rest, ptr(false)
	}
	target = strings.TrimRight(target, "/")
	if err := checkTarget(target); err != nil {
		return nil, err
	}

	caFile := firstNonEmpty(s.caFile, os.Getenv(EnvCAFile))
	certFile := firstNonEmpty(s.certFile, os.Getenv(EnvClientCertFile))
	keyFile := firstNonEmpty(s.keyFile, os.Getenv(EnvClientKeyFile))
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("openvcluster: a client certificate needs its key, and a key its certificate")
	}
	useTLS := s.tls
	if useTLS == nil {
		if value, set := os.LookupEnv(EnvTLS); set {
			on, err := parseBool(value)
			if err != nil {
				return nil, fmt.Errorf("openvcluster: %s: %w", EnvTLS, err)
			}
			useTLS = &on
		}
	}
	if useTLS == nil {
		useTLS = ptr(caFile != "" || certFile != "")
		if schemeTLS != nil {
			useTLS = schemeTLS
		}
	}
	if !*useTLS {
		if caFile != "" || certFile != "" {
			return nil, errors.New("openvcluster: a CA file or client certificate was given but TLS is switched off")
		}
		return &connection{target: target}, nil
	}

	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsConfig != nil {
		cfg = s.tlsConfig.Clone()
	}
	if caFile != "" && cfg.RootCAs == nil {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("openvcluster: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("openvcluster: CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if certFile != "" && len(cfg.Certificates) == 0 {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("openvcluster: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = firstNonEmpty(s.serverName, os.Getenv(EnvTLSServerName))
	}
	return &connection{target: target, tls: cfg}, nil
}

// resolverSchemes are gRPC's own target forms, passed through as they are.
var resolverSchemes = []string{"dns:", "unix:", "unix-abstract:", "passthrough:", "xds:"}

// checkTarget refuses an endpoint that cannot name a server: grpc.NewClient
// accepts almost anything and fails only on the first call, far from the
// mistake. A target is host:port, a host alone, or one of gRPC's resolver
// forms (dns:///host:port, unix:path, ...).
func checkTarget(target string) error {
	for _, scheme := range resolverSchemes {
		if strings.HasPrefix(target, scheme) {
			return nil
		}
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil && !strings.Contains(target, ":") {
		host, port, err = target, "", nil
	}
	switch {
	case err != nil:
		return fmt.Errorf("openvcluster: endpoint %q is not host:port: %w", target, err)
	case host == "" || strings.ContainsAny(host, "/[] "):
		return fmt.Errorf("openvcluster: endpoint %q names no host", target)
	case strings.Contains(target, "://"):
		return fmt.Errorf("openvcluster: endpoint %q: only https:// and http:// are understood", target)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("openvcluster: endpoint %q: the port must be a number from 1 to 65535", target)
		}
	}
	return nil
}

// dialOptions are the client's own options of grpc.NewClient: credentials,
// user agent, the retry interceptor and trace context propagation (inside
// the retries, so on every attempt), then the caller's.
func (c *connection) dialOptions(s *settings) []grpc.DialOption {
	creds := insecure.NewCredentials()
	if c.tls != nil {
		creds = credentials.NewTLS(c.tls)
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithUserAgent(UserAgent),
		grpc.WithChainUnaryInterceptor(retryInterceptor(&s.call), traceContextUnaryInterceptor),
		grpc.WithChainStreamInterceptor(traceContextStreamInterceptor),
	}
	return append(opts, s.dialOptions...)
}

// UserAgent is the user agent the client sends, with the SDK's version.
const UserAgent = "open-vcluster-api-go/" + Version

func parseBool(value string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("must be true or false, not %q", value)
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }
