package openvcluster

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// Client is a connection to an open-vcluster-api server with one method per
// operation of VClusterService, SnapshotService, MonitorService,
// OperationService and ServerInfoService, plus listings that page by
// themselves, watches and wait helpers.
//
// A Client is safe for concurrent use. Results are the generated messages;
// errors are *Error (or the wait helpers' typed errors). Close it when done.
type Client struct {
	conn       *grpc.ClientConn
	owner      bool
	target     string
	tls        bool
	vclusters  openvclusterv1.VClusterServiceClient
	snapshots  openvclusterv1.SnapshotServiceClient
	monitor    openvclusterv1.MonitorServiceClient
	operations openvclusterv1.OperationServiceClient
	info       openvclusterv1.ServerInfoServiceClient
	call       *callSettings
}

// New opens a client for target ("host:port"; "https://host:port" switches
// TLS on). An empty target means OVC_ENDPOINT, or DefaultEndpoint. Every
// setting the options leave out comes from the OVC_* variables (see
// EnvEndpoint and the constants after it), as in the Python SDK.
//
// The connection is made lazily, on the first call, so New fails only for
// bad settings (such as an unreadable CA file), never because the server is
// down.
func New(target string, opts ...Option) (*Client, error) {
	s := &settings{call: callSettings{
		timeout:     DefaultTimeout,
		retry:       ptr(DefaultRetryPolicy()),
		waitTimeout: DefaultWaitTimeout,
	}}
	for _, o := range opts {
		o.applyOption(s)
	}
	if s.call.token == nil {
		s.call.token = ptr(os.Getenv(EnvToken))
	}
	conn, err := resolveConnection(target, s)
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient(conn.target, conn.dialOptions(s)...)
	if err != nil {
		return nil, fmt.Errorf("openvcluster: %w", err)
	}
	return &Client{
		conn:       cc,
		owner:      true,
		target:     conn.target,
		tls:        conn.tls != nil,
		vclusters:  openvclusterv1.NewVClusterServiceClient(cc),
		snapshots:  openvclusterv1.NewSnapshotServiceClient(cc),
		monitor:    openvclusterv1.NewMonitorServiceClient(cc),
		operations: openvclusterv1.NewOperationServiceClient(cc),
		info:       openvclusterv1.NewServerInfoServiceClient(cc),
		call:       &s.call,
	}, nil
}

// WithOptions returns a client with other call defaults (timeout, retry
// policy, metadata, token, wait timeout) that shares c's connection.
// Metadata is added to c's. Closing the derived client does nothing; close
// c when done.
func (c *Client) WithOptions(opts ...CallOption) *Client {
	call := *c.call
	call.metadata = append([]string(nil), c.call.metadata...)
	for _, o := range opts {
		o.applyCall(&call)
	}
	derived := *c
	derived.owner = false
	derived.call = &call
	return &derived
}

// Close closes the connection. Calls in flight fail with CANCELLED.
func (c *Client) Close() error {
	if !c.owner {
		return nil
	}
	return c.conn.Close()
}

// Endpoint is the address the client connects to, as resolved from New's
// target, OVC_ENDPOINT or the default (without an https:// prefix): the
// same word as the other SDKs' endpoint setting.
func (c *Client) Endpoint() string { return c.target }

// TLS reports whether the connection uses TLS.
func (c *Client) TLS() bool { return c.tls }

// Conn is the underlying connection, for generated stubs of services the
// client does not wrap. Its unary calls get the client's retries and
// per-attempt timeout, and all its calls the caller's trace context, but
// not its token or metadata.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// outgoing adds the client's metadata and token to a call's context. A
// context that already carries authorization keeps its own.
func (c *Client) outgoing(ctx context.Context) context.Context {
	pairs := c.call.metadata
	if token := *c.call.token; token != "" {
		md, _ := metadata.FromOutgoingContext(ctx)
		if len(md.Get("authorization")) == 0 {
			pairs = append(pairs[:len(pairs):len(pairs)], "authorization", "Bearer "+token)
		}
	}
	if len(pairs) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, pairs...)
}

// invoke runs one logical unary call through a generated stub method: the
// request_id of a mutation (fillRequestID), the check of req against the
// field rules, the client's metadata, its settings for the retry
// interceptor, typed errors. The request_id is set on req in place, so after
// invoke returns req holds the id every attempt was sent with.
func invoke[Req proto.Message, Resp any](ctx context.Context, c *Client,
	method func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) (Resp, error) {
	requestID := fillRequestID(req)
	if err := c.checkRequest(req, requestID); err != nil {
		var none Resp
		return none, err
	}
	resp, err := method(c.outgoing(ctx), req, settingsOption{settings: c.call})
	if err != nil {
		return resp, toError(err, requestID)
	}
	return resp, nil
}
