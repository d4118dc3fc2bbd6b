package openvcluster

import (
	"context"
	"iter"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// ListVClustersParams are the optional arguments of the vcluster listings.
type ListVClustersParams struct {
	// LabelSelector keeps the vclusters matching a Kubernetes label
	// selector, such as "tier=gold,env!=prod".
	LabelSelector string
	// Phase keeps the vclusters in one phase; unspecified keeps all.
	Phase Phase
	// PageSize is how many vclusters each call fetches (0: the server's
	// default of 50; at most 1000).
	PageSize int32
	// PageToken resumes a listing at a page's NextPageToken.
	PageToken string
}

// ListVClusters lists vclusters ordered by (namespace, name), fetching pages
// as the loop goes; an empty namespace lists every namespace the caller may
// see. p may be nil. No call is made before the loop starts, and each loop
// starts again from the first page:
//
//	for vc, err := range client.ListVClusters(ctx, "team-a", nil) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(vc.GetName())
//	}
func (c *Client) ListVClusters(ctx context.Context, namespace string, p *ListVClustersParams) iter.Seq2[*VCluster, error] {
	return allItems(c.ListVClustersPages(ctx, namespace, p))
}

// ListVClustersPages is ListVClusters a page at a time.
func (c *Client) ListVClustersPages(ctx context.Context, namespace string, p *ListVClustersParams) iter.Seq2[*Page[*VCluster], error] {
	if p == nil {
		p = &ListVClustersParams{}
	}
	params := *p
	return allPages(ctx, params.PageToken, func(ctx context.Context, token string) (*Page[*VCluster], error) {
		page := params
		page.PageToken = token
		return c.ListVClustersPage(ctx, namespace, &page)
	})
}

// ListVClustersPage fetches one page of a listing, at p.PageToken (the first
// page when empty). p may be nil.
//
// Errors: INVALID_ARGUMENT for a negative page size, a malformed label
// selector or a page token issued for other filters.
func (c *Client) ListVClustersPage(ctx context.Context, namespace string, p *ListVClustersParams) (*Page[*VCluster], error) {
	if p == nil {
		p = &ListVClustersParams{}
	}
	req := &openvclusterv1.ListVClustersRequest{
		Namespace:     namespace,
		PageSize:      p.PageSize,
		PageToken:     p.PageToken,
		LabelSelector: p.LabelSelector,
		Phase:         p.Phase,
	}
	resp, err := invoke(ctx, c, c.vclusters.ListVClusters, req)
	if err != nil {
		return nil, err
	}
	return &Page[*VCluster]{Items: resp.GetVclusters(), NextPageToken: resp.GetNextPageToken()}, nil
}

// ListSnapshotsParams are the optional arguments of the snapshot listings.
type ListSnapshotsParams struct {
	// VCluster keeps the snapshots of the source vcluster of this name.
	VCluster string
	// PageSize is how many snapshots each call fetches (0: 50).
	PageSize int32
	// PageToken resumes a listing at a page's NextPageToken.
	PageToken string
}

// ListSnapshots lists snapshots ordered by (namespace, name), fetching pages
// as the loop goes, like ListVClusters. p may be nil.
func (c *Client) ListSnapshots(ctx context.Context, namespace string, p *ListSnapshotsParams) iter.Seq2[*Snapshot, error] {
	return allItems(c.ListSnapshotsPages(ctx, namespace, p))
}

// ListSnapshotsPages is ListSnapshots a page at a time.
func (c *Client) ListSnapshotsPages(ctx context.Context, namespace string, p *ListSnapshotsParams) iter.Seq2[*Page[*Snapshot], error] {
	if p == nil {
		p = &ListSnapshotsParams{}
	}
	params := *p
	return allPages(ctx, params.PageToken, func(ctx context.Context, token string) (*Page[*Snapshot], error) {
		page := params
		page.PageToken = token
		return c.ListSnapshotsPage(ctx, namespace, &page)
	})
}

// ListSnapshotsPage fetches one page of a snapshot listing, at p.PageToken.
// p may be nil.
func (c *Client) ListSnapshotsPage(ctx context.Context, namespace string, p *ListSnapshotsParams) (*Page[*Snapshot], error) {
	if p == nil {
		p = &ListSnapshotsParams{}
	}
	req := &openvclusterv1.ListSnapshotsRequest{
		Namespace: namespace,
		Vcluster:  p.VCluster,
		PageSize:  p.PageSize,
		PageToken: p.PageToken,
	}
	resp, err := invoke(ctx, c, c.snapshots.ListSnapshots, req)
	if err != nil {
		return nil, err
	}
	return &Page[*Snapshot]{Items: resp.GetSnapshots(), NextPageToken: resp.GetNextPageToken()}, nil
}
