package openvcluster

import (
	"strings"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// PhaseName is a vcluster phase without its prefix, such as "RUNNING".
func PhaseName(p Phase) string { return strings.TrimPrefix(p.String(), "PHASE_") }

// SnapshotPhaseName is a snapshot phase without its prefix, such as "READY".
func SnapshotPhaseName(p SnapshotPhase) string { return strings.TrimPrefix(p.String(), "PHASE_") }

// RestingPhase is the phase an intermediate phase ends in on its own
// (RUNNING for PROVISIONING, SCALING, RESUMING, RESTORING and UPGRADING;
// SUSPENDED for SUSPENDING), and the phase itself for a resting one. A phase
// this client does not know (one a newer server added) counts as
// intermediate, as the contract asks, and is taken to end in RUNNING, as
// most intermediate phases do: the Python SDK's resting_phase answers alike.
func RestingPhase(p Phase) Phase {
	switch p {
	case PhaseProvisioning, PhaseScaling, PhaseResuming, PhaseRestoring, PhaseUpgrading:
		return PhaseRunning
	case PhaseSuspending:
		return PhaseSuspended
	}
	if !knownPhase(p) {
		return PhaseRunning
	}
	return p
}

// knownPhase reports whether this client knows phase p. A newer server may
// report a phase added to the API since; the wait helpers treat such a
// phase as intermediate and keep waiting through it.
func knownPhase(p Phase) bool {
	_, ok := openvclusterv1.VCluster_Phase_name[int32(p)]
	return ok
}
