package openvcluster_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// requestRecorder keeps the requests a client sends and answers each with
// an empty response, without a server: the tests of this file check what
// the client puts on the wire.
type requestRecorder struct {
	mu       sync.Mutex
	requests []proto.Message
}

func (r *requestRecorder) client(t *testing.T) *openvcluster.Client {
	t.Helper()
	record := func(_ context.Context, _ string, req, _ any, _ *grpc.ClientConn, _ grpc.UnaryInvoker, _ ...grpc.CallOption) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests = append(r.requests, proto.Clone(req.(proto.Message)))
		return nil
	}
	c, err := openvcluster.New("127.0.0.1:1", openvcluster.WithPlaintext(), openvcluster.WithToken(""),
		openvcluster.WithDialOptions(grpc.WithChainUnaryInterceptor(record)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// last is the last request sent, which must be a T.
func last[T proto.Message](t *testing.T, r *requestRecorder) T {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.requests) == 0 {
		t.Fatal("no request was sent")
	}
	req, ok := r.requests[len(r.requests)-1].(T)
	if !ok {
		t.Fatalf("last request = %T", r.requests[len(r.requests)-1])
	}
	return req
}

var weekdays = &openvcluster.SleepSchedule{SuspendCron: "0 19 * * 1-5", ResumeCron: "0 7 * * 1-5", TimeZone: "Europe/Berlin"}

// berlinTime is an instant with nanoseconds in a zone other than UTC,
// neither of which may change the instant sent.
func berlinTime(t *testing.T) time.Time {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	return time.Date(2031, time.March, 14, 10, 30, 0, 123456789, berlin)
}

func TestCreateSendsTheScheduleAndExpiry(t *testing.T) {
	t.Parallel()
	rec := &requestRecorder{}
	ctx, c := testContext(t), rec.client(t)
	expiry := berlinTime(t)
	schedule := proto.CloneOf(weekdays)
	if _, err := c.CreateVCluster(ctx, "ns", "dev", &openvcluster.CreateVClusterParams{
		SleepSchedule: schedule, ExpireTime: expiry, DeleteSnapshotsOnExpiry: true,
	}); err != nil {
		t.Fatal(err)
	}
	spec := last[*openvclusterv1.CreateVClusterRequest](t, rec).GetSpec()
	if !proto.Equal(spec.GetSleepSchedule(), weekdays) || !spec.GetDeleteSnapshotsOnExpiry() {
		t.Errorf("spec = %v", spec)
	}
	if got := spec.GetExpireTime(); got.GetSeconds() != expiry.Unix() || got.GetNanos() != int32(expiry.Nanosecond()) || !got.AsTime().Equal(expiry) {
		t.Errorf("expire_time = %v, want %v", got, expiry)
	}
	schedule.SuspendCron = "changed after the call"
	if spec.GetSleepSchedule().GetSuspendCron() == schedule.GetSuspendCron() {
		t.Error("the request shares the caller's schedule")
	}

	// The friendly fields override Spec's; left empty, they keep Spec's.
	base := &openvcluster.VClusterSpec{SleepSchedule: &openvcluster.SleepSchedule{SuspendCron: "0 0 * * *"}, ExpireTime: spec.GetExpireTime()}
	if _, err := c.CreateVCluster(ctx, "ns", "dev", &openvcluster.CreateVClusterParams{Spec: base, SleepSchedule: weekdays}); err != nil {
		t.Fatal(err)
	}
	spec = last[*openvclusterv1.CreateVClusterRequest](t, rec).GetSpec()
	if !proto.Equal(spec.GetSleepSchedule(), weekdays) || !proto.Equal(spec.GetExpireTime(), base.GetExpireTime()) || spec.GetDeleteSnapshotsOnExpiry() {
		t.Errorf("spec over a base = %v", spec)
	}
	if _, err := c.CreateVCluster(ctx, "ns", "dev", nil); err != nil {
		t.Fatal(err)
	}
	spec = last[*openvclusterv1.CreateVClusterRequest](t, rec).GetSpec()
	if spec.GetSleepSchedule() != nil || spec.GetExpireTime() != nil {
		t.Errorf("spec with nothing given = %v, want no schedule and no expiry", spec)
	}
}

// TestUpdateMaskOfTheScheduleAndExpiry: each field given names its path,
// and an empty value given is sent as a clearing one, never as a value the
// server would act on (the zero time would be an expiry long past).
func TestUpdateMaskOfTheScheduleAndExpiry(t *testing.T) {
	t.Parallel()
	rec := &requestRecorder{}
	ctx, c := testContext(t), rec.client(t)
	expiry := berlinTime(t)
	cases := []struct {
		name  string
		p     *openvcluster.UpdateVClusterParams
		paths []string
		check func(spec *openvclusterv1.VClusterSpec) bool
	}{
		{"schedule", &openvcluster.UpdateVClusterParams{SleepSchedule: weekdays}, []string{"spec.sleep_schedule"},
			func(s *openvclusterv1.VClusterSpec) bool { return proto.Equal(s.GetSleepSchedule(), weekdays) }},
		{"empty schedule clears", &openvcluster.UpdateVClusterParams{SleepSchedule: &openvcluster.SleepSchedule{}}, []string{"spec.sleep_schedule"},
			func(s *openvclusterv1.VClusterSpec) bool {
				return s.GetSleepSchedule() != nil && proto.Size(s.GetSleepSchedule()) == 0
			}},
		{"expiry", &openvcluster.UpdateVClusterParams{ExpireTime: &expiry}, []string{"spec.expire_time"},
			func(s *openvclusterv1.VClusterSpec) bool { return s.GetExpireTime().AsTime().Equal(expiry) }},
		{"zero expiry clears", &openvcluster.UpdateVClusterParams{ExpireTime: &time.Time{}}, []string{"spec.expire_time"},
			func(s *openvclusterv1.VClusterSpec) bool { return s != nil && s.GetExpireTime() == nil }},
		{"snapshots kept", &openvcluster.UpdateVClusterParams{DeleteSnapshotsOnExpiry: new(false)}, []string{"spec.delete_snapshots_on_expiry"},
			func(s *openvclusterv1.VClusterSpec) bool { return s != nil && !s.GetDeleteSnapshotsOnExpiry() }},
		{"explicit mask clears the expiry", &openvcluster.UpdateVClusterParams{UpdateMask: []string{openvcluster.UpdatePathExpireTime}},
			[]string{"spec.expire_time"}, func(s *openvclusterv1.VClusterSpec) bool { return s == nil }},
		{"every field, in order", &openvcluster.UpdateVClusterParams{
			DeleteSnapshotsOnExpiry: new(true), ExpireTime: &expiry, SleepSchedule: weekdays, DeletionProtection: new(true),
			Labels: &map[string]string{},
		}, []string{
			"labels", "spec.deletion_protection", "spec.sleep_schedule", "spec.expire_time", "spec.delete_snapshots_on_expiry",
		}, func(s *openvclusterv1.VClusterSpec) bool {
			return s.GetDeletionProtection() && s.GetDeleteSnapshotsOnExpiry() && s.GetExpireTime() != nil && s.GetSleepSchedule() != nil
		}},
	}
	for _, tc := range cases {
		if _, err := c.UpdateVCluster(ctx, "ns", "dev", tc.p); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		req := last[*openvclusterv1.UpdateVClusterRequest](t, rec)
		if paths := req.GetUpdateMask().GetPaths(); !slices.Equal(paths, tc.paths) || !tc.check(req.GetVcluster().GetSpec()) {
			t.Errorf("%s: mask %v, spec %v; want mask %v", tc.name, paths, req.GetVcluster().GetSpec(), tc.paths)
		}
	}
}

// TestScheduleAndExpiryOnTheServer follows a schedule and an expiry
// through the reference server: set at create, the empty time zone stored
// as UTC, the next suspend shown, and each cleared on its own.
func TestScheduleAndExpiryOnTheServer(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	expiry := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	created, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{
		SleepSchedule:           &openvcluster.SleepSchedule{SuspendCron: "0 19 * * 1-5"},
		ExpireTime:              expiry,
		DeleteSnapshotsOnExpiry: true,
		Wait:                    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	spec := created.GetSpec()
	want := &openvcluster.SleepSchedule{SuspendCron: "0 19 * * 1-5", TimeZone: "UTC"}
	if !proto.Equal(spec.GetSleepSchedule(), want) || !spec.GetExpireTime().AsTime().Equal(expiry) || !spec.GetDeleteSnapshotsOnExpiry() {
		t.Errorf("created spec = %v", spec)
	}
	if next := created.GetStatus().GetNextSuspendTime(); next == nil || created.GetStatus().GetNextResumeTime() != nil {
		t.Errorf("created status = %v, want a next suspend and no next resume", created.GetStatus())
	}

	// An empty schedule clears the schedule; the expiry stays.
	vc, err := c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{SleepSchedule: &openvcluster.SleepSchedule{}})
	if err != nil || vc.GetSpec().GetSleepSchedule() != nil || vc.GetStatus().GetNextSuspendTime() != nil ||
		!vc.GetSpec().GetExpireTime().AsTime().Equal(expiry) {
		t.Fatalf("after clearing the schedule = %v, %v", vc, err)
	}
	// The expiry named with none given clears it; the snapshots setting stays.
	vc, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{UpdateMask: []string{openvcluster.UpdatePathExpireTime}})
	if err != nil || vc.GetSpec().GetExpireTime() != nil || !vc.GetSpec().GetDeleteSnapshotsOnExpiry() {
		t.Fatalf("after clearing the expiry = %v, %v", vc, err)
	}
}

