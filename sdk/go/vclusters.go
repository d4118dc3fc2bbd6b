package openvcluster

import (
	"context"
	"maps"

	"google.golang.org/protobuf/proto"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// CreateParams are the optional arguments of CreateVCluster. Give the spec
// as friendly fields (CPU: "2", Memory: "4Gi"), as a Spec message, or both:
// the non-zero friendly fields override the message. Settings left empty take
// server defaults, and the returned spec shows them.
type CreateParams struct {
	// Spec is the base spec; nil means an empty one.
	Spec *VClusterSpec
	// KubernetesVersion such as "1.31" or "1.31.2"; empty means the newest.
	KubernetesVersion string
	// Distro of the control plane; unspecified means K8S.
	Distro Distro
	// CPU, Memory and Storage are Kubernetes quantities ("2", "4Gi", "10Gi").
	CPU, Memory, Storage string
	// Replicas of the control plane, 1 to 5.
	Replicas int32
	// EnableHA runs the control plane highly available (odd replicas >= 3).
	EnableHA bool
	// ExposeType of the API server; unspecified means CLUSTER_IP.
	ExposeType ExposeType
	// Labels of the new vcluster.
	Labels map[string]string
	// ValidateOnly checks everything (validation, existence, quota) and
	// creates nothing.
	ValidateOnly bool
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// Wait returns only once the vcluster is RUNNING (not with ValidateOnly).
	Wait bool
}

// CreateVCluster creates a vcluster; it starts PROVISIONING and becomes
// RUNNING on its own. p may be nil.
//
// Errors: INVALID_ARGUMENT (Error.FieldViolations names every bad field),
// ALREADY_EXISTS, RESOURCE_EXHAUSTED (quota); with Wait, the wait helpers'
// errors.
func (c *Client) CreateVCluster(ctx context.Context, namespace, name string, p *CreateParams) (*VCluster, error) {
	if p == nil {
		p = &CreateParams{}
	}
	spec := &VClusterSpec{}
	if p.Spec != nil {
		spec = proto.CloneOf(p.Spec)
	}
	if p.KubernetesVersion != "" {
		spec.KubernetesVersion = p.KubernetesVersion
	}
	if p.Distro != 0 {
		spec.Distro = p.Distro
	}
	if p.CPU != "" || p.Memory != "" || p.Storage != "" {
		spec.Resources = mergeResources(spec.GetResources(), p.CPU, p.Memory, p.Storage)
	}
	if p.Replicas != 0 {
		spec.Replicas = p.Replicas
	}
	if p.EnableHA {
		spec.EnableHa = true
	}
	if p.ExposeType != 0 {
		if spec.Network == nil {
			spec.Network = &NetworkSpec{}
		}
		spec.Network.ExposeType = p.ExposeType
	}
	req := &openvclusterv1.CreateVClusterRequest{
		Namespace:    namespace,
		Name:         name,
		Spec:         spec,
		Labels:       maps.Clone(p.Labels),
		ValidateOnly: p.ValidateOnly,
		RequestId:    requestIDOr(p.RequestID),
	}
	resp, err := invoke(ctx, c, c.vclusters.CreateVCluster, req, req.RequestId)
	if err != nil {
		return nil, err
	}
	if p.Wait && !p.ValidateOnly {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseRunning)
	}
	return resp.GetVcluster(), nil
}

// GetVCluster returns a vcluster. Its Status.Kubeconfig is always empty (see
// GetVClusterKubeconfig). Errors: NOT_FOUND.
func (c *Client) GetVCluster(ctx context.Context, namespace, name string) (*VCluster, error) {
	req := &openvclusterv1.GetVClusterRequest{Namespace: namespace, Name: name}
	resp, err := invoke(ctx, c, c.vclusters.GetVCluster, req, "")
	return resp.GetVcluster(), err
}

// DeleteParams are the optional arguments of DeleteVCluster.
type DeleteParams struct {
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// DeleteSnapshots also deletes the vcluster's snapshots; by default
	// they are kept and can still be restored to a new name.
	DeleteSnapshots bool
	// KeepData keeps the control plane's volumes (and, on the Kubernetes
	// backend, the host namespace holding them).
	KeepData bool
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// Wait returns only once the vcluster is gone.
	Wait bool
}

