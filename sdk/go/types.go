package openvcluster

import openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"

// The resources of the API are the generated messages themselves, so a value
// the client returns can be passed to generated stubs, protojson or proto.Equal
// without conversion. These aliases only save importing the gen package.
type (
	// VCluster is a virtual Kubernetes cluster; see the proto's doc comments.
	VCluster = openvclusterv1.VCluster
	// VClusterSpec is the desired configuration of a vcluster.
	VClusterSpec = openvclusterv1.VClusterSpec
	// VClusterStatus is the observed state of a vcluster.
	VClusterStatus = openvclusterv1.VClusterStatus
	// Resources are CPU, memory and storage as Kubernetes quantity strings.
	Resources = openvclusterv1.Resources
	// NetworkSpec is the networking of a vcluster's API server.
	NetworkSpec = openvclusterv1.NetworkSpec
	// StorageSpec is the persistent storage of a vcluster's control plane.
	StorageSpec = openvclusterv1.StorageSpec
	// SleepSchedule is when the server suspends and resumes a vcluster on
	// its own: cron expressions read in a time zone. An empty one is no
	// schedule.
	SleepSchedule = openvclusterv1.SleepSchedule
	// Condition is one aspect of a vcluster's state, such as "Ready".
	Condition = openvclusterv1.Condition
	// ResourceUsage is what a vcluster currently uses.
	ResourceUsage = openvclusterv1.ResourceUsage
	// Snapshot is a point-in-time copy of a vcluster.
	Snapshot = openvclusterv1.Snapshot
	// WatchEvent is one event of WatchVClusters: its Type and the VCluster.
	WatchEvent = openvclusterv1.WatchVClustersResponse
	// VClusterUsage is what one vcluster requests and uses at one moment
	// (GetVClusterUsage).
	VClusterUsage = openvclusterv1.VClusterUsage
	// UsageFigure is one figure of a VClusterUsage; when Available is false
	// the figure is unknown (Reason says why), not zero.
	UsageFigure = openvclusterv1.UsageFigure
	// FleetSummary is the state of the vclusters a caller may see
	// (GetFleetSummary).
	FleetSummary = openvclusterv1.FleetSummary
	// PhaseCount is how many vclusters of a summary are in one phase.
	PhaseCount = openvclusterv1.PhaseCount
	// NamespaceSummary is one namespace of a FleetSummary: its vclusters,
	// their requested totals and its quota.
	NamespaceSummary = openvclusterv1.NamespaceSummary
	// NamespaceQuota is the limits of a namespace as configured on the
	// server; an empty or zero limit is not enforced.
	NamespaceQuota = openvclusterv1.NamespaceQuota
	// VClusterMention is a vcluster named in a FleetSummary (suspended
	// longest, or failed), with its status message and since when.
	VClusterMention = openvclusterv1.VClusterMention
	// ServerInfo is what a server decides and who the caller is
	// (GetServerInfo): version, backend, Kubernetes versions, spec
	// defaults, limits and caller.
	ServerInfo = openvclusterv1.ServerInfo
	// ServerLimits is the limits of a ServerInfo: default and largest page
	// size, largest message, and the quotas of the namespaces the caller
	// may see ("*" for every other namespace).
	ServerLimits = openvclusterv1.ServerLimits
	// Caller is who a call's token says the caller is: its name, role and
	// namespaces. It never holds the token itself.
	Caller = openvclusterv1.Caller
	// Operation is the record of one accepted mutation (GetOperation,
	// ListOperations): who asked for what and when, its State, the error
	// it failed with and the phases it went through (Progress).
	Operation = openvclusterv1.Operation
	// OperationProgress is one step of an Operation: a phase its vcluster
	// or snapshot entered ("PROVISIONING", "RUNNING", "DELETED", ...),
	// when, and what the server said about it.
	OperationProgress = openvclusterv1.Operation_Progress

	// Phase is the lifecycle phase of a vcluster.
	Phase = openvclusterv1.VCluster_Phase
	// SnapshotPhase is the lifecycle phase of a snapshot.
	SnapshotPhase = openvclusterv1.Snapshot_Phase
	// OperationState is how far an Operation is.
	OperationState = openvclusterv1.Operation_State
	// EventType says what a WatchEvent reports.
	EventType = openvclusterv1.WatchVClustersResponse_EventType
	// Distro is the Kubernetes distribution of a vcluster's control plane.
	Distro = openvclusterv1.VClusterSpec_Distro
	// ExposeType is how a vcluster's API server is exposed.
	ExposeType = openvclusterv1.NetworkSpec_ExposeType
)

