package openvcluster_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"google.golang.org/grpc/metadata"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// The examples connect with New(""), which reads OVC_ENDPOINT and the other
// OVC_* variables; in this package's tests they point at the reference
// server TestMain starts.

func ExampleNew() {
	// "" means OVC_ENDPOINT, or 127.0.0.1:50051. Options win over the
	// environment.
	client, err := openvcluster.New("",
		openvcluster.WithTimeout(10*time.Second),
		openvcluster.WithRetry(openvcluster.RetryPolicy{MaxAttempts: 3}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	fmt.Println(client.TLS())
	// Output: false
}

func ExampleClient_CreateVCluster() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]

	vc, err := client.CreateVCluster(ctx, namespace, "dev", &openvcluster.CreateVClusterParams{
		KubernetesVersion: "1.31",
		CPU:               "2",
		Memory:            "4Gi",
		Wait:              true, // returns once it is RUNNING
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vc.GetName(), openvcluster.PhaseName(vc.GetStatus().GetPhase()), vc.GetSpec().GetResources().GetMemory())
	// Output: dev RUNNING 4Gi
}

func ExampleClient_ListVClusters() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	for _, name := range []string{"a", "b", "c"} {
		if _, err := client.CreateVCluster(ctx, namespace, name, nil); err != nil {
			log.Fatal(err)
		}
	}

	// Pages of two are fetched as the loop goes.
	for vc, err := range client.ListVClusters(ctx, namespace, &openvcluster.ListVClustersParams{PageSize: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(vc.GetName())
	}
	// Output:
	// a
	// b
	// c
}

func ExampleClient_WatchVClusters() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	if _, err := client.CreateVCluster(ctx, namespace, "web", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		log.Fatal(err)
	}

	for event, err := range client.WatchVClusters(ctx, namespace, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(event.GetType(), event.GetVcluster().GetName())
		if event.GetType() == openvcluster.EventSynced {
			break // the initial state is complete; breaking ends the watch
		}
	}
	// Output:
	// EVENT_TYPE_ADDED web
	// EVENT_TYPE_SYNCED
}