// DeleteVCluster deletes a vcluster: it goes through DELETING and is then
// gone. It returns the vcluster in DELETING. p may be nil.
//
// Errors: NOT_FOUND; ABORTED for a stale etag.
func (c *Client) DeleteVCluster(ctx context.Context, namespace, name string, p *DeleteParams) (*VCluster, error) {
	if p == nil {
		p = &DeleteParams{}
	}
	req := &openvclusterv1.DeleteVClusterRequest{
		Namespace:       namespace,
		Name:            name,
		Etag:            p.Etag,
		DeleteSnapshots: p.DeleteSnapshots,
		KeepData:        p.KeepData,
		RequestId:       requestIDOr(p.RequestID),
	}
	resp, err := invoke(ctx, c, c.vclusters.DeleteVCluster, req, req.RequestId)
	if err != nil {
		return nil, err
	}
	if p.Wait {
		w := c.newVClusterWaiter(namespace, name, nil)
		w.lastSeen = resp.GetVcluster()
		if err := c.runVClusterWaiter(ctx, w); err != nil {
			return nil, err
		}
	}
	return resp.GetVcluster(), nil
}

// ScaleParams are the arguments of ScaleVCluster; what is left out keeps its
// current value. At least one of the resources, Replicas or EnableHA must
// be set.
type ScaleParams struct {
	// Resources are the new resources; CPU, Memory and Storage override
	// its fields when set.
	Resources *Resources
	// CPU, Memory and Storage are new Kubernetes quantities.
	CPU, Memory, Storage string
	// Replicas is the new control-plane replica count, 1 to 5.
	Replicas int32
	// EnableHA is the new high-availability setting; nil keeps it
	// (EnableHA: new(true) switches it on).
	EnableHA *bool
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// Wait returns only once the vcluster is back in its resting phase
	// (RUNNING, or SUSPENDED for a suspended one).
	Wait bool
}

// ScaleVCluster changes the resources, replicas or high availability of a
// vcluster. A RUNNING vcluster goes through SCALING back to RUNNING; a
// SUSPENDED one stores the new spec and stays SUSPENDED.
//
// Errors: INVALID_ARGUMENT for bad values or nothing to change;
// FAILED_PRECONDITION in another phase; NOT_FOUND; ABORTED;
// RESOURCE_EXHAUSTED.
func (c *Client) ScaleVCluster(ctx context.Context, namespace, name string, p *ScaleParams) (*VCluster, error) {
	if p == nil {
		p = &ScaleParams{}
	}
	req := &openvclusterv1.ScaleVClusterRequest{
		Namespace: namespace,
		Name:      name,
		Replicas:  p.Replicas,
		EnableHa:  p.EnableHA,
		Etag:      p.Etag,
		RequestId: requestIDOr(p.RequestID),
	}
	if p.Resources != nil || p.CPU != "" || p.Memory != "" || p.Storage != "" {
		req.Resources = mergeResources(p.Resources, p.CPU, p.Memory, p.Storage)
	}
	resp, err := invoke(ctx, c, c.vclusters.ScaleVCluster, req, req.RequestId)
	if err != nil {
		return nil, err
	}
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), RestingPhase(resp.GetVcluster().GetStatus().GetPhase()))
	}
	return resp.GetVcluster(), nil
}

// SuspendParams are the optional arguments of SuspendVCluster.
type SuspendParams struct {
	// DrainWorkloads evicts the workloads gracefully before the control
	// plane stops.
	DrainWorkloads bool
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// Wait returns only once the vcluster is SUSPENDED.
	Wait bool
}

// SuspendVCluster suspends (powers off) a RUNNING vcluster: SUSPENDING, then
// SUSPENDED, its state kept. Suspending a suspended (or suspending) vcluster
// is a no-op that returns it. p may be nil.
//
// Errors: FAILED_PRECONDITION in another phase; NOT_FOUND; ABORTED.
func (c *Client) SuspendVCluster(ctx context.Context, namespace, name string, p *SuspendParams) (*VCluster, error) {
	if p == nil {
		p = &SuspendParams{}
	}
	req := &openvclusterv1.SuspendVClusterRequest{
		Namespace:      namespace,
		Name:           name,
		DrainWorkloads: p.DrainWorkloads,
		Etag:           p.Etag,
		RequestId:      requestIDOr(p.RequestID),
	}
	resp, err := invoke(ctx, c, c.vclusters.SuspendVCluster, req, req.RequestId)
	if err != nil {
		return nil, err
	}
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseSuspended)
	}
	return resp.GetVcluster(), nil
}

// ResumeParams are the optional arguments of ResumeVCluster.
type ResumeParams struct {
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// Wait returns only once the vcluster is RUNNING.
	Wait bool
}

// ResumeVCluster resumes (powers on) a SUSPENDED vcluster: RESUMING, then
// RUNNING. Resuming a running (or resuming) vcluster is a no-op that returns
// it. p may be nil.
//
// Errors: FAILED_PRECONDITION in another phase; NOT_FOUND; ABORTED.
func (c *Client) ResumeVCluster(ctx context.Context, namespace, name string, p *ResumeParams) (*VCluster, error) {
	if p == nil {
		p = &ResumeParams{}
	}
	req := &openvclusterv1.ResumeVClusterRequest{
		Namespace: namespace,
		Name:      name,
		Etag:      p.Etag,
		RequestId: requestIDOr(p.RequestID),
	}
	resp, err := invoke(ctx, c, c.vclusters.ResumeVCluster, req, req.RequestId)
	if err != nil {
		return nil, err
	}
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseRunning)
	}
	return resp.GetVcluster(), nil
}

