package openvcluster_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// The tests run against the Python reference server, started once per test
// binary (TestMain) with zero transition delays and its test hooks on.
// Tests isolate themselves with namespaces of their own. Servers with
// tokens, TLS and mutual TLS start on first use.

const (
	editorToken = "editor-secret"
	viewerToken = "viewer-secret"
	// scopedToken is a viewer of scopedNamespace only, on the tokens server.
	scopedToken     = "scoped-secret"
	scopedNamespace = "scoped-ns"
	// quotaNamespace has a quota of one vcluster on the plain server.
	quotaNamespace = "quota-ns"
	// hiddenQuotaNamespace has a quota on the tokens server, where
	// scopedToken may not see it; every other namespace there has a
	// quota ("*") of 1000 vclusters, and scopedNamespace one of 100.
	hiddenQuotaNamespace = "hidden-quota-ns"
)

var (
	scratch string        // temp dir of certificates and server configs
	plain   *serverHandle // no tokens, no TLS

	lazyMu      sync.Mutex
	lazyServers = map[string]*serverHandle{}
	started     []*serverHandle

	certsOnce sync.Once
	certs     *testCerts
	certsErr  error
)

type serverHandle struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}

	logMu   sync.Mutex
	log     []string      // the lines written since it started serving
	logMore chan struct{} // closed, and replaced, when a line arrives
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	if scratch, err = os.MkdirTemp("", "ovc-go-sdk-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(scratch)
	defer stopServers()
	config := filepath.Join(scratch, "plain.yaml")
	quota := fmt.Sprintf("quotas:\n  %s: {max_vclusters: 1}\n", quotaNamespace)
	if err := os.WriteFile(config, []byte(quota), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if plain, err = startServer("--config", config); err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the reference server (put a Python with openvcluster_server first on PATH, as tox does): %v\n", err)
		return 1
	}
	// Examples connect with openvcluster.New(""), which reads these.
	for _, key := range []string{openvcluster.EnvToken, openvcluster.EnvTLS, openvcluster.EnvCAFile,
		openvcluster.EnvClientCertFile, openvcluster.EnvClientKeyFile, openvcluster.EnvTLSServerName} {
		os.Unsetenv(key)
	}
	os.Setenv(openvcluster.EnvEndpoint, plain.addr)
	return m.Run()
}

var servingLine = regexp.MustCompile(`serving on (\S+)`)

