package openvcluster_test

import (
	"errors"
	"maps"
	"regexp"
	"strings"
	"testing"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// asError is err as the SDK's *Error, failing the test when it is not one.
func asError(t *testing.T, err error) *openvcluster.Error {
	t.Helper()
	var e *openvcluster.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want an *openvcluster.Error", err, err)
	}
	return e
}

// TestUpdateSendsOnlyTheFieldsGiven checks the derived update mask through
// what the server keeps: each update changes the field it gives and leaves
// the others as they are.
func TestUpdateSendsOnlyTheFieldsGiven(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	created, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{
		KubernetesVersion:  "1.31",
		Labels:             map[string]string{"app": "web", "tier": "gold"},
		DeletionProtection: true,
		Wait:               true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !created.GetSpec().GetDeletionProtection() {
		t.Fatalf("created spec = %v, want deletion protection", created.GetSpec())
	}

	// Labels only: they are replaced, and protection and version stay.
	vc, err := c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{
		Labels: &map[string]string{"team": "platform"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(vc.GetLabels(), map[string]string{"team": "platform"}) || !vc.GetSpec().GetDeletionProtection() ||
		vc.GetSpec().GetKubernetesVersion() != "1.31" || vc.GetStatus().GetPhase() != openvcluster.PhaseRunning ||
		vc.GetEtag() == created.GetEtag() {
		t.Errorf("after a labels update = %v", vc)
	}

	// A protected vcluster is not deleted, and stays as it was.
	_, err = c.DeleteVCluster(ctx, ns, "dev", nil)
	if e := asError(t, err); !openvcluster.IsFailedPrecondition(err) || e.Reason != "DELETION_PROTECTED" || e.Domain != "openvcluster.io" {
		t.Errorf("delete of a protected vcluster: %v (reason %q, domain %q), want FAILED_PRECONDITION DELETION_PROTECTED", err, e.Reason, e.Domain)
	}
	got, err := c.GetVCluster(ctx, ns, "dev")
	if err != nil || got.GetStatus().GetPhase() != openvcluster.PhaseRunning || got.GetEtag() != vc.GetEtag() {
		t.Fatalf("after the refused delete = %v, %v", got, err)
	}

	// Protection off (false is a change, not "not given"): labels stay.
	vc, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{DeletionProtection: new(false), Etag: vc.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if vc.GetSpec().GetDeletionProtection() || !maps.Equal(vc.GetLabels(), map[string]string{"team": "platform"}) {
		t.Errorf("after protection off = %v", vc)
	}

	// An empty map is given: every label goes.
	vc, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{Labels: &map[string]string{}})
	if err != nil || len(vc.GetLabels()) != 0 {
		t.Fatalf("clearing labels = %v, %v", vc, err)
	}

	// Nothing given is an empty mask, which the server (not the client) refuses.
	for _, p := range []*openvcluster.UpdateVClusterParams{nil, {Etag: vc.GetEtag()}} {
		_, err = c.UpdateVCluster(ctx, ns, "dev", p)
		if e := asError(t, err); !openvcluster.IsInvalidArgument(err) || len(e.FieldViolations) != 1 || e.FieldViolations[0].GetField() != "update_mask" {
			t.Errorf("update with nothing given: %v, want INVALID_ARGUMENT on update_mask", err)
		}
	}

	if _, err := c.DeleteVCluster(ctx, ns, "dev", &openvcluster.DeleteVClusterParams{Wait: true}); err != nil {
		t.Fatalf("delete once unprotected: %v", err)
	}
}

// TestUpdateWithAnExplicitMask sends the caller's mask as it is: a path
// the server does not allow is INVALID_ARGUMENT on update_mask.paths, and
// the fields the mask names take their values from the params.
func TestUpdateWithAnExplicitMask(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	before, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{Labels: map[string]string{"app": "web"}, Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{
		Labels:     &map[string]string{"app": "api"},
		UpdateMask: []string{openvcluster.UpdatePathLabels, "spec.distro"},
	})
	e := asError(t, err)
	if !openvcluster.IsInvalidArgument(err) || len(e.FieldViolations) != 1 ||
		e.FieldViolations[0].GetField() != "update_mask.paths" || !strings.Contains(e.FieldViolations[0].GetDescription(), "spec.distro") {
		t.Errorf("unknown mask path: %v, want INVALID_ARGUMENT on update_mask.paths naming spec.distro", err)
	}
	if got, err := c.GetVCluster(ctx, ns, "dev"); err != nil || got.GetEtag() != before.GetEtag() {
		t.Errorf("after the refused update = %v, %v", got, err)
	}

	// The mask overrides the derivation: protection is given but not
	// named, so only the labels change.
	vc, err := c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{
		Labels:             &map[string]string{"app": "api"},
		DeletionProtection: new(true),
		UpdateMask:         []string{openvcluster.UpdatePathLabels},
	})
	if err != nil || vc.GetLabels()["app"] != "api" || vc.GetSpec().GetDeletionProtection() {
		t.Errorf("explicit labels mask = %v, %v", vc, err)
	}
	// A named field that is not given is cleared.
	vc, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{UpdateMask: []string{openvcluster.UpdatePathLabels}})
	if err != nil || len(vc.GetLabels()) != 0 {
		t.Errorf("explicit labels mask with no labels = %v, %v", vc, err)
	}
}

// TestUpgradeWaitsForRunning upgrades through UPGRADING, with Wait and
// without, and checks the refusals of upgrades the server does not allow.
func TestUpgradeWaitsForRunning(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{KubernetesVersion: "1.31", Wait: true}); err != nil {
		t.Fatal(err)
	}

	// ValidateOnly answers UPGRADING, does not wait, and changes nothing.
	vc, err := c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{
		KubernetesVersion: new("1.32"), ValidateOnly: true, Wait: true,
	})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseUpgrading || vc.GetSpec().GetKubernetesVersion() != "1.32" {
		t.Fatalf("validate-only upgrade = %v, %v", vc, err)
	}
	if got, err := c.GetVCluster(ctx, ns, "dev"); err != nil || got.GetSpec().GetKubernetesVersion() != "1.31" {
		t.Fatalf("after a validate-only upgrade = %v, %v", got, err)
	}

	vc, err = c.UpgradeVCluster(ctx, ns, "dev", "1.32", &openvcluster.UpgradeVClusterParams{Wait: true})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseRunning || vc.GetSpec().GetKubernetesVersion() != "1.32" {
		t.Fatalf("upgrade with Wait = %v, %v", vc, err)
	}

	// Without Wait the answer is UPGRADING; WaitForPhase sees it through.
	vc, err = c.UpgradeVCluster(ctx, ns, "dev", "1.32.3", &openvcluster.UpgradeVClusterParams{Etag: vc.GetEtag()})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseUpgrading {
		t.Fatalf("patch upgrade = %v, %v", vc, err)
	}
	vc, err = c.WaitForPhase(ctx, ns, "dev", openvcluster.PhaseRunning)
	if err != nil || vc.GetSpec().GetKubernetesVersion() != "1.32.3" {
		t.Fatalf("after the patch upgrade = %v, %v", vc, err)
	}

	// The same version changes nothing, and Wait returns at once.
	same, err := c.UpgradeVCluster(ctx, ns, "dev", "1.32.3", &openvcluster.UpgradeVClusterParams{Wait: true})
	if err != nil || same.GetEtag() != vc.GetEtag() || same.GetStatus().GetPhase() != openvcluster.PhaseRunning {
		t.Errorf("upgrade to the same version = %v, %v", same, err)
	}

	// A downgrade is refused, its versions in the ErrorInfo's metadata.
	_, err = c.UpgradeVCluster(ctx, ns, "dev", "1.30", nil)
	e := asError(t, err)
	want := map[string]string{"current": "1.32.3", "requested": "1.30", "allowed": "1.33"}
	if !openvcluster.IsFailedPrecondition(err) || e.Reason != "UPGRADE_NOT_ALLOWED" || !maps.Equal(e.Metadata, want) {
		t.Errorf("downgrade: %v (reason %q, metadata %v), want UPGRADE_NOT_ALLOWED %v", err, e.Reason, e.Metadata, want)
	}
	// An unsupported version is a bad field.
	_, err = c.UpgradeVCluster(ctx, ns, "dev", "1.99", nil)
	if e := asError(t, err); !openvcluster.IsInvalidArgument(err) || len(e.FieldViolations) != 1 ||
		e.FieldViolations[0].GetField() != "vcluster.spec.kubernetes_version" {
		t.Errorf("unsupported version: %v, want INVALID_ARGUMENT on vcluster.spec.kubernetes_version", err)
	}
}