// SnapshotParams are the optional arguments of SnapshotVCluster.
type SnapshotParams struct {
	// SnapshotName names the snapshot (a DNS-1123 label unique in the
	// namespace); empty lets the server choose one.
	SnapshotName string
	// Description is free text, at most 1024 characters.
	Description string
	// Labels of the snapshot.
	Labels map[string]string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// Wait returns the snapshot only once it is READY.
	Wait bool
}

// SnapshotVCluster takes a snapshot of a RUNNING or SUSPENDED vcluster (its
// phase does not change). The snapshot starts PENDING and becomes READY on
// its own. p may be nil.
//
// Errors: INVALID_ARGUMENT; ALREADY_EXISTS; FAILED_PRECONDITION in another
// phase; NOT_FOUND; RESOURCE_EXHAUSTED; with Wait, *SnapshotFailedError and
// *WaitTimeoutError.
func (c *Client) SnapshotVCluster(ctx context.Context, namespace, name string, p *SnapshotParams) (*Snapshot, error) {
	if p == nil {
		p = &SnapshotParams{}
	}
	req := &openvclusterv1.SnapshotVClusterRequest{
		Namespace:    namespace,
		Name:         name,
		SnapshotName: p.SnapshotName,
		Description:  p.Description,
		Labels:       maps.Clone(p.Labels),
		RequestId:    requestIDOr(p.RequestID),
	}
	resp, err := invoke(ctx, c, c.vclusters.SnapshotVCluster, req, req.RequestId)
	if err != nil {
		return nil, err
	}
	if p.Wait {
		s := resp.GetSnapshot()
		return c.WaitForSnapshot(ctx, s.GetNamespace(), s.GetName(), SnapshotReady)
	}
	return resp.GetSnapshot(), nil
}

// RestoreParams are the optional arguments of RestoreVCluster.
type RestoreParams struct {
	// TargetName creates a new vcluster of this name from the snapshot;
	// empty restores the snapshot's source vcluster in place.
	TargetName string
	// Etag makes an in-place restore conditional: ABORTED unless it is
	// current. Must be empty with TargetName.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// Wait returns only once the restored vcluster is RUNNING.
	Wait bool
}

// RestoreVCluster restores a READY snapshot. In place (no TargetName), the
// source vcluster goes through RESTORING and ends RUNNING with the
// snapshot's spec; to a new name, a vcluster is created through
// PROVISIONING. p may be nil.
//
// Errors: NOT_FOUND; FAILED_PRECONDITION; ALREADY_EXISTS; ABORTED;
// RESOURCE_EXHAUSTED.
func (c *Client) RestoreVCluster(ctx context.Context, namespace, snapshotName string, p *RestoreParams) (*VCluster, error) {
	if p == nil {
		p = &RestoreParams{}
	}
	req := &openvclusterv1.RestoreVClusterRequest{
		Namespace:    namespace,
		SnapshotName: snapshotName,
		TargetName:   p.TargetName,
		Etag:         p.Etag,
		RequestId:    requestIDOr(p.RequestID),
	}
	resp, err := invoke(ctx, c, c.vclusters.RestoreVCluster, req, req.RequestId)
	if err != nil {
		return nil, err
	}
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseRunning)
	}
	return resp.GetVcluster(), nil
}

// GetVClusterKubeconfig returns the kubeconfig YAML of a vcluster's API
// server, ready for kubectl. It grants admin access to the vcluster, so it
// needs an editor token.
//
// Errors: NOT_FOUND; FAILED_PRECONDITION while the vcluster has no usable
// API server (PROVISIONING, DELETING, FAILED); PERMISSION_DENIED for a viewer.
func (c *Client) GetVClusterKubeconfig(ctx context.Context, namespace, name string) (string, error) {
	req := &openvclusterv1.GetVClusterKubeconfigRequest{Namespace: namespace, Name: name}
	resp, err := invoke(ctx, c, c.vclusters.GetVClusterKubeconfig, req, "")
	if err != nil {
		return "", err
	}
	return resp.GetVcluster().GetStatus().GetKubeconfig(), nil
}

func mergeResources(base *Resources, cpu, memory, storage string) *Resources {
	r := &Resources{}
	if base != nil {
		r = proto.CloneOf(base)
	}
	if cpu != "" {
		r.Cpu = cpu
	}
	if memory != "" {
		r.Memory = memory
	}
	if storage != "" {
		r.Storage = storage
	}
	return r
}
