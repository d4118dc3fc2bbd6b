package main

import (
	"context"
	"fmt"
	"iter"
	"time"

	"google.golang.org/grpc/metadata"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

// execute runs a step's action through the SDK method that offers it, with
// every set field of its request passed on: a call generically (call.go),
// the listings, waits, watches and update, which the protocol maps in ways
// of their own, here. A mutation's result carries the operation id its
// OnOperation callback reported.
func execute(s *session, c *openvcluster.Client, step *conformancev1.Step) *conformancev1.StepResult {
	var operationID string
	result := dispatch(s, c, step, func(id string) { operationID = id })
	result.OperationId = operationID
	return result
}

// dispatch is execute with onOperation, the OnOperation callback of every
// mutation.
func dispatch(s *session, c *openvcluster.Client, step *conformancev1.Step, onOperation func(string)) *conformancev1.StepResult {
	ctx := s.ctx
	if md := step.GetOptions().GetMetadata(); len(md) > 0 {
		ctx = metadata.NewOutgoingContext(ctx, metadata.New(md))
	}
	switch action := step.GetAction().(type) {
	case *conformancev1.Step_Call:
		return call(ctx, c, action.Call, onOperation)
	case *conformancev1.Step_ListVclusters:
		r := action.ListVclusters
		list := &conformancev1.VClusterList{}
		for vc, err := range c.ListVClusters(ctx, r.GetNamespace(), listVClustersParams(r)) {
			if err != nil {
				return errorResult(errorOf(err))
			}
			list.Items = append(list.Items, vc)
		}
		return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_Vclusters{Vclusters: list}}
	case *conformancev1.Step_ListVclustersPage:
		r := action.ListVclustersPage
		page, err := c.ListVClustersPage(ctx, r.GetNamespace(), listVClustersParams(r))
		if err != nil {
			return errorResult(errorOf(err))
		}
		return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_VclusterPage{VclusterPage: &openvclusterv1.ListVClustersResponse{
			Vclusters: page.Items, NextPageToken: page.NextPageToken,
		}}}
	case *conformancev1.Step_UpdateVcluster:
		r := action.UpdateVcluster
		vc := r.GetVcluster()
		p := updateParams(r)
		p.OnOperation = onOperation
		return vclusterResult(c.UpdateVCluster(ctx, vc.GetNamespace(), vc.GetName(), p))
	case *conformancev1.Step_ListSnapshots:
		r := action.ListSnapshots
		list := &conformancev1.SnapshotList{}
		for snap, err := range c.ListSnapshots(ctx, r.GetNamespace(), listSnapshotsParams(r)) {
			if err != nil {
				return errorResult(errorOf(err))
			}
			list.Items = append(list.Items, snap)
		}
		return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_Snapshots{Snapshots: list}}
	case *conformancev1.Step_ListSnapshotsPage:
		r := action.ListSnapshotsPage
		page, err := c.ListSnapshotsPage(ctx, r.GetNamespace(), listSnapshotsParams(r))
		if err != nil {
			return errorResult(errorOf(err))
		}
		return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_SnapshotPage{SnapshotPage: &openvclusterv1.ListSnapshotsResponse{
			Snapshots: page.Items, NextPageToken: page.NextPageToken,
		}}}
	case *conformancev1.Step_ListOperations:
		r := action.ListOperations
		list := &conformancev1.OperationList{}
		for op, err := range c.ListOperations(ctx, r.GetNamespace(), listOperationsParams(r)) {
			if err != nil {
				return errorResult(errorOf(err))
			}
			list.Items = append(list.Items, op)
		}
		return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_Operations{Operations: list}}
	case *conformancev1.Step_ListOperationsPage:
		r := action.ListOperationsPage
		page, err := c.ListOperationsPage(ctx, r.GetNamespace(), listOperationsParams(r))
		if err != nil {
			return errorResult(errorOf(err))
		}
		return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_OperationPage{OperationPage: &openvclusterv1.ListOperationsResponse{
			Operations: page.Items, NextPageToken: page.NextPageToken,
		}}}
	case *conformancev1.Step_WaitForPhase:
		r := action.WaitForPhase
		return vclusterResult(waiter(c, r.GetTimeoutMs()).WaitForPhase(ctx, r.GetNamespace(), r.GetName(), r.GetPhase()))
	case *conformancev1.Step_WaitForDeletion:
		r := action.WaitForDeletion
		return doneResult(waiter(c, r.GetTimeoutMs()).WaitForDeletion(ctx, r.GetNamespace(), r.GetName()))
	case *conformancev1.Step_WaitForSnapshot:
		r := action.WaitForSnapshot
		return snapshotResult(waiter(c, r.GetTimeoutMs()).WaitForSnapshot(ctx, r.GetNamespace(), r.GetName(), r.GetPhase()))
	case *conformancev1.Step_WatchStart:
		r := action.WatchStart
		return doneResult(s.watches.start(ctx, step.GetName(), c.WatchVClusters, r))
	case *conformancev1.Step_WatchCollect:
		return s.watches.collect(action.WatchCollect)
	}
	return errorResult(&conformancev1.Error{
		Kind:    conformancev1.Error_KIND_UNSUPPORTED,
		Message: fmt.Sprintf("step %s: an action this client does not know", step.GetName()),
	})
}