// TestUpdateWaitReturnsAtOnceWithoutAnUpgrade: a labels update of a
// SUSPENDED vcluster keeps it SUSPENDED, and Wait does not wait for RUNNING.
func TestUpdateWaitReturnsAtOnceWithoutAnUpgrade(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "off", &openvcluster.CreateVClusterParams{KubernetesVersion: "1.31", Wait: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendVCluster(ctx, ns, "off", &openvcluster.SuspendVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
	vc, err := c.UpdateVCluster(ctx, ns, "off", &openvcluster.UpdateVClusterParams{
		Labels: &map[string]string{"state": "asleep"}, DeletionProtection: new(true), Wait: true,
	})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseSuspended || vc.GetLabels()["state"] != "asleep" ||
		!vc.GetSpec().GetDeletionProtection() {
		t.Fatalf("update of a suspended vcluster = %v, %v", vc, err)
	}
	// An upgrade starts from RUNNING only.
	_, err = c.UpgradeVCluster(ctx, ns, "off", "1.32", nil)
	if e := asError(t, err); !openvcluster.IsFailedPrecondition(err) || e.Reason != "INVALID_PHASE" || e.Metadata["phase"] != "SUSPENDED" {
		t.Errorf("upgrade of a suspended vcluster: %v, want INVALID_PHASE", err)
	}
}

// TestUpgradeWaitEndsWithTheFailure: an upgrade that ends FAILED ends the
// wait with *VClusterFailedError carrying the vcluster.
func TestUpgradeWaitEndsWithTheFailure(t *testing.T) {
	t.Parallel()
	ctx, c, ns := testContext(t), newClient(t), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{KubernetesVersion: "1.31", Wait: true}); err != nil {
		t.Fatal(err)
	}
	failing := withMetadata(ctx, "ovc-test-fail-transition", "the new control plane did not start")
	_, err := c.UpgradeVCluster(failing, ns, "dev", "1.32", &openvcluster.UpgradeVClusterParams{Wait: true})
	var failed *openvcluster.VClusterFailedError
	if !errors.As(err, &failed) || !strings.Contains(failed.VCluster.GetStatus().GetMessage(), "did not start") {
		t.Fatalf("failing upgrade with Wait: %v, want *VClusterFailedError", err)
	}
	// From FAILED, protection can still change; Wait returns at once.
	vc, err := c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{DeletionProtection: new(true), Wait: true})
	if err != nil || vc.GetStatus().GetPhase() != openvcluster.PhaseFailed || !vc.GetSpec().GetDeletionProtection() {
		t.Errorf("update of a failed vcluster = %v, %v", vc, err)
	}
}

