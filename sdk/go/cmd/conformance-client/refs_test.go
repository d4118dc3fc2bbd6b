package main

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

func TestResolveRefs(t *testing.T) {
	var earlier map[string]any
	decoder := json.NewDecoder(strings.NewReader(`{"vcluster": {"etag": "e1"}, "vclusters": {"items": [{"name": "a"}, {"name": "b"}]}, "n": 7}`))
	decoder.UseNumber()
	if err := decoder.Decode(&earlier); err != nil {
		t.Fatal(err)
	}
	results := map[string]map[string]any{"s0": earlier}
	step := &conformancev1.Step{
		Name: "s1",
		Refs: []*conformancev1.Ref{
			{Field: "etag", Step: "s0", Path: "vcluster.etag"},
			{Field: "name", Step: "s0", Path: "vclusters.items.1.name"},
			{Field: "requestId", Step: "s0", Path: "n"},
		},
	}
	step.Action = callStep("s1", "DeleteVCluster", &openvclusterv1.DeleteVClusterRequest{Namespace: "ns"}).GetAction()
	resolved, err := resolveRefs(step, results)
	if err != nil {
		t.Fatal(err)
	}
	// A call's refs are fields of its packed request.
	r := &openvclusterv1.DeleteVClusterRequest{}
	if err := resolved.GetCall().GetRequest().UnmarshalTo(r); err != nil {
		t.Fatal(err)
	}
	if r.GetEtag() != "e1" || r.GetName() != "b" || r.GetRequestId() != "7" || r.GetNamespace() != "ns" || resolved.GetCall().GetMethod() != "DeleteVCluster" {
		t.Errorf("resolved request = %v", r)
	}
	if original := step.GetCall().GetRequest(); !proto.Equal(original, callStep("s1", "DeleteVCluster", &openvclusterv1.DeleteVClusterRequest{Namespace: "ns"}).GetCall().GetRequest()) {
		t.Error("resolving changed the original step")
	}
	// Another action's refs are fields of its request.
	page := &conformancev1.Step{
		Name:   "s2",
		Refs:   []*conformancev1.Ref{{Field: "pageToken", Step: "s0", Path: "vcluster.etag"}},
		Action: &conformancev1.Step_ListVclustersPage{ListVclustersPage: &openvclusterv1.ListVClustersRequest{Namespace: "ns"}},
	}
	if resolved, err = resolveRefs(page, results); err != nil || resolved.GetListVclustersPage().GetPageToken() != "e1" {
		t.Errorf("resolved page = %v, %v", resolved, err)
	}
	for _, bad := range []*conformancev1.Ref{
		{Field: "etag", Step: "s0", Path: "vcluster.uid"},
		{Field: "etag", Step: "s9", Path: "vcluster.etag"},
		{Field: "etag", Step: "s0", Path: "vclusters.items.5.name"},
		{Field: "deleteSnapshots", Step: "s0", Path: "vcluster.etag"},
	} {
		step.Refs = []*conformancev1.Ref{bad}
		if _, err := resolveRefs(step, results); err == nil {
			t.Errorf("ref %v resolved", bad)
		}
	}
}
