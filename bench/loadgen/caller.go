package main

import (
	"context"
	"fmt"

	v1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// The protocols of -protocol: gRPC on the server's gRPC port, Connect (JSON)
// and gRPC-Web on its HTTP port.
const (
	protocolGRPC        = "grpc"
	protocolConnectJSON = "connect-json"
	protocolGRPCWeb     = "grpc-web"
)

// caller makes one GetVCluster call and decodes its answer fully, as a real
// client would; an error means the call failed. Callers are safe for
// concurrent use.
type caller interface {
	getVCluster(ctx context.Context, request *v1.GetVClusterRequest) error
}

// newCallers returns the callers the workers share round-robin for protocol,
// and a function that closes their connections. gRPC gets one caller per
// connection; the HTTP protocols one caller whose pool keeps a connection
// per worker (HTTP/1.1 carries one call at a time per connection).
func newCallers(protocol, address string, connections, workers int) ([]caller, func(), error) {
	switch protocol {
	case protocolGRPC:
		conns, err := dial(address, connections)
		if err != nil {
			return nil, nil, err
		}
		callers := make([]caller, len(conns))
		for i, conn := range conns {
			callers[i] = grpcCaller{v1.NewVClusterServiceClient(conn)}
		}
		return callers, func() { closeAll(conns) }, nil
	case protocolConnectJSON, protocolGRPCWeb:
		client := newHTTPClient(workers)
		url := "http://" + address + v1.VClusterService_GetVCluster_FullMethodName
		var c caller = connectJSONCaller{client, url}
		if protocol == protocolGRPCWeb {
			c = grpcWebCaller{client, url}
		}
		return []caller{c}, client.CloseIdleConnections, nil
	default:
		return nil, nil, fmt.Errorf("unknown -protocol %q (grpc, connect-json or grpc-web)", protocol)
	}
}

// grpcCaller calls through the generated gRPC stub.
type grpcCaller struct {
	client v1.VClusterServiceClient
}

func (c grpcCaller) getVCluster(ctx context.Context, request *v1.GetVClusterRequest) error {
	_, err := c.client.GetVCluster(ctx, request)
	return err
}
