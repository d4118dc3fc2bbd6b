package openvcluster

import (
	"context"
	"maps"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// CreateVClusterParams are the optional arguments of CreateVCluster. Give
// the spec as friendly fields (CPU: "2", Memory: "4Gi"), as a Spec message,
// or both: the non-zero friendly fields override the message. Settings left
// empty take server defaults, and the returned spec shows them.
type CreateVClusterParams struct {
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
	// DeletionProtection guards the new vcluster against deletion:
	// DeleteVCluster is FAILED_PRECONDITION (reason DELETION_PROTECTED)
	// until UpdateVCluster turns it off.
	DeletionProtection bool
	// SleepSchedule suspends and resumes the new vcluster at set times (as
	// the identity "system:scheduler"), its crons read in its TimeZone
	// (empty: "UTC"); nil keeps the one of Spec, by default none.
	SleepSchedule *SleepSchedule
	// ExpireTime, when not zero, is when the server deletes the new
	// vcluster; it must be in the future. Under DeletionProtection the
	// vcluster is kept instead, with the condition "Expired".
	ExpireTime time.Time
	// DeleteSnapshotsOnExpiry also deletes the vcluster's snapshots when
	// it expires; by default they are kept, restorable to a new name.
	DeleteSnapshotsOnExpiry bool
	// ValidateOnly checks everything (validation, existence, quota) and
	// creates nothing.
	ValidateOnly bool
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins: not with ValidateOnly, nor
	// when the call fails.
	OnOperation func(operationID string)
	// Wait returns only once the vcluster is RUNNING (not with ValidateOnly).
	Wait bool
}

// CreateVCluster creates a vcluster; it starts PROVISIONING and becomes
// RUNNING on its own. p may be nil.
//
// Errors: INVALID_ARGUMENT (Error.FieldViolations names every bad field,
// such as "spec.sleep_schedule.suspend_cron" for a bad cron or
// "spec.expire_time" for a time already past), ALREADY_EXISTS,
// RESOURCE_EXHAUSTED (quota); with Wait, the wait helpers' errors.
func (c *Client) CreateVCluster(ctx context.Context, namespace, name string, p *CreateVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &CreateVClusterParams{}
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
	if p.DeletionProtection {
		spec.DeletionProtection = true
	}
	setLifetime(spec, p)
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
		RequestId:    p.RequestID,
	}
	resp, err := invoke(ctx, c, c.vclusters.CreateVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait && !p.ValidateOnly {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseRunning)
	}
	return resp.GetVcluster(), nil
}

// setLifetime sets the sleep schedule and the expiry p gives on spec,
// leaving those p leaves empty as spec has them.
func setLifetime(spec *VClusterSpec, p *CreateVClusterParams) {
	if p.SleepSchedule != nil {
		spec.SleepSchedule = proto.CloneOf(p.SleepSchedule)
	}
	if !p.ExpireTime.IsZero() {
		spec.ExpireTime = timestampOf(p.ExpireTime)
	}
	if p.DeleteSnapshotsOnExpiry {
		spec.DeleteSnapshotsOnExpiry = true
	}
}

// GetVCluster returns a vcluster. Its Status.Kubeconfig is always empty (see
// GetKubeconfig). Errors: NOT_FOUND.
func (c *Client) GetVCluster(ctx context.Context, namespace, name string) (*VCluster, error) {
	req := &openvclusterv1.GetVClusterRequest{Namespace: namespace, Name: name}
	resp, err := invoke(ctx, c, c.vclusters.GetVCluster, req)
	return resp.GetVcluster(), err
}

// DeleteVClusterParams are the optional arguments of DeleteVCluster.
type DeleteVClusterParams struct {
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
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins; not when the call fails.
	OnOperation func(operationID string)
	// Wait returns only once the vcluster is gone.
	Wait bool
}

