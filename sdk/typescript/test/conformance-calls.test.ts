// The conformance client's mapping of steps onto SDK calls (conformance/
// calls.ts), checked by what reaches the wire: each step runs through
// runAction with a client whose calls are answered by an interceptor, which
// records the request the SDK sent. Update steps: each mask path the SDK has
// an option for sets that option, and the mask itself is sent only when it
// holds another path or names a message the step leaves unset (which the
// server then clears).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { create, equals, toJson, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { Interceptor, UnaryResponse } from "@connectrpc/connect";

import { runAction, updateArgs, type StepAction } from "../conformance/calls.js";
import { StepSchema } from "../conformance/gen/openvcluster/conformance/v1/protocol_pb.js";
import { Watches } from "../conformance/watch-buffer.js";
import {
  VCluster_Phase as Phase,
  VClusterClient,
  VClusterSchema,
  VClusterSpecSchema,
  CreateVClusterRequestSchema,
  GetVClusterRequestSchema,
  ScaleVClusterRequestSchema,
  UpdateVClusterRequestSchema,
  type CreateVClusterRequest,
  type ScaleVClusterRequest,
  type UpdateVClusterRequest,
} from "../src/index.js";

const SCHEDULE = { suspendCron: "0 19 * * 1-5", resumeCron: "0 7 * * 1-5", timeZone: "Europe/Berlin" };
const EXPIRY = { seconds: 1_900_000_000n, nanos: 500 };

/**
 * Runs one step through the conformance client's runAction, its call
 * answered in the client with a RUNNING vcluster; resolves to the request
 * the SDK sent.
 */
async function sent(action: StepAction): Promise<unknown> {
  const step = create(StepSchema, { name: "step" });
  const requests: unknown[] = [];
  const answer: Interceptor = () => async (req) => {
    if (req.stream) throw new Error("no streams here");
    requests.push(req.message);
    const output: DescMessage = req.method.output;
    const response: UnaryResponse = {
      stream: false,
      service: req.service,
      method: req.method,
      header: new Headers(),
      trailer: new Headers(),
      message: create(output, { vcluster: { namespace: "ns", name: "dev", status: { phase: Phase.RUNNING } } }),
    };
    return response;
  };
  const client = new VClusterClient({ endpoint: "127.0.0.1:1", retry: null, interceptors: [answer], env: {} });
  try {
    await runAction(client, action, step, new Watches(), { operationId: "" });
  } finally {
    client.close();
  }
  assert.equal(requests.length, 1);
  return requests[0];
}

/** The UpdateVClusterRequest sent for an update step with this mask and vcluster spec. */
async function sentUpdate(paths: string[], spec: MessageInitShape<typeof VClusterSpecSchema> = {}): Promise<UpdateVClusterRequest> {
  const value = { vcluster: { namespace: "ns", name: "dev", labels: { app: "web" }, spec }, updateMask: { paths } };
  return (await sent({ case: "updateVcluster", value: create(UpdateVClusterRequestSchema, value) })) as UpdateVClusterRequest;
}

describe("a create step", () => {
  test("its spec, schedule and expiry included, reaches the server unchanged", async () => {
    const spec = create(VClusterSpecSchema, {
      kubernetesVersion: "1.31",
      deletionProtection: true,
      sleepSchedule: SCHEDULE,
      expireTime: EXPIRY,
      deleteSnapshotsOnExpiry: true,
    });
    const value = create(CreateVClusterRequestSchema, { namespace: "ns", name: "dev", spec, labels: { app: "web" } });
    const request = (await sent({ case: "call", value: { method: "CreateVCluster", request: value, schema: CreateVClusterRequestSchema } })) as CreateVClusterRequest;
    assert.ok(request.spec !== undefined);
    assert.deepEqual(toJson(VClusterSpecSchema, request.spec), toJson(VClusterSpecSchema, spec));
    assert.ok(equals(VClusterSpecSchema, request.spec, spec));
    assert.deepEqual(request.labels, { app: "web" });
  });
});

