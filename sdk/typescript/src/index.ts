/**
 * TypeScript SDK for open-vcluster-api: manage virtual Kubernetes clusters
 * (vclusters) with a VM-like lifecycle — create, scale, suspend, resume,
 * snapshot, restore and delete.
 *
 * For now this entry point exports the SDK {@link VERSION} and the generated
 * `openvcluster.v1` messages, enums and service descriptors (protobuf-es
 * schemas such as `VClusterSchema`, for use with `create`, `fromBinary`,
 * `toJson` etc. from `@bufbuild/protobuf`). The `google.rpc` error types are
 * deliberately not re-exported here, to keep their names from clashing with
 * the API's own.
 *
 * @packageDocumentation
 */

export { VERSION } from "./version.js";
export * from "./gen/openvcluster/v1/vcluster_pb.js";
export * from "./gen/openvcluster/v1/snapshot_pb.js";
export * from "./gen/openvcluster/v1/vcluster_service_pb.js";
export * from "./gen/openvcluster/v1/snapshot_service_pb.js";
