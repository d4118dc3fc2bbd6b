// Command sdkdriver is the SDK overhead driver of the Go SDK (see
// bench/README.md): sequential GetVCluster calls through openvcluster.Client
// with its defaults against the generated stub on a plain grpc.NewClient
// connection.
//
//	sdkdriver --address=HOST:PORT --namespace=NS --name=NAME --calls=200 --rounds=21 --warmup=300
//
// It prints {"sdk": [seconds per call, per round], "raw": [...]}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

var modes = [2]string{"sdk", "raw"}

func main() {
	address := flag.String("address", "", "host:port of the server")
	namespace := flag.String("namespace", "", "namespace of the target vcluster")
	name := flag.String("name", "", "name of the target vcluster")
	calls := flag.Int("calls", 200, "calls per round and mode")
	rounds := flag.Int("rounds", 21, "rounds")
	warmup := flag.Int("warmup", 300, "untimed calls per mode first")
	flag.Parse()
	if *address == "" || *namespace == "" || *name == "" {
		fmt.Fprintln(os.Stderr, "sdkdriver: --address, --namespace and --name are required")
		os.Exit(2)
	}
	samples, err := measure(*address, *namespace, *name, *calls, *rounds, *warmup)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkdriver:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(samples); err != nil {
		fmt.Fprintln(os.Stderr, "sdkdriver:", err)
		os.Exit(1)
	}
}

// measure runs the rounds: in each, calls sequential calls per mode, the SDK
// first in even rounds and the raw stub first in odd ones.
func measure(address, namespace, name string, calls, rounds, warmup int) (map[string][]float64, error) {
	ctx := context.Background()
	client, err := openvcluster.New(address)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stub := openvclusterv1.NewVClusterServiceClient(conn)

	call := map[string]func() error{
		"sdk": func() error {
			_, err := client.GetVCluster(ctx, namespace, name)
			return err
		},
		"raw": func() error {
			_, err := stub.GetVCluster(ctx, &openvclusterv1.GetVClusterRequest{Namespace: namespace, Name: name})
			return err
		},
	}
	batch := func(mode string, count int) (float64, error) {
		f := call[mode]
		started := time.Now()
		for range count {
			if err := f(); err != nil {
				return 0, fmt.Errorf("%s call: %w", mode, err)
			}
		}
		return time.Since(started).Seconds() / float64(max(count, 1)), nil
	}

	for _, mode := range modes {
		if _, err := batch(mode, warmup); err != nil {
			return nil, err
		}
	}
	samples := map[string][]float64{"sdk": {}, "raw": {}}
	for round := range rounds {
		order := modes
		if round%2 == 1 {
			order = [2]string{modes[1], modes[0]}
		}
		for _, mode := range order {
			seconds, err := batch(mode, calls)
			if err != nil {
				return nil, err
			}
			samples[mode] = append(samples[mode], seconds)
		}
	}
	return samples, nil
}
