package openvcluster

import (
	"context"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// GetSnapshot returns a snapshot. Errors: NOT_FOUND.
func (c *Client) GetSnapshot(ctx context.Context, namespace, name string) (*Snapshot, error) {
	req := &openvclusterv1.GetSnapshotRequest{Namespace: namespace, Name: name}
	resp, err := invoke(ctx, c, c.snapshots.GetSnapshot, req)
	return resp.GetSnapshot(), err
}

// DeleteSnapshotParams are the optional arguments of DeleteSnapshot.
type DeleteSnapshotParams struct {
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it; not when the call fails.
	OnOperation func(operationID string)
}

// DeleteSnapshot deletes a snapshot at once, in any phase (one still being
// taken is cancelled). p may be nil. Errors: NOT_FOUND.
func (c *Client) DeleteSnapshot(ctx context.Context, namespace, name string, p *DeleteSnapshotParams) error {
	if p == nil {
		p = &DeleteSnapshotParams{}
	}
	req := &openvclusterv1.DeleteSnapshotRequest{
		Namespace: namespace,
		Name:      name,
		RequestId: p.RequestID,
	}
	resp, err := invoke(ctx, c, c.snapshots.DeleteSnapshot, req)
	if err != nil {
		return err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	return nil
}
