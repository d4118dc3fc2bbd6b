package openvcluster

import (
	"crypto/rand"
	"fmt"
)

// NewRequestID returns a fresh idempotency key: a random (version 4) UUID in
// canonical text form. Mutations fill their request_id with one when the
// caller leaves it empty, once per logical call, so every retry of that call
// carries the same key and the server applies the mutation once. Set one
// yourself to make a mutation safe to repeat across processes.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func requestIDOr(id string) string {
	if id != "" {
		return id
	}
	return NewRequestID()
}