// DeleteVCluster deletes a vcluster: it goes through DELETING and is then
// gone. It returns the vcluster in DELETING. p may be nil.
//
// Errors: NOT_FOUND; FAILED_PRECONDITION with Reason "DELETION_PROTECTED"
// while the vcluster's Spec.DeletionProtection is set (turn it off with
// UpdateVCluster first); ABORTED for a stale etag.
func (c *Client) DeleteVCluster(ctx context.Context, namespace, name string, p *DeleteVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &DeleteVClusterParams{}
	}
	req := &openvclusterv1.DeleteVClusterRequest{
		Namespace:       namespace,
		Name:            name,
		Etag:            p.Etag,
		DeleteSnapshots: p.DeleteSnapshots,
		KeepData:        p.KeepData,
		RequestId:       p.RequestID,
	}
	resp, err := invoke(ctx, c, c.vclusters.DeleteVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait {
		w := c.newVClusterWaiter(namespace, name, nil)
		w.lastSeen = resp.GetVcluster()
		if err := c.runVClusterWaiter(ctx, w); err != nil {
			return nil, err
		}
	}
	return resp.GetVcluster(), nil
}

// Update mask paths of UpdateVCluster: the fields an update can change.
const (
	// UpdatePathLabels replaces every label of the vcluster.
	UpdatePathLabels = "labels"
	// UpdatePathKubernetesVersion upgrades the vcluster's Kubernetes version.
	UpdatePathKubernetesVersion = "spec.kubernetes_version"
	// UpdatePathDeletionProtection sets or clears the vcluster's deletion
	// protection.
	UpdatePathDeletionProtection = "spec.deletion_protection"
	// UpdatePathSleepSchedule replaces the vcluster's whole sleep schedule;
	// named with no schedule, or an empty one, it clears the schedule.
	UpdatePathSleepSchedule = "spec.sleep_schedule"
	// UpdatePathExpireTime sets the vcluster's expiry; named with no expiry
	// given, it clears the expiry.
	UpdatePathExpireTime = "spec.expire_time"
	// UpdatePathDeleteSnapshotsOnExpiry sets or clears whether the deletion
	// at the expiry also deletes the vcluster's snapshots.
	UpdatePathDeleteSnapshotsOnExpiry = "spec.delete_snapshots_on_expiry"
)

// UpdateVClusterParams are the arguments of UpdateVCluster. Each change
// field is a pointer: nil leaves that field of the vcluster as it is, and a
// non-nil one changes it, even to its empty value (an empty map removes
// every label, false turns protection off, an empty SleepSchedule removes
// the schedule, the zero time removes the expiry). The update mask sent is
// the list of the fields given, unless UpdateMask says otherwise.
type UpdateVClusterParams struct {
	// Labels are the new labels; they replace every current label. nil
	// keeps the labels; a pointer to an empty (or nil) map removes them
	// all: Labels: &map[string]string{} (the update mask gets "labels").
	Labels *map[string]string
	// KubernetesVersion is a new Kubernetes version ("1.32", "1.31.4"),
	// which makes the update an upgrade: the vcluster goes from RUNNING
	// through UPGRADING back to RUNNING. One minor version at a time, or a
	// newer patch of the same minor; the same version changes nothing.
	// nil keeps the version (the update mask gets "spec.kubernetes_version").
	KubernetesVersion *string
	// DeletionProtection sets (new(true)) or clears (new(false)) the
	// vcluster's deletion protection; nil keeps it (the update mask gets
	// "spec.deletion_protection").
	DeletionProtection *bool
	// SleepSchedule replaces the whole sleep schedule (a cron left empty
	// is no action of that kind); an empty one, &SleepSchedule{}, clears
	// the schedule, and nil keeps it (the update mask gets
	// "spec.sleep_schedule"). The next times are counted from the update.
	SleepSchedule *SleepSchedule
	// ExpireTime is a new expiry: when the server deletes the vcluster (a
	// time already past deletes it within seconds). nil keeps the expiry.
	// To clear it, name UpdatePathExpireTime in UpdateMask and give no
	// ExpireTime; a pointer to the zero time.Time clears it too (the
	// update mask gets "spec.expire_time", with no expiry sent).
	ExpireTime *time.Time
	// DeleteSnapshotsOnExpiry sets (new(true)) or clears (new(false))
	// whether the deletion at the expiry also deletes the vcluster's
	// snapshots; nil keeps it (the update mask gets
	// "spec.delete_snapshots_on_expiry").
	DeleteSnapshotsOnExpiry *bool
	// UpdateMask, when not empty, is sent as the update mask as it is,
	// instead of the one derived from the fields given above (the fields
	// it names take their values from those fields, empty when not given,
	// which clears them: UpdateMask: []string{UpdatePathExpireTime} alone
	// removes the expiry). The paths the server accepts are the
	// UpdatePath constants.
	UpdateMask []string
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// ValidateOnly checks the update (validation, existence, phase, upgrade
	// rules) and answers what the vcluster would become, changing nothing.
	ValidateOnly bool
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins: not with ValidateOnly, nor
	// when the call fails.
	OnOperation func(operationID string)
	// Wait returns an upgraded vcluster only once it is RUNNING again (an
	// update that changes no version returns at once; not with
	// ValidateOnly). The wait is bounded by ctx and the client's wait
	// timeout (WithWaitTimeout).
	Wait bool
}

