package main

import (
	"errors"
	"fmt"
	"os"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

// vclusterResult is the result of a step answering a vcluster.
func vclusterResult(vc *openvcluster.VCluster, err error) *conformancev1.StepResult {
	if err != nil {
		return errorResult(errorOf(err))
	}
	return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_Vcluster{Vcluster: vc}}
}

// snapshotResult is the result of a step answering a snapshot.
func snapshotResult(s *openvcluster.Snapshot, err error) *conformancev1.StepResult {
	if err != nil {
		return errorResult(errorOf(err))
	}
	return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_Snapshot{Snapshot: s}}
}

// doneResult is the result of a step answering nothing but success.
func doneResult(err error) *conformancev1.StepResult {
	if err != nil {
		return errorResult(errorOf(err))
	}
	return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_Done{Done: &conformancev1.Done{}}}
}

// errorResult is the result of a failed step.
func errorResult(e *conformancev1.Error) *conformancev1.StepResult {
	return &conformancev1.StepResult{Outcome: &conformancev1.StepResult_Error{Error: e}}
}

// errorOf is the protocol Error of what an SDK call returned.
func errorOf(err error) *conformancev1.Error {
	var (
		timeout      *openvcluster.WaitTimeoutError
		vclusterFail *openvcluster.VClusterFailedError
		snapshotFail *openvcluster.SnapshotFailedError
		status       *openvcluster.Error
	)
	sdkError := fmt.Sprintf("%T", err)
	switch {
	case errors.As(err, &timeout):
		return &conformancev1.Error{Kind: conformancev1.Error_KIND_WAIT_TIMEOUT, Message: err.Error(), SdkError: sdkError}
	case errors.As(err, &vclusterFail):
		return &conformancev1.Error{Kind: conformancev1.Error_KIND_VCLUSTER_FAILED, Message: err.Error(), SdkError: sdkError}
	case errors.As(err, &snapshotFail):
		return &conformancev1.Error{Kind: conformancev1.Error_KIND_SNAPSHOT_FAILED, Message: err.Error(), SdkError: sdkError}
	case errors.As(err, &status):
		e := &conformancev1.Error{
			Kind:     conformancev1.Error_KIND_STATUS,
			Code:     openvcluster.CodeName(status.Code),
			Message:  status.Message,
			Reason:   status.Reason,
			Domain:   status.Domain,
			Metadata: status.Metadata,
			SdkError: sdkError,
		}
		for _, v := range status.FieldViolations {
			e.FieldViolations = append(e.FieldViolations, &conformancev1.FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
		}
		for _, v := range status.QuotaViolations {
			e.QuotaViolations = append(e.QuotaViolations, &conformancev1.QuotaViolation{Subject: v.GetSubject(), Description: v.GetDescription()})
		}
		return e
	}
	fmt.Fprintf(os.Stderr, "unexpected error %T: %v\n", err, err)
	return &conformancev1.Error{Kind: conformancev1.Error_KIND_CLIENT, Message: fmt.Sprintf("%T: %v", err, err), SdkError: sdkError}
}