describe("a call step", () => {
  test("takes the leading fields as arguments and every set field, an optional one set to false too, as an option", async () => {
    const value = create(ScaleVClusterRequestSchema, { namespace: "ns", name: "dev", enableHa: false });
    const request = (await sent({ case: "call", value: { method: "ScaleVCluster", request: value, schema: ScaleVClusterRequestSchema } })) as ScaleVClusterRequest;
    assert.deepEqual([request.namespace, request.name, request.enableHa, request.replicas, request.resources], ["ns", "dev", false, 0, undefined]);
    assert.match(request.requestId, /^[0-9a-f-]{36}$/, "an unset request_id is the SDK's to fill");
  });

  test("a method the SDK does not have is unsupported", async () => {
    const value = create(GetVClusterRequestSchema, { namespace: "ns", name: "dev" });
    await assert.rejects(sent({ case: "call", value: { method: "GetVClusterTwice", request: value, schema: GetVClusterRequestSchema } }), { name: "UnsupportedError" });
  });
});

describe("an update step", () => {
  test("schedule, expiry and snapshots on expiry become the SDK's options, which name their paths", async () => {
    const paths = ["spec.sleep_schedule", "spec.expire_time", "spec.delete_snapshots_on_expiry"];
    const request = await sentUpdate(paths, { sleepSchedule: SCHEDULE, expireTime: EXPIRY, deleteSnapshotsOnExpiry: true });
    assert.deepEqual(request.updateMask?.paths, paths);
    const spec = request.vcluster?.spec;
    assert.deepEqual([spec?.sleepSchedule?.suspendCron, spec?.sleepSchedule?.resumeCron, spec?.sleepSchedule?.timeZone], Object.values(SCHEDULE));
    assert.deepEqual([spec?.expireTime?.seconds, spec?.expireTime?.nanos, spec?.deleteSnapshotsOnExpiry], [1_900_000_000n, 500, true]);
    assert.deepEqual(request.vcluster?.labels, {}, "labels not named: not sent");
  });

  test("a message path named but unset is sent in the mask as given, and the field unset, for the server to clear", async () => {
    const cleared = await sentUpdate(["spec.expire_time"]);
    assert.deepEqual(cleared.updateMask?.paths, ["spec.expire_time"]);
    assert.equal(cleared.vcluster?.spec?.expireTime, undefined);

    const both = await sentUpdate(["labels", "spec.sleep_schedule"], { expireTime: EXPIRY });
    assert.deepEqual(both.updateMask?.paths, ["labels", "spec.sleep_schedule"]);
    assert.equal(both.vcluster?.spec?.sleepSchedule, undefined);
    assert.equal(both.vcluster?.spec?.expireTime, undefined, "set but not named: not sent");
    assert.deepEqual(both.vcluster?.labels, { app: "web" }, "the other paths still carry their values");
  });

  test("an empty schedule is given as such, which clears it too", async () => {
    const request = await sentUpdate(["spec.sleep_schedule"], { sleepSchedule: {} });
    assert.deepEqual(request.updateMask?.paths, ["spec.sleep_schedule"]);
    assert.ok(request.vcluster?.spec?.sleepSchedule !== undefined);
  });
});

describe("updateArgs", () => {
  const vcluster = create(VClusterSchema, {
    name: "dev",
    labels: { app: "web" },
    spec: { deletionProtection: true, sleepSchedule: SCHEDULE, expireTime: EXPIRY, deleteSnapshotsOnExpiry: true },
  });

  test("each path the SDK has an option for sets that option, and no mask", () => {
    const args = updateArgs(vcluster, ["spec.sleep_schedule", "spec.expire_time", "spec.delete_snapshots_on_expiry"]);
    assert.deepEqual(Object.keys(args).sort(), ["deleteSnapshotsOnExpiry", "expireTime", "sleepSchedule"]);
    assert.equal(args.sleepSchedule, vcluster.spec?.sleepSchedule);
    assert.equal(args.expireTime, vcluster.spec?.expireTime);
    assert.equal(args.deleteSnapshotsOnExpiry, true);
    assert.deepEqual(updateArgs(vcluster, ["spec.deletion_protection"]), { deletionProtection: true });
  });

  test("a bool path named on a vcluster without a spec is false; a message path unset passes the mask", () => {
    const bare = create(VClusterSchema, { name: "dev" });
    assert.deepEqual(updateArgs(bare, ["spec.delete_snapshots_on_expiry"]), { deleteSnapshotsOnExpiry: false });
    assert.deepEqual(updateArgs(bare, ["spec.sleep_schedule"]), { updateMask: ["spec.sleep_schedule"] });
    assert.deepEqual(updateArgs(undefined, ["spec.expire_time"]), { updateMask: ["spec.expire_time"] });
    assert.deepEqual(updateArgs(bare, []), {}, "an empty mask: nothing given, for the server to refuse");
  });
});
