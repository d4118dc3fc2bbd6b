package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

// methodType is the type of the Client method of that name.
func methodType(t *testing.T, name string) reflect.Type {
	t.Helper()
	method := reflect.ValueOf((*openvcluster.Client)(nil)).MethodByName(name)
	if !method.IsValid() {
		t.Fatalf("no Client.%s", name)
	}
	return method.Type()
}

// TestArguments: the leading string fields are the positional arguments,
// every other set field goes to the Params field of its name (a pointer
// for an optional field, a map, a message, an enum), and a mutation gets
// the operation callback.
func TestArguments(t *testing.T) {
	ctx := t.Context()
	onOperation := func(string) {}
	resources := &openvclusterv1.Resources{Cpu: "2"}
	args, err := arguments(ctx, methodType(t, "ScaleVCluster"), (&openvclusterv1.ScaleVClusterRequest{
		Namespace: "ns", Name: "dev", Resources: resources, EnableHa: proto.Bool(false), Etag: "e1",
	}).ProtoReflect(), onOperation)
	if err != nil {
		t.Fatal(err)
	}
	scale := args[3].Interface().(*openvcluster.ScaleVClusterParams)
	if len(args) != 4 || args[1].String() != "ns" || args[2].String() != "dev" || !proto.Equal(scale.Resources, resources) ||
		scale.EnableHA == nil || *scale.EnableHA || scale.Etag != "e1" || scale.Replicas != 0 || scale.RequestID != "" || scale.OnOperation == nil {
		t.Errorf("scale arguments = %v, params %+v", args, scale)
	}

	labels := map[string]string{"app": "web", "tier": "gold"}
	args, err = arguments(ctx, methodType(t, "SnapshotVCluster"), (&openvclusterv1.SnapshotVClusterRequest{
		Namespace: "ns", Name: "dev", SnapshotName: "s1", Labels: labels, RequestId: "r1",
	}).ProtoReflect(), onOperation)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := args[3].Interface().(*openvcluster.SnapshotVClusterParams)
	if !maps.Equal(snapshot.Labels, labels) || snapshot.SnapshotName != "s1" || snapshot.RequestID != "r1" || snapshot.Description != "" {
		t.Errorf("snapshot params = %+v", snapshot)
	}

	args, err = arguments(ctx, methodType(t, "ListVClustersPage"), (&openvclusterv1.ListVClustersRequest{
		Namespace: "ns", PageSize: 2, Phase: openvclusterv1.VCluster_PHASE_RUNNING,
	}).ProtoReflect(), onOperation)
	if err != nil {
		t.Fatal(err)
	}
	if list := args[2].Interface().(*openvcluster.ListVClustersParams); len(args) != 3 || args[1].String() != "ns" ||
		list.Phase != openvcluster.PhaseRunning || list.PageSize != 2 {
		t.Errorf("list arguments = %v, params %+v", args, list)
	}

	// No Params: positional arguments only.
	if args, err = arguments(ctx, methodType(t, "GetServerInfo"), (&openvclusterv1.GetServerInfoRequest{}).ProtoReflect(), onOperation); err != nil || len(args) != 1 {
		t.Errorf("server info arguments = %v, %v", args, err)
	}
	if args, err = arguments(ctx, methodType(t, "GetOperation"), (&openvclusterv1.GetOperationRequest{Id: "x"}).ProtoReflect(), onOperation); err != nil || len(args) != 2 || args[1].String() != "x" {
		t.Errorf("operation arguments = %v, %v", args, err)
	}
}

// TestArgumentsUnsupported: a set field the method has no argument for,
// and a method whose arguments are not strings and Params, are errors.
func TestArgumentsUnsupported(t *testing.T) {
	for _, c := range []struct {
		method  string
		request proto.Message
	}{
		{"GetVCluster", &openvclusterv1.DeleteVClusterRequest{Namespace: "ns", Name: "dev", Etag: "e1"}},
		{"DeleteSnapshot", &openvclusterv1.DeleteVClusterRequest{Namespace: "ns", Name: "dev", KeepData: true}},
		{"WaitForPhase", &openvclusterv1.UpdateVClusterRequest{}},
		{"GetOperation", &openvclusterv1.GetServerInfoRequest{}},
	} {
		if args, err := arguments(t.Context(), methodType(t, c.method), c.request.ProtoReflect(), nil); err == nil {
			t.Errorf("%s of %v = %v, want an error", c.method, c.request, args)
		}
	}
}

// TestOutcomeOf: a method's result goes to the outcome of its type.
func TestOutcomeOf(t *testing.T) {
	for method, want := range map[string]protoreflect.Name{
		"CreateVCluster":   "vcluster",
		"SnapshotVCluster": "snapshot",
		"GetVClusterUsage": "usage",
		"GetFleetSummary":  "fleet_summary",
		"GetServerInfo":    "server_info",
		"GetOperation":     "operation",
		"GetKubeconfig":    "kubeconfig",
		"DeleteSnapshot":   "",
	} {
		fd, err := outcomeOf(methodType(t, method))
		if err != nil || (fd == nil) != (want == "") || fd != nil && fd.Name() != want {
			t.Errorf("outcome of %s = %v, %v, want %q", method, fd, err, want)
		}
	}
	if fd, err := outcomeOf(methodType(t, "ListVClusters")); err == nil {
		t.Errorf("outcome of an iterator = %v", fd)
	}
}

