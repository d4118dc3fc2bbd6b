package openvcluster

import (
	"context"
	"errors"
	"io"
	"iter"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// WatchVClustersParams are the optional arguments of WatchVClusters.
type WatchVClustersParams struct {
	// Name follows only the vcluster of this name.
	Name string
	// LabelSelector follows only the vclusters matching it.
	LabelSelector string
}

// WatchVClusters follows changes of vclusters as a stream of events; an
// empty namespace watches every namespace the caller may see. p may be nil.
//
// The stream starts when the loop does. It replays every matching vcluster
// as EventAdded, then sends one EventSynced (whose VCluster is nil) once
// that initial state is complete, so a vcluster with no Added event before
// it does not exist; then EventAdded, EventModified and EventDeleted (with
// the last state) as changes happen. It runs until the loop breaks (which
// cancels the call) or ctx ends, which is yielded as an error (CANCELLED or
// DEADLINE_EXCEEDED), as is any other failure. Watches are not retried:
// watch again, and the replay tells you the current state. A request that
// breaks a field rule (see WithRequestValidation) yields its
// INVALID_ARGUMENT as the only item, and no stream is opened.
func (c *Client) WatchVClusters(ctx context.Context, namespace string, p *WatchVClustersParams) iter.Seq2[*WatchEvent, error] {
	if p == nil {
		p = &WatchVClustersParams{}
	}
	req := &openvclusterv1.WatchVClustersRequest{Namespace: namespace, Name: p.Name, LabelSelector: p.LabelSelector}
	return func(yield func(*WatchEvent, error) bool) {
		if err := c.checkRequest(req, ""); err != nil {
			yield(nil, err)
			return
		}
		ctx, cancel := context.WithCancel(c.outgoing(ctx))
		defer cancel()
		stream, err := c.vclusters.WatchVClusters(ctx, req)
		if err != nil {
			yield(nil, toError(err, ""))
			return
		}
		for {
			event, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, toError(err, ""))
				return
			}
			if !yield(event, nil) {
				return
			}
		}
	}
}
