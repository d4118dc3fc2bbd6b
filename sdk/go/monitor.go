package openvcluster

import (
	"context"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// GetVClusterUsage returns what a vcluster requests and, where the backend
// has a source for it, what it uses, observed now. A figure the backend
// cannot measure comes back with Available false and a Reason, never as
// "0": check Available before reading Value. GetVCluster's
// Status.CurrentUsage stays the cheap summary; this is the detailed view.
//
// Errors: INVALID_ARGUMENT (Error.FieldViolations names the bad namespace or
// name); NOT_FOUND when the vcluster is absent or in a namespace the caller
// may not see.
func (c *Client) GetVClusterUsage(ctx context.Context, namespace, name string) (*VClusterUsage, error) {
	req := &openvclusterv1.GetVClusterUsageRequest{Namespace: namespace, Name: name}
	resp, err := invoke(ctx, c, c.monitor.GetVClusterUsage, req)
	return resp.GetUsage(), err
}

// GetFleetSummary summarises the vclusters the caller may see in namespace,
// or in every namespace it may see when namespace is "": counts by phase,
// per namespace the requested totals against its quota, the vclusters
// suspended longest and the failed ones with their messages. A namespace
// the caller may not see, or that holds nothing, gives an empty summary,
// not an error.
//
// Errors: INVALID_ARGUMENT for an invalid namespace.
func (c *Client) GetFleetSummary(ctx context.Context, namespace string) (*FleetSummary, error) {
	req := &openvclusterv1.GetFleetSummaryRequest{Namespace: namespace}
	resp, err := invoke(ctx, c, c.monitor.GetFleetSummary, req)
	return resp.GetSummary(), err
}
