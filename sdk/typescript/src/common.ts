/**
 * What both entry points export: the client's option types, the errors,
 * enums, pagers, watches, retry policy and the generated messages. Nothing
 * here is Node or browser only; each entry point adds its own
 * `VClusterClient` and the settings only it has.
 *
 * @module
 */

export { Code } from "@connectrpc/connect";

export { VERSION } from "./version.js";
export { USER_AGENT, VClusterClientBase } from "./client.js";
export type {
  CreateVClusterOptions,
  DeleteSnapshotOptions,
  DeleteVClusterOptions,
  GetFleetSummaryOptions,
  ListOperationsOptions,
  ListSnapshotsOptions,
  ListVClustersOptions,
  RestoreVClusterOptions,
  ResumeVClusterOptions,
  ScaleVClusterOptions,
  SnapshotVClusterOptions,
  SuspendVClusterOptions,
  UpdateVClusterOptions,
  UpgradeVClusterOptions,
  WatchVClustersOptions,
} from "./client.js";
export { PROTOCOLS } from "./connection.js";
export type { ConnectionConfig, Pem, Protocol } from "./connection.js";
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
  GetFleetSummaryArgs,
  ListOperationsArgs,
  ListSnapshotsArgs,
  ListVClustersArgs,
  ResourcesInit,
  RestoreVClusterArgs,
  ResumeVClusterArgs,
  ScaleVClusterArgs,
  SleepScheduleInit,
  SnapshotVClusterArgs,
  SuspendVClusterArgs,
  TimestampInit,
  UpdateVClusterArgs,
  UpgradeVClusterArgs,
  VClusterSpecInit,
  WatchVClustersArgs,
} from "./requests.js";
export { toOpenVClusterError } from "./status.js";
export { RetryPolicy } from "./retry.js";
export type { RetryLike, RetryPolicyInit } from "./retry.js";
export type { AttemptLog, RetryInterceptorOptions } from "./retry-interceptor.js";
export { restingPhase } from "./wait.js";
export { Watch } from "./watch.js";
export type { WatchEvent } from "./watch.js";

// The API's enums under the short names the Python and Go SDKs give them
// (sdk/names.json); the generated names (`VCluster_Phase` ...) stay too.
export {
  NetworkSpec_ExposeType as ExposeType,
  VCluster_Phase as Phase,
  VClusterSpec_Distro as Distro,
} from "./gen/openvcluster/v1/vcluster_pb.js";
export { Snapshot_Phase as SnapshotPhase } from "./gen/openvcluster/v1/snapshot_pb.js";
export { Operation_State as OperationState } from "./gen/openvcluster/v1/operation_pb.js";
export { WatchVClustersResponse_EventType as EventType } from "./gen/openvcluster/v1/vcluster_service_pb.js";

export * from "./gen/openvcluster/v1/vcluster_pb.js";
export * from "./gen/openvcluster/v1/snapshot_pb.js";
export * from "./gen/openvcluster/v1/vcluster_service_pb.js";
export * from "./gen/openvcluster/v1/snapshot_service_pb.js";
export * from "./gen/openvcluster/v1/monitor_service_pb.js";
export * from "./gen/openvcluster/v1/operation_pb.js";
export * from "./gen/openvcluster/v1/operation_service_pb.js";
export * from "./gen/openvcluster/v1/server_info_service_pb.js";
