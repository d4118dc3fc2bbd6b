/**
 * Request messages built from the client's friendly arguments.
 *
 * A mutation's `requestId` is the caller's, or left empty: the client's one
 * call path fills an empty one (any request whose schema has `request_id`),
 * once per logical call, so every retry of that call carries the same key
 * and the server applies it once.
 *
 * @module
 */

import { clone, create, isMessage, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromDate, TimestampSchema, type Timestamp } from "@bufbuild/protobuf/wkt";

import { GetFleetSummaryRequestSchema, type GetFleetSummaryRequest } from "./gen/openvcluster/v1/monitor_service_pb.js";
import { ListOperationsRequestSchema, type ListOperationsRequest } from "./gen/openvcluster/v1/operation_service_pb.js";
import {
  DeleteSnapshotRequestSchema,
  ListSnapshotsRequestSchema,
  type DeleteSnapshotRequest,
  type ListSnapshotsRequest,
} from "./gen/openvcluster/v1/snapshot_service_pb.js";
import {
  NetworkSpecSchema,
  ResourcesSchema,
  SleepScheduleSchema,
  VClusterSpecSchema,
  type Resources,
  type SleepSchedule,
  type VClusterSpec,
} from "./gen/openvcluster/v1/vcluster_pb.js";
import {
  CreateVClusterRequestSchema,
  DeleteVClusterRequestSchema,
  ListVClustersRequestSchema,
  RestoreVClusterRequestSchema,
  ResumeVClusterRequestSchema,
  ScaleVClusterRequestSchema,
  SnapshotVClusterRequestSchema,
  SuspendVClusterRequestSchema,
  UpdateVClusterRequestSchema,
  WatchVClustersRequestSchema,
  type CreateVClusterRequest,
  type DeleteVClusterRequest,
  type ListVClustersRequest,
  type RestoreVClusterRequest,
  type ResumeVClusterRequest,
  type ScaleVClusterRequest,
  type SnapshotVClusterRequest,
  type SuspendVClusterRequest,
  type UpdateVClusterRequest,
  type WatchVClustersRequest,
} from "./gen/openvcluster/v1/vcluster_service_pb.js";
import {
  toDistro,
  toExposeType,
  toPhase,
  type DistroLike,
  type ExposeTypeLike,
  type PhaseLike,
} from "./enums.js";

/** A `VClusterSpec` message or a plain object of its fields. */
export type VClusterSpecInit = VClusterSpec | MessageInitShape<typeof VClusterSpecSchema>;
/** A `Resources` message or a plain object of its fields. */
export type ResourcesInit = Resources | MessageInitShape<typeof ResourcesSchema>;
/** A `SleepSchedule` message or a plain object of its fields. */
export type SleepScheduleInit = SleepSchedule | MessageInitShape<typeof SleepScheduleSchema>;
/** A point in time: a `Date`, a `google.protobuf.Timestamp` message, or a plain object of its fields. */
export type TimestampInit = Date | Timestamp | MessageInitShape<typeof TimestampSchema>;