// UpdateVCluster changes a vcluster's labels, deletion protection, sleep
// schedule, expiry or Kubernetes version, those given in p; what p leaves
// out (nil) is left as it is. With no change given the update mask is
// empty and the server answers INVALID_ARGUMENT: the client does not
// refuse it itself.
//
// Labels, deletion protection, the sleep schedule and the expiry change at
// once, in RUNNING, SUSPENDED or FAILED, and the phase does not change. A
// new KubernetesVersion is an upgrade, from RUNNING only: the vcluster is
// returned in UPGRADING and ends RUNNING with the new version on its own
// (or FAILED, Status.Message saying why); set Wait, or call WaitForPhase,
// to wait for it. An update that changes nothing keeps the etag.
//
// Errors: INVALID_ARGUMENT for an empty update mask (field "update_mask"),
// another path (field "update_mask.paths"), bad labels
// ("vcluster.labels[KEY]"), a bad cron or time zone
// ("vcluster.spec.sleep_schedule.suspend_cron", ...) or an unsupported or
// malformed version ("vcluster.spec.kubernetes_version");
// FAILED_PRECONDITION with Reason "INVALID_PHASE" in another phase, or
// "UPGRADE_NOT_ALLOWED" for a downgrade or a skipped minor version
// (Metadata "current", "requested" and "allowed", the next minor version
// allowed); NOT_FOUND; ABORTED for a stale etag; PERMISSION_DENIED for a
// viewer; with Wait, *VClusterFailedError and *WaitTimeoutError.
func (c *Client) UpdateVCluster(ctx context.Context, namespace, name string, p *UpdateVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &UpdateVClusterParams{}
	}
	vc := &VCluster{Namespace: namespace, Name: name}
	var paths []string
	if p.Labels != nil {
		paths = append(paths, UpdatePathLabels)
		vc.Labels = maps.Clone(*p.Labels)
	}
	if spec, specPaths := updateSpec(p); len(specPaths) > 0 {
		vc.Spec = spec
		paths = append(paths, specPaths...)
	}
	if len(p.UpdateMask) > 0 {
		paths = append([]string(nil), p.UpdateMask...)
	}
	req := &openvclusterv1.UpdateVClusterRequest{
		Vcluster:     vc,
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: paths},
		Etag:         p.Etag,
		ValidateOnly: p.ValidateOnly,
		RequestId:    p.RequestID,
	}
	resp, err := invoke(ctx, c, c.vclusters.UpdateVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait && !p.ValidateOnly {
		return c.waitFrom(ctx, resp.GetVcluster(), RestingPhase(resp.GetVcluster().GetStatus().GetPhase()))
	}
	return resp.GetVcluster(), nil
}

// updateSpec is the spec an update sends for the spec fields p gives, and
// their mask paths, in the order of UpdateVClusterParams.
func updateSpec(p *UpdateVClusterParams) (*VClusterSpec, []string) {
	spec := &VClusterSpec{}
	var paths []string
	if p.KubernetesVersion != nil {
		paths = append(paths, UpdatePathKubernetesVersion)
		spec.KubernetesVersion = *p.KubernetesVersion
	}
	if p.DeletionProtection != nil {
		paths = append(paths, UpdatePathDeletionProtection)
		spec.DeletionProtection = *p.DeletionProtection
	}
	if p.SleepSchedule != nil {
		paths = append(paths, UpdatePathSleepSchedule)
		spec.SleepSchedule = proto.CloneOf(p.SleepSchedule)
	}
	if p.ExpireTime != nil {
		paths = append(paths, UpdatePathExpireTime)
		spec.ExpireTime = timestampOf(*p.ExpireTime)
	}
	if p.DeleteSnapshotsOnExpiry != nil {
		paths = append(paths, UpdatePathDeleteSnapshotsOnExpiry)
		spec.DeleteSnapshotsOnExpiry = *p.DeleteSnapshotsOnExpiry
	}
	return spec, paths
}

