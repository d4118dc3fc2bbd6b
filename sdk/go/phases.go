package openvcluster

import "strings"

// PhaseName is a vcluster phase without its prefix, such as "RUNNING".
func PhaseName(p Phase) string { return strings.TrimPrefix(p.String(), "PHASE_") }

// SnapshotPhaseName is a snapshot phase without its prefix, such as "READY".
func SnapshotPhaseName(p SnapshotPhase) string { return strings.TrimPrefix(p.String(), "PHASE_") }

// RestingPhase is the phase an intermediate phase ends in on its own
// (RUNNING for PROVISIONING, SCALING, RESUMING and RESTORING; SUSPENDED for
// SUSPENDING), and the phase itself for any other.
func RestingPhase(p Phase) Phase {
	switch p {
	case PhaseProvisioning, PhaseScaling, PhaseResuming, PhaseRestoring:
		return PhaseRunning
	case PhaseSuspending:
		return PhaseSuspended
	}
	return p
}
