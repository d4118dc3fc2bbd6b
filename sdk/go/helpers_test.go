package openvcluster_test

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// withMetadata adds metadata (such as the server's ovc-test-* hooks) to the
// calls made with ctx.
func withMetadata(ctx context.Context, pairs ...string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, pairs...)
}
