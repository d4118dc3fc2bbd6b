package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	v1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// WatchResult is what the watch mode prints.
type WatchResult struct {
	Watchers           int     `json:"watchers"`
	VClusters          int     `json:"vclusters"`
	Mutations          int     `json:"mutations"`
	MutationErrors     int     `json:"mutation_errors"`
	FirstMutationError string  `json:"first_mutation_error,omitempty"`
	MutationSeconds    float64 `json:"mutation_seconds"`
	// Seconds from the last mutation's answer until the last watcher had
	// every event (or gave up).
	DrainSeconds     float64     `json:"drain_seconds"`
	EventsPerWatcher int         `json:"expected_events_per_watcher"`
	ExpectedEvents   int         `json:"expected_events"`
	DeliveredEvents  int         `json:"delivered_events"`
	CompleteWatchers int         `json:"complete_watchers"`
	OutOfOrder       int         `json:"out_of_order_watchers"`
	StreamErrors     int         `json:"stream_errors"`
	FirstStreamError string      `json:"first_stream_error,omitempty"`
	MutationLatency  Percentiles `json:"mutation_latency"`
	// Receive time minus the send time of the mutation that caused the
	// event: every event, the event a mutation itself makes (ADDED or the
	// intermediate phase), and the one its transition's end makes.
	Lag           Percentiles `json:"lag"`
	LagDirect     Percentiles `json:"lag_direct"`
	LagTransition Percentiles `json:"lag_transition"`
}

// step is one event a watcher expects: its type and the vcluster's phase.
type step struct {
	kind  v1.WatchVClustersResponse_EventType
	phase v1.VCluster_Phase
}

// received is one event as a watcher saw it.
type received struct {
	at    time.Time
	name  string
	event step
}

const (
	added    = v1.WatchVClustersResponse_EVENT_TYPE_ADDED
	modified = v1.WatchVClustersResponse_EVENT_TYPE_MODIFIED
)

// cycle is what the mutations after a vcluster's creation do, in turn. With
// the server's transition delay at 0 each mutation makes two events: its
// intermediate phase, then the end of the transition.
var cycle = [...]struct {
	verb   string
	events [2]step
}{
	{"scale", [2]step{{modified, v1.VCluster_PHASE_SCALING}, {modified, v1.VCluster_PHASE_RUNNING}}},
	{"suspend", [2]step{{modified, v1.VCluster_PHASE_SUSPENDING}, {modified, v1.VCluster_PHASE_SUSPENDED}}},
	{"resume", [2]step{{modified, v1.VCluster_PHASE_RESUMING}, {modified, v1.VCluster_PHASE_RUNNING}}},
}

var created = [2]step{{added, v1.VCluster_PHASE_PROVISIONING}, {modified, v1.VCluster_PHASE_RUNNING}}

// expectedSteps lists the events mutation k (0-based, per vcluster) makes.
func expectedSteps(k int) [2]step {
	if k == 0 {
		return created
	}
	return cycle[(k-1)%len(cycle)].events
}

// runWatch opens -watchers streams on one namespace, waits until each has
// its initial SYNCED event, then applies -mutations mutations round-robin
// over -vclusters vclusters (create each, then scale, suspend, resume, ...),
// one at a time, and waits until every watcher has every event or -timeout
// passes. The server must run with a transition delay of 0.
func runWatch(args []string) (*WatchResult, error) {
	flags := flag.NewFlagSet("watch", flag.ExitOnError)
	address := flags.String("address", "127.0.0.1:50051", "host:port of the server")
	namespace := flags.String("namespace", "watch-bench", "an empty namespace to work in")
	watchers := flags.Int("watchers", 100, "watch streams")
	mutations := flags.Int("mutations", 1000, "mutations to apply")
	vclusters := flags.Int("vclusters", 100, "vclusters the mutations go round")
	connections := flags.Int("connections", 4, "connections the watchers share (plus one for mutations)")
	timeout := flags.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	if *watchers < 1 || *mutations < 1 || *vclusters < 1 || *connections < 1 {
		return nil, errors.New("-watchers, -mutations, -vclusters and -connections must be positive")
	}
	count := min(*vclusters, *mutations)
	conns, err := dial(*address, *connections+1)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	perVCluster := make([]int, count) // mutations of each vcluster
	for j := range *mutations {
		perVCluster[j%count]++
	}
	want := 2 * *mutations
	streams := make([]watchStream, *watchers)
	var ready, done sync.WaitGroup
	for i := range streams {
		stream := &streams[i]
		client := v1.NewVClusterServiceClient(conns[1+i%*connections])
		ready.Add(1)
		done.Go(func() { stream.run(ctx, client, *namespace, want, ready.Done) })
	}
	ready.Wait()

	mutator := newMutator(v1.NewVClusterServiceClient(conns[0]), *namespace, count)
	began := time.Now()
	for j := range *mutations {
		mutator.apply(ctx, j%count, j/count)
	}
	mutated := time.Now()
	done.Wait()
	finished := time.Now()

	result := &WatchResult{
		Watchers:           *watchers,
		VClusters:          count,
		Mutations:          *mutations,
		MutationErrors:     mutator.errors,
		FirstMutationError: errorText(mutator.firstError),
		MutationSeconds:    mutated.Sub(began).Seconds(),
		DrainSeconds:       finished.Sub(mutated).Seconds(),
		EventsPerWatcher:   want,
		ExpectedEvents:     want * *watchers,
		MutationLatency:    summarize(mutator.latencies),
	}
	var all, direct, transition []time.Duration
	for i := range streams {
		stream := &streams[i]
		result.DeliveredEvents += len(stream.events)
		if stream.err != nil {
			result.StreamErrors++
			if result.FirstStreamError == "" {
				result.FirstStreamError = stream.err.Error()
			}
		}
		inOrder := true
		seen := make(map[string]int, count)
		for _, event := range stream.events {
			index, ok := mutator.index[event.name]
			k := seen[event.name] / 2
			if !ok || k >= perVCluster[index] || event.event != expectedSteps(k)[seen[event.name]%2] {
				inOrder = false
				continue
			}
			lag := event.at.Sub(mutator.sent[index][k])
			all = append(all, lag)
			if seen[event.name]%2 == 0 {
				direct = append(direct, lag)
			} else {
				transition = append(transition, lag)
			}
			seen[event.name]++
		}
		if !inOrder {
			result.OutOfOrder++
		} else if len(stream.events) == want {
			result.CompleteWatchers++
		}
	}
	result.Lag = summarize(all)
	result.LagDirect = summarize(direct)
	result.LagTransition = summarize(transition)
	return result, nil
}