// Vcluster phases. Intermediate phases (Provisioning, Scaling, Suspending,
// Resuming, Restoring, Upgrading, Deleting) end on their own.
const (
	PhaseUnspecified  = openvclusterv1.VCluster_PHASE_UNSPECIFIED
	PhaseProvisioning = openvclusterv1.VCluster_PHASE_PROVISIONING
	PhaseRunning      = openvclusterv1.VCluster_PHASE_RUNNING
	PhaseScaling      = openvclusterv1.VCluster_PHASE_SCALING
	PhaseSuspending   = openvclusterv1.VCluster_PHASE_SUSPENDING
	PhaseSuspended    = openvclusterv1.VCluster_PHASE_SUSPENDED
	PhaseResuming     = openvclusterv1.VCluster_PHASE_RESUMING
	PhaseRestoring    = openvclusterv1.VCluster_PHASE_RESTORING
	PhaseDeleting     = openvclusterv1.VCluster_PHASE_DELETING
	PhaseFailed       = openvclusterv1.VCluster_PHASE_FAILED
	PhaseUpgrading    = openvclusterv1.VCluster_PHASE_UPGRADING
)

// Snapshot phases. Pending and InProgress end on their own in Ready or Failed.
const (
	SnapshotPhaseUnspecified = openvclusterv1.Snapshot_PHASE_UNSPECIFIED
	SnapshotPending          = openvclusterv1.Snapshot_PHASE_PENDING
	SnapshotInProgress       = openvclusterv1.Snapshot_PHASE_IN_PROGRESS
	SnapshotReady            = openvclusterv1.Snapshot_PHASE_READY
	SnapshotFailed           = openvclusterv1.Snapshot_PHASE_FAILED
)

// Operation states. OperationRunning ends on its own in OperationSucceeded
// or OperationFailed (Operation.Error says why).
const (
	OperationStateUnspecified = openvclusterv1.Operation_STATE_UNSPECIFIED
	OperationRunning          = openvclusterv1.Operation_STATE_RUNNING
	OperationSucceeded        = openvclusterv1.Operation_STATE_SUCCEEDED
	OperationFailed           = openvclusterv1.Operation_STATE_FAILED
)

// Watch event types. EventSynced comes once, after the Added events of the
// vclusters that existed when the watch started, and carries no vcluster.
const (
	EventAdded    = openvclusterv1.WatchVClustersResponse_EVENT_TYPE_ADDED
	EventModified = openvclusterv1.WatchVClustersResponse_EVENT_TYPE_MODIFIED
	EventDeleted  = openvclusterv1.WatchVClustersResponse_EVENT_TYPE_DELETED
	EventSynced   = openvclusterv1.WatchVClustersResponse_EVENT_TYPE_SYNCED
)

// Distributions of the control plane; unspecified means DistroK8s.
const (
	DistroK8s = openvclusterv1.VClusterSpec_DISTRO_K8S
	DistroK3s = openvclusterv1.VClusterSpec_DISTRO_K3S
	DistroK0s = openvclusterv1.VClusterSpec_DISTRO_K0S
)

// Expose types of the API server; unspecified means ExposeClusterIP.
const (
	ExposeClusterIP    = openvclusterv1.NetworkSpec_EXPOSE_TYPE_CLUSTER_IP
	ExposeNodePort     = openvclusterv1.NetworkSpec_EXPOSE_TYPE_NODE_PORT
	ExposeLoadBalancer = openvclusterv1.NetworkSpec_EXPOSE_TYPE_LOAD_BALANCER
	ExposeIngress      = openvclusterv1.NetworkSpec_EXPOSE_TYPE_INGRESS
)