/** Arguments of `createVCluster` that shape the new vcluster. */
export interface CreateVClusterArgs {
  /** A whole spec; the friendly arguments below override its fields. */
  spec?: VClusterSpecInit;
  /** Kubernetes version such as `"1.31"`; empty: the newest the server offers. */
  kubernetesVersion?: string;
  /** Control-plane distribution, such as `"K8S"` or `"k3s"`. */
  distro?: DistroLike;
  /** CPU as a Kubernetes quantity (`"500m"`, `"2"`). */
  cpu?: string;
  /** Memory as a Kubernetes quantity (`"4Gi"`). */
  memory?: string;
  /** Ephemeral storage as a Kubernetes quantity. */
  storage?: string;
  /** Control-plane replicas, 1 to 5. */
  replicas?: number;
  /** High availability (needs an odd replica count of at least 3). */
  enableHa?: boolean;
  /** How the API server is exposed, such as `"NODE_PORT"`. */
  exposeType?: ExposeTypeLike;
  /** Labels of the vcluster. */
  labels?: Readonly<Record<string, string>>;
  /** Guards the vcluster against deletion until `updateVCluster` turns it off (FailedPreconditionError, reason DELETION_PROTECTED). */
  deletionProtection?: boolean;
  /**
   * Suspends and resumes the vcluster at set times: `suspendCron` and
   * `resumeCron` (five-field crons, either may be left out) read in
   * `timeZone` (IANA, empty: `"UTC"`).
   */
  sleepSchedule?: SleepScheduleInit;
  /** When the server deletes the vcluster; a time already past is InvalidArgumentError on `spec.expire_time`. */
  expireTime?: TimestampInit;
  /** Whether the deletion at `expireTime` deletes the vcluster's snapshots too (by default they are kept). */
  deleteSnapshotsOnExpiry?: boolean;
  /** Checks everything and creates nothing; answers what would be created. */
  validateOnly?: boolean;
  /** Idempotency key (a UUID); the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `scaleVCluster`: what is left out keeps its current value. */
export interface ScaleVClusterArgs {
  /** New resources as a whole; `cpu`, `memory` and `storage` override its fields. */
  resources?: ResourcesInit;
  /** New CPU. */
  cpu?: string;
  /** New memory. */
  memory?: string;
  /** New ephemeral storage. */
  storage?: string;
  /** New control-plane replica count, 1 to 5. */
  replicas?: number;
  /** New high-availability setting. */
  enableHa?: boolean;
  /** Makes the call conditional: AbortedError unless the vcluster still has this etag. */
  etag?: string;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/**
 * Arguments of `updateVCluster`: the fields given change, the others are
 * left alone. Each given field is named in the request's update mask, so an
 * empty value clears it: `labels: {}` removes every label,
 * `deletionProtection: false` turns protection off, `sleepSchedule: {}`
 * removes the schedule. An expiry has no empty value to give: clear it with
 * `updateMask: ["spec.expire_time"]` and no `expireTime`.
 */
export interface UpdateVClusterArgs {
  /** The new labels, replacing all of them (mask path `"labels"`). */
  labels?: Readonly<Record<string, string>>;
  /**
   * A newer Kubernetes version (mask path `"spec.kubernetes_version"`): an
   * upgrade, the next minor version or a newer patch, from RUNNING through
   * UPGRADING back to RUNNING. The version the vcluster has changes nothing.
   */
  kubernetesVersion?: string;
  /** Turns deletion protection on or off (mask path `"spec.deletion_protection"`). */
  deletionProtection?: boolean;
  /**
   * The new sleep schedule, replacing the whole schedule (mask path
   * `"spec.sleep_schedule"`); an empty one (`{}`) clears it. Its next times
   * are counted from the update.
   */
  sleepSchedule?: SleepScheduleInit;
  /**
   * The new expiry (mask path `"spec.expire_time"`); a time already past
   * expires the vcluster within seconds. To clear the expiry, send
   * `updateMask: ["spec.expire_time"]` without `expireTime`.
   */
  expireTime?: TimestampInit;
  /** Whether expiry deletes the snapshots too (mask path `"spec.delete_snapshots_on_expiry"`). */
  deleteSnapshotsOnExpiry?: boolean;
  /**
   * The update mask's paths, sent as given instead of the ones derived from
   * the arguments above; a named field without its argument is cleared. The
   * server refuses paths it cannot change (InvalidArgumentError on
   * `update_mask.paths`).
   */
  updateMask?: readonly string[];
  /** Makes the call conditional: AbortedError unless the vcluster still has this etag. */
  etag?: string;
  /** Checks the update (values, phase, upgrade rules) and changes nothing; answers what the vcluster would become. */
  validateOnly?: boolean;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `upgradeVCluster`. */
export interface UpgradeVClusterArgs {
  /** Makes the call conditional: AbortedError unless the vcluster still has this etag. */
  etag?: string;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `suspendVCluster`. */
export interface SuspendVClusterArgs {
  /** Drains the workloads (evicts their pods gracefully) first. */
  drainWorkloads?: boolean;
  /** Makes the call conditional on the vcluster's etag. */
  etag?: string;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `resumeVCluster`. */
export interface ResumeVClusterArgs {
  /** Makes the call conditional on the vcluster's etag. */
  etag?: string;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `deleteVCluster`. */
export interface DeleteVClusterArgs {
  /** Makes the call conditional on the vcluster's etag. */
  etag?: string;
  /** Deletes the vcluster's snapshots too (by default they are kept). */
  deleteSnapshots?: boolean;
  /** Keeps the control plane's volumes (on the Kubernetes backend). */
  keepData?: boolean;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `snapshotVCluster`. */
export interface SnapshotVClusterArgs {
  /** The snapshot's name (a DNS-1123 label); empty lets the server choose. */
  snapshotName?: string;
  /** A description for people. */
  description?: string;
  /** Labels of the snapshot. */
  labels?: Readonly<Record<string, string>>;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `restoreVCluster`. */
export interface RestoreVClusterArgs {
  /** Restores into a new vcluster of this name; empty restores the source in place. */
  targetName?: string;
  /** Makes an in-place restore conditional on the vcluster's etag. */
  etag?: string;
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `listVClusters`. */
export interface ListVClustersArgs {
  /** Kubernetes label selector, such as `"tier=gold,env!=prod"`. */
  labelSelector?: string;
  /** Only vclusters in this phase, such as `"RUNNING"`. */
  phase?: PhaseLike;
  /** Vclusters per page fetched (0: the server's default of 50). */
  pageSize?: number;
  /** Where to resume a listing: a page's `nextPageToken`. */
  pageToken?: string;
}

/** Arguments of `listSnapshots`. */
export interface ListSnapshotsArgs {
  /** Only the snapshots of this source vcluster. */
  vcluster?: string;
  /** Snapshots per page fetched (0: the server's default of 50). */
  pageSize?: number;
  /** Where to resume a listing: a page's `nextPageToken`. */
  pageToken?: string;
}

/** Arguments of `deleteSnapshot`. */
export interface DeleteSnapshotArgs {
  /** Idempotency key; the SDK makes one when left out. */
  requestId?: string;
}

/** Arguments of `listOperations`. */
export interface ListOperationsArgs {
  /** Only the operations on the vclusters of this name. */
  vcluster?: string;
  /** Operations per page fetched (0: the server's default of 50). */
  pageSize?: number;
  /** Where to resume a listing: a page's `nextPageToken`. */
  pageToken?: string;
}

/** Arguments of `watchVClusters`. */
export interface WatchVClustersArgs {
  /** Only the vcluster of this name. */
  name?: string;
  /** Kubernetes label selector. */
  labelSelector?: string;
}

/** Arguments of `getFleetSummary`. */
export interface GetFleetSummaryArgs {
  /** Only this namespace; empty or left out: every namespace you may see. */
  namespace?: string;
}

/**
 * A fresh idempotency key: a random (version 4) UUID in canonical text form,
 * what the client sends as the `requestId` of a mutation given none.
 * Made from `crypto.getRandomValues`, which Node and every browser offer,
 * because `crypto.randomUUID` is missing from pages not served over HTTPS.
 */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function resources(base: ResourcesInit | undefined, cpu?: string, memory?: string, storage?: string): Resources {
  const merged = base === undefined ? create(ResourcesSchema) : copyOf(ResourcesSchema, base);
  if (cpu !== undefined) merged.cpu = cpu;
  if (memory !== undefined) merged.memory = memory;
  if (storage !== undefined) merged.storage = storage;
  return merged;
}

// A copy, so the caller's message is never changed by the arguments applied on top.
function copyOf<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): MessageShape<Desc> {
  return isMessage(init, schema) ? clone(schema, init) : create(schema, init);
}

// An invalid Date would otherwise fail deep in the conversion, naming no argument.
function timestamp(init: TimestampInit): Timestamp {
  if (!(init instanceof Date)) return copyOf(TimestampSchema, init);
  if (Number.isNaN(init.getTime())) throw new RangeError("expireTime is an invalid Date");
  return timestampFromDate(init);
}

// The schedule and expiry arguments, shared by create and update, set on `spec`.
function applySchedule(spec: VClusterSpec, args: CreateVClusterArgs | UpdateVClusterArgs): void {
  if (args.sleepSchedule !== undefined) spec.sleepSchedule = copyOf(SleepScheduleSchema, args.sleepSchedule);
  if (args.expireTime !== undefined) spec.expireTime = timestamp(args.expireTime);
  if (args.deleteSnapshotsOnExpiry !== undefined) spec.deleteSnapshotsOnExpiry = args.deleteSnapshotsOnExpiry;
}

/** A CreateVClusterRequest: `spec` (if any) with the friendly arguments applied on top. */
export function createRequest(namespace: string, name: string, args: CreateVClusterArgs): CreateVClusterRequest {
  const spec = args.spec === undefined ? create(VClusterSpecSchema) : copyOf(VClusterSpecSchema, args.spec);
  if (args.kubernetesVersion !== undefined) spec.kubernetesVersion = args.kubernetesVersion;
  if (args.distro !== undefined) spec.distro = toDistro(args.distro);
  if (args.cpu !== undefined || args.memory !== undefined || args.storage !== undefined) {
    spec.resources = resources(spec.resources, args.cpu, args.memory, args.storage);
  }
  if (args.replicas !== undefined) spec.replicas = args.replicas;
  if (args.enableHa !== undefined) spec.enableHa = args.enableHa;
  if (args.deletionProtection !== undefined) spec.deletionProtection = args.deletionProtection;
  applySchedule(spec, args);
  if (args.exposeType !== undefined) {
    const network = spec.network ?? create(NetworkSpecSchema);
    network.exposeType = toExposeType(args.exposeType);
    spec.network = network;
  }
  return create(CreateVClusterRequestSchema, {
    namespace,
    name,
    spec,
    labels: { ...args.labels },
    validateOnly: args.validateOnly ?? false,
    requestId: args.requestId ?? "",
  });
}

/** The first-page request of a vcluster listing (the pager fills `pageToken`). */
export function listVClustersRequest(namespace: string, args: ListVClustersArgs): ListVClustersRequest {
  return create(ListVClustersRequestSchema, {
    namespace,
    labelSelector: args.labelSelector ?? "",
    phase: args.phase === undefined ? 0 : toPhase(args.phase),
    pageSize: args.pageSize ?? 0,
  });
}

/** A DeleteVClusterRequest, with the caller's idempotency key if any. */
export function deleteRequest(namespace: string, name: string, args: DeleteVClusterArgs): DeleteVClusterRequest {
  return create(DeleteVClusterRequestSchema, {
    namespace,
    name,
    etag: args.etag ?? "",
    deleteSnapshots: args.deleteSnapshots ?? false,
    keepData: args.keepData ?? false,
    requestId: args.requestId ?? "",
  });
}

/** A ScaleVClusterRequest: what is left out keeps its current value on the server. */
export function scaleRequest(namespace: string, name: string, args: ScaleVClusterArgs): ScaleVClusterRequest {
  const request = create(ScaleVClusterRequestSchema, {
    namespace,
    name,
    replicas: args.replicas ?? 0,
    etag: args.etag ?? "",
    requestId: args.requestId ?? "",
  });
  const { cpu, memory, storage } = args;
  if (args.resources !== undefined || cpu !== undefined || memory !== undefined || storage !== undefined) {
    request.resources = resources(args.resources, cpu, memory, storage);
  }
  if (args.enableHa !== undefined) request.enableHa = args.enableHa;
  return request;
}

/**
 * An UpdateVClusterRequest: the vcluster with the given fields, and a mask
 * naming them (in the order labels, version, protection, schedule, expiry,
 * snapshots on expiry), or `updateMask` as given. An update with nothing
 * given has an empty mask, which the server refuses: the SDK does not
 * decide that for it.
 */
export function updateRequest(namespace: string, name: string, args: UpdateVClusterArgs): UpdateVClusterRequest {
  const paths: string[] = [];
  if (args.labels !== undefined) paths.push("labels");
  if (args.kubernetesVersion !== undefined) paths.push("spec.kubernetes_version");
  if (args.deletionProtection !== undefined) paths.push("spec.deletion_protection");
  if (args.sleepSchedule !== undefined) paths.push("spec.sleep_schedule");
  if (args.expireTime !== undefined) paths.push("spec.expire_time");
  if (args.deleteSnapshotsOnExpiry !== undefined) paths.push("spec.delete_snapshots_on_expiry");
  const spec = create(VClusterSpecSchema, {
    kubernetesVersion: args.kubernetesVersion ?? "",
    deletionProtection: args.deletionProtection ?? false,
  });
  applySchedule(spec, args);
  return create(UpdateVClusterRequestSchema, {
    vcluster: { namespace, name, labels: { ...args.labels }, spec },
    updateMask: { paths: args.updateMask === undefined ? paths : [...args.updateMask] },
    etag: args.etag ?? "",
    validateOnly: args.validateOnly ?? false,
    requestId: args.requestId ?? "",
  });
}

/** A SuspendVClusterRequest, with the caller's idempotency key if any. */
export function suspendRequest(namespace: string, name: string, args: SuspendVClusterArgs): SuspendVClusterRequest {
  return create(SuspendVClusterRequestSchema, {
    namespace,
    name,
    drainWorkloads: args.drainWorkloads ?? false,
    etag: args.etag ?? "",
    requestId: args.requestId ?? "",
  });
}

/** A ResumeVClusterRequest, with the caller's idempotency key if any. */
export function resumeRequest(namespace: string, name: string, args: ResumeVClusterArgs): ResumeVClusterRequest {
  return create(ResumeVClusterRequestSchema, {
    namespace,
    name,
    etag: args.etag ?? "",
    requestId: args.requestId ?? "",
  });
}

/** A SnapshotVClusterRequest, with the caller's idempotency key if any. */
export function snapshotRequest(namespace: string, name: string, args: SnapshotVClusterArgs): SnapshotVClusterRequest {
  return create(SnapshotVClusterRequestSchema, {
    namespace,
    name,
    snapshotName: args.snapshotName ?? "",
    description: args.description ?? "",
    labels: { ...args.labels },
    requestId: args.requestId ?? "",
  });
}

/** A RestoreVClusterRequest, with the caller's idempotency key if any. */
export function restoreRequest(
  namespace: string,
  snapshotName: string,
  args: RestoreVClusterArgs,
): RestoreVClusterRequest {
  return create(RestoreVClusterRequestSchema, {
    namespace,
    snapshotName,
    targetName: args.targetName ?? "",
    etag: args.etag ?? "",
    requestId: args.requestId ?? "",
  });
}

/** A WatchVClustersRequest. */
export function watchRequest(namespace: string, args: WatchVClustersArgs): WatchVClustersRequest {
  return create(WatchVClustersRequestSchema, {
    namespace,
    name: args.name ?? "",
    labelSelector: args.labelSelector ?? "",
  });
}

/** The first-page request of a snapshot listing (the pager fills `pageToken`). */
export function listSnapshotsRequest(namespace: string, args: ListSnapshotsArgs): ListSnapshotsRequest {
  return create(ListSnapshotsRequestSchema, {
    namespace,
    vcluster: args.vcluster ?? "",
    pageSize: args.pageSize ?? 0,
  });
}

/** A DeleteSnapshotRequest, with the caller's idempotency key if any. */
export function deleteSnapshotRequest(namespace: string, name: string, args: DeleteSnapshotArgs): DeleteSnapshotRequest {
  return create(DeleteSnapshotRequestSchema, {
    namespace,
    name,
    requestId: args.requestId ?? "",
  });
}

/** The first-page request of an operation listing (the pager fills `pageToken`). */
export function listOperationsRequest(namespace: string, args: ListOperationsArgs): ListOperationsRequest {
  return create(ListOperationsRequestSchema, {
    namespace,
    vcluster: args.vcluster ?? "",
    pageSize: args.pageSize ?? 0,
  });
}

/** A GetFleetSummaryRequest: no namespace summarises every namespace the caller may see. */
export function fleetSummaryRequest(args: GetFleetSummaryArgs): GetFleetSummaryRequest {
  return create(GetFleetSummaryRequestSchema, { namespace: args.namespace ?? "" });
}
