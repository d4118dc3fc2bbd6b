// Command vcluster-standin plays, on a test cluster whose pods run nothing
// (kwok), the parts of vcluster that run inside a vcluster's control plane,
// and a cloud's load balancer controller:
//
//   - once a vcluster's control plane is Ready it writes Secret vc-<name> with
//     a kubeconfig, as vcluster's syncer does;
//   - it moves snapshot requests (ConfigMaps labelled
//     vcluster.loft.sh/snapshot-request) through CreatingEtcdBackup to
//     Completed, storing an archive under --snapshot-dir;
//   - it completes snapshot and restore pods (label app=vcluster-snapshot);
//   - it gives every LoadBalancer Service an ingress address.
//
// Each part can be told to fail or to hang through annotations (see
// behaviour.go), so a backend's failure paths are testable. It is test code:
// nothing here is part of the product.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the test cluster")
	snapshotDir := flag.String("snapshot-dir", "", "directory that holds stored snapshots")
	flag.Parse()
	if *kubeconfig == "" || *snapshotDir == "" {
		fmt.Fprintln(os.Stderr, "vcluster-standin: --kubeconfig and --snapshot-dir are required")
		os.Exit(2)
	}
	if err := run(*kubeconfig, *snapshotDir); err != nil {
		fmt.Fprintf(os.Stderr, "vcluster-standin: %v\n", err)
		os.Exit(1)
	}
}

func run(kubeconfig, snapshotDir string) error {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	config.UserAgent = "vcluster-standin"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	standin := newStandin(client, &archives{root: snapshotDir}, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	return standin.run(ctx)
}