// waiter is c with the wait timeout a wait step asks for (0 keeps c's).
func waiter(c *openvcluster.Client, timeoutMs int64) *openvcluster.Client {
	if timeoutMs <= 0 {
		return c
	}
	return c.WithOptions(openvcluster.WithWaitTimeout(time.Duration(timeoutMs) * time.Millisecond))
}

// updateParams maps an update step as the protocol says: each mask path
// UpdateVCluster has a field for sets that field from the step's vcluster,
// and the mask itself is passed only when it holds another path, or names
// a message field (the sleep schedule, the expiry) the vcluster leaves
// unset: the SDK then sends the path with no value, which clears it.
func updateParams(r *openvclusterv1.UpdateVClusterRequest) *openvcluster.UpdateVClusterParams {
	p := &openvcluster.UpdateVClusterParams{Etag: r.GetEtag(), ValidateOnly: r.GetValidateOnly(), RequestID: r.GetRequestId()}
	explicit := false
	for _, path := range r.GetUpdateMask().GetPaths() {
		if !setUpdateField(p, r.GetVcluster(), path) {
			explicit = true
		}
	}
	if explicit {
		p.UpdateMask = r.GetUpdateMask().GetPaths()
	}
	return p
}

// setUpdateField sets the field of p that path names to its value in vc,
// and says whether it did: not for a path p has no field for, nor for a
// message field vc leaves unset.
func setUpdateField(p *openvcluster.UpdateVClusterParams, vc *openvclusterv1.VCluster, path string) bool {
	spec := vc.GetSpec()
	switch path {
	case openvcluster.UpdatePathLabels:
		labels := vc.GetLabels()
		p.Labels = &labels
	case openvcluster.UpdatePathKubernetesVersion:
		p.KubernetesVersion = new(spec.GetKubernetesVersion())
	case openvcluster.UpdatePathDeletionProtection:
		p.DeletionProtection = new(spec.GetDeletionProtection())
	case openvcluster.UpdatePathSleepSchedule:
		p.SleepSchedule = spec.GetSleepSchedule()
		return p.SleepSchedule != nil
	case openvcluster.UpdatePathExpireTime:
		if spec.GetExpireTime() == nil {
			return false
		}
		p.ExpireTime = new(spec.GetExpireTime().AsTime())
	case openvcluster.UpdatePathDeleteSnapshotsOnExpiry:
		p.DeleteSnapshotsOnExpiry = new(spec.GetDeleteSnapshotsOnExpiry())
	default:
		return false
	}
	return true
}

// listVClustersParams are the listing options of a vcluster listing step.
func listVClustersParams(r *openvclusterv1.ListVClustersRequest) *openvcluster.ListVClustersParams {
	return &openvcluster.ListVClustersParams{
		LabelSelector: r.GetLabelSelector(), Phase: r.GetPhase(), PageSize: r.GetPageSize(), PageToken: r.GetPageToken(),
	}
}

// listSnapshotsParams are the listing options of a snapshot listing step.
func listSnapshotsParams(r *openvclusterv1.ListSnapshotsRequest) *openvcluster.ListSnapshotsParams {
	return &openvcluster.ListSnapshotsParams{VCluster: r.GetVcluster(), PageSize: r.GetPageSize(), PageToken: r.GetPageToken()}
}

// listOperationsParams are the listing options of an operation listing
// step.
func listOperationsParams(r *openvclusterv1.ListOperationsRequest) *openvcluster.ListOperationsParams {
	return &openvcluster.ListOperationsParams{VCluster: r.GetVcluster(), PageSize: r.GetPageSize(), PageToken: r.GetPageToken()}
}

// watchFunc is Client.WatchVClusters, which the watches start.
type watchFunc = func(context.Context, string, *openvcluster.WatchVClustersParams) iter.Seq2[*openvcluster.WatchEvent, error]