// watchStream is one watcher and what it received after SYNCED.
type watchStream struct {
	events []received
	err    error
}

// run watches namespace, calls ready once the initial state is synced (or the
// stream failed), then records events until it has want of them.
func (w *watchStream) run(
	ctx context.Context, client v1.VClusterServiceClient, namespace string, want int, ready func(),
) {
	isReady := false
	defer func() {
		if !isReady {
			ready()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.WatchVClusters(ctx, &v1.WatchVClustersRequest{Namespace: namespace})
	if err != nil {
		w.err = err
		return
	}
	w.events = make([]received, 0, want)
	for len(w.events) < want {
		response, err := stream.Recv()
		at := time.Now()
		if err != nil {
			w.err = err
			return
		}
		if !isReady {
			if response.GetType() == v1.WatchVClustersResponse_EVENT_TYPE_SYNCED {
				isReady = true
				ready()
			}
			continue
		}
		vcluster := response.GetVcluster()
		w.events = append(w.events, received{
			at:    at,
			name:  vcluster.GetName(),
			event: step{response.GetType(), vcluster.GetStatus().GetPhase()},
		})
	}
}

// mutator applies the mutations and remembers when each was sent.
type mutator struct {
	client     v1.VClusterServiceClient
	namespace  string
	names      []string
	index      map[string]int
	sent       [][]time.Time // per vcluster, per mutation
	latencies  []time.Duration
	errors     int
	firstError error
}

func newMutator(client v1.VClusterServiceClient, namespace string, count int) *mutator {
	m := &mutator{
		client:    client,
		namespace: namespace,
		names:     make([]string, count),
		index:     make(map[string]int, count),
		sent:      make([][]time.Time, count),
	}
	for i := range count {
		m.names[i] = fmt.Sprintf("fanout-%04d", i)
		m.index[m.names[i]] = i
	}
	return m
}

// apply sends mutation k of vcluster i and waits for its answer.
func (m *mutator) apply(ctx context.Context, i, k int) {
	name := m.names[i]
	began := time.Now()
	m.sent[i] = append(m.sent[i], began)
	verb := "create"
	if k > 0 {
		verb = cycle[(k-1)%len(cycle)].verb
	}
	var err error
	switch verb {
	case "create":
		_, err = m.client.CreateVCluster(ctx, &v1.CreateVClusterRequest{
			Namespace: m.namespace,
			Name:      name,
			Spec:      &v1.VClusterSpec{Resources: &v1.Resources{Cpu: "1", Memory: "2Gi"}},
			Labels:    map[string]string{"app": "bench"},
		})
	case "scale":
		_, err = m.client.ScaleVCluster(ctx, &v1.ScaleVClusterRequest{
			Namespace: m.namespace,
			Name:      name,
			Resources: &v1.Resources{Memory: fmt.Sprintf("%dGi", 2+k)},
		})
	case "suspend":
		_, err = m.client.SuspendVCluster(ctx, &v1.SuspendVClusterRequest{Namespace: m.namespace, Name: name})
	default:
		_, err = m.client.ResumeVCluster(ctx, &v1.ResumeVClusterRequest{Namespace: m.namespace, Name: name})
	}
	m.latencies = append(m.latencies, time.Since(began))
	if err != nil {
		m.errors++
		if m.firstError == nil {
			m.firstError = fmt.Errorf("%s %s: %w", verb, name, err)
		}
	}
}

// errorText is err's message, or "" for nil.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
