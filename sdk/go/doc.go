// Package openvcluster is the Go SDK for the open-vcluster API, which manages
// virtual Kubernetes clusters over gRPC with the lifecycle of a virtual
// machine: create, update, upgrade, scale, suspend, resume, snapshot,
// restore and delete.
//
// A Client has one method per operation of VClusterService, SnapshotService,
// MonitorService, OperationService and ServerInfoService, each taking a
// context.Context:
//
//	client, err := openvcluster.New("") // OVC_ENDPOINT, or 127.0.0.1:50051
//	if err != nil {
//		return err
//	}
//	defer client.Close()
//	vc, err := client.CreateVCluster(ctx, "team-a", "dev", &openvcluster.CreateVClusterParams{
//		CPU: "2", Memory: "4Gi", Wait: true, // returns once it is RUNNING
//	})
//
// Mutations take an optional params struct (nil for the defaults) and
// return the resource in its new, possibly intermediate, phase; set Wait, or
// call WaitForPhase, WaitForDeletion or WaitForSnapshot, to wait for the
// phase they end in; a wait helper's OnChange option reports each new state
// the wait sees, for progress. Every mutation the server accepts is
// recorded as an Operation (who asked, when, how it went, the phases it
// went through): the OnOperation field of a mutation's params receives its
// id, for GetOperation, and ListOperations lists them. UpdateVCluster changes only the fields its params give
// (pointer fields: nil leaves a field alone), deriving the update mask from
// them; UpgradeVCluster is its upgrade of the Kubernetes version alone. Listings are iterators that fetch pages as the loop
// goes (ListVClusters, ListSnapshots, ListOperations), with page-at-a-time variants;
// WatchVClusters is an iterator of events.
//
// Results are the generated messages, re-exported here as aliases (VCluster,
// Snapshot, Phase, ...). Errors are *Error, with the google.rpc details of
// the rich error model decoded (FieldViolations, Reason, Metadata,
// QuotaViolations); helpers such as IsNotFound test the code. The wait
// helpers add *WaitTimeoutError, *VClusterFailedError and
// *SnapshotFailedError.
//
// Unary calls that fail with UNAVAILABLE are retried with exponential backoff
// and full jitter (see RetryPolicy); mutations stay safe to retry because the
// client fills their request_id once per logical call and sends it on every
// attempt. Every request is first checked against the proto's field rules,
// as the server checks it, so a bad one fails at once, without a network
// call, with the server's INVALID_ARGUMENT (see WithRequestValidation).
// Settings come from options (WithToken, WithTLS, WithRetry, ...) and, for
// what they leave out, from the OVC_* environment variables shared with the
// other SDKs of the project.
//
// The generated messages and gRPC stubs live in
// github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1. They are
// kept in their own package so that regenerating them never touches the
// hand-written client here.
package openvcluster