// startServer runs `python -m openvcluster_server serve` on a free port and
// returns once it accepts calls; its log is drained for as long as it runs,
// and the lines after "serving on" are kept for waitForLog.
func startServer(args ...string) (*serverHandle, error) {
	base := []string{"-m", "openvcluster_server", "serve", "--address", "127.0.0.1:0",
		"--http-address", "127.0.0.1:0", "--transition-delay", "0", "--enable-test-hooks"}
	cmd := exec.Command("python", append(base, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &serverHandle{cmd: cmd, done: make(chan struct{}), logMore: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(h.done)
		scanner := bufio.NewScanner(stderr)
		scanner.Buffer(make([]byte, 64*1024), 1024*1024)
		var log []string
		serving := false
		for scanner.Scan() {
			line := scanner.Text()
			if serving {
				h.addLog(line)
				continue
			}
			log = append(log, line)
			if m := servingLine.FindStringSubmatch(line); m != nil {
				addr <- m[1]
				serving, log = true, nil
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		if len(log) > 0 {
			fmt.Fprintf(os.Stderr, "reference server ended before serving:\n%s\n", log)
		}
		_ = cmd.Wait()
	}()
	select {
	case a := <-addr:
		h.addr = a
	case <-h.done:
		return nil, fmt.Errorf("python %v exited before serving", args)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("python %v did not serve within 30 s", args)
	}
	lazyMu.Lock()
	started = append(started, h)
	lazyMu.Unlock()
	return h, nil
}

func (h *serverHandle) addLog(line string) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	h.log = append(h.log, line)
	close(h.logMore)
	h.logMore = make(chan struct{})
}

// waitForLog returns the first line of the server's log that match accepts,
// waiting for it up to 10 s: the server writes a call's line once it has
// answered, so possibly after the client has the answer. It fails the test,
// naming what it looked for, when no such line comes.
func (h *serverHandle) waitForLog(t *testing.T, what string, match func(line string) bool) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	seen := 0
	for {
		h.logMu.Lock()
		lines, more := h.log[seen:], h.logMore
		h.logMu.Unlock()
		for _, line := range lines {
			if match(line) {
				return line
			}
		}
		seen += len(lines)
		select {
		case <-more:
		case <-h.done:
			if h.logLength() == seen {
				t.Fatalf("the reference server ended without logging a %s", what)
			}
		case <-deadline:
			t.Fatalf("the reference server logged no %s within 10 s", what)
		}
	}
}

func (h *serverHandle) logLength() int {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return len(h.log)
}

// logField matches one key=value field of a text log line; a value with
// spaces or quotes is a quoted string.
var logField = regexp.MustCompile(`\b([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)`)

// logFields are the key=value fields of a line of the server's text log, as
// written (quoted values keep their quotes).
func logFields(line string) map[string]string {
	fields := map[string]string{}
	for _, m := range logField.FindAllStringSubmatch(line, -1) {
		fields[m[1]] = m[2]
	}
	return fields
}

func stopServers() {
	lazyMu.Lock()
	defer lazyMu.Unlock()
	for _, h := range started {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, h := range started {
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			_ = h.cmd.Process.Kill()
			<-h.done
		}
	}
}

// lazyServer starts a server of the given kind once, on first use.
func lazyServer(t *testing.T, kind string) *serverHandle {
	t.Helper()
	lazyMu.Lock()
	h := lazyServers[kind]
	lazyMu.Unlock()
	if h != nil {
		return h
	}
	var args []string
	switch kind {
	case "tokens":
		tokens := filepath.Join(scratch, "tokens.yaml")
		content := fmt.Sprintf("tokens:\n"+
			"  - {token: %q, role: editor, namespaces: [\"*\"], name: editor}\n"+
			"  - {token: %q, role: viewer, namespaces: [\"*\"], name: viewer}\n"+
			"  - {token: %q, role: viewer, namespaces: [%q], name: scoped}\n", editorToken, viewerToken, scopedToken, scopedNamespace)
		if err := os.WriteFile(tokens, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// Quotas the callers of GetServerInfo see by their grant: the
		// scoped viewer its namespace's and "*", not hiddenQuotaNamespace's.
		config := filepath.Join(scratch, "tokens-config.yaml")
		quotas := fmt.Sprintf("quotas:\n"+
			"  %q: {max_vclusters: 100}\n"+
			"  %q: {max_vclusters: 2}\n"+
			"  \"*\": {max_vclusters: 1000}\n", scopedNamespace, hiddenQuotaNamespace)
		if err := os.WriteFile(config, []byte(quotas), 0o600); err != nil {
			t.Fatal(err)
		}
		args = []string{"--tokens-file", tokens, "--config", config}
	case "tls", "mtls":
		c := testCertificates(t)
		args = []string{"--tls-cert-file", c.serverCert, "--tls-key-file", c.serverKey}
		if kind == "mtls" {
			args = append(args, "--tls-client-ca-file", c.ca)
		}
	default:
		t.Fatalf("unknown server kind %q", kind)
	}
	h, err := startServer(args...)
	if err != nil {
		t.Fatalf("start the %s server: %v", kind, err)
	}
	lazyMu.Lock()
	defer lazyMu.Unlock()
	if existing := lazyServers[kind]; existing != nil {
		return existing // a parallel test won the race; both servers stop at the end
	}
	lazyServers[kind] = h
	return h
}

// testCerts are PEM files of a test CA, a server certificate for localhost
// and 127.0.0.1, and a client certificate, all signed by that CA.
type testCerts struct {
	ca, serverCert, serverKey, clientCert, clientKey string
	otherCA                                          string // a CA that signed nothing here
}

func testCertificates(t *testing.T) *testCerts {
	t.Helper()
	certsOnce.Do(func() { certs, certsErr = mintCertificates(filepath.Join(scratch, "certs")) })
	if certsErr != nil {
		t.Fatal(certsErr)
	}
	return certs
}

func mintCertificates(dir string) (*testCerts, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c := &testCerts{}
	caKey, caCert, err := mintCA(dir, "ca.pem", "open-vcluster test CA")
	if err != nil {
		return nil, err
	}
	c.ca = filepath.Join(dir, "ca.pem")
	if _, _, err := mintCA(dir, "other-ca.pem", "unrelated CA"); err != nil {
		return nil, err
	}
	c.otherCA = filepath.Join(dir, "other-ca.pem")
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if c.serverCert, c.serverKey, err = mintLeaf(dir, "server", server, caCert, caKey); err != nil {
		return nil, err
	}
	client := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "test-client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if c.clientCert, c.clientKey, err = mintLeaf(dir, "client", client, caCert, caKey); err != nil {
		return nil, err
	}
	return c, nil
}

func mintCA(dir, file, name string) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, writePEM(filepath.Join(dir, file), "CERTIFICATE", der)
}

func mintLeaf(dir, name string, tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
		return "", "", err
	}
	return certFile, keyFile, writePEM(keyFile, "PRIVATE KEY", keyDER)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

// namespace is a fresh namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "t-" + hex.EncodeToString(b[:])
}

// newClient connects to the plain server with fast retries, closed when the
// test ends.
func newClient(t *testing.T, opts ...openvcluster.Option) *openvcluster.Client {
	t.Helper()
	return dial(t, plain.addr, opts...)
}

func dial(t *testing.T, addr string, opts ...openvcluster.Option) *openvcluster.Client {
	t.Helper()
	base := []openvcluster.Option{
		openvcluster.WithRetry(openvcluster.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}),
		openvcluster.WithWaitTimeout(30 * time.Second),
	}
	c, err := openvcluster.New(addr, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
