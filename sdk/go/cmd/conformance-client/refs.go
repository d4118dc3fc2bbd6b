package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

// resolveRefs returns the step (a copy when it has refs) with each ref's
// value, found in an earlier step's result, set in its action's request.
func resolveRefs(step *conformancev1.Step, earlier map[string]map[string]any) (*conformancev1.Step, error) {
	if len(step.GetRefs()) == 0 {
		return step, nil
	}
	step = proto.CloneOf(step)
	request, err := requestOf(step)
	if err != nil {
		return nil, err
	}
	for _, ref := range step.GetRefs() {
		value, err := lookup(earlier[ref.GetStep()], ref.GetPath())
		if err != nil {
			return nil, fmt.Errorf("%s.%s has no value: %w", ref.GetStep(), ref.GetPath(), err)
		}
		field := request.Descriptor().Fields().ByJSONName(ref.GetField())
		if field == nil || field.Kind() != protoreflect.StringKind || field.Cardinality() == protoreflect.Repeated {
			return nil, fmt.Errorf("%s is not a string field of %s", ref.GetField(), request.Descriptor().Name())
		}
		request.Set(field, protoreflect.ValueOfString(value))
	}
	if call := step.GetCall(); call != nil {
		return step, call.GetRequest().MarshalFrom(request.Interface())
	}
	return step, nil
}

// requestOf is the request of step's action, to change in place; for a
// call, a copy of the one its Any packs, for resolveRefs to pack again.
func requestOf(step *conformancev1.Step) (protoreflect.Message, error) {
	if call := step.GetCall(); call != nil {
		request, err := call.GetRequest().UnmarshalNew()
		if err != nil {
			return nil, fmt.Errorf("step %s: %w", step.GetName(), err)
		}
		return request.ProtoReflect(), nil
	}
	action := step.ProtoReflect().WhichOneof(step.ProtoReflect().Descriptor().Oneofs().ByName("action"))
	if action == nil {
		return nil, fmt.Errorf("step %s has no action", step.GetName())
	}
	return step.ProtoReflect().Mutable(action).Message(), nil
}

// lookup walks a dot-separated path of JSON names and list indexes.
func lookup(root map[string]any, path string) (string, error) {
	if root == nil {
		return "", fmt.Errorf("no such step result")
	}
	var value any = root
	for _, part := range strings.Split(path, ".") {
		switch v := value.(type) {
		case map[string]any:
			next, ok := v[part]
			if !ok {
				return "", fmt.Errorf("no %q", part)
			}
			value = next
		case []any:
			index, err := strconv.Atoi(part)
			if err != nil || index < 0 || index >= len(v) {
				return "", fmt.Errorf("no item %q", part)
			}
			value = v[index]
		default:
			return "", fmt.Errorf("no %q in a scalar", part)
		}
	}
	switch v := value.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	encoded, err := json.Marshal(value)
	return string(encoded), err
}
