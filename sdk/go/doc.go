// Package openvcluster is the Go SDK for the open-vcluster API, which manages
// virtual Kubernetes clusters over gRPC.
//
// The generated messages and gRPC stubs live in
// github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1. They are
// kept in their own package so that regenerating them never touches the
// hand-written client here.
package openvcluster
