package openvcluster_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// TestLifecycle takes one vcluster through every mutation, each waited for
// with the Wait field, and checks the state the server reports after each.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)

	vc, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{
		KubernetesVersion: "1.31",
		CPU:               "2",
		Memory:            "4Gi",
		Labels:            map[string]string{"app": "demo"},
		Wait:              true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if vc.GetStatus().GetPhase() != openvcluster.PhaseRunning {
		t.Fatalf("created vcluster is %s, want RUNNING", vc.GetStatus().GetPhase())
	}
	spec := vc.GetSpec()
	if spec.GetKubernetesVersion() != "1.31" || spec.GetResources().GetCpu() != "2" || spec.GetResources().GetMemory() != "4Gi" {
		t.Errorf("spec = %v", spec)
	}
	if vc.GetLabels()["app"] != "demo" || vc.GetUid() == "" || vc.GetEtag() == "" {
		t.Errorf("vcluster = %v", vc)
	}

	got, err := c.GetVCluster(ctx, ns, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, vc) {
		t.Errorf("GetVCluster = %v, want %v", got, vc)
	}

	vc, err = c.ScaleVCluster(ctx, ns, "dev", &openvcluster.ScaleVClusterParams{CPU: "4", Memory: "8Gi", Replicas: 3, EnableHA: new(true), Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	if vc.GetStatus().GetPhase() != openvcluster.PhaseRunning || vc.GetSpec().GetResources().GetCpu() != "4" ||
		vc.GetSpec().GetReplicas() != 3 || !vc.GetSpec().GetEnableHa() {
		t.Errorf("scaled = %v", vc)
	}

	vc, err = c.SuspendVCluster(ctx, ns, "dev", &openvcluster.SuspendVClusterParams{DrainWorkloads: true, Wait: true})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseSuspended {
		t.Fatalf("suspend = %v, %v", vc, err)
	}
	// Scaling a suspended vcluster stores the spec and stays SUSPENDED.
	vc, err = c.ScaleVCluster(ctx, ns, "dev", &openvcluster.ScaleVClusterParams{Memory: "6Gi", Wait: true})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseSuspended || vc.GetSpec().GetResources().GetMemory() != "6Gi" {
		t.Fatalf("scale while suspended = %v, %v", vc, err)
	}
	vc, err = c.ResumeVCluster(ctx, ns, "dev", &openvcluster.ResumeVClusterParams{Etag: vc.GetEtag(), Wait: true})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseRunning {
		t.Fatalf("resume = %v, %v", vc, err)
	}

	snap, err := c.SnapshotVCluster(ctx, ns, "dev", &openvcluster.SnapshotVClusterParams{
		SnapshotName: "before", Description: "first", Labels: map[string]string{"k": "v"}, Wait: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if snap.GetPhase() != openvcluster.SnapshotReady || snap.GetName() != "before" || snap.GetVcluster() != "dev" ||
		snap.GetDescription() != "first" || snap.GetSourceSpec().GetResources().GetMemory() != "6Gi" {
		t.Errorf("snapshot = %v", snap)
	}
	got2, err := c.GetSnapshot(ctx, ns, "before")
	if err != nil || !proto.Equal(got2, snap) {
		t.Errorf("GetSnapshot = %v, %v", got2, err)
	}

	if _, err := c.ScaleVCluster(ctx, ns, "dev", &openvcluster.ScaleVClusterParams{CPU: "1", Wait: true}); err != nil {
		t.Fatal(err)
	}
	vc, err = c.RestoreVCluster(ctx, ns, "before", &openvcluster.RestoreVClusterParams{Wait: true})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseRunning || vc.GetSpec().GetResources().GetCpu() != "4" {
		t.Fatalf("restore in place = %v, %v", vc, err)
	}
	copied, err := c.RestoreVCluster(ctx, ns, "before", &openvcluster.RestoreVClusterParams{TargetName: "copy", Wait: true})
	if err != nil || copied.GetName() != "copy" || copied.GetStatus().GetPhase() != openvcluster.PhaseRunning {
		t.Fatalf("restore to new name = %v, %v", copied, err)
	}

	kubeconfig, err := c.GetKubeconfig(ctx, ns, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(kubeconfig, "kind: Config") {
		t.Errorf("kubeconfig = %q", kubeconfig)
	}

	deleting, err := c.DeleteVCluster(ctx, ns, "copy", nil)
	if err != nil || deleting.GetStatus().GetPhase() != openvcluster.PhaseDeleting {
		t.Fatalf("delete = %v, %v", deleting, err)
	}
	if err := c.WaitForDeletion(ctx, ns, "copy"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteVCluster(ctx, ns, "dev", &openvcluster.DeleteVClusterParams{DeleteSnapshots: true, Wait: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetVCluster(ctx, ns, "dev"); !openvcluster.IsNotFound(err) {
		t.Errorf("GetVCluster after delete: %v, want NOT_FOUND", err)
	}
	if _, err := c.GetSnapshot(ctx, ns, "before"); !openvcluster.IsNotFound(err) {
		t.Errorf("snapshot after delete with DeleteSnapshots: %v, want NOT_FOUND", err)
	}
}

func TestCreateMergesSpecAndFriendlyFields(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	vc, err := c.CreateVCluster(ctx, ns, "merged", &openvcluster.CreateVClusterParams{
		Spec: &openvcluster.VClusterSpec{
			Resources: &openvcluster.Resources{Cpu: "3", Memory: "1Gi"},
			Network:   &openvcluster.NetworkSpec{ServiceCidr: "10.100.0.0/16"},
		},
		Memory:       "2Gi",
		Distro:       openvcluster.DistroK3s,
		ExposeType:   openvcluster.ExposeNodePort,
		ValidateOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	spec := vc.GetSpec()
	if spec.GetResources().GetCpu() != "3" || spec.GetResources().GetMemory() != "2Gi" ||
		spec.GetDistro() != openvcluster.DistroK3s || spec.GetNetwork().GetExposeType() != openvcluster.ExposeNodePort ||
		spec.GetNetwork().GetServiceCidr() != "10.100.0.0/16" {
		t.Errorf("spec = %v", spec)
	}
	// ValidateOnly created nothing.
	if _, err := c.GetVCluster(ctx, ns, "merged"); !openvcluster.IsNotFound(err) {
		t.Errorf("after ValidateOnly: %v, want NOT_FOUND", err)
	}
}

func TestNoOpSuspendAndResume(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "a", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	vc, err := c.ResumeVCluster(ctx, ns, "a", nil)
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseRunning {
		t.Fatalf("resume of a running vcluster = %v, %v", vc, err)
	}
	if _, err := c.SuspendVCluster(ctx, ns, "a", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	vc, err = c.SuspendVCluster(ctx, ns, "a", nil)
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseSuspended {
		t.Fatalf("suspend of a suspended vcluster = %v, %v", vc, err)
	}
}

func TestSnapshotServiceCalls(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "src", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	snap, err := c.SnapshotVCluster(ctx, ns, "src", nil)
	if err != nil {
		t.Fatal(err)
	}
	if snap.GetPhase() != openvcluster.SnapshotPending || !strings.HasPrefix(snap.GetName(), "src-") {
		t.Errorf("snapshot = %v", snap)
	}
	ready, err := c.WaitForSnapshot(ctx, ns, snap.GetName(), openvcluster.SnapshotReady)
	if err != nil || ready.GetPhase() != openvcluster.SnapshotReady || ready.GetSizeBytes() == 0 {
		t.Fatalf("WaitForSnapshot = %v, %v", ready, err)
	}
	if err := c.DeleteSnapshot(ctx, ns, snap.GetName(), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSnapshot(ctx, ns, snap.GetName(), nil); !openvcluster.IsNotFound(err) {
		t.Errorf("second DeleteSnapshot: %v, want NOT_FOUND", err)
	}
}
