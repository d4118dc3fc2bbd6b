package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"
)

// UnaryResult is what the unary mode prints.
type UnaryResult struct {
	Method      string      `json:"method"`
	Protocol    string      `json:"protocol"`
	Concurrency int         `json:"concurrency"`
	Connections int         `json:"connections"`
	Seconds     float64     `json:"seconds"`
	Requests    int         `json:"requests"`
	Errors      int         `json:"errors"`
	FirstError  string      `json:"first_error,omitempty"`
	RPS         float64     `json:"rps"`
	Latency     Percentiles `json:"latency"`
}

// runUnary calls -method (GetVCluster unless told) from -concurrency workers,
// each waiting for its answer before the next call, for -warmup and then
// -duration. Only calls that start after the warm-up and end within the
// measured window count. -protocol picks gRPC (-address is the gRPC port) or
// Connect JSON or gRPC-Web over HTTP/1.1 (-address is the HTTP port; those
// two only call GetVCluster).
func runUnary(args []string) (*UnaryResult, error) {
	flags := flag.NewFlagSet("unary", flag.ExitOnError)
	method := flags.String("method", methodGet, "get (GetVCluster), list (ListVClusters, -page-size) or scale (ScaleVCluster with a new request_id per call)")
	pageSize := flags.Int("page-size", 50, "page size of each ListVClusters call")
	protocol := flags.String("protocol", protocolGRPC, "grpc, connect-json or grpc-web")
	address := flags.String("address", "127.0.0.1:50051", "host:port of the server (its HTTP port for connect-json, grpc-web)")
	namespace := flags.String("namespace", "default", "namespace of the vcluster to get or scale, or to list")
	name := flags.String("name", "", "name of the vcluster to get or scale")
	concurrency := flags.Int("concurrency", 1, "workers calling in parallel")
	connections := flags.Int("connections", 1, "gRPC connections the workers share round-robin (HTTP: one per worker)")
	duration := flags.Duration("duration", 5*time.Second, "measured time")
	warmup := flags.Duration("warmup", time.Second, "time before measuring")
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	if *name == "" || *concurrency < 1 || *connections < 1 || *duration <= 0 {
		return nil, errors.New("-name is required; -concurrency, -connections and -duration must be positive")
	}
	call, err := newCall(*method, *protocol, *namespace, *name, int32(*pageSize))
	if err != nil {
		return nil, err
	}
	callers, release, err := newCallers(*protocol, *address, *connections, *concurrency)
	if err != nil {
		return nil, err
	}
	defer release()
	// One call first, so that a wrong address or name fails fast and loudly.
	check, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := call(check, callers[0]); err != nil {
		return nil, fmt.Errorf("first %s call: %w", *method, err)
	}

	start := time.Now()
	measureFrom := start.Add(*warmup)
	measureTo := measureFrom.Add(*duration)
	workers := make([]unaryWorker, *concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		worker := &workers[i]
		caller := callers[i%len(callers)]
		wg.Go(func() { worker.run(caller, call, measureFrom, measureTo) })
	}
	wg.Wait()

	result := &UnaryResult{
		Method:      *method,
		Protocol:    *protocol,
		Concurrency: *concurrency,
		Connections: *connections,
		Seconds:     duration.Seconds(),
	}
	var latencies []time.Duration
	for i := range workers {
		latencies = append(latencies, workers[i].latencies...)
		result.Errors += workers[i].errors
		if result.FirstError == "" && workers[i].firstError != nil {
			result.FirstError = workers[i].firstError.Error()
		}
	}
	if *protocol != protocolGRPC {
		// HTTP/1.1 carries one call at a time: each worker holds a connection.
		result.Connections = *concurrency
	}
	result.Requests = len(latencies)
	result.RPS = float64(result.Requests) / duration.Seconds()
	result.Latency = summarize(latencies)
	return result, nil
}

// unaryWorker is one sequential caller and what it measured.
type unaryWorker struct {
	latencies  []time.Duration
	errors     int
	firstError error
}

func (w *unaryWorker) run(client caller, call unaryCall, from, to time.Time) {
	ctx := context.Background()
	for {
		began := time.Now()
		if !began.Before(to) {
			return
		}
		err := call(ctx, client)
		ended := time.Now()
		if err != nil {
			w.errors++
			if w.firstError == nil {
				w.firstError = err
			}
			continue
		}
		if !began.Before(from) && !ended.After(to) {
			w.latencies = append(w.latencies, ended.Sub(began))
		}
	}
}
