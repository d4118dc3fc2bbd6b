package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

// waitTimeout bounds the wait helpers unless the connection or a step sets
// its own, as the Python clients under test do.
const waitTimeout = 60 * time.Second

// session holds what one case uses: its client (one connection, derived
// clients per token), its offline client and its background watches.
type session struct {
	ctx     context.Context
	conn    *conformancev1.Connection
	client  *openvcluster.Client
	watches *watches
	// earlier is the proto3 JSON of every earlier step's result, for refs.
	earlier map[string]map[string]any
	// offline is the case's client for steps with options.offline: no
	// server listens at its address, so only the SDK's own checks answer.
	offline *openvcluster.Client
}

func runCase(request *conformancev1.CaseRequest, emit func(*conformancev1.StepResult)) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{ctx: ctx, conn: request.GetConnection(), watches: newWatches(), earlier: map[string]map[string]any{}}
	defer func() {
		cancel()
		s.watches.stopAll()
		for _, c := range []*openvcluster.Client{s.client, s.offline} {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	for index, step := range request.GetSteps() {
		result := s.runStep(step)
		result.CaseName = request.GetCaseName()
		result.StepIndex = int32(index)
		result.StepName = step.GetName()
		s.remember(step.GetName(), result)
		emit(result)
	}
}

// runStep runs one step, turning a panic of the SDK into a client error.
func (s *session) runStep(step *conformancev1.Step) (result *conformancev1.StepResult) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "panic in step %s: %v\n%s", step.GetName(), p, debug.Stack())
			result = errorResult(&conformancev1.Error{Kind: conformancev1.Error_KIND_CLIENT, Message: fmt.Sprint("panic: ", p)})
		}
	}()
	resolved, err := resolveRefs(step, s.earlier)
	if err != nil {
		return errorResult(&conformancev1.Error{Kind: conformancev1.Error_KIND_UNRESOLVED_REF, Message: err.Error()})
	}
	client, err := s.clientFor(step)
	if err != nil {
		return errorResult(errorOf(err))
	}
	return execute(s, client, resolved)
}

// offlineAddress is where no server listens: a step with options.offline
// is answered by the SDK's check of the request, or not at all.
const offlineAddress = "127.0.0.1:1"

// clientFor is the case's client with the step's token and call options, or
// for an offline step the case's offline client.
func (s *session) clientFor(step *conformancev1.Step) (*openvcluster.Client, error) {
	if step.GetOptions().GetOffline() {
		if s.offline == nil {
			client, err := openvcluster.New(offlineAddress, openvcluster.WithPlaintext(), openvcluster.WithToken(""),
				openvcluster.WithoutRetry(), openvcluster.WithDialOptions(grpc.WithChainStreamInterceptor(streamOpened)))
			if err != nil {
				return nil, err
			}
			s.offline = client
		}
		return s.offline, nil
	}
	if s.client == nil {
		opts := []openvcluster.Option{
			openvcluster.WithDialOptions(grpc.WithChainStreamInterceptor(streamOpened)),
			openvcluster.WithToken(s.conn.GetToken()),
			openvcluster.WithWaitTimeout(waitTimeout),
		}
		if ms := s.conn.GetWaitTimeoutMs(); ms > 0 {
			opts = append(opts, openvcluster.WithWaitTimeout(time.Duration(ms)*time.Millisecond))
		}
		if tls := s.conn.GetTls(); tls != nil {
			opts = append(opts, openvcluster.WithTLS(nil))
			if tls.GetCaFile() != "" {
				opts = append(opts, openvcluster.WithCAFile(tls.GetCaFile()))
			}
			if tls.GetClientCertFile() != "" {
				opts = append(opts, openvcluster.WithClientCertificateFiles(tls.GetClientCertFile(), tls.GetClientKeyFile()))
			}
			if tls.GetServerName() != "" {
				opts = append(opts, openvcluster.WithTLSServerName(tls.GetServerName()))
			}
		} else {
			opts = append(opts, openvcluster.WithPlaintext())
		}
		client, err := openvcluster.New(s.conn.GetAddress(), opts...)
		if err != nil {
			return nil, err
		}
		s.client = client
	}
	options := step.GetOptions()
	var call []openvcluster.CallOption
	if options.Token != nil {
		call = append(call, openvcluster.WithToken(options.GetToken()))
	}
	if ms := options.GetTimeoutMs(); ms > 0 {
		call = append(call, openvcluster.WithTimeout(time.Duration(ms)*time.Millisecond))
	}
	if options.GetNoSdkChecks() {
		call = append(call, openvcluster.WithRequestValidation(false))
	}
	switch n := options.GetMaxAttempts(); {
	case n == 1:
		call = append(call, openvcluster.WithoutRetry())
	case n > 1:
		call = append(call, openvcluster.WithRetry(openvcluster.RetryPolicy{MaxAttempts: int(n)}))
	}
	if len(call) == 0 {
		return s.client, nil
	}
	return s.client.WithOptions(call...), nil
}

// remember keeps a result's proto3 JSON for the refs of later steps.
func (s *session) remember(name string, result *conformancev1.StepResult) {
	data, err := protojson.Marshal(result)
	if err != nil {
		return
	}
	var decoded map[string]any
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	if decoder.Decode(&decoded) == nil {
		s.earlier[name] = decoded
	}
}
