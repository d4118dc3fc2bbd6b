package openvcluster

import (
	"context"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// GetServerInfo returns what the server decides, as the client's token sees
// it: its version and backend, the Kubernetes versions it accepts (oldest
// first; the last is the default), the spec an empty create gets, the limits
// a caller meets (page sizes, message size, the quotas of the namespaces the
// caller may see) and who the caller is. Use it instead of hard-coding any
// of these.
//
// Errors: UNAUTHENTICATED only, when the server has tokens and the call has
// no valid one.
func (c *Client) GetServerInfo(ctx context.Context) (*ServerInfo, error) {
	resp, err := invoke(ctx, c, c.info.GetServerInfo, &openvclusterv1.GetServerInfoRequest{})
	return resp.GetInfo(), err
}
