/**
 * Which SDK method a step calls, with which arguments, and where its answer
 * goes in the StepResult.
 *
 * @module
 */

import { create } from "@bufbuild/protobuf";

import {
  ListOperationsResponseSchema,
  ListSnapshotsResponseSchema,
  ListVClustersResponseSchema,
  RetryPolicy,
  type CallOptions,
  type UpdateVClusterArgs,
  type VCluster,
  type VClusterClient,
} from "../src/index.js";
import type { CallOptions as StepOptions, Step } from "./gen/openvcluster/conformance/v1/protocol_pb.js";
import type { Outcome } from "./outcomes.js";
import type { Watches } from "./watch-buffer.js";

/** A step's action with its request, refs applied. */
export type StepAction = Exclude<Step["action"], { case: undefined }>;

const DONE: Outcome = { case: "done", value: { $typeName: "openvcluster.conformance.v1.Done" } };

/** The call options of a step: timeout, retry and metadata. */
export function callOptions(options: StepOptions | undefined): CallOptions {
  const result: CallOptions = {};
  if (options === undefined) return result;
  if (options.timeoutMs) result.timeoutMs = Number(options.timeoutMs);
  if (options.maxAttempts === 1) result.retry = null;
  else if (options.maxAttempts > 1) result.retry = new RetryPolicy({ maxAttempts: options.maxAttempts });
  if (Object.keys(options.metadata).length > 0) result.metadata = options.metadata;
  return result;
}

/**
 * What a step reported besides its outcome: the operation id a mutation's
 * `onOperation` told (StepResult.operation_id), left empty otherwise.
 */
export interface Reported {
  operationId: string;
}

/**
 * Runs one step's action through `client`; rejects with what the SDK threw.
 * Every mutation gets an `onOperation` that records its id in `reported`,
 * which keeps it when the step then fails (a `wait` that failed).
 */
