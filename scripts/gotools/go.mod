// Pins the protoc plugins that scripts/generate runs for the Go SDK. A
// separate module keeps these tools out of the SDK's own dependency graph.
module github.com/turtacn/open-vcluster-api/scripts/gotools

go 1.26

tool (
	google.golang.org/grpc/cmd/protoc-gen-go-grpc
	google.golang.org/protobuf/cmd/protoc-gen-go
)

require (
	google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.6.2 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
