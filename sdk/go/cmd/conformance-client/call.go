package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

// sdkNames are the Client methods whose name is not their RPC's
// (sdk/names.json); GetVClusterKubeconfig is only a deprecated alias.
var sdkNames = map[string]string{"GetVClusterKubeconfig": "GetKubeconfig"}

// call runs a unary RPC through the Client method of its name, found by
// reflection so that a new RPC needs no code here (UnaryCall in the
// protocol). Its request type resolves through the global registry, where
// the API's generated packages, imported through conformancev1, put it.
func call(ctx context.Context, c *openvcluster.Client, uc *conformancev1.UnaryCall, onOperation func(string)) *conformancev1.StepResult {
	request, err := uc.GetRequest().UnmarshalNew()
	if err != nil {
		return errorResult(&conformancev1.Error{Kind: conformancev1.Error_KIND_CLIENT, Message: "call request: " + err.Error()})
	}
	name := uc.GetMethod()
	if sdkName, ok := sdkNames[name]; ok {
		name = sdkName
	}
	method := reflect.ValueOf(c).MethodByName(name)
	if !method.IsValid() {
		return unsupported(fmt.Errorf("the SDK has no method %s", name))
	}
	// Checked before the call, so that an unsupported one sends nothing.
	outcome, err := outcomeOf(method.Type())
	if err != nil {
		return unsupported(fmt.Errorf("%s: %w", name, err))
	}
	args, err := arguments(ctx, method.Type(), request.ProtoReflect(), onOperation)
	if err != nil {
		return unsupported(fmt.Errorf("%s: %w", name, err))
	}
	out := method.Call(args)
	if callErr, _ := out[len(out)-1].Interface().(error); callErr != nil {
		return errorResult(errorOf(callErr))
	}
	result := &conformancev1.StepResult{}
	switch {
	case outcome == nil:
		result.Outcome = &conformancev1.StepResult_Done{Done: &conformancev1.Done{}}
	case outcome.Kind() == protoreflect.StringKind:
		result.ProtoReflect().Set(outcome, protoreflect.ValueOfString(out[0].String()))
	default:
		m := out[0].Interface().(proto.Message).ProtoReflect()
		if !m.IsValid() { // a nil message, which Set refuses: an empty one
			m = m.Type().New()
		}
		result.ProtoReflect().Set(outcome, protoreflect.ValueOfMessage(m))
	}
	return result
}

// unsupported is the result of a call this SDK cannot make as asked.
func unsupported(err error) *conformancev1.StepResult {
	return errorResult(&conformancev1.Error{Kind: conformancev1.Error_KIND_UNSUPPORTED, Message: err.Error()})
}

var errorType = reflect.TypeFor[error]()

// outcomeOf is the StepResult.outcome field of what a method of type t
// returns besides its error: the one of the result's message type, the
// string one (the kubeconfig) for a string, nil for only an error.
func outcomeOf(t reflect.Type) (protoreflect.FieldDescriptor, error) {
	if t.NumOut() == 0 || t.NumOut() > 2 || t.Out(t.NumOut()-1) != errorType {
		return nil, fmt.Errorf("returns %v, not a result and an error", t)
	}
	if t.NumOut() == 1 {
		return nil, nil
	}
	var message protoreflect.FullName
	if m, ok := reflect.Zero(t.Out(0)).Interface().(proto.Message); ok {
		message = m.ProtoReflect().Descriptor().FullName() // a nil *T has its descriptor
	}
	fields := (&conformancev1.StepResult{}).ProtoReflect().Descriptor().Oneofs().ByName("outcome").Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if (message == "" && t.Out(0).Kind() == reflect.String && fd.Kind() == protoreflect.StringKind) ||
			(message != "" && fd.Message() != nil && fd.Message().FullName() == message) {
			return fd, nil
		}
	}
	return nil, fmt.Errorf("returns %v, which no StepResult outcome holds", t.Out(0))
}

