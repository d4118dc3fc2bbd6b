package openvcluster

import (
	"errors"
	"fmt"
	"time"
)

// WaitTimeoutError is returned by the wait helpers (WaitForPhase,
// WaitForDeletion, WaitForSnapshot and the Wait field of mutations) when the
// awaited state was not reached in time: the client's wait timeout (see
// WithWaitTimeout) or the context's deadline.
type WaitTimeoutError struct {
	// What describes the wait, such as "vcluster team-a/dev did not reach RUNNING".
	What string
	// Timeout is the wait timeout that passed; zero when the context's
	// deadline ended the wait.
	Timeout time.Duration
	// LastSeenVCluster is the last state of the vcluster observed, if any.
	LastSeenVCluster *VCluster
	// LastSeenSnapshot is the last state of the snapshot observed, if any.
	LastSeenSnapshot *Snapshot
	// Cause is the context error when the context ended the wait.
	Cause error
}

// Error implements error.
func (e *WaitTimeoutError) Error() string {
	text := e.What
	if e.Timeout > 0 {
		text += fmt.Sprintf(" within %s", e.Timeout)
	} else {
		text += " in time"
	}
	switch {
	case e.LastSeenVCluster != nil:
		text += fmt.Sprintf(" (last seen %s)", PhaseName(e.LastSeenVCluster.GetStatus().GetPhase()))
	case e.LastSeenSnapshot != nil:
		text += fmt.Sprintf(" (last seen %s)", SnapshotPhaseName(e.LastSeenSnapshot.GetPhase()))
	}
	return text
}

// Unwrap returns the context error that ended the wait, if any, so
// errors.Is(err, context.DeadlineExceeded) holds for a context deadline.
func (e *WaitTimeoutError) Unwrap() error { return e.Cause }

// VClusterFailedError is returned by a wait helper when the vcluster ended in
// FAILED while another phase was awaited. From FAILED only deletion, and
// updates of labels, deletion protection, sleep schedule or expiry, are
// allowed.
type VClusterFailedError struct {
	// VCluster is the failed vcluster; its Status.Message says why.
	VCluster *VCluster
}

// Error implements error.
func (e *VClusterFailedError) Error() string {
	return fmt.Sprintf("vcluster %s/%s FAILED: %s", e.VCluster.GetNamespace(), e.VCluster.GetName(),
		orNoReason(e.VCluster.GetStatus().GetMessage()))
}

// SnapshotFailedError is returned by a wait helper when the snapshot ended in
// FAILED. A failed snapshot can only be deleted.
type SnapshotFailedError struct {
	// Snapshot is the failed snapshot; its Message says why.
	Snapshot *Snapshot
}

// Error implements error.
func (e *SnapshotFailedError) Error() string {
	return fmt.Sprintf("snapshot %s/%s FAILED: %s", e.Snapshot.GetNamespace(), e.Snapshot.GetName(),
		orNoReason(e.Snapshot.GetMessage()))
}

func orNoReason(message string) string {
	if message == "" {
		return "no reason given"
	}
	return message
}

// IsWaitError reports whether err is one of the wait helpers' own errors:
// a *WaitTimeoutError, *VClusterFailedError or *SnapshotFailedError (the
// WaitError of the Python and TypeScript SDKs). Errors of the calls a wait
// makes, such as NOT_FOUND, are *Error instead.
func IsWaitError(err error) bool {
	return IsWaitTimeout(err) || IsVClusterFailed(err) || IsSnapshotFailed(err)
}

// IsWaitTimeout reports whether err is a *WaitTimeoutError.
func IsWaitTimeout(err error) bool {
	var e *WaitTimeoutError
	return errors.As(err, &e)
}

// IsVClusterFailed reports whether err is a *VClusterFailedError.
func IsVClusterFailed(err error) bool {
	var e *VClusterFailedError
	return errors.As(err, &e)
}

// IsSnapshotFailed reports whether err is a *SnapshotFailedError.
func IsSnapshotFailed(err error) bool {
	var e *SnapshotFailedError
	return errors.As(err, &e)
}
