package main

import (
	"maps"
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

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
	if p.Labels != nil || p.KubernetesVersion != nil || p.DeletionProtection != nil || p.UpdateMask != nil {
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