export async function runAction(
  client: VClusterClient,
  action: StepAction,
  step: Step,
  watches: Watches,
  reported: Reported,
): Promise<Outcome> {
  const call = callOptions(step.options);
  const metadata = call.metadata === undefined ? {} : { metadata: call.metadata };
  const onOperation = (operationId: string): void => {
    reported.operationId = operationId;
  };
  switch (action.case) {
    case "createVcluster": {
      const r = action.value;
      const vcluster = await client.createVCluster(r.namespace, r.name, {
        spec: r.spec,
        labels: r.labels,
        validateOnly: r.validateOnly,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "vcluster", value: vcluster };
    }
    case "getVcluster":
      return { case: "vcluster", value: await client.getVCluster(action.value.namespace, action.value.name, call) };
    case "listVclusters":
    case "listVclustersPage": {
      const r = action.value;
      const pager = client.listVClusters(r.namespace, {
        labelSelector: r.labelSelector,
        phase: r.phase || undefined,
        pageSize: r.pageSize,
        pageToken: r.pageToken,
        ...call,
      });
      if (action.case === "listVclusters") {
        return { case: "vclusters", value: { $typeName: "openvcluster.conformance.v1.VClusterList", items: await pager.toArray() } };
      }
      const page = await pager.page();
      const value = create(ListVClustersResponseSchema, { vclusters: [...page.items], nextPageToken: page.nextPageToken });
      return { case: "vclusterPage", value };
    }
    case "deleteVcluster": {
      const r = action.value;
      const vcluster = await client.deleteVCluster(r.namespace, r.name, {
        etag: r.etag,
        deleteSnapshots: r.deleteSnapshots,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "vcluster", value: vcluster };
    }
    case "scaleVcluster": {
      const r = action.value;
      const vcluster = await client.scaleVCluster(r.namespace, r.name, {
        resources: r.resources,
        replicas: r.replicas || undefined,
        enableHa: r.enableHa,
        etag: r.etag,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "vcluster", value: vcluster };
    }
    case "updateVcluster": {
      const r = action.value;
      const vcluster = await client.updateVCluster(r.vcluster?.namespace ?? "", r.vcluster?.name ?? "", {
        ...updateArgs(r.vcluster, r.updateMask?.paths ?? []),
        etag: r.etag,
        validateOnly: r.validateOnly,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "vcluster", value: vcluster };
    }
    case "suspendVcluster": {
      const r = action.value;
      const vcluster = await client.suspendVCluster(r.namespace, r.name, {
        drainWorkloads: r.drainWorkloads,
        etag: r.etag,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "vcluster", value: vcluster };
    }
    case "resumeVcluster": {
      const r = action.value;
      const vcluster = await client.resumeVCluster(r.namespace, r.name, {
        etag: r.etag,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "vcluster", value: vcluster };
    }
    case "snapshotVcluster": {
      const r = action.value;
      const snapshot = await client.snapshotVCluster(r.namespace, r.name, {
        snapshotName: r.snapshotName,
        description: r.description,
        labels: r.labels,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "snapshot", value: snapshot };
    }
    case "restoreVcluster": {
      const r = action.value;
      const vcluster = await client.restoreVCluster(r.namespace, r.snapshotName, {
        targetName: r.targetName,
        etag: r.etag,
        requestId: r.requestId || undefined,
        onOperation,
        ...call,
      });
      return { case: "vcluster", value: vcluster };
    }
    case "getKubeconfig":
      return { case: "kubeconfig", value: await client.getKubeconfig(action.value.namespace, action.value.name, call) };
    case "getSnapshot":
      return { case: "snapshot", value: await client.getSnapshot(action.value.namespace, action.value.name, call) };
    case "listSnapshots":
    case "listSnapshotsPage": {
      const r = action.value;
      const pager = client.listSnapshots(r.namespace, {
        vcluster: r.vcluster,
        pageSize: r.pageSize,
        pageToken: r.pageToken,
        ...call,
      });
      if (action.case === "listSnapshots") {
        return { case: "snapshots", value: { $typeName: "openvcluster.conformance.v1.SnapshotList", items: await pager.toArray() } };
      }
      const page = await pager.page();
      const value = create(ListSnapshotsResponseSchema, { snapshots: [...page.items], nextPageToken: page.nextPageToken });
      return { case: "snapshotPage", value };
    }
    case "deleteSnapshot": {
      const r = action.value;
      await client.deleteSnapshot(r.namespace, r.name, { requestId: r.requestId || undefined, onOperation, ...call });
      return DONE;
    }
    case "getOperation":
      return { case: "operation", value: await client.getOperation(action.value.id, call) };
    case "listOperations":
    case "listOperationsPage": {
      const r = action.value;
      const pager = client.listOperations(r.namespace, {
        vcluster: r.vcluster,
        pageSize: r.pageSize,
        pageToken: r.pageToken,
        ...call,
      });
      if (action.case === "listOperations") {
        return { case: "operations", value: { $typeName: "openvcluster.conformance.v1.OperationList", items: await pager.toArray() } };
      }
      const page = await pager.page();
      const value = create(ListOperationsResponseSchema, { operations: [...page.items], nextPageToken: page.nextPageToken });
      return { case: "operationPage", value };
    }
    case "getVclusterUsage":
      return { case: "usage", value: await client.getVClusterUsage(action.value.namespace, action.value.name, call) };
    case "getFleetSummary":
      return { case: "fleetSummary", value: await client.getFleetSummary({ namespace: action.value.namespace, ...call }) };
    case "getServerInfo":
      return { case: "serverInfo", value: await client.getServerInfo(call) };
    case "waitForPhase": {
      const r = action.value;
      const wait = { ...waitTimeout(r.timeoutMs), ...metadata };
      return { case: "vcluster", value: await client.waitForPhase(r.namespace, r.name, r.phase, wait) };
    }
    case "waitForDeletion": {
      const r = action.value;
      await client.waitForDeletion(r.namespace, r.name, { ...waitTimeout(r.timeoutMs), ...metadata });
      return DONE;
    }
    case "waitForSnapshot": {
      const r = action.value;
      const wait = { ...waitTimeout(r.timeoutMs), ...metadata };
      return { case: "snapshot", value: await client.waitForSnapshot(r.namespace, r.name, r.phase, wait) };
    }
    case "watchStart": {
      const r = action.value;
      watches.start(step.name, client.watchVClusters(r.namespace, { name: r.name, labelSelector: r.labelSelector, ...metadata }));
      return DONE;
    }
    case "watchCollect":
      return watches.collect(action.value);
  }
}

/**
 * The update arguments of a mask: for each path the SDK has an argument for,
 * that argument with the value in `vcluster`; the mask itself only when it
 * holds another path. A message path (`spec.sleep_schedule`,
 * `spec.expire_time`) whose message is unset has no argument to give (the
 * SDK names a path only for a value given), so it also sends the mask as
 * given, which clears that field on the server.
 */
export function updateArgs(vcluster: VCluster | undefined, paths: readonly string[]): UpdateVClusterArgs {
  const args: UpdateVClusterArgs = {};
  const spec = vcluster?.spec;
  for (const path of paths) {
    if (path === "labels") args.labels = vcluster?.labels ?? {};
    else if (path === "spec.kubernetes_version") args.kubernetesVersion = spec?.kubernetesVersion ?? "";
    else if (path === "spec.deletion_protection") args.deletionProtection = spec?.deletionProtection ?? false;
    else if (path === "spec.sleep_schedule" && spec?.sleepSchedule !== undefined) args.sleepSchedule = spec.sleepSchedule;
    else if (path === "spec.expire_time" && spec?.expireTime !== undefined) args.expireTime = spec.expireTime;
    else if (path === "spec.delete_snapshots_on_expiry") args.deleteSnapshotsOnExpiry = spec?.deleteSnapshotsOnExpiry ?? false;
    else args.updateMask = paths;
  }
  return args;
}

function waitTimeout(timeoutMs: bigint): { timeoutMs?: number } {
  return timeoutMs ? { timeoutMs: Number(timeoutMs) } : {};
}