// timestampOf is t as a Timestamp, nil (no expiry) for the zero time: sent
// as it is, the zero time would be year 1, an expiry long past, which
// deletes the vcluster at once instead of clearing its expiry.
func timestampOf(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// UpgradeVClusterParams are the optional arguments of UpgradeVCluster.
type UpgradeVClusterParams struct {
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins; not when the call fails.
	OnOperation func(operationID string)
	// Wait returns only once the vcluster is RUNNING with the new version.
	// The wait is bounded by ctx and the client's wait timeout
	// (WithWaitTimeout).
	Wait bool
}

// UpgradeVCluster moves a RUNNING vcluster to another Kubernetes version
// ("1.32", or a newer patch such as "1.31.4"): an UpdateVCluster of only
// its version. The vcluster is returned in UPGRADING and ends RUNNING with
// the new version on its own; asking for the version it has changes
// nothing. p may be nil.
//
// Errors: INVALID_ARGUMENT for an unsupported or malformed version (field
// "vcluster.spec.kubernetes_version"); FAILED_PRECONDITION with Reason
// "INVALID_PHASE" when the vcluster is not RUNNING, or
// "UPGRADE_NOT_ALLOWED" for a downgrade or a skipped minor version
// (Metadata "current", "requested" and "allowed"); NOT_FOUND; ABORTED;
// with Wait, *VClusterFailedError and *WaitTimeoutError.
func (c *Client) UpgradeVCluster(ctx context.Context, namespace, name, version string, p *UpgradeVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &UpgradeVClusterParams{}
	}
	return c.UpdateVCluster(ctx, namespace, name, &UpdateVClusterParams{
		KubernetesVersion: &version,
		Etag:              p.Etag,
		RequestID:         p.RequestID,
		OnOperation:       p.OnOperation,
		Wait:              p.Wait,
	})
}

// ScaleVClusterParams are the arguments of ScaleVCluster; what is left out
// keeps its current value. At least one of the resources, Replicas or
// EnableHA must be set.
type ScaleVClusterParams struct {
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
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins; not when the call fails.
	OnOperation func(operationID string)
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
func (c *Client) ScaleVCluster(ctx context.Context, namespace, name string, p *ScaleVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &ScaleVClusterParams{}
	}
	req := &openvclusterv1.ScaleVClusterRequest{
		Namespace: namespace,
		Name:      name,
		Replicas:  p.Replicas,
		EnableHa:  p.EnableHA,
		Etag:      p.Etag,
		RequestId: p.RequestID,
	}
	if p.Resources != nil || p.CPU != "" || p.Memory != "" || p.Storage != "" {
		req.Resources = mergeResources(p.Resources, p.CPU, p.Memory, p.Storage)
	}
	resp, err := invoke(ctx, c, c.vclusters.ScaleVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), RestingPhase(resp.GetVcluster().GetStatus().GetPhase()))
	}
	return resp.GetVcluster(), nil
}

// SuspendVClusterParams are the optional arguments of SuspendVCluster.
type SuspendVClusterParams struct {
	// DrainWorkloads evicts the workloads gracefully before the control
	// plane stops.
	DrainWorkloads bool
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins; not when the call fails.
	OnOperation func(operationID string)
	// Wait returns only once the vcluster is SUSPENDED.
	Wait bool
}

// SuspendVCluster suspends (powers off) a RUNNING vcluster: SUSPENDING, then
// SUSPENDED, its state kept. Suspending a suspended (or suspending) vcluster
// is a no-op that returns it. p may be nil.
//
// Errors: FAILED_PRECONDITION in another phase; NOT_FOUND; ABORTED.
func (c *Client) SuspendVCluster(ctx context.Context, namespace, name string, p *SuspendVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &SuspendVClusterParams{}
	}
	req := &openvclusterv1.SuspendVClusterRequest{
		Namespace:      namespace,
		Name:           name,
		DrainWorkloads: p.DrainWorkloads,
		Etag:           p.Etag,
		RequestId:      p.RequestID,
	}
	resp, err := invoke(ctx, c, c.vclusters.SuspendVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseSuspended)
	}
	return resp.GetVcluster(), nil
}

