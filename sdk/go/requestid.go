package openvcluster

import (
	"crypto/rand"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// NewRequestID returns a fresh idempotency key: a random (version 4) UUID in
// canonical text form. The Client's methods all send their request through
// one path, which fills the request_id of a request whose message has one
// (the mutations) with a fresh key when the caller left it empty: once per
// logical call, before the first attempt, so every retry of that call
// carries the same key and the server applies the mutation once. Set one
// yourself (the RequestID of the call's params) to make a mutation safe to
// repeat across processes.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fillRequestID sets req's request_id, when its message has that string
// field and it is empty, to NewRequestID(), and returns the request_id req
// is sent with: the caller's unchanged, the new one, or "" for a message
// without the field (the reads), which is left untouched.
func fillRequestID(req proto.Message) string {
	m := req.ProtoReflect()
	f := m.Descriptor().Fields().ByName("request_id")
	if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
		return ""
	}
	if id := m.Get(f).String(); id != "" {
		return id
	}
	id := NewRequestID()
	m.Set(f, protoreflect.ValueOfString(id))
	return id
}
