package openvcluster

import "context"

// Deprecated names, kept for one release so that code written against the
// previous names still builds. They are removed in the next release: switch
// to the names each one points to (staticcheck reports their uses as
// SA1019).

// Deprecated: use CreateVClusterParams.
type CreateParams = CreateVClusterParams

// Deprecated: use DeleteVClusterParams.
type DeleteParams = DeleteVClusterParams

// Deprecated: use ScaleVClusterParams.
type ScaleParams = ScaleVClusterParams

// Deprecated: use SuspendVClusterParams.
type SuspendParams = SuspendVClusterParams

// Deprecated: use ResumeVClusterParams.
type ResumeParams = ResumeVClusterParams

// Deprecated: use SnapshotVClusterParams.
type SnapshotParams = SnapshotVClusterParams

// Deprecated: use RestoreVClusterParams.
type RestoreParams = RestoreVClusterParams

// Deprecated: use WatchVClustersParams.
type WatchParams = WatchVClustersParams

// With returns a client with other call defaults that shares c's
// connection.
//
// Deprecated: use WithOptions.
func (c *Client) With(opts ...CallOption) *Client {
	return c.WithOptions(opts...)
}

// GetVClusterKubeconfig returns the kubeconfig YAML of a vcluster.
//
// Deprecated: use GetKubeconfig.
func (c *Client) GetVClusterKubeconfig(ctx context.Context, namespace, name string) (string, error) {
	return c.GetKubeconfig(ctx, namespace, name)
}

// Target is the address the client connects to.
//
// Deprecated: use Endpoint.
func (c *Client) Target() string { return c.Endpoint() }