// ResumeVClusterParams are the optional arguments of ResumeVCluster.
type ResumeVClusterParams struct {
	// Etag makes the call conditional: ABORTED unless it is current.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins; not when the call fails.
	OnOperation func(operationID string)
	// Wait returns only once the vcluster is RUNNING.
	Wait bool
}

// ResumeVCluster resumes (powers on) a SUSPENDED vcluster: RESUMING, then
// RUNNING. Resuming a running (or resuming) vcluster is a no-op that returns
// it. p may be nil.
//
// Errors: FAILED_PRECONDITION in another phase; NOT_FOUND; ABORTED.
func (c *Client) ResumeVCluster(ctx context.Context, namespace, name string, p *ResumeVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &ResumeVClusterParams{}
	}
	req := &openvclusterv1.ResumeVClusterRequest{
		Namespace: namespace,
		Name:      name,
		Etag:      p.Etag,
		RequestId: p.RequestID,
	}
	resp, err := invoke(ctx, c, c.vclusters.ResumeVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseRunning)
	}
	return resp.GetVcluster(), nil
}

// SnapshotVClusterParams are the optional arguments of SnapshotVCluster.
type SnapshotVClusterParams struct {
	// SnapshotName names the snapshot (a DNS-1123 label unique in the
	// namespace); empty lets the server choose one.
	SnapshotName string
	// Description is free text, at most 1024 characters.
	Description string
	// Labels of the snapshot.
	Labels map[string]string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins; not when the call fails.
	OnOperation func(operationID string)
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
func (c *Client) SnapshotVCluster(ctx context.Context, namespace, name string, p *SnapshotVClusterParams) (*Snapshot, error) {
	if p == nil {
		p = &SnapshotVClusterParams{}
	}
	req := &openvclusterv1.SnapshotVClusterRequest{
		Namespace:    namespace,
		Name:         name,
		SnapshotName: p.SnapshotName,
		Description:  p.Description,
		Labels:       maps.Clone(p.Labels),
		RequestId:    p.RequestID,
	}
	resp, err := invoke(ctx, c, c.vclusters.SnapshotVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait {
		s := resp.GetSnapshot()
		return c.WaitForSnapshot(ctx, s.GetNamespace(), s.GetName(), SnapshotReady)
	}
	return resp.GetSnapshot(), nil
}

// RestoreVClusterParams are the optional arguments of RestoreVCluster.
type RestoreVClusterParams struct {
	// TargetName creates a new vcluster of this name from the snapshot;
	// empty restores the snapshot's source vcluster in place.
	TargetName string
	// Etag makes an in-place restore conditional: ABORTED unless it is
	// current. Must be empty with TargetName.
	Etag string
	// RequestID is the idempotency key; empty lets the client make one.
	RequestID string
	// OnOperation, when set, is called once with the id of the Operation
	// recording the call (GetOperation), as soon as the server has
	// accepted it and before any wait begins; not when the call fails.
	OnOperation func(operationID string)
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
func (c *Client) RestoreVCluster(ctx context.Context, namespace, snapshotName string, p *RestoreVClusterParams) (*VCluster, error) {
	if p == nil {
		p = &RestoreVClusterParams{}
	}
	req := &openvclusterv1.RestoreVClusterRequest{
		Namespace:    namespace,
		SnapshotName: snapshotName,
		TargetName:   p.TargetName,
		Etag:         p.Etag,
		RequestId:    p.RequestID,
	}
	resp, err := invoke(ctx, c, c.vclusters.RestoreVCluster, req)
	if err != nil {
		return nil, err
	}
	reportOperation(p.OnOperation, resp.GetOperationId())
	if p.Wait {
		return c.waitFrom(ctx, resp.GetVcluster(), PhaseRunning)
	}
	return resp.GetVcluster(), nil
}

// GetKubeconfig returns the kubeconfig YAML of a vcluster's API server,
// ready for kubectl (the GetVClusterKubeconfig RPC). It grants admin access
// to the vcluster, so it needs an editor token.
//
// Errors: NOT_FOUND; FAILED_PRECONDITION while the vcluster has no usable
// API server (PROVISIONING, DELETING, FAILED); PERMISSION_DENIED for a viewer.
func (c *Client) GetKubeconfig(ctx context.Context, namespace, name string) (string, error) {
	req := &openvclusterv1.GetVClusterKubeconfigRequest{Namespace: namespace, Name: name}
	resp, err := invoke(ctx, c, c.vclusters.GetVClusterKubeconfig, req)
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
