package openvcluster_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	openvclusterv1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// vectorsDir holds the wire vectors shared by every SDK, so all of them are
// held to the same bytes.
const vectorsDir = "../../conformance/vectors"

type vector struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Binary string `json:"binary"`
	JSON   string `json:"json"`
	Checks []struct {
		Path  []any `json:"path"`
		Value any   `json:"value"`
	} `json:"checks"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join(vectorsDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// json.Number keeps list indexes and expected integers exact, and apart
	// from the strings of map keys and field names.
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var manifest struct {
		Vectors []vector `json:"vectors"`
	}
	if err := dec.Decode(&manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.Vectors) == 0 {
		t.Fatal("manifest lists no vectors")
	}
	return manifest.Vectors
}

func readVectorFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// decode resolves the vector's type through the global registry, which the
// imports above fill, so no vector needs a hand-written type switch.
func decode(t *testing.T, v vector) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(v.Type))
	if err != nil {
		t.Fatal(err)
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(readVectorFile(t, v.Binary), msg); err != nil {
		t.Fatal(err)
	}
	return msg
}

// jsonValue parses JSON into plain values, so documents compare by content
// and not by field order or whitespace.
func jsonValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWireVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			msg := decode(t, v)

			t.Run("binary", func(t *testing.T) {
				got, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
				if err != nil {
					t.Fatal(err)
				}
				if want := readVectorFile(t, v.Binary); !bytes.Equal(got, want) {
					t.Errorf("re-encoded bytes differ:\n got %x\nwant %x", got, want)
				}
			})

			t.Run("json", func(t *testing.T) {
				text := readVectorFile(t, v.JSON)
				want := jsonValue(t, text)
				got, err := protojson.Marshal(msg)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(jsonValue(t, got), want) {
					t.Errorf("JSON of the binary differs:\n got %s\nwant %s", got, text)
				}
				// Compared as JSON, not as messages: a google.protobuf.Any
				// holds its message as bytes, whose map order a JSON parser
				// need not reproduce.
				fromJSON := msg.ProtoReflect().New().Interface()
				if err := protojson.Unmarshal(text, fromJSON); err != nil {
					t.Fatal(err)
				}
				again, err := protojson.Marshal(fromJSON)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(jsonValue(t, again), want) {
					t.Errorf("JSON round trip differs:\n got %s\nwant %s", again, text)
				}
			})

			t.Run("checks", func(t *testing.T) {
				for _, c := range v.Checks {
					got, err := readPath(msg.ProtoReflect(), c.Path)
					if err != nil {
						t.Errorf("%v: %v", c.Path, err)
						continue
					}
					want := c.Value
					if n, ok := want.(json.Number); ok {
						if want, err = n.Int64(); err != nil {
							t.Errorf("%v: expected value %v is not an integer", c.Path, n)
							continue
						}
					}
					if got != want {
						t.Errorf("%v = %#v, want %#v", c.Path, got, want)
					}
				}
			})
		})
	}
}

// readPath follows a check path of field names, list indexes and map keys,
// and returns what a typed read gives in the manifest's conventions: enums
// and 32-bit integers as int64, 64-bit integers as decimal strings (JSON
// numbers cannot hold them exactly), bools and strings as themselves.
func readPath(m protoreflect.Message, path []any) (any, error) {
	v := protoreflect.ValueOfMessage(m)
	var fd protoreflect.FieldDescriptor // the field v was read from; nil at the root
	indexed := false                    // whether v is one element of the list fd
	for _, step := range path {
		switch {
		case fd != nil && fd.IsList() && !indexed:
			n, ok := step.(json.Number)
			if !ok {
				return nil, fmt.Errorf("list %s needs an index, not %#v", fd.Name(), step)
			}
			i, err := n.Int64()
			if err != nil || i < 0 || i >= int64(v.List().Len()) {
				return nil, fmt.Errorf("index %v out of range for %s", n, fd.Name())
			}
			v, indexed = v.List().Get(int(i)), true
		case fd != nil && fd.IsMap():
			key, ok := step.(string)
			if !ok || fd.MapKey().Kind() != protoreflect.StringKind {
				return nil, fmt.Errorf("map %s needs a string key, not %#v", fd.Name(), step)
			}
			if v = v.Map().Get(protoreflect.ValueOfString(key).MapKey()); !v.IsValid() {
				return nil, fmt.Errorf("map %s has no key %q", fd.Name(), key)
			}
			fd = fd.MapValue()
		default:
			name, ok := step.(string)
			if !ok || (fd != nil && fd.Message() == nil) {
				return nil, fmt.Errorf("cannot read %#v from a non-message", step)
			}
			msg := v.Message()
			if fd = msg.Descriptor().Fields().ByName(protoreflect.Name(name)); fd == nil {
				return nil, fmt.Errorf("%s has no field %q", msg.Descriptor().FullName(), name)
			}
			// Get gives the default for unset fields, including an empty
			// message, so paths may run through unset messages.
			v, indexed = msg.Get(fd), false
		}
	}
	if fd == nil || fd.IsMap() || (fd.IsList() && !indexed) {
		return nil, fmt.Errorf("path does not end at a single value")
	}
	switch fd.Kind() {
	case protoreflect.EnumKind:
		return int64(v.Enum()), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return v.Int(), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return int64(v.Uint()), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.FormatInt(v.Int(), 10), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10), nil
	case protoreflect.BoolKind:
		return v.Bool(), nil
	case protoreflect.StringKind:
		return v.String(), nil
	}
	return nil, fmt.Errorf("unsupported kind %v", fd.Kind())
}

func findVector(t *testing.T, name string) vector {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q in the manifest", name)
	return vector{}
}

// The reflective checks above could pass with a wrong generated API, so one
// vector is also read the way callers read it.
func TestFullVClusterThroughTheTypedAPI(t *testing.T) {
	var vc openvclusterv1.VCluster
	if err := proto.Unmarshal(readVectorFile(t, findVector(t, "vcluster_full").Binary), &vc); err != nil {
		t.Fatal(err)
	}
	if got := vc.GetStatus().GetPhase(); got != openvclusterv1.VCluster_PHASE_RUNNING {
		t.Errorf("phase = %v, want PHASE_RUNNING", got)
	}
	if got := vc.GetSpec().GetDistro(); got != openvclusterv1.VClusterSpec_DISTRO_K3S {
		t.Errorf("distro = %v, want DISTRO_K3S", got)
	}
	// persistence is optional: the pointer says it was set, not only true.
	if p := vc.GetSpec().GetStorage().Persistence; p == nil || !*p {
		t.Errorf("persistence = %v, want set and true", p)
	}
	wantLabels := map[string]string{"app.kubernetes.io/name": "demo", "empty-value": "", "tier": "gold"}
	if got := vc.GetLabels(); !maps.Equal(got, wantLabels) {
		t.Errorf("labels = %v, want %v", got, wantLabels)
	}
	if got := vc.GetCreateTime().AsTime().Format(time.RFC3339Nano); got != "2026-11-18T08:20:00.123456789Z" {
		t.Errorf("create_time = %s", got)
	}
}

func TestErrorDetailsUnpack(t *testing.T) {
	var st status.Status
	if err := proto.Unmarshal(readVectorFile(t, findVector(t, "status_invalid_argument").Binary), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.GetDetails()) == 0 {
		t.Fatal("status has no details")
	}
	var br errdetails.BadRequest
	if err := st.GetDetails()[0].UnmarshalTo(&br); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, fv := range br.GetFieldViolations() {
		fields = append(fields, fv.GetField())
	}
	if want := []string{"name", "spec.resources.memory"}; !slices.Equal(fields, want) {
		t.Errorf("field violations = %v, want %v", fields, want)
	}
}
