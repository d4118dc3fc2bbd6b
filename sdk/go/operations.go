package openvcluster

import (
	"context"
	"iter"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// GetOperation returns an operation: the record of one accepted mutation,
// whose id the mutation's OnOperation callback reported (or a listing
// shows). Its State is OperationRunning while the vcluster (or snapshot) is
// on its way, then OperationSucceeded or OperationFailed.
//
// Errors: INVALID_ARGUMENT for an id that is not a UUID; NOT_FOUND when no
// operation has that id (or the server forgot it), or it is in a namespace
// the caller may not see.
func (c *Client) GetOperation(ctx context.Context, id string) (*Operation, error) {
	req := &openvclusterv1.GetOperationRequest{Id: id}
	resp, err := invoke(ctx, c, c.operations.GetOperation, req)
	return resp.GetOperation(), err
}

// ListOperationsParams are the optional arguments of the operation
// listings.
type ListOperationsParams struct {
	// VCluster keeps the operations on the vcluster of this name (those of
	// an earlier vcluster of the same name included).
	VCluster string
	// PageSize is how many operations each call fetches (0: 50).
	PageSize int32
	// PageToken resumes a listing at a page's NextPageToken.
	PageToken string
}

// ListOperations lists operations by namespace and, in each namespace,
// newest first, fetching pages as the loop goes, like ListVClusters; an
// empty namespace lists every namespace the caller may see. p may be nil.
//
//	for op, err := range client.ListOperations(ctx, "team-a", &openvcluster.ListOperationsParams{VCluster: "dev"}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(op.GetMethod(), op.GetState())
//	}
func (c *Client) ListOperations(ctx context.Context, namespace string, p *ListOperationsParams) iter.Seq2[*Operation, error] {
	return allItems(c.ListOperationsPages(ctx, namespace, p))
}

// ListOperationsPages is ListOperations a page at a time.
func (c *Client) ListOperationsPages(ctx context.Context, namespace string, p *ListOperationsParams) iter.Seq2[*Page[*Operation], error] {
	if p == nil {
		p = &ListOperationsParams{}
	}
	params := *p
	return allPages(ctx, params.PageToken, func(ctx context.Context, token string) (*Page[*Operation], error) {
		page := params
		page.PageToken = token
		return c.ListOperationsPage(ctx, namespace, &page)
	})
}

// ListOperationsPage fetches one page of an operation listing, at
// p.PageToken (the first page when empty). p may be nil.
//
// Errors: INVALID_ARGUMENT for a negative page size, an invalid namespace
// or vcluster name, or a page token issued for another namespace or
// vcluster.
func (c *Client) ListOperationsPage(ctx context.Context, namespace string, p *ListOperationsParams) (*Page[*Operation], error) {
	if p == nil {
		p = &ListOperationsParams{}
	}
	req := &openvclusterv1.ListOperationsRequest{
		Namespace: namespace,
		Vcluster:  p.VCluster,
		PageSize:  p.PageSize,
		PageToken: p.PageToken,
	}
	resp, err := invoke(ctx, c, c.operations.ListOperations, req)
	if err != nil {
		return nil, err
	}
	return &Page[*Operation]{Items: resp.GetOperations(), NextPageToken: resp.GetNextPageToken()}, nil
}

// reportOperation calls a mutation's OnOperation callback, when it has one,
// with the operation id of the server's answer, when there is one.
func reportOperation(onOperation func(operationID string), operationID string) {
	if onOperation != nil && operationID != "" {
		onOperation(operationID)
	}
}
