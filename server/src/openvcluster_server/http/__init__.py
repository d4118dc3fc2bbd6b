"""The HTTP port: every RPC over the Connect protocol (JSON and binary, GET for
the NO_SIDE_EFFECTS reads) and gRPC-Web, for browsers and curl, served by
hypercorn in the server's own event loop from the same engine as the gRPC
port; and the API's OpenAPI document at /openapi.yaml."""
