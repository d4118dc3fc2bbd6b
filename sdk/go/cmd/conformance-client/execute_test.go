package main

import (
	"maps"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// TestUpdateParams checks the protocol's mapping of an update step: each
// mask path the SDK has a field for sets that field from the vcluster, and
// the mask itself is passed only when it holds another path.
func TestUpdateParams(t *testing.T) {
	vc := &openvclusterv1.VCluster{
		Name:   "dev",
		Labels: map[string]string{"app": "web"},
		Spec:   &openvclusterv1.VClusterSpec{KubernetesVersion: "1.32", DeletionProtection: true},
	}
	request := func(paths ...string) *openvclusterv1.UpdateVClusterRequest {
		return &openvclusterv1.UpdateVClusterRequest{Vcluster: vc, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}, Etag: "e1"}
	}

	p := updateParams(request("spec.deletion_protection"))
	if p.Labels != nil || p.KubernetesVersion != nil || p.DeletionProtection == nil || !*p.DeletionProtection ||
		p.UpdateMask != nil || p.Etag != "e1" {
		t.Errorf("protection only = %+v", p)
	}
	p = updateParams(request("labels", "spec.kubernetes_version"))
	if p.Labels == nil || !maps.Equal(*p.Labels, vc.Labels) || p.KubernetesVersion == nil || *p.KubernetesVersion != "1.32" ||
		p.DeletionProtection != nil || p.UpdateMask != nil {
		t.Errorf("labels and version = %+v", p)
	}
	p = updateParams(request("labels", "spec.distro"))
	if p.Labels == nil || !slices.Equal(p.UpdateMask, []string{"labels", "spec.distro"}) {
		t.Errorf("with another path = %+v", p)
	}
	p = updateParams(&openvclusterv1.UpdateVClusterRequest{Vcluster: vc})
	if p.Labels != nil || p.KubernetesVersion != nil || p.DeletionProtection != nil || p.SleepSchedule != nil ||
		p.ExpireTime != nil || p.DeleteSnapshotsOnExpiry != nil || p.UpdateMask != nil {
		t.Errorf("empty mask = %+v, want no change given", p)
	}
	// labels named with none given is labels given, empty.
	p = updateParams(&openvclusterv1.UpdateVClusterRequest{
		Vcluster: &openvclusterv1.VCluster{Name: "dev"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels"}},
	})
	if p.Labels == nil || len(*p.Labels) != 0 {
		t.Errorf("labels cleared = %+v", p)
	}
}

// TestUpdateParamsOfTheScheduleAndExpiry: the schedule, the expiry and the
// snapshots setting map like deletion protection, and a schedule or an
// expiry named but unset in the vcluster is passed as the mask alone, so
// the SDK sends the path with no value and the server clears it.
func TestUpdateParamsOfTheScheduleAndExpiry(t *testing.T) {
	schedule := &openvclusterv1.SleepSchedule{SuspendCron: "0 19 * * 1-5", TimeZone: "Europe/Berlin"}
	expiry := time.Date(2031, time.March, 14, 9, 30, 0, 5, time.UTC)
	vc := &openvclusterv1.VCluster{Name: "dev", Spec: &openvclusterv1.VClusterSpec{
		SleepSchedule: schedule, ExpireTime: timestamppb.New(expiry), DeleteSnapshotsOnExpiry: true,
	}}
	request := func(vc *openvclusterv1.VCluster, paths ...string) *openvclusterv1.UpdateVClusterRequest {
		return &openvclusterv1.UpdateVClusterRequest{Vcluster: vc, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}}
	}

	p := updateParams(request(vc, "spec.sleep_schedule", "spec.expire_time", "spec.delete_snapshots_on_expiry"))
	if !proto.Equal(p.SleepSchedule, schedule) || p.ExpireTime == nil || !p.ExpireTime.Equal(expiry) ||
		p.DeleteSnapshotsOnExpiry == nil || !*p.DeleteSnapshotsOnExpiry || p.UpdateMask != nil || p.DeletionProtection != nil {
		t.Errorf("schedule, expiry and snapshots = %+v", p)
	}
	// An empty schedule is a schedule given: the SDK sends it, which clears.
	empty := &openvclusterv1.VCluster{Name: "dev", Spec: &openvclusterv1.VClusterSpec{SleepSchedule: &openvclusterv1.SleepSchedule{}}}
	p = updateParams(request(empty, "spec.sleep_schedule"))
	if p.SleepSchedule == nil || proto.Size(p.SleepSchedule) != 0 || p.UpdateMask != nil {
		t.Errorf("empty schedule = %+v", p)
	}
	// Named but unset: no option, the mask as it is.
	unset := &openvclusterv1.VCluster{Name: "dev", Labels: map[string]string{"app": "web"}}
	for _, paths := range [][]string{
		{"spec.expire_time"},
		{"spec.sleep_schedule"},
		{"labels", "spec.expire_time", "spec.delete_snapshots_on_expiry"},
	} {
		p = updateParams(request(unset, paths...))
		if p.SleepSchedule != nil || p.ExpireTime != nil || !slices.Equal(p.UpdateMask, paths) {
			t.Errorf("%v unset = %+v, want the mask alone", paths, p)
		}
		if slices.Contains(paths, "labels") && (p.Labels == nil || !maps.Equal(*p.Labels, unset.Labels)) {
			t.Errorf("%v unset: labels = %v", paths, p.Labels)
		}
	}
	if p.DeleteSnapshotsOnExpiry == nil || *p.DeleteSnapshotsOnExpiry {
		t.Errorf("snapshots setting beside an unset expiry = %v, want false given", p.DeleteSnapshotsOnExpiry)
	}
}