func ExampleClient_WaitForPhase() {
	ctx := context.Background()
	client, err := openvcluster.New("", openvcluster.WithWaitTimeout(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	if _, err := client.CreateVCluster(ctx, namespace, "db", nil); err != nil {
		log.Fatal(err)
	}

	vc, err := client.WaitForPhase(ctx, namespace, "db", openvcluster.PhaseRunning)
	var timeout *openvcluster.WaitTimeoutError
	switch {
	case errors.As(err, &timeout):
		fmt.Println("still", openvcluster.PhaseName(timeout.LastSeenVCluster.GetStatus().GetPhase()))
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(openvcluster.PhaseName(vc.GetStatus().GetPhase()))
	}
	// Output: RUNNING
}

func ExampleOnChange() {
	ctx := context.Background()
	client, err := openvcluster.New("", openvcluster.WithWaitTimeout(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	// The reference server's test hook keeps it PROVISIONING for 0.2 s.
	slow := metadata.AppendToOutgoingContext(ctx, "ovc-test-transition-delay-ms", "200")
	if _, err := client.CreateVCluster(slow, namespace, "db", nil); err != nil {
		log.Fatal(err)
	}

	// Each new state the wait sees, from the same watch it decides on.
	_, err = client.WaitForPhase(ctx, namespace, "db", openvcluster.PhaseRunning,
		openvcluster.OnChange(func(vc *openvcluster.VCluster) {
			fmt.Println(openvcluster.PhaseName(vc.GetStatus().GetPhase()))
		}))
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// PROVISIONING
	// RUNNING
}

func ExampleClient_GetOperation() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]

	// OnOperation hears the id of the operation recording the call as soon
	// as the server has accepted it, before the wait.
	var operationID string
	if _, err := client.CreateVCluster(ctx, namespace, "dev", &openvcluster.CreateVClusterParams{
		OnOperation: func(id string) { operationID = id },
		Wait:        true,
	}); err != nil {
		log.Fatal(err)
	}

	op, err := client.GetOperation(ctx, operationID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(op.GetMethod(), op.GetRequestedBy(), op.GetState() == openvcluster.OperationSucceeded)
	for _, step := range op.GetProgress() {
		fmt.Println(step.GetPhase())
	}
	// Output:
	// CreateVCluster anonymous true
	// PROVISIONING
	// RUNNING
}

func ExampleClient_ListOperations() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	if _, err := client.CreateVCluster(ctx, namespace, "dev", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		log.Fatal(err)
	}
	if _, err := client.SuspendVCluster(ctx, namespace, "dev", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		log.Fatal(err)
	}

	// Newest first; pages are fetched as the loop goes.
	for op, err := range client.ListOperations(ctx, namespace, &openvcluster.ListOperationsParams{VCluster: "dev"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(op.GetMethod(), op.GetState())
	}
	// Output:
	// SuspendVCluster STATE_SUCCEEDED
	// CreateVCluster STATE_SUCCEEDED
}

func ExampleClient_GetVClusterUsage() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	if _, err := client.CreateVCluster(ctx, namespace, "dev", &openvcluster.CreateVClusterParams{CPU: "2", Wait: true}); err != nil {
		log.Fatal(err)
	}

	usage, err := client.GetVClusterUsage(ctx, namespace, "dev")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("requested cpu:", usage.GetRequested().GetCpu())
	// A figure the backend has no source for is unavailable, not "0":
	// check Available before reading Value.
	for name, figure := range map[string]*openvcluster.UsageFigure{
		"cpu used":              usage.GetCpuUsed(),
		"cpu requested by pods": usage.GetCpuRequestedByPods(),
	} {
		if !figure.GetAvailable() {
			fmt.Println(name, "unknown:", figure.GetReason() != "")
		}
	}
	// Output:
	// requested cpu: 2
	// cpu requested by pods unknown: true
}

func ExampleClient_GetFleetSummary() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	for _, name := range []string{"a", "b"} {
		if _, err := client.CreateVCluster(ctx, namespace, name, &openvcluster.CreateVClusterParams{CPU: "2", Wait: true}); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := client.SuspendVCluster(ctx, namespace, "b", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		log.Fatal(err)
	}

	// "" would summarise every namespace the caller may see.
	summary, err := client.GetFleetSummary(ctx, namespace)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range summary.GetPhases() {
		fmt.Println(openvcluster.PhaseName(p.GetPhase()), p.GetCount())
	}
	for _, ns := range summary.GetNamespaces() {
		fmt.Println("cpu requested:", ns.GetCpuRequested())
	}
	// Output:
	// RUNNING 1
	// SUSPENDED 1
	// cpu requested: 4
}

func ExampleClient_GetServerInfo() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	info, err := client.GetServerInfo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Ask the server instead of hard-coding what it decides.
	versions := info.GetKubernetesVersions()
	fmt.Println("default version is the newest:", info.GetSpecDefaults().GetKubernetesVersion() == versions[len(versions)-1])
	fmt.Println("default resources:", info.GetSpecDefaults().GetResources().GetCpu(), info.GetSpecDefaults().GetResources().GetMemory())
	fmt.Println("page size:", info.GetLimits().GetDefaultPageSize(), "up to", info.GetLimits().GetMaxPageSize())
	// Without tokens on the server, every caller is the anonymous editor.
	caller := info.GetCaller()
	fmt.Println(caller.GetName(), caller.GetRole(), "of every namespace:", caller.GetAllNamespaces())
	// Output:
	// default version is the newest: true
	// default resources: 1 2Gi
	// page size: 50 up to 1000
	// anonymous ROLE_EDITOR of every namespace: true
}

func ExampleClient_UpdateVCluster() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	if _, err := client.CreateVCluster(ctx, namespace, "prod", &openvcluster.CreateVClusterParams{
		Labels:             map[string]string{"app": "web"},
		DeletionProtection: true, // DeleteVCluster is refused until it is off
		Wait:               true,
	}); err != nil {
		log.Fatal(err)
	}

	// Only the fields given change: here the labels (all of them are
	// replaced); the protection stays on.
	vc, err := client.UpdateVCluster(ctx, namespace, "prod", &openvcluster.UpdateVClusterParams{
		Labels: &map[string]string{"app": "web", "tier": "gold"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vc.GetLabels()["tier"], vc.GetSpec().GetDeletionProtection())

	_, err = client.DeleteVCluster(ctx, namespace, "prod", nil)
	var e *openvcluster.Error
	if errors.As(err, &e) {
		fmt.Println(openvcluster.CodeName(e.Code), e.Reason)
	}

	// new(false) is a change: protection off, labels untouched.
	vc, err = client.UpdateVCluster(ctx, namespace, "prod", &openvcluster.UpdateVClusterParams{
		DeletionProtection: new(false),
		Etag:               vc.GetEtag(), // ABORTED if it changed meanwhile
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(vc.GetLabels()), vc.GetSpec().GetDeletionProtection())
	if _, err := client.DeleteVCluster(ctx, namespace, "prod", &openvcluster.DeleteVClusterParams{Wait: true}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// gold true
	// FAILED_PRECONDITION DELETION_PROTECTED
	// 2 false
}

func ExampleClient_UpdateVCluster_sleepScheduleAndExpiry() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	// Asleep from 19:00 to 07:00 on weekdays, Berlin time; deleted in a
	// week, its snapshots kept.
	vc, err := client.CreateVCluster(ctx, namespace, "dev", &openvcluster.CreateVClusterParams{
		SleepSchedule: &openvcluster.SleepSchedule{
			SuspendCron: "0 19 * * 1-5", ResumeCron: "0 7 * * 1-5", TimeZone: "Europe/Berlin",
		},
		ExpireTime: time.Now().Add(7 * 24 * time.Hour),
		Wait:       true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vc.GetSpec().GetSleepSchedule().GetTimeZone(), vc.GetStatus().GetNextSuspendTime() != nil)

	// An empty schedule clears the schedule; naming the expiry's path with
	// no ExpireTime given clears the expiry.
	vc, err = client.UpdateVCluster(ctx, namespace, "dev", &openvcluster.UpdateVClusterParams{
		SleepSchedule: &openvcluster.SleepSchedule{},
		UpdateMask:    []string{openvcluster.UpdatePathSleepSchedule, openvcluster.UpdatePathExpireTime},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vc.GetSpec().GetSleepSchedule() == nil, vc.GetSpec().GetExpireTime() == nil)
	// Output:
	// Europe/Berlin true
	// true true
}

func ExampleClient_UpgradeVCluster() {
	ctx := context.Background()
	client, err := openvcluster.New("", openvcluster.WithWaitTimeout(5*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// A fresh namespace, so the example can run again.
	namespace := "example-" + openvcluster.NewRequestID()[:8]
	if _, err := client.CreateVCluster(ctx, namespace, "dev", &openvcluster.CreateVClusterParams{
		KubernetesVersion: "1.31", Wait: true,
	}); err != nil {
		log.Fatal(err)
	}

	// One minor version at a time: through UPGRADING back to RUNNING.
	vc, err := client.UpgradeVCluster(ctx, namespace, "dev", "1.32", &openvcluster.UpgradeVClusterParams{Wait: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(openvcluster.PhaseName(vc.GetStatus().GetPhase()), vc.GetSpec().GetKubernetesVersion())

	// A downgrade or a skipped minor version is refused; the ErrorInfo's
	// metadata names the next version allowed.
	_, err = client.UpgradeVCluster(ctx, namespace, "dev", "1.30", nil)
	var e *openvcluster.Error
	if errors.As(err, &e) {
		fmt.Println(e.Reason, "allowed:", e.Metadata["allowed"])
	}
	// Output:
	// RUNNING 1.32
	// UPGRADE_NOT_ALLOWED allowed: 1.33
}

func ExampleError() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	_, err = client.CreateVCluster(ctx, "example-errors", "dev", &openvcluster.CreateVClusterParams{Memory: "lots"})
	var e *openvcluster.Error
	if errors.As(err, &e) {
		fmt.Println(openvcluster.CodeName(e.Code))
		for _, v := range e.FieldViolations {
			fmt.Println(v.GetField())
		}
	}
	// Output:
	// INVALID_ARGUMENT
	// spec.resources.memory
}

func ExampleIsNotFound() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	_, err = client.GetVCluster(ctx, "example-errors", "nobody")
	fmt.Println(openvcluster.IsNotFound(err))
	// Output: true
}

func ExampleClient_WithOptions() {
	ctx := context.Background()
	client, err := openvcluster.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// A derived client shares the connection with other call defaults.
	once := client.WithOptions(openvcluster.WithoutRetry(), openvcluster.WithTimeout(2*time.Second))
	// Metadata for one call goes on its context.
	ctx = metadata.AppendToOutgoingContext(ctx, "x-trace", "example")
	_, err = once.GetVCluster(ctx, "example-with", "nobody")
	fmt.Println(openvcluster.CodeName(openvcluster.Code(err)))
	// Output: NOT_FOUND
}