// TestCallsSendTheirRequest: case lines whose calls carry their requests
// as JSON Anys reach the server with those requests unchanged (a create's
// spec whole, an optional false, a map, a positional snapshot name), and
// answer the outcome of their type or UNSUPPORTED, sending nothing.
func TestCallsSendTheirRequest(t *testing.T) {
	address, got := startFake(t)
	const requestID = "0f8fad5b-d9cb-469f-a165-70867728950e"
	requests := map[string]proto.Message{
		"CreateVCluster": &openvclusterv1.CreateVClusterRequest{
			Namespace: "ns", Name: "dev", Labels: map[string]string{"app": "web"}, RequestId: requestID,
			Spec: &openvclusterv1.VClusterSpec{
				KubernetesVersion: "1.31", DeletionProtection: true, DeleteSnapshotsOnExpiry: true,
				Resources:     &openvclusterv1.Resources{Cpu: "2"},
				SleepSchedule: &openvclusterv1.SleepSchedule{SuspendCron: "0 19 * * 1-5", TimeZone: "Europe/Berlin"},
				ExpireTime:    timestamppb.New(time.Date(2031, time.March, 14, 9, 30, 0, 5, time.UTC)),
			},
		},
		"ScaleVCluster": &openvclusterv1.ScaleVClusterRequest{
			Namespace: "ns", Name: "dev", Resources: &openvclusterv1.Resources{Memory: "4Gi"}, EnableHa: proto.Bool(false),
			Etag: "e1", RequestId: requestID,
		},
		"SnapshotVCluster": &openvclusterv1.SnapshotVClusterRequest{
			Namespace: "ns", Name: "dev", SnapshotName: "s1", Description: "nightly", Labels: map[string]string{"a": "b"}, RequestId: requestID,
		},
		"RestoreVCluster":       &openvclusterv1.RestoreVClusterRequest{Namespace: "ns", SnapshotName: "s1", TargetName: "dev2", RequestId: requestID},
		"DeleteVCluster":        &openvclusterv1.DeleteVClusterRequest{Namespace: "ns", Name: "dev", DeleteSnapshots: true, KeepData: true, RequestId: requestID},
		"GetVClusterKubeconfig": &openvclusterv1.GetVClusterKubeconfigRequest{Namespace: "ns", Name: "dev"},
		"GetFleetSummary":       &openvclusterv1.GetFleetSummaryRequest{Namespace: "ns"},
	}
	request := &conformancev1.CaseRequest{CaseName: "calls", Connection: &conformancev1.Connection{Address: address}}
	for method, r := range requests {
		request.Steps = append(request.Steps, callStep(method, method, r))
	}
	request.Steps = append(request.Steps,
		callStep("unknown", "Frobnicate", &openvclusterv1.GetVClusterRequest{}),
		callStep("extra", "GetVCluster", &openvclusterv1.DeleteVClusterRequest{Namespace: "ns", Name: "dev", Etag: "e1"}),
	)
	for _, step := range request.Steps {
		step.Options = &conformancev1.CallOptions{} // as the runner sends them
	}
	line, err := protojson.Marshal(request)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(line, []byte(`"@type"`)) {
		t.Fatalf("case line without an Any: %s", line)
	}
	var out bytes.Buffer
	if err := run(bytes.NewReader(append(line, '\n')), &out, 1); err != nil {
		t.Fatal(err)
	}
	results := map[string]*conformancev1.StepResult{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		r := &conformancev1.StepResult{}
		if err := protojson.Unmarshal([]byte(l), r); err != nil {
			t.Fatal(err)
		}
		results[r.GetStepName()] = r
	}

	for method, want := range requests {
		if sent := got.request(method); !proto.Equal(sent, want) {
			t.Errorf("%s sent %v, want %v", method, sent, want)
		}
	}
	if vc := results["CreateVCluster"].GetVcluster(); vc.GetName() != "dev" || results["CreateVCluster"].GetOperationId() != createOperation {
		t.Errorf("create = %v, want the vcluster and its operation", results["CreateVCluster"])
	}
	if kubeconfig := results["GetVClusterKubeconfig"].GetKubeconfig(); kubeconfig != fakeKubeconfig {
		t.Errorf("kubeconfig = %v", results["GetVClusterKubeconfig"])
	}
	if e := results["ScaleVCluster"].GetError(); e.GetCode() != "UNIMPLEMENTED" {
		t.Errorf("scale = %v, want the server's UNIMPLEMENTED", results["ScaleVCluster"])
	}
	for _, step := range []string{"unknown", "extra"} {
		if e := results[step].GetError(); e.GetKind() != conformancev1.Error_KIND_UNSUPPORTED {
			t.Errorf("%s = %v, want UNSUPPORTED", step, results[step])
		}
	}
	if sent := got.request("GetVCluster"); sent != nil {
		t.Errorf("an unsupported call sent %v", sent)
	}
	if n := len(results); n != len(request.Steps) {
		encoded, _ := json.Marshal(results)
		t.Errorf("%d results, want %d: %s", n, len(request.Steps), encoded)
	}
}
