/**
 * The client's methods, one per operation of the API, with friendly
 * arguments, typed results, typed errors, retries and wait helpers. Both
 * entry points build their `VClusterClient` on {@link VClusterClientBase},
 * giving it a transport of their own; nothing here is Node or browser only.
 *
 * @module
 */

import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type Message,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { createContextValues, type Transport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";

import type { ClientConnection, ConnectionConfig, OwnedTransport } from "./connection.js";
import { setDeadlineHeader } from "./deadline.js";
import { toPhase, toSnapshotPhase, type PhaseLike, type SnapshotPhaseLike } from "./enums.js";
import { CancelledError, UnexpectedStatusError } from "./errors.js";
import * as fieldRules from "./field-rules.js";
import { MonitorService, type FleetSummary, type VClusterUsage } from "./gen/openvcluster/v1/monitor_service_pb.js";
import type { Operation } from "./gen/openvcluster/v1/operation_pb.js";
import { OperationService } from "./gen/openvcluster/v1/operation_service_pb.js";
import { ServerInfoService, type ServerInfo } from "./gen/openvcluster/v1/server_info_service_pb.js";
import type { Snapshot } from "./gen/openvcluster/v1/snapshot_pb.js";
import { SnapshotService } from "./gen/openvcluster/v1/snapshot_service_pb.js";
import { VCluster_Phase, type VCluster } from "./gen/openvcluster/v1/vcluster_pb.js";
import {
  VClusterService,
  WatchVClustersRequestSchema,
  type UpdateVClusterRequest,
  type WatchVClustersRequest,
} from "./gen/openvcluster/v1/vcluster_service_pb.js";
import {
  CallSettings,
  type CallOptions,
  type DefaultCallOptions,
  type Metadata,
  type WaitingCallOptions,
  type WaitOptions,
} from "./options.js";
import { Pager, type Page } from "./pagination.js";
import * as build from "./requests.js";
import { ATTEMPT_SETTINGS } from "./retry-interceptor.js";
import { toOpenVClusterError } from "./status.js";
import { VERSION } from "./version.js";
import * as waits from "./wait-loops.js";
import { settleTarget } from "./wait.js";
import { Watch, type WatchEvent } from "./watch.js";

/** The user agent every call carries. */
export const USER_AGENT = `open-vcluster-api-typescript/${VERSION}`;

/** Options of `createVCluster`. */
export interface CreateVClusterOptions extends build.CreateVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (a `validateOnly` call, an older server). An exception
   * it throws rejects the call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `scaleVCluster`. */
export interface ScaleVClusterOptions extends build.ScaleVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (an older server). An exception it throws rejects the
   * call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `updateVCluster`. */
export interface UpdateVClusterOptions extends build.UpdateVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (a `validateOnly` call, an older server). An exception
   * it throws rejects the call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `upgradeVCluster`. */
export interface UpgradeVClusterOptions extends build.UpgradeVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (an older server). An exception it throws rejects the
   * call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `suspendVCluster`. */
export interface SuspendVClusterOptions extends build.SuspendVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (an older server). An exception it throws rejects the
   * call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `resumeVCluster`. */
export interface ResumeVClusterOptions extends build.ResumeVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (an older server). An exception it throws rejects the
   * call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `deleteVCluster`. */
export interface DeleteVClusterOptions extends build.DeleteVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (an older server). An exception it throws rejects the
   * call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `snapshotVCluster`. */
export interface SnapshotVClusterOptions extends build.SnapshotVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (an older server). An exception it throws rejects the
   * call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `restoreVCluster`. */
export interface RestoreVClusterOptions extends build.RestoreVClusterArgs, WaitingCallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it, before
   * `wait` begins; not called when the call fails, nor when the server
   * answered no id (an older server). An exception it throws rejects the
   * call, whose change is made all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `listVClusters`: filters, page size, and the options of each page's call. */
export interface ListVClustersOptions extends build.ListVClustersArgs, CallOptions {}
/** Options of `listSnapshots`. */
export interface ListSnapshotsOptions extends build.ListSnapshotsArgs, CallOptions {}
/** Options of `deleteSnapshot`. */
export interface DeleteSnapshotOptions extends build.DeleteSnapshotArgs, CallOptions {
  /**
   * Called once with the id of the Operation that records the call (read
   * it with `getOperation`) as soon as the server accepted it; not called
   * when the call fails, nor when the server answered no id (an older
   * server). An exception it throws rejects the call, whose change is made
   * all the same.
   */
  onOperation?: (operationId: string) => void;
}
/** Options of `listOperations`: filters, page size, and the options of each page's call. */
export interface ListOperationsOptions extends build.ListOperationsArgs, CallOptions {}
/** Options of `getFleetSummary`: which namespace, and the options of the call. */
export interface GetFleetSummaryOptions extends build.GetFleetSummaryArgs, CallOptions {}

/** Options of `watchVClusters`. */
export interface WatchVClustersOptions extends build.WatchVClustersArgs {
  /** Ends the watch with a DeadlineExceededError after this many milliseconds; by default it runs until cancelled. */
  timeoutMs?: number | null;
  /** Extra metadata for the call. */
  metadata?: Metadata;
  /** Ends the watch; its loop then throws a CancelledError. */
  signal?: AbortSignal;
}

/** The connection a client and the clients derived from it share. */
interface Connection {
  readonly transport: OwnedTransport;
  closed: boolean;
}

/**
 * A connection to an open-vcluster-api server, with one method per
 * operation: what `VClusterClient` does, whichever entry point made it
 * (`@open-vcluster/sdk` in Node, `@open-vcluster/sdk/browser` in a web page).
 *
 * Results are the generated protobuf-es messages (`VCluster`, `Snapshot`);
 * failures reject with the typed errors of `OpenVClusterError`, whatever the
 * protocol. Unary calls retry UNAVAILABLE with backoff (see `RetryPolicy`),
 * sending a mutation's `requestId` unchanged each time.
 *
 * Mutations answer at once with the resource in its new, often intermediate
 * phase; pass `wait: true` to resolve once the change is done, or use
 * {@link waitForPhase}. Each accepted mutation is recorded as an Operation:
 * its `onOperation` option tells the id, for {@link getOperation} (and
 * {@link listOperations} lists them). Call {@link close} when done: it ends
 * the connection, and the calls and watches still running.
 */
export class VClusterClientBase {
  /** The resolved connection settings (endpoint, protocol, TLS, token). */
  readonly config: ConnectionConfig;
  /** The defaults of every call: timeout, retry policy, metadata, wait timeout. */
  readonly defaults: CallSettings;
  private readonly connection: Connection;
  private readonly ownsConnection: boolean;
  private readonly transport: Transport;
  private readonly userAgentHeader: string;
  private readonly headerCache = new WeakMap<CallSettings, [string, string][]>();

  /** A client over `connection`, which it owns from now on; the entry points' `VClusterClient` constructors call this. */
  protected constructor(connection: ClientConnection, defaults: DefaultCallOptions) {
    this.config = connection.config;
    this.defaults = new CallSettings().merged(defaults);
    this.connection = { transport: connection.transport, closed: false };
    this.transport = connection.transport.transport;
    this.userAgentHeader = connection.userAgentHeader;
    this.ownsConnection = true;
  }

  /**
   * A client with other call defaults that shares this one's connection.
   * `metadata` is added to this client's. Closing the derived client does
   * not close the connection; close the original when done.
   */
  withOptions(options: DefaultCallOptions): this {
    const derived = Object.create(Object.getPrototypeOf(this) as object) as this;
    return Object.assign(derived, this, { defaults: this.defaults.merged(options), ownsConnection: false });
  }

  /** Closes the connection, failing the calls still running (a no-op on clients made by {@link withOptions}). */
  close(): void {
    if (!this.ownsConnection || this.connection.closed) return;
    this.connection.closed = true;
    this.connection.transport.close();
  }

  /** A short description, without the token. */
  toString(): string {
    return `VClusterClient(endpoint=${this.config.endpoint}, protocol=${this.config.protocol}, tls=${this.config.tls})`;
  }

  // VClusterService

  /**
   * Creates a vcluster; it starts PROVISIONING and becomes RUNNING on its own.
   *
   * Give the spec as friendly options (`{ cpu: "2", memory: "4Gi" }`), as a
   * `spec`, or both (the options override the spec). Empty settings take
   * server defaults, and the returned spec shows them. With `wait: true` it
   * resolves once the vcluster is RUNNING. `validateOnly` checks everything
   * and creates nothing. `deletionProtection: true` guards the vcluster
   * against deletion until {@link updateVCluster} turns it off.
   * `sleepSchedule` suspends and resumes it at set times (crons read in its
   * `timeZone`); `expireTime` (a `Date` or a Timestamp) has the server
   * delete it then, its snapshots too with `deleteSnapshotsOnExpiry`.
   *
   * @throws InvalidArgumentError a bad field (see `fieldViolations`), such
   *   as a bad cron (`spec.sleep_schedule.suspend_cron`) or an `expireTime`
   *   already past (`spec.expire_time`).
   * @throws AlreadyExistsError the name is taken in the namespace.
   * @throws ResourceExhaustedError the namespace quota would be exceeded.
   * @throws VClusterFailedError with `wait: true`, provisioning failed.
   */
  async createVCluster(namespace: string, name: string, options: CreateVClusterOptions = {}): Promise<VCluster> {
    const request = build.createRequest(namespace, name, options);
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.createVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const vcluster = required(response.vcluster, "vcluster");
    if (options.wait && !request.validateOnly) {
      return waits.settle(this.waitRun(settings, options.signal), vcluster, VCluster_Phase.RUNNING);
    }
    return vcluster;
  }

  /**
   * Returns a vcluster.
   *
   * @throws NotFoundError it does not exist.
   */
  async getVCluster(namespace: string, name: string, options: CallOptions = {}): Promise<VCluster> {
    return this.get(namespace, name, this.settings(options), options.signal);
  }

  /**
   * Lists vclusters ordered by (namespace, name), fetching pages as you iterate.
   *
   * `namespace` `""` lists every namespace you may see. `labelSelector` uses
   * Kubernetes syntax (`"tier=gold,env!=prod"`); `phase` keeps one phase
   * (`"RUNNING"`). `pageSize` (0: the server's default of 50) sets how many
   * vclusters each call fetches; `pageToken` resumes a listing. Each page is
   * one call with these options (timeout, retries).
   */
  listVClusters(namespace = "", options: ListVClustersOptions = {}): Pager<VCluster> {
    const first = build.listVClustersRequest(namespace, options);
    const settings = this.settings(options);
    return new Pager(async (pageToken): Promise<Page<VCluster>> => {
      const request = { ...first, pageToken };
      const response = await this.unary(VClusterService.method.listVClusters, request, settings, options.signal);
      return { items: response.vclusters, nextPageToken: response.nextPageToken };
    }, options.pageToken ?? "");
  }

  /**
   * Deletes a vcluster: it goes through DELETING and is then gone.
   *
   * Resolves to it in DELETING; with `wait: true`, once it is gone.
   * Snapshots are kept unless `deleteSnapshots`. `etag` makes the call
   * conditional (AbortedError when stale).
   *
   * @throws FailedPreconditionError the vcluster has deletion protection
   *   (`reason` DELETION_PROTECTED; turn it off with {@link updateVCluster}).
   */
  async deleteVCluster(namespace: string, name: string, options: DeleteVClusterOptions = {}): Promise<VCluster> {
    const request = build.deleteRequest(namespace, name, options);
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.deleteVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const vcluster = required(response.vcluster, "vcluster");
    if (options.wait) {
      await waits.settle(this.waitRun(settings, options.signal), vcluster, null);
    }
    return vcluster;
  }

  /**
   * Changes a vcluster's labels, Kubernetes version, deletion protection,
   * sleep schedule or expiry; what is left out is kept.
   *
   * The update mask names the fields given (`labels` even when empty, which
   * removes every label; `deletionProtection` whether true or false;
   * `sleepSchedule` even when empty, which removes the schedule), or is
   * `updateMask` as given. An expiry is cleared by naming it without a value:
   * `updateMask: ["spec.expire_time"]` and no `expireTime`. Labels,
   * protection, the schedule and the expiry change at once, in RUNNING,
   * SUSPENDED or FAILED, and the phase stays. A new `kubernetesVersion` is an
   * upgrade, allowed from RUNNING to the next minor version or a newer patch:
   * the vcluster answers UPGRADING and ends RUNNING on its own. With
   * `wait: true` an upgrade resolves once the vcluster is RUNNING again;
   * any other update resolves at once. `validateOnly` checks the update and
   * changes nothing.
   *
   * @throws InvalidArgumentError bad labels or version, a bad cron or time
   *   zone (such as `vcluster.spec.sleep_schedule.suspend_cron`), nothing to
   *   change (`update_mask`), or a mask path that cannot change
   *   (`update_mask.paths`).
   * @throws FailedPreconditionError the vcluster is in another phase (`reason`
   *   INVALID_PHASE), or the version is not an allowed upgrade (`reason`
   *   UPGRADE_NOT_ALLOWED; `metadata` has `current`, `requested` and `allowed`).
   * @throws NotFoundError it does not exist.
   * @throws AbortedError `etag` is stale.
   * @throws VClusterFailedError with `wait: true`, the upgrade failed.
   */
  async updateVCluster(namespace: string, name: string, options: UpdateVClusterOptions = {}): Promise<VCluster> {
    return this.update(build.updateRequest(namespace, name, options), options);
  }

  /**
   * Upgrades a RUNNING vcluster to `kubernetesVersion` (the next minor
   * version or a newer patch): an {@link updateVCluster} of the version
   * alone. It answers UPGRADING and ends RUNNING with the new version on its
   * own; with `wait: true` it resolves then. The version it already has
   * changes nothing.
   *
   * @throws FailedPreconditionError not RUNNING (`reason` INVALID_PHASE), or
   *   not an allowed upgrade (`reason` UPGRADE_NOT_ALLOWED; `metadata` has
   *   `current`, `requested` and `allowed`, the next version allowed).
   * @throws InvalidArgumentError a version the server does not support.
   * @throws VClusterFailedError with `wait: true`, the upgrade failed.
   */
  async upgradeVCluster(
    namespace: string,
    name: string,
    kubernetesVersion: string,
    options: UpgradeVClusterOptions = {},
  ): Promise<VCluster> {
    const args = { kubernetesVersion, etag: options.etag, requestId: options.requestId };
    return this.update(build.updateRequest(namespace, name, args), options);
  }

  /**
   * Changes resources, replicas or high availability; what is left out is kept.
   *
   * A RUNNING vcluster goes through SCALING back to RUNNING; a SUSPENDED one
   * stores the new spec and stays SUSPENDED. With `wait: true` it resolves
   * once the vcluster is back in that phase.
   *
   * @throws FailedPreconditionError the vcluster is in another phase.
   * @throws InvalidArgumentError bad values, or nothing to change.
   */
  async scaleVCluster(namespace: string, name: string, options: ScaleVClusterOptions = {}): Promise<VCluster> {
    const request = build.scaleRequest(namespace, name, options);
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.scaleVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const vcluster = required(response.vcluster, "vcluster");
    if (options.wait) {
      const target = settleTarget(vcluster.status?.phase ?? VCluster_Phase.UNSPECIFIED);
      return waits.settle(this.waitRun(settings, options.signal), vcluster, target);
    }
    return vcluster;
  }

  /**
   * Suspends (powers off) a RUNNING vcluster: SUSPENDING, then SUSPENDED.
   *
   * Its state is kept. Suspending a suspended vcluster is a no-op. With
   * `wait: true` it resolves once the vcluster is SUSPENDED.
   */
  async suspendVCluster(namespace: string, name: string, options: SuspendVClusterOptions = {}): Promise<VCluster> {
    const request = build.suspendRequest(namespace, name, options);
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.suspendVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const vcluster = required(response.vcluster, "vcluster");
    if (options.wait) return waits.settle(this.waitRun(settings, options.signal), vcluster, VCluster_Phase.SUSPENDED);
    return vcluster;
  }

  /**
   * Resumes (powers on) a SUSPENDED vcluster: RESUMING, then RUNNING.
   *
   * Resuming a running vcluster is a no-op. With `wait: true` it resolves
   * once the vcluster is RUNNING.
   */
  async resumeVCluster(namespace: string, name: string, options: ResumeVClusterOptions = {}): Promise<VCluster> {
    const request = build.resumeRequest(namespace, name, options);
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.resumeVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const vcluster = required(response.vcluster, "vcluster");
    if (options.wait) return waits.settle(this.waitRun(settings, options.signal), vcluster, VCluster_Phase.RUNNING);
    return vcluster;
  }

  /**
   * Takes a snapshot of a RUNNING or SUSPENDED vcluster (its phase does not change).
   *
   * The snapshot starts PENDING and becomes READY on its own; with
   * `wait: true` it is resolved READY. An empty `snapshotName` lets the
   * server choose one.
   *
   * @throws SnapshotFailedError with `wait: true`, the snapshot failed.
   */
  async snapshotVCluster(namespace: string, name: string, options: SnapshotVClusterOptions = {}): Promise<Snapshot> {
    const request = build.snapshotRequest(namespace, name, options);
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.snapshotVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const snapshot = required(response.snapshot, "snapshot");
    if (options.wait) {
      const run = this.waitRun(settings, options.signal);
      return waits.forSnapshot(run, snapshot.namespace, snapshot.name, toSnapshotPhase("READY"));
    }
    return snapshot;
  }

  /**
   * Restores a READY snapshot, in place or as a new vcluster `targetName`.
   *
   * In place (no `targetName`), the source vcluster goes through RESTORING
   * and ends RUNNING with the snapshot's spec. To a new name, a vcluster is
   * created through PROVISIONING. With `wait: true` it resolves once the
   * restored vcluster is RUNNING.
   */
  async restoreVCluster(namespace: string, snapshotName: string, options: RestoreVClusterOptions = {}): Promise<VCluster> {
    const request = build.restoreRequest(namespace, snapshotName, options);
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.restoreVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const vcluster = required(response.vcluster, "vcluster");
    if (options.wait) return waits.settle(this.waitRun(settings, options.signal), vcluster, VCluster_Phase.RUNNING);
    return vcluster;
  }

  /**
   * Returns the kubeconfig YAML of a vcluster's API server, ready for kubectl.
   *
   * It grants admin access to the vcluster, so it needs an editor token
   * (PermissionDeniedError for a viewer).
   *
   * @throws FailedPreconditionError the vcluster has no usable API server
   *   (PROVISIONING, DELETING, FAILED).
   */
  async getKubeconfig(namespace: string, name: string, options: CallOptions = {}): Promise<string> {
    const request = { namespace, name };
    const response = await this.unary(VClusterService.method.getVClusterKubeconfig, request, this.settings(options), options.signal);
    return required(response.vcluster, "vcluster").status?.kubeconfig ?? "";
  }

  /**
   * Follows changes of vclusters as a stream of events (see {@link Watch}).
   *
   * The stream replays every matching vcluster as ADDED, then sends one
   * SYNCED event once that initial state is complete (its `vcluster` is
   * unset; a vcluster with no ADDED before it does not exist), then ADDED,
   * MODIFIED and DELETED events as they happen. It runs until cancelled or
   * for `timeoutMs`. Watches are not retried: watch again, and the replay
   * tells you the current state.
   *
   * @throws InvalidArgumentError at once, before any stream opens, when the
   *   request breaks a field rule (see `validateRequests`); errors of the
   *   stream itself come from its iteration.
   */
  watchVClusters(namespace = "", options: WatchVClustersOptions = {}): Watch {
    const request = build.watchRequest(namespace, options);
    const settings = this.defaults.merged({ metadata: options.metadata });
    return this.openWatch(request, settings, options.timeoutMs ?? null, options.signal);
  }

  // SnapshotService

  /**
   * Returns a snapshot.
   *
   * @throws NotFoundError it does not exist.
   */
  async getSnapshot(namespace: string, name: string, options: CallOptions = {}): Promise<Snapshot> {
    return this.fetchSnapshot(namespace, name, this.settings(options), options.signal);
  }

  /**
   * Lists snapshots ordered by (namespace, name), fetching pages as you
   * iterate; `vcluster` keeps the snapshots of one source vcluster.
   */
  listSnapshots(namespace = "", options: ListSnapshotsOptions = {}): Pager<Snapshot> {
    const first = build.listSnapshotsRequest(namespace, options);
    const settings = this.settings(options);
    return new Pager(async (pageToken): Promise<Page<Snapshot>> => {
      const request = { ...first, pageToken };
      const response = await this.unary(SnapshotService.method.listSnapshots, request, settings, options.signal);
      return { items: response.snapshots, nextPageToken: response.nextPageToken };
    }, options.pageToken ?? "");
  }

  /** Deletes a snapshot at once (a snapshot still being taken is cancelled). */
  async deleteSnapshot(namespace: string, name: string, options: DeleteSnapshotOptions = {}): Promise<void> {
    const request = build.deleteSnapshotRequest(namespace, name, options);
    const settings = this.settings(options);
    const response = await this.unary(SnapshotService.method.deleteSnapshot, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
  }

  // MonitorService

  /**
   * Returns what a vcluster's spec requests and, where the server's backend
   * has a source for them, what its pods use, observed now.
   *
   * Each figure (`cpuUsed`, `memoryUsed`, `cpuRequestedByPods`,
   * `memoryRequestedByPods`, `podCount`) says whether it is `available`: an
   * unavailable figure has an empty `value` and a `reason`, and means
   * "unknown", never zero. `getVCluster`'s `status.currentUsage` stays the
   * cheap summary; this is the detailed, time-stamped view.
   *
   * @throws InvalidArgumentError a missing or invalid namespace or name.
   * @throws NotFoundError it does not exist, or is in a namespace you may not see.
   */
  async getVClusterUsage(namespace: string, name: string, options: CallOptions = {}): Promise<VClusterUsage> {
    const request = { namespace, name };
    const response = await this.unary(MonitorService.method.getVClusterUsage, request, this.settings(options), options.signal);
    return required(response.usage, "usage");
  }

  /**
   * Summarises the vclusters you may see: counts by phase, per namespace the
   * CPU and memory their specs request against the namespace's quota, the
   * vclusters suspended longest, and the failed ones with their messages.
   *
   * `namespace` (left out: every namespace you may see) keeps one
   * namespace. One you may not see, or that holds nothing, gives an empty
   * summary rather than an error, as a listing would.
   *
   * @throws InvalidArgumentError an invalid namespace.
   */
  async getFleetSummary(options: GetFleetSummaryOptions = {}): Promise<FleetSummary> {
    const request = build.fleetSummaryRequest(options);
    const response = await this.unary(MonitorService.method.getFleetSummary, request, this.settings(options), options.signal);
    return required(response.summary, "summary");
  }

  // OperationService

  /**
   * Returns an operation: the record of one accepted mutation (its method,
   * vcluster or snapshot, who asked, its `state` and the phases it went
   * through). A mutation's `onOperation` tells its id.
   *
   * @throws InvalidArgumentError an id that is not a UUID.
   * @throws NotFoundError no operation has this id (or the server forgot
   *   it), or it is in a namespace you may not see.
   */
  async getOperation(id: string, options: CallOptions = {}): Promise<Operation> {
    const response = await this.unary(OperationService.method.getOperation, { id }, this.settings(options), options.signal);
    return required(response.operation, "operation");
  }

  /**
   * Lists operations by namespace, and in each namespace newest first,
   * fetching pages as you iterate; `vcluster` keeps the operations on the
   * vclusters of one name (an earlier vcluster of that name included).
   * `namespace` `""` lists every namespace you may see.
   */
  listOperations(namespace = "", options: ListOperationsOptions = {}): Pager<Operation> {
    const first = build.listOperationsRequest(namespace, options);
    const settings = this.settings(options);
    return new Pager(async (pageToken): Promise<Page<Operation>> => {
      const request = { ...first, pageToken };
      const response = await this.unary(OperationService.method.listOperations, request, settings, options.signal);
      return { items: response.operations, nextPageToken: response.nextPageToken };
    }, options.pageToken ?? "");
  }

  // ServerInfoService

  /**
   * Returns what the server decides, as your token sees it, so that a
   * console or tool need not hard-code it: the server's `version` and
   * `backend`, the `kubernetesVersions` it accepts (oldest first; the last
   * is the default), the `specDefaults` an empty spec becomes, its `limits`
   * (default and largest page size, largest message, the quotas of the
   * namespaces you may see, "*" for every other) and the `caller`: your
   * token's name, role and namespaces (or `allNamespaces`).
   *
   * Any valid token may ask.
   *
   * @throws UnauthenticatedError the server has tokens and the call has no valid one.
   */
  async getServerInfo(options: CallOptions = {}): Promise<ServerInfo> {
    const response = await this.unary(ServerInfoService.method.getServerInfo, {}, this.settings(options), options.signal);
    return required(response.info, "info");
  }

  // Waiting

  /**
   * Waits until a vcluster is in `phase` (`"RUNNING"`) and resolves to it.
   *
   * Follows one WatchVClusters stream of the vcluster (its initial state and
   * SYNCED event, then its changes), or polls GetVCluster when the watch is
   * not available. `timeoutMs` defaults to the client's `waitTimeoutMs`.
   *
   * `onChange` shows progress: it is called with each state of the vcluster
   * the wait sees, from the watch or a read, the first one included, once
   * per state (never twice for the same etag), before the wait decides
   * whether it is over, and never after it settles.
   *
   * @throws WaitTimeoutError not reached in time (`lastSeen` has the last state).
   * @throws VClusterFailedError the vcluster ended in FAILED instead.
   * @throws NotFoundError the vcluster does not exist or was deleted meanwhile.
   */
  async waitForPhase(namespace: string, name: string, phase: PhaseLike, options: WaitOptions = {}): Promise<VCluster> {
    return waits.forPhase(this.helperRun(options), namespace, name, toPhase(phase), options.onChange);
  }

  /**
   * Waits until a vcluster is gone (resolves at once if it does not exist).
   *
   * `onChange` is called with each state of the vcluster the wait sees
   * (DELETING ...), as for {@link waitForPhase}; its disappearance settles
   * the wait.
   *
   * @throws WaitTimeoutError it still exists after `timeoutMs`.
   */
  async waitForDeletion(namespace: string, name: string, options: WaitOptions = {}): Promise<void> {
    await waits.forDeletion(this.helperRun(options), namespace, name, options.onChange);
  }

  /**
   * Waits until a snapshot is in `phase` (READY by default) and resolves to it.
   *
   * Snapshots have no watch: the wait reads the snapshot with a growing
   * pause. `onChange` is called with each read that differs from the one
   * before, the first one included, before the wait decides whether it is
   * over, and never after it settles.
   *
   * @throws WaitTimeoutError not reached in time.
   * @throws SnapshotFailedError the snapshot ended in FAILED.
   */
  async waitForSnapshot(
    namespace: string,
    name: string,
    phase: SnapshotPhaseLike = "READY",
    options: WaitOptions<Snapshot> = {},
  ): Promise<Snapshot> {
    return waits.forSnapshot(this.helperRun(options), namespace, name, toSnapshotPhase(phase), options.onChange);
  }

  // Internals

  private settings(options: CallOptions & { waitTimeoutMs?: number | null }): CallSettings {
    return this.defaults.merged(options);
  }

  /** A wait under `settings` (`wait: true` of a mutation), making its calls through this client. */
  private waitRun(settings: CallSettings, signal: AbortSignal | undefined): waits.WaitRun {
    const calls: waits.WaitCalls = {
      watch: (request, s, timeoutMs, sig) => this.openWatch(request, s, timeoutMs, sig),
      getVCluster: (namespace, name, s, sig) => this.get(namespace, name, s, sig),
      getSnapshot: (namespace, name, s, sig) => this.fetchSnapshot(namespace, name, s, sig),
    };
    return { calls, settings, signal };
  }

  /** The wait of a wait helper: the client's settings with the helper's timeout and metadata. */
  private helperRun(options: Pick<WaitOptions, "timeoutMs" | "metadata" | "signal">): waits.WaitRun {
    const settings = this.defaults.merged({ metadata: options.metadata, waitTimeoutMs: options.timeoutMs });
    return this.waitRun(settings, options.signal);
  }

  /**
   * The request headers of calls under `settings`: the user agent, the
   * metadata, and the token unless the metadata has one. Computed once per
   * settings; the transport copies them into each request.
   */
  private headers(settings: CallSettings): [string, string][] {
    const cached = this.headerCache.get(settings);
    if (cached !== undefined) return cached;
    const headers: [string, string][] = [
      [this.userAgentHeader, USER_AGENT],
      ...settings.metadata.map(([k, v]): [string, string] => [k, v]),
    ];
    const authorized = settings.metadata.some(([key]) => key === "authorization");
    if (!authorized && this.config.token !== undefined) headers.push(["authorization", `Bearer ${this.config.token}`]);
    this.headerCache.set(settings, headers);
    return headers;
  }

  /**
   * Makes one logical call of `method`: its attempts (retries included) all
   * send the same message. A mutation (a request whose schema has a
   * `request_id` field) left without a request id gets a fresh one here,
   * before the first attempt, so every retry carries the same key and the
   * server applies the call once; that id is the `requestId` of its errors.
   */
  private async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    settings: CallSettings,
    signal: AbortSignal | undefined,
  ): Promise<MessageShape<O>> {
    // The message exactly as it will be sent (`create` returns a message as is).
    const message = create(method.input, request);
    const requestId = fillRequestId(method.input, message);
    this.checkOpen(requestId);
    // A request that breaks a field rule fails here as the server would
    // answer it, before the retry interceptor sees it: no call, no retry.
    if (settings.validateRequests) fieldRules.check(method.input, message, requestId);
    const context = createContextValues().set(ATTEMPT_SETTINGS, {
      timeoutMs: settings.timeoutMs,
      retry: settings.retry,
      requestId,
    });
    try {
      const headers = this.headers(settings);
      const response = await this.transport.unary(method, signal, 0, headers, message, context);
      return response.message;
    } catch (reason) {
      this.checkOpen(requestId, reason);
      throw toOpenVClusterError(reason, requestId, signal);
    }
  }

  /** Throws a CancelledError once the client is closed (`cause`: how a call it ended failed). */
  private checkOpen(requestId?: string, cause?: unknown): void {
    if (this.connection.closed) throw new CancelledError("the client is closed", { requestId, cause });
  }

  private openWatch(
    request: WatchVClustersRequest,
    settings: CallSettings,
    timeoutMs: number | null,
    signal: AbortSignal | undefined,
  ): Watch {
    const headers = new Headers(this.headers(settings));
    if (timeoutMs !== null) setDeadlineHeader(headers, timeoutMs, this.config.protocol === "connect");
    const open = async function* (this: VClusterClientBase, streamSignal: AbortSignal): AsyncGenerator<WatchEvent, void, undefined> {
      const input = createAsyncIterable([request]);
      try {
        const response = await this.transport.stream(VClusterService.method.watchVClusters, streamSignal, 0, headers, input);
        yield* response.message;
      } catch (reason) {
        this.checkOpen(undefined, reason);
        throw reason;
      }
    }.bind(this);
    this.checkOpen();
    // A request that can only fail throws here, as unary calls reject, rather
    // than from a stream that would never open.
    if (settings.validateRequests) fieldRules.check(WatchVClustersRequestSchema, request);
    return new Watch(open, signal, timeoutMs);
  }

  /** Sends an update; with `wait`, waits for the phase its answer ends in (RUNNING after UPGRADING). */
  private async update(request: UpdateVClusterRequest, options: UpdateVClusterOptions | UpgradeVClusterOptions): Promise<VCluster> {
    const settings = this.settings(options);
    const response = await this.unary(VClusterService.method.updateVCluster, request, settings, options.signal);
    reportOperation(response.operationId, options.onOperation);
    const vcluster = required(response.vcluster, "vcluster");
    if (options.wait && !request.validateOnly) {
      const target = settleTarget(vcluster.status?.phase ?? VCluster_Phase.UNSPECIFIED);
      return waits.settle(this.waitRun(settings, options.signal), vcluster, target);
    }
    return vcluster;
  }

  private get(namespace: string, name: string, settings: CallSettings, signal?: AbortSignal): Promise<VCluster> {
    return this.unary(VClusterService.method.getVCluster, { namespace, name }, settings, signal).then((r) =>
      required(r.vcluster, "vcluster"),
    );
  }

  private fetchSnapshot(namespace: string, name: string, settings: CallSettings, signal?: AbortSignal): Promise<Snapshot> {
    return this.unary(SnapshotService.method.getSnapshot, { namespace, name }, settings, signal).then((r) =>
      required(r.snapshot, "snapshot"),
    );
  }
}

/**
 * The idempotency key of `message`: when its schema has a `request_id` field
 * (every mutation) left empty, a fresh {@link build.newRequestId} set on the
 * message first; a request id the caller gave is kept as is. Undefined for
 * requests without the field (reads).
 */
function fillRequestId(schema: DescMessage, message: Message): string | undefined {
  const field = schema.fields.find((f) => f.name === "request_id");
  if (field === undefined) return undefined;
  const fields = reflect(schema, message);
  const given = fields.get(field);
  if (typeof given !== "string") return undefined;
  if (given !== "") return given;
  const made = build.newRequestId();
  fields.set(field, made);
  return made;
}

/**
 * Tells `onOperation` the operation a mutation's answer names: once, when
 * the answer names one (validate-only calls and older servers name none).
 */
function reportOperation(operationId: string, onOperation: ((operationId: string) => void) | undefined): void {
  if (operationId !== "" && onOperation !== undefined) onOperation(operationId);
}

/** A message field the server must fill; its absence is a server bug. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new UnexpectedStatusError(`the server answered no ${what}`);
  return value;
}
