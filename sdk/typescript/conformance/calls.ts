/**
 * Which SDK method a step calls, with which arguments, and where its answer
 * goes in the StepResult.
 *
 * @module
 */

import {
  create,
  createRegistry,
  isFieldSet,
  isMessage,
  type DescMessage,
  type Message,
  type Registry,
} from "@bufbuild/protobuf";

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
import { file_openvcluster_v1_monitor_service } from "../src/gen/openvcluster/v1/monitor_service_pb.js";
import { file_openvcluster_v1_operation_service } from "../src/gen/openvcluster/v1/operation_service_pb.js";
import { file_openvcluster_v1_server_info_service } from "../src/gen/openvcluster/v1/server_info_service_pb.js";
import { file_openvcluster_v1_snapshot_service } from "../src/gen/openvcluster/v1/snapshot_service_pb.js";
import { file_openvcluster_v1_vcluster_service } from "../src/gen/openvcluster/v1/vcluster_service_pb.js";
import {
  StepResultSchema,
  type CallOptions as StepOptions,
  type Step,
} from "./gen/openvcluster/conformance/v1/protocol_pb.js";
import { UnsupportedError, type Outcome } from "./outcomes.js";
import type { Watches } from "./watch-buffer.js";

/**
 * Every request type of the API, so that a case line's `UnaryCall.request`
 * (a `google.protobuf.Any`, `"@type"` in proto3 JSON) can be read.
 */
export const REQUEST_TYPES: Registry = createRegistry(
  file_openvcluster_v1_vcluster_service,
  file_openvcluster_v1_snapshot_service,
  file_openvcluster_v1_operation_service,
  file_openvcluster_v1_monitor_service,
  file_openvcluster_v1_server_info_service,
);

/** A `call` step's RPC, its request unpacked from the Any (refs applied) with its schema. */
export interface UnaryRequest {
  readonly method: string;
  readonly request: Message;
  readonly schema: DescMessage;
}

/** A step's action with its request, refs applied; a `call` carries its request unpacked. */
export type StepAction = Exclude<Step["action"], { case: undefined | "call" }> | { case: "call"; value: UnaryRequest };

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
    case "call":
      return runCall(client, action.value, call, onOperation);
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

/** SDK methods not named after their RPC (sdk/names.json). */
const METHOD_NAMES: Readonly<Record<string, string>> = { GetVClusterKubeconfig: "getKubeconfig" };

/**
 * Runs a unary RPC through the SDK method of its name, with no code per RPC
 * (UnaryCall in protocol.proto): the method's positional parameters (those
 * before its first default, which is what a function's `length` counts)
 * take the request's leading fields in declaration order; every other set
 * field becomes the option of its localName, as the SDK's option types name
 * them. Unset fields are left out, so the SDK's defaults apply (an empty
 * request_id is the SDK's to fill).
 */
async function runCall(
  client: VClusterClient,
  { method, request, schema }: UnaryRequest,
  call: CallOptions,
  onOperation: (operationId: string) => void,
): Promise<Outcome> {
  const name = METHOD_NAMES[method] ?? method.charAt(0).toLowerCase() + method.slice(1);
  const sdkMethod: unknown = (client as unknown as Record<string, unknown>)[name];
  if (typeof sdkMethod !== "function") throw new UnsupportedError(`the SDK has no method ${name} for ${method}`);
  const values = request as Message & Record<string, unknown>;
  const positional = schema.fields.slice(0, sdkMethod.length).map((field) => values[field.localName]);
  const options: Record<string, unknown> = {};
  for (const field of schema.fields.slice(sdkMethod.length)) {
    if (isFieldSet(request, field)) options[field.localName] = values[field.localName];
  }
  // A mutation reports the id of its Operation (StepResult.operation_id).
  if (schema.fields.some((field) => field.name === "request_id")) options.onOperation = onOperation;
  const answer: unknown = await sdkMethod.apply(client, [...positional, { ...options, ...call }]);
  return outcomeOf(answer);
}

/**
 * The StepResult outcome of what an SDK method resolved to, chosen by its
 * type: the oneof field of the message's type, `kubeconfig` for a string,
 * `done` for nothing.
 */
function outcomeOf(answer: unknown): Outcome {
  if (answer === undefined) return DONE;
  if (typeof answer === "string") return { case: "kubeconfig", value: answer };
  if (isMessage(answer)) {
    const outcome = StepResultSchema.oneofs.find((oneof) => oneof.name === "outcome");
    const field = outcome?.fields.find((f) => f.message?.typeName === answer.$typeName);
    if (field !== undefined) return { case: field.localName, value: answer } as Outcome;
  }
  throw new Error(`no StepResult outcome holds ${isMessage(answer) ? answer.$typeName : typeof answer}`);
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