// TestUpdateRetrySendsTheSameRequestID loses the answer of an upgrade: the
// retry carries the same request_id, so the server answers the first result
// (UPGRADING) instead of refusing an update while UPGRADING.
func TestUpdateRetrySendsTheSameRequestID(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	ctx, c, ns := testContext(t), newClient(t, logs.option()), namespace(t)
	if _, err := c.CreateVCluster(ctx, ns, "dev", &openvcluster.CreateVClusterParams{KubernetesVersion: "1.31", Wait: true}); err != nil {
		t.Fatal(err)
	}
	held := withMetadata(ctx, "ovc-test-unavailable-after", ns+"-upgrade:1", "ovc-test-transition-delay-ms", "3600000")
	logs.Reset()
	vc, err := c.UpgradeVCluster(held, ns, "dev", "1.32", nil)
	if err != nil {
		t.Fatalf("upgrade whose first answer was lost: %v", err)
	}
	if vc.GetStatus().GetPhase() != openvcluster.PhaseUpgrading || vc.GetSpec().GetKubernetesVersion() != "1.32" {
		t.Errorf("upgrade = %v", vc)
	}
	ids := regexp.MustCompile(`request_id=(\S+)`).FindAllStringSubmatch(logs.String(), -1)
	if len(ids) != 2 || ids[0][1] != ids[1][1] {
		t.Errorf("request ids of the attempts = %v, want the same twice", ids)
	}
	// The vcluster is held in UPGRADING, where updates are refused and a
	// delete is allowed.
	_, err = c.UpdateVCluster(ctx, ns, "dev", &openvcluster.UpdateVClusterParams{Labels: &map[string]string{"app": "web"}})
	if e := asError(t, err); !openvcluster.IsFailedPrecondition(err) || e.Reason != "INVALID_PHASE" || e.Metadata["phase"] != "UPGRADING" {
		t.Errorf("update while UPGRADING: %v, want INVALID_PHASE", err)
	}
	if _, err := c.DeleteVCluster(ctx, ns, "dev", &openvcluster.DeleteVClusterParams{Wait: true}); err != nil {
		t.Fatal(err)
	}
}
