package openvcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Error is a failed call: the gRPC status the server (or the transport)
// answered, with the google.rpc details of the rich error model already
// decoded, so callers read FieldViolations instead of unpacking Any values.
//
// Every method of Client returns an *Error for a failed call; match it with
// errors.As, or with helpers such as IsNotFound. It also implements
// GRPCStatus, so status.Code and status.FromError keep working.
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// Message is the server's explanation, meant for people.
	Message string
	// Reason is the machine-readable reason of the google.rpc.ErrorInfo
	// detail, such as "INVALID_PHASE"; empty without one.
	Reason string
	// Domain is the ErrorInfo's domain.
	Domain string
	// Metadata is the ErrorInfo's metadata, such as the current "phase".
	Metadata map[string]string
	// FieldViolations names every bad field of an INVALID_ARGUMENT
	// (google.rpc.BadRequest), in the order the server sent them.
	FieldViolations []*errdetails.BadRequest_FieldViolation
	// QuotaViolations says which quota a RESOURCE_EXHAUSTED would exceed
	// (google.rpc.QuotaFailure).
	QuotaViolations []*errdetails.QuotaFailure_Violation
	// Details holds every detail message the server attached, decoded when
	// its type is known (errdetails types are), else as *anypb.Any.
	Details []proto.Message
	// RequestID is the idempotency key the SDK sent with a mutation; quote
	// it when reporting a problem. Empty for reads.
	RequestID string

	status *status.Status
}

// Error implements error: "NOT_FOUND: vcluster team-a/dev not found", with
// one line per field violation.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(codeName(e.Code))
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request_id %s)", e.RequestID)
	}
	for _, v := range e.FieldViolations {
		fmt.Fprintf(&b, "\n  %s: %s", v.GetField(), v.GetDescription())
	}
	return b.String()
}

// GRPCStatus returns the status the error was built from, for status.FromError.
func (e *Error) GRPCStatus() *status.Status {
	if e.status == nil {
		return status.New(e.Code, e.Message)
	}
	return e.status
}

// fromStatus builds an *Error from a gRPC status, decoding its details.
func fromStatus(st *status.Status, requestID string) *Error {
	e := &Error{Code: st.Code(), Message: st.Message(), RequestID: requestID, status: st}
	for _, detail := range st.Proto().GetDetails() {
		msg, err := detail.UnmarshalNew()
		if err != nil {
			// A detail of a type this program does not link stays an Any.
			msg = detail
		}
		e.Details = append(e.Details, msg)
		switch d := msg.(type) {
		case *errdetails.ErrorInfo:
			if e.Reason == "" {
				e.Reason, e.Domain, e.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
			}
		case *errdetails.BadRequest:
			e.FieldViolations = append(e.FieldViolations, d.GetFieldViolations()...)
		case *errdetails.QuotaFailure:
			e.QuotaViolations = append(e.QuotaViolations, d.GetViolations()...)
		}
	}
	return e
}

// toError converts what grpc-go returned into an *Error. Context errors raised
// before any call left the client become CANCELLED or DEADLINE_EXCEEDED.
func toError(err error, requestID string) error {
	if err == nil {
		return nil
	}
	var own *Error
	if errors.As(err, &own) {
		return err
	}
	if st, ok := status.FromError(err); ok {
		return fromStatus(st, requestID)
	}
	return fromStatus(status.FromContextError(err), requestID)
}

// codeName is the canonical upper-case name of a code, as the proto and the
// other SDKs spell it ("NOT_FOUND"), rather than grpc-go's "NotFound".
func codeName(c codes.Code) string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("CODE(%d)", uint32(c))
}

var codeNames = map[codes.Code]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// CodeName is the canonical name of a gRPC code as the API documents it,
// such as "NOT_FOUND" or "DEADLINE_EXCEEDED".
func CodeName(c codes.Code) string { return codeName(c) }

// Code is the gRPC code of an error: an *Error's code, a grpc status error's
// code, CANCELLED or DEADLINE_EXCEEDED for context errors, OK for nil and
// UNKNOWN for anything else.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if st, ok := status.FromError(err); ok {
		return st.Code()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Unknown
}

// IsInvalidArgument reports whether err is INVALID_ARGUMENT: a bad field
// (see Error.FieldViolations), a bad page token or label selector.
func IsInvalidArgument(err error) bool { return Code(err) == codes.InvalidArgument }

// IsNotFound reports whether err is NOT_FOUND: the vcluster or snapshot does
// not exist, or is in a namespace the caller may not see.
func IsNotFound(err error) bool { return Code(err) == codes.NotFound }

// IsAlreadyExists reports whether err is ALREADY_EXISTS: the name is taken.
func IsAlreadyExists(err error) bool { return Code(err) == codes.AlreadyExists }

// IsFailedPrecondition reports whether err is FAILED_PRECONDITION: the
// resource is in a phase that does not allow the call (Reason
// "INVALID_PHASE", Metadata["phase"]).
func IsFailedPrecondition(err error) bool { return Code(err) == codes.FailedPrecondition }

// IsAborted reports whether err is ABORTED: the etag sent is stale; read the
// resource again.
func IsAborted(err error) bool { return Code(err) == codes.Aborted }

// IsResourceExhausted reports whether err is RESOURCE_EXHAUSTED: a quota
// would be exceeded (see Error.QuotaViolations), or a watcher fell behind.
func IsResourceExhausted(err error) bool { return Code(err) == codes.ResourceExhausted }

// IsPermissionDenied reports whether err is PERMISSION_DENIED: the token's
// role does not allow the call.
func IsPermissionDenied(err error) bool { return Code(err) == codes.PermissionDenied }

// IsUnauthenticated reports whether err is UNAUTHENTICATED: no token, or one
// the server does not know.
func IsUnauthenticated(err error) bool { return Code(err) == codes.Unauthenticated }

// IsUnavailable reports whether err is UNAVAILABLE: the server could not be
// reached or did not handle the call, even after retries.
func IsUnavailable(err error) bool { return Code(err) == codes.Unavailable }

// IsCancelled reports whether err is CANCELLED: the call's context was
// cancelled (or the client closed while it ran), or the server cancelled
// it. The Python and TypeScript SDKs raise a CancelledError for it.
func IsCancelled(err error) bool { return Code(err) == codes.Canceled }

// IsDeadlineExceeded reports whether err is DEADLINE_EXCEEDED: a call did
// not finish within its timeout. A wait helper's timeout is a
// *WaitTimeoutError instead (see IsWaitTimeout).
func IsDeadlineExceeded(err error) bool { return Code(err) == codes.DeadlineExceeded }