// TestScheduleAndExpiryRefusals: the server names the bad field, as the
// create and the update each spell it.
func TestScheduleAndExpiryRefusals(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	_, err := c.CreateVCluster(ctx, ns, "late", &openvcluster.CreateVClusterParams{ExpireTime: time.Now().Add(-time.Hour)})
	expectFieldViolation(t, err, "spec.expire_time")

	if _, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{
		SleepSchedule: &openvcluster.SleepSchedule{SuspendCron: "every evening"},
	})
	expectFieldViolation(t, err, "vcluster.spec.sleep_schedule.suspend_cron")
	_, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{
		SleepSchedule: &openvcluster.SleepSchedule{ResumeCron: "0 7 * * *", TimeZone: "Mars/Olympus_Mons"},
	})
	expectFieldViolation(t, err, "vcluster.spec.sleep_schedule.time_zone")
}

func expectFieldViolation(t *testing.T, err error, field string) {
	t.Helper()
	e := asError(t, err)
	if !openvcluster.IsInvalidArgument(err) || !slices.ContainsFunc(e.FieldViolations, func(v *errdetails.BadRequest_FieldViolation) bool {
		return v.GetField() == field
	}) {
		t.Errorf("error = %v (violations %v), want INVALID_ARGUMENT on %s", err, e.FieldViolations, field)
	}
}
