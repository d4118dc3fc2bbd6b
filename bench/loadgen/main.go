// Command loadgen drives the open-vcluster-api benchmarks from Go, so that the
// client is never the bottleneck of what is measured.
//
// It has two modes, each printing one JSON object on stdout:
//
//	loadgen unary -address HOST:PORT -concurrency 16 -duration 5s -warmup 1s
//	loadgen unary -method list|scale -address HOST:PORT ...
//	loadgen unary -protocol connect-json|grpc-web -address HTTP_HOST:PORT ...
//	loadgen watch -address HOST:PORT -watchers 100 -mutations 1000
//
// unary runs GetVCluster (or, with -method, ListVClusters or ScaleVCluster:
// methods.go) from N workers for a duration after a warm-up and reports
// requests per second and latency percentiles; -protocol picks gRPC
// (the default) or, on the server's HTTP port over HTTP/1.1, Connect with
// JSON messages or gRPC-Web (caller.go, http.go). watch opens N
// WatchVClusters streams, applies M mutations and reports whether every
// watcher saw every event in order, and the delivery lag. See bench/README.md.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var (
		result any
		err    error
	)
	switch os.Args[1] {
	case "unary":
		result, err = runUnary(os.Args[2:])
	case "watch":
		result, err = runWatch(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(result); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: loadgen unary|watch [flags] (loadgen MODE -h lists the flags)")
	os.Exit(2)
}

// dial opens n plaintext connections to address.
func dial(address string, n int) ([]*grpc.ClientConn, error) {
	conns := make([]*grpc.ClientConn, 0, n)
	for range n {
		conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conn.Connect()
		conns = append(conns, conn)
	}
	return conns, nil
}

// closeAll closes every connection, ignoring errors.
func closeAll(conns []*grpc.ClientConn) {
	for _, conn := range conns {
		_ = conn.Close()
	}
}
