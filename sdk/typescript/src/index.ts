/**
 * TypeScript SDK for open-vcluster-api: manage virtual Kubernetes clusters
 * (vclusters) with a VM-like lifecycle — create, scale, suspend, resume,
 * snapshot, restore and delete.
 *
 * Start with {@link VClusterClient}:
 *
 * ```ts
 * import { VClusterClient, VCluster_Phase } from "@open-vcluster/sdk";
 *
 * const client = new VClusterClient(); // OVC_ENDPOINT, default 127.0.0.1:50051
 * try {
 *   const vc = await client.createVCluster("team-a", "dev", { cpu: "2", memory: "4Gi", wait: true });
 *   console.log(vc.status?.phase === VCluster_Phase.RUNNING);
 * } finally {
 *   client.close();
 * }
 * ```
 *
 * Results are the generated `openvcluster.v1` protobuf-es messages,
 * re-exported here with their schemas (`VClusterSchema` ..., for `create`,
 * `toJson` and friends from `@bufbuild/protobuf`) and enums
 * (`VCluster_Phase` ...). Failures reject with the typed errors
 * ({@link OpenVClusterError} and its subclasses). The `google.rpc` error
 * detail types are not re-exported, to keep their names apart from the
 * API's own; errors expose what they carry (`fieldViolations`, `reason`,
 * `metadata`, `quotaViolations`).
 *
 * @packageDocumentation
 */

export { Code } from "@connectrpc/connect";

export { VERSION } from "./version.js";
export { VClusterClient, USER_AGENT } from "./client.js";
export type {
  ClientOptions,
  CreateVClusterOptions,
  DeleteSnapshotOptions,
  DeleteVClusterOptions,
  ListSnapshotsOptions,
  ListVClustersOptions,
  RestoreVClusterOptions,
  ResumeVClusterOptions,
  ScaleVClusterOptions,
  SnapshotVClusterOptions,
  SuspendVClusterOptions,
  WatchVClustersOptions,
} from "./client.js";
export { DEFAULT_ENDPOINT, ENV, resolveConnection } from "./config.js";
export type { ConnectionConfig, ConnectionOptions, Pem } from "./config.js";
export {
  phaseName,
  snapshotPhaseName,
  toDistro,
  toExposeType,
  toPhase,
  toSnapshotPhase,
} from "./enums.js";
export type { DistroLike, ExposeTypeLike, PhaseLike, SnapshotPhaseLike } from "./enums.js";
export {
  AbortedError,
  AlreadyExistsError,
  CancelledError,
  codeName,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  isOpenVClusterError,
  NotFoundError,
  OpenVClusterError,
  PermissionDeniedError,
  ResourceExhaustedError,
  SnapshotFailedError,
  UnauthenticatedError,
  UnavailableError,
  UnexpectedStatusError,
  VClusterFailedError,
  WaitError,
  WaitTimeoutError,
} from "./errors.js";
export type { ErrorDetail, OpenVClusterErrorOptions } from "./errors.js";
export { CallSettings, DEFAULT_TIMEOUT_MS, DEFAULT_WAIT_TIMEOUT_MS } from "./options.js";
export type { CallOptions, DefaultCallOptions, Metadata, WaitingCallOptions, WaitOptions } from "./options.js";
export { Pager } from "./pagination.js";
export type { Page } from "./pagination.js";
export { newRequestId } from "./requests.js";
export type {
  CreateVClusterArgs,
  DeleteSnapshotArgs,
  DeleteVClusterArgs,
  ListSnapshotsArgs,
  ListVClustersArgs,
  ResourcesInit,
  RestoreVClusterArgs,
  ResumeVClusterArgs,
  ScaleVClusterArgs,
  SnapshotVClusterArgs,
  SuspendVClusterArgs,
  VClusterSpecInit,
  WatchVClustersArgs,
} from "./requests.js";
export { toOpenVClusterError } from "./status.js";
export { RetryPolicy } from "./retry.js";
export type { RetryLike, RetryPolicyInit } from "./retry.js";
export { createRetryInterceptor } from "./retry-interceptor.js";
export type { RetryInterceptorOptions } from "./retry-interceptor.js";
export type { TransportOptions } from "./transport.js";
export { Watch } from "./watch.js";
export type { WatchEvent } from "./watch.js";

export * from "./gen/openvcluster/v1/vcluster_pb.js";
export * from "./gen/openvcluster/v1/snapshot_pb.js";
export * from "./gen/openvcluster/v1/vcluster_service_pb.js";
export * from "./gen/openvcluster/v1/snapshot_service_pb.js";
