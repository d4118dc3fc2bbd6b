package main

import (
	"encoding/json"
	"strings"
	"testing"

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
		Action: &conformancev1.Step_DeleteVcluster{DeleteVcluster: &openvclusterv1.DeleteVClusterRequest{Namespace: "ns"}},
	}
	resolved, err := resolveRefs(step, results)
	if err != nil {
		t.Fatal(err)
	}
	r := resolved.GetDeleteVcluster()
	if r.GetEtag() != "e1" || r.GetName() != "b" || r.GetRequestId() != "7" || r.GetNamespace() != "ns" {
		t.Errorf("resolved request = %v", r)
	}
	if step.GetDeleteVcluster().GetEtag() != "" {
		t.Error("resolving changed the original step")
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
