package openvcluster

import (
	"slices"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
)

// TestFieldPathFormat: field names joined by ".", each map key or list index
// in brackets, raw; the first map key's field and key are kept for ordering.
func TestFieldPathFormat(t *testing.T) {
	element := func(name string, set func(*validate.FieldPathElement_builder)) *validate.FieldPathElement {
		b := validate.FieldPathElement_builder{FieldName: &name}
		if set != nil {
			set(&b)
		}
		return b.Build()
	}
	path := func(elements ...*validate.FieldPathElement) *validate.FieldPath {
		return validate.FieldPath_builder{Elements: elements}.Build()
	}
	cases := []struct {
		path     *validate.FieldPath
		text     string
		mapField string
		key      any
	}{
		{path(element("spec", nil), element("resources", nil), element("cpu", nil)), "spec.resources.cpu", "", nil},
		{path(element("labels", func(b *validate.FieldPathElement_builder) { b.StringKey = new("example.com/a b") })),
			"labels[example.com/a b]", "labels", "example.com/a b"},
		{path(element("items", func(b *validate.FieldPathElement_builder) { b.Index = new(uint64(2)) }),
			element("counts", func(b *validate.FieldPathElement_builder) { b.IntKey = new(int64(-3)) })),
			"items[2].counts[-3]", "items[2].counts", int64(-3)},
		{path(element("flags", func(b *validate.FieldPathElement_builder) { b.BoolKey = new(true) })), "flags[true]", "flags", true},
		{path(element("ids", func(b *validate.FieldPathElement_builder) { b.UintKey = new(uint64(7)) })), "ids[7]", "ids", uint64(7)},
	}
	for _, c := range cases {
		text, mapField, key := fieldPath(c.path)
		if text != c.text || mapField != c.mapField || key != c.key {
			t.Errorf("fieldPath = %q, %q, %v; want %q, %q, %v", text, mapField, key, c.text, c.mapField, c.key)
		}
	}
}

// TestFieldViolationsOrder: the first violation of each path is kept, in
// protovalidate's order except that one map's entries go in key order.
func TestFieldViolationsOrder(t *testing.T) {
	violation := func(message string, elements ...*validate.FieldPathElement) *protovalidate.Violation {
		return &protovalidate.Violation{Proto: validate.Violation_builder{
			Field: validate.FieldPath_builder{Elements: elements}.Build(), Message: &message,
		}.Build()}
	}
	field := func(name string) *validate.FieldPathElement {
		return validate.FieldPathElement_builder{FieldName: &name}.Build()
	}
	entry := func(name string, key int64) *validate.FieldPathElement {
		return validate.FieldPathElement_builder{FieldName: &name, IntKey: &key}.Build()
	}
	found := fieldViolations([]*protovalidate.Violation{
		violation("n1", field("name")),
		violation("m10 key", entry("m", 10)),
		violation("m9", entry("m", 9)),
		violation("m10 value", entry("m", 10)),
		violation("m", field("m")),
		violation("o2", entry("o", 2)),
		violation("o1", entry("o", 1)),
		violation("n2", field("name")),
	})
	var got []string
	for _, v := range found {
		got = append(got, v.GetField()+": "+v.GetDescription())
	}
	want := []string{"name: n1", "m[9]: m9", "m[10]: m10 key", "m: m", "o[1]: o1", "o[2]: o2"}
	if !slices.Equal(got, want) {
		t.Errorf("violations = %q, want %q", got, want)
	}
}
