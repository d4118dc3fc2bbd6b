// Command lifecycle takes a vcluster through its whole life with the Go SDK,
// the way you would manage a virtual machine: create it, scale it, power it
// off and on, snapshot it, restore the snapshot as a second vcluster, list
// them, and delete both.
//
//	openvcluster-server serve &      # the reference server, 127.0.0.1:50051
//	go run ./lifecycle               # from examples/go
//
// The connection comes from the environment: OVC_ENDPOINT (default
// 127.0.0.1:50051), OVC_TOKEN, and OVC_CA_FILE / OVC_CLIENT_CERT_FILE /
// OVC_CLIENT_KEY_FILE for TLS.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

const namespace = "team-a"

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "lifecycle demo failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	// A fresh name, so the demo can run again.
	name := "demo-" + openvcluster.NewRequestID()[:6]

	client, err := openvcluster.New("")
	if err != nil {
		return err
	}
	defer client.Close()

	fmt.Printf("Creating %s/%s on %s ...\n", namespace, name, client.Endpoint())
	vc, err := client.CreateVCluster(ctx, namespace, name, &openvcluster.CreateVClusterParams{
		KubernetesVersion: "1.31",
		CPU:               "2",
		Memory:            "4Gi",
		Labels:            map[string]string{"app": "lifecycle-demo"},
		Wait:              true, // returns once it is RUNNING
	})
	if err != nil {
		return err
	}
	show(vc)
	fmt.Printf("  API server: %s\n", vc.GetStatus().GetApiServerEndpoint())

	fmt.Println("Scaling up ...")
	if vc, err = client.ScaleVCluster(ctx, namespace, name, &openvcluster.ScaleVClusterParams{CPU: "4", Memory: "8Gi", Wait: true}); err != nil {
		return err
	}
	show(vc)

	fmt.Println("Suspending (power off) ...")
	if vc, err = client.SuspendVCluster(ctx, namespace, name, &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		return err
	}
	show(vc)

	fmt.Println("Resuming (power on) ...")
	if vc, err = client.ResumeVCluster(ctx, namespace, name, &openvcluster.ResumeVClusterParams{Wait: true}); err != nil {
		return err
	}
	show(vc)

	fmt.Println("Taking a snapshot ...")
	snapshot, err := client.SnapshotVCluster(ctx, namespace, name, &openvcluster.SnapshotVClusterParams{
		Description: "before the experiment",
		Wait:        true, // returns it READY
	})
	if err != nil {
		return err
	}
	fmt.Printf("  snapshot %s: %s, %d bytes\n", snapshot.GetName(), openvcluster.SnapshotPhaseName(snapshot.GetPhase()), snapshot.GetSizeBytes())

	fmt.Println("Restoring it as a new vcluster ...")
	copied, err := client.RestoreVCluster(ctx, namespace, snapshot.GetName(), &openvcluster.RestoreVClusterParams{TargetName: name + "-copy", Wait: true})
	if err != nil {
		return err
	}
	show(copied)

	fmt.Printf("Vclusters in %s:\n", namespace)
	for listed, err := range client.ListVClusters(ctx, namespace, nil) { // pages are fetched as needed
		if err != nil {
			return err
		}
		if strings.HasPrefix(listed.GetName(), name) {
			show(listed)
		}
	}

	fmt.Println("Deleting both ...")
	if _, err := client.DeleteVCluster(ctx, namespace, copied.GetName(), &openvcluster.DeleteVClusterParams{Wait: true}); err != nil {
		return err
	}
	if _, err := client.DeleteVCluster(ctx, namespace, name, &openvcluster.DeleteVClusterParams{DeleteSnapshots: true, Wait: true}); err != nil {
		return err
	}
	if _, err := client.GetVCluster(ctx, namespace, name); openvcluster.IsNotFound(err) {
		fmt.Println("  gone.")
	} else if err != nil {
		return err
	}
	return nil
}

func show(vc *openvcluster.VCluster) {
	spec := vc.GetSpec()
	fmt.Printf("  %s/%s: %s, Kubernetes %s, %s CPU, %s memory, %d replica(s)\n",
		vc.GetNamespace(), vc.GetName(), openvcluster.PhaseName(vc.GetStatus().GetPhase()),
		spec.GetKubernetesVersion(), spec.GetResources().GetCpu(), spec.GetResources().GetMemory(), spec.GetReplicas())
}