// arguments are the arguments of a method of type t (after ctx, strings and
// an optional *XxxParams) for request: its leading fields as the strings,
// every other set field in the Params field of the same name, and
// onOperation as its OnOperation.
func arguments(ctx context.Context, t reflect.Type, request protoreflect.Message, onOperation func(string)) ([]reflect.Value, error) {
	n := t.NumIn()
	if n == 0 || t.In(0) != reflect.TypeFor[context.Context]() {
		return nil, fmt.Errorf("takes no context first")
	}
	var params reflect.Value
	if last := t.In(n - 1); n > 1 && last.Kind() == reflect.Pointer && last.Elem().Kind() == reflect.Struct {
		params = reflect.New(last.Elem())
		n--
	}
	args := []reflect.Value{reflect.ValueOf(ctx)}
	fields := request.Descriptor().Fields()
	for i := 1; i < n; i++ {
		if t.In(i).Kind() != reflect.String || i > fields.Len() || fields.Get(i-1).Kind() != protoreflect.StringKind || fields.Get(i-1).IsList() {
			return nil, fmt.Errorf("argument %d (%v) is not a leading string field of %s", i, t.In(i), request.Descriptor().FullName())
		}
		args = append(args, reflect.ValueOf(request.Get(fields.Get(i-1)).String()).Convert(t.In(i)))
	}
	for i := n - 1; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !request.Has(fd) {
			continue // unset: the SDK's default applies
		}
		field := reflect.Value{}
		if params.IsValid() {
			field = params.Elem().FieldByNameFunc(func(name string) bool { return sameName(name, string(fd.Name())) })
		}
		if !field.IsValid() || !field.CanSet() {
			return nil, fmt.Errorf("no argument for %s", fd.Name())
		}
		value, ok := goValue(request.Get(fd), field.Type())
		if !ok {
			return nil, fmt.Errorf("%s is no %v", fd.Name(), field.Type())
		}
		field.Set(value)
	}
	if params.IsValid() {
		if f := params.Elem().FieldByName("OnOperation"); f.IsValid() && reflect.TypeOf(onOperation).AssignableTo(f.Type()) {
			f.Set(reflect.ValueOf(onOperation))
		}
		args = append(args, params)
	}
	return args, nil
}

// sameName says whether a Go field name and a proto field name are the
// same, case and underscores aside (RequestID, request_id).
func sameName(goName, protoName string) bool {
	return strings.EqualFold(goName, strings.ReplaceAll(protoName, "_", ""))
}

// goValue is v as a t: a message as it is, a pointer to the value for a
// pointer (an optional field), a map or list item by item, a scalar or an
// enum converted to a type of its kind.
func goValue(v protoreflect.Value, t reflect.Type) (reflect.Value, bool) {
	switch x := v.Interface().(type) {
	case protoreflect.Message:
		m := reflect.ValueOf(x.Interface())
		return m, m.Type().AssignableTo(t)
	case protoreflect.Map:
		if t.Kind() != reflect.Map {
			break
		}
		out, ok := reflect.MakeMapWithSize(t, x.Len()), true
		x.Range(func(key protoreflect.MapKey, value protoreflect.Value) bool {
			k, kok := goValue(key.Value(), t.Key())
			e, eok := goValue(value, t.Elem())
			if ok = kok && eok; ok {
				out.SetMapIndex(k, e)
			}
			return ok
		})
		return out, ok
	case protoreflect.List:
		if t.Kind() != reflect.Slice {
			break
		}
		out := reflect.MakeSlice(t, x.Len(), x.Len())
		for i := range x.Len() {
			item, ok := goValue(x.Get(i), t.Elem())
			if !ok {
				return reflect.Value{}, false
			}
			out.Index(i).Set(item)
		}
		return out, true
	}
	if t.Kind() == reflect.Pointer {
		elem, ok := goValue(v, t.Elem())
		if !ok {
			return reflect.Value{}, false
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(elem)
		return p, true
	}
	// Same kind only: Go converts an int to a string too, as a rune.
	s := reflect.ValueOf(v.Interface())
	if !s.IsValid() || s.Kind() != t.Kind() || !s.CanConvert(t) {
		return reflect.Value{}, false
	}
	return s.Convert(t), true
}
