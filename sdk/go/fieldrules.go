package openvcluster

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// The API's field rules are written once, in the proto (buf.validate
// options, see proto/openvcluster/v1/field_rules.proto), and the server
// checks every request against them. The client checks them too, before
// sending, so a request that breaks one fails at once, without a network
// call, retries or a wait, and in the same way as the server would answer
// it: INVALID_ARGUMENT with one google.rpc.BadRequest field violation per
// bad field, the first rule that field breaks. Rules that need the server's
// state or several fields at once stay the server's alone.

// WithRequestValidation switches the check of each request against the
// proto's field rules before it is sent (on by default). A request that
// breaks a rule fails with the *Error the server would answer
// (INVALID_ARGUMENT, Error.FieldViolations), without a network call.
//
// Turn it off to let the server alone decide, for instance when talking to
// a newer server whose rules are looser than those this SDK was built with.
// Like the other CallOptions, it sets a client's default given to New, and
// Client.WithOptions derives a client on the same connection without (or
// with) the check.
func WithRequestValidation(enabled bool) CallOption {
	return callOption(func(s *callSettings) { s.skipValidation = !enabled })
}

// requestValidator compiles each message type's rules on first use and keeps
// them; it is made on the first call that checks a request.
var requestValidator = sync.OnceValues(func() (protovalidate.Validator, error) {
	return protovalidate.New()
})

// checkRequest returns the INVALID_ARGUMENT *Error the server would answer if
// req, exactly as it will be sent, breaks a field rule; nil otherwise or when
// the client's checks are off. A rule this client cannot evaluate is left to
// the server, which runs the same check.
func (c *Client) checkRequest(req proto.Message, requestID string) error {
	if c.call.skipValidation {
		return nil
	}
	validator, err := requestValidator()
	if err != nil {
		return nil
	}
	var invalid *protovalidate.ValidationError
	if !errors.As(validator.Validate(req), &invalid) {
		return nil
	}
	found := fieldViolations(invalid.Violations)
	if len(found) == 0 {
		return nil
	}
	summary := make([]string, len(found))
	for i, v := range found {
		summary[i] = v.GetField() + ": " + v.GetDescription()
	}
	st, err := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(summary, "; ")).
		WithDetails(&errdetails.BadRequest{FieldViolations: found})
	if err != nil {
		return err // only for a detail that does not marshal
	}
	return fromStatus(st, requestID)
}

// fieldViolations turns protovalidate's violations into the API's: one per
// field path (its first), in protovalidate's order, except that the entries
// of one map are ordered by key, since Go ranges over a map in random order.
func fieldViolations(violations []*protovalidate.Violation) []*errdetails.BadRequest_FieldViolation {
	type entry struct {
		path, mapField string // mapField: the path up to the first map key
		key            any    // that key: a string, int64, uint64 or bool
		message        string
	}
	entries := make([]entry, 0, len(violations))
	for _, v := range violations {
		path, mapField, key := fieldPath(v.Proto.GetField())
		entries = append(entries, entry{path, mapField, key, v.Proto.GetMessage()})
	}
	// Sort each run of entries of the same map by key; the sort is stable, so
	// the key's own violations keep their order.
	for start := 0; start < len(entries); {
		end := start + 1
		for end < len(entries) && entries[start].mapField != "" && entries[end].mapField == entries[start].mapField {
			end++
		}
		slices.SortStableFunc(entries[start:end], func(a, b entry) int { return compareKeys(a.key, b.key) })
		start = end
	}
	var found []*errdetails.BadRequest_FieldViolation
	seen := map[string]bool{}
	for _, e := range entries {
		if !seen[e.path] {
			seen[e.path] = true
			found = append(found, &errdetails.BadRequest_FieldViolation{Field: e.path, Description: e.message})
		}
	}
	return found
}

// fieldPath writes a protovalidate FieldPath as the API writes field paths:
// "spec.resources.cpu", a map entry as "labels[app]" (the raw key) and a list
// item as "items[0]". mapField is the path up to the first map key
// ("labels") and key that key; mapField is empty without one.
func fieldPath(path *validate.FieldPath) (text, mapField string, key any) {
	var b strings.Builder
	for _, element := range path.GetElements() {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(element.GetFieldName())
		var subscript any
		switch element.WhichSubscript() {
		case validate.FieldPathElement_Index_case:
			fmt.Fprintf(&b, "[%d]", element.GetIndex())
			continue
		case validate.FieldPathElement_BoolKey_case:
			subscript = element.GetBoolKey()
		case validate.FieldPathElement_IntKey_case:
			subscript = element.GetIntKey()
		case validate.FieldPathElement_UintKey_case:
			subscript = element.GetUintKey()
		case validate.FieldPathElement_StringKey_case:
			subscript = element.GetStringKey()
		default:
			continue
		}
		if mapField == "" {
			mapField, key = b.String(), subscript
		}
		fmt.Fprintf(&b, "[%v]", subscript)
	}
	return b.String(), mapField, key
}

// compareKeys orders two keys of one map.
func compareKeys(a, b any) int {
	switch a := a.(type) {
	case string:
		return strings.Compare(a, b.(string))
	case int64:
		return cmp.Compare(a, b.(int64))
	case uint64:
		return cmp.Compare(a, b.(uint64))
	case bool:
		return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
	}
	return 0
}
