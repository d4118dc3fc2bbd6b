package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync/atomic"

	v1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// The methods of -method.
const (
	methodGet   = "get"
	methodList  = "list"
	methodScale = "scale"
)

// unaryCall makes one call of the measured method through a caller.
type unaryCall func(ctx context.Context, c caller) error

// newCall returns the call of method. List and scale go over gRPC only: the
// HTTP protocols are measured with GetVCluster (part 6).
func newCall(method, protocol, namespace, name string, pageSize int32) (unaryCall, error) {
	if method != methodGet && protocol != protocolGRPC {
		return nil, fmt.Errorf("-method %s needs -protocol grpc", method)
	}
	switch method {
	case methodGet:
		request := &v1.GetVClusterRequest{Namespace: namespace, Name: name}
		return func(ctx context.Context, c caller) error { return c.getVCluster(ctx, request) }, nil
	case methodList:
		request := &v1.ListVClustersRequest{Namespace: namespace, PageSize: pageSize}
		return func(ctx context.Context, c caller) error {
			_, err := c.(grpcCaller).client.ListVClusters(ctx, request)
			return err
		}, nil
	case methodScale:
		var calls atomic.Uint64
		return func(ctx context.Context, c caller) error {
			// A new request_id each time, so that every call is carried
			// out rather than answered from the server's memory of it, and
			// the replica count alternates so that each one changes the spec.
			n := calls.Add(1)
			request := &v1.ScaleVClusterRequest{
				Namespace: namespace,
				Name:      name,
				Replicas:  int32(1 + n%2),
				RequestId: newUUID(),
			}
			_, err := c.(grpcCaller).client.ScaleVCluster(ctx, request)
			return err
		}, nil
	default:
		return nil, fmt.Errorf("unknown -method %q (get, list or scale)", method)
	}
}

// newUUID returns a random (version 4) UUID, the form request_id takes.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand's Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
