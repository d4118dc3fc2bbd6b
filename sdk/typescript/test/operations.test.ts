// OperationService through the client, and each mutation's onOperation:
// what the client does with the operation id a mutation answers (checked
// against answers made up by an interceptor, with no server), then against
// a reference server with tokens: the Operation of every mutation, its
// states (RUNNING while held by the server's test hook, SUCCEEDED, FAILED
// with its ErrorInfo), a replayed request id, who asked, what a viewer may
// see, and listing page by page.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { create, type DescMessage } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Interceptor, UnaryResponse } from "@connectrpc/connect";

import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import {
  InvalidArgumentError,
  NotFoundError,
  Operation_State as State,
  PermissionDeniedError,
  RetryPolicy,
  VCluster_Phase as Phase,
  VClusterClient,
  VClusterFailedError,
  type ClientOptions,
  type Operation,
} from "../src/index.js";
import * as build from "../src/requests.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const OPERATION_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const FAST = new RetryPolicy({ initialBackoffMs: 1, maxBackoffMs: 5 });

/**
 * A client whose unary calls never leave the process: each is answered by
 * an interceptor with a response of the method's type carrying
 * `operationId`, a RUNNING vcluster and a READY snapshot where the
 * response has such fields. `calls` counts the answers.
 */
function answeringClient(operationId: string, options: ClientOptions = {}): { client: VClusterClient; calls: () => number } {
  let calls = 0;
  const answer: Interceptor = () => async (req) => {
    calls++;
    if (req.stream) throw new Error("no streams here");
    const output: DescMessage = req.method.output;
    const init: Record<string, unknown> = {};
    for (const field of output.fields) {
      if (field.localName === "operationId") init.operationId = operationId;
      if (field.localName === "vcluster") init.vcluster = { namespace: "ns", name: "dev", status: { phase: Phase.RUNNING } };
      if (field.localName === "snapshot") init.snapshot = { namespace: "ns", name: "snap", vcluster: "dev" };
    }
    const response: UnaryResponse = {
      stream: false,
      service: req.service,
      method: req.method,
      header: new Headers(),
      trailer: new Headers(),
      message: create(output, init),
    };
    return response;
  };
  const interceptors = [...(options.interceptors ?? []), answer];
  const client = new VClusterClient({ endpoint: "127.0.0.1:1", retry: null, env: {}, ...options, interceptors });
  return { client, calls: () => calls };
}

/** Each mutation of the client, called with `onOperation` and no wait. */
function mutations(client: VClusterClient, onOperation: (id: string) => void): [string, () => Promise<unknown>][] {
  return [
    ["createVCluster", () => client.createVCluster("ns", "dev", { onOperation })],
    ["updateVCluster", () => client.updateVCluster("ns", "dev", { labels: { a: "b" }, onOperation })],
    ["upgradeVCluster", () => client.upgradeVCluster("ns", "dev", "1.32", { onOperation })],
    ["scaleVCluster", () => client.scaleVCluster("ns", "dev", { cpu: "2", onOperation })],
    ["suspendVCluster", () => client.suspendVCluster("ns", "dev", { onOperation })],
    ["resumeVCluster", () => client.resumeVCluster("ns", "dev", { onOperation })],
    ["snapshotVCluster", () => client.snapshotVCluster("ns", "dev", { snapshotName: "snap", onOperation })],
    ["restoreVCluster", () => client.restoreVCluster("ns", "snap", { onOperation })],
    ["deleteVCluster", () => client.deleteVCluster("ns", "dev", { onOperation })],
    ["deleteSnapshot", () => client.deleteSnapshot("ns", "snap", { onOperation })],
  ];
}

describe("onOperation, with answers made up in the client", () => {
  test("every mutation tells the operation id its answer names, once", async () => {
    const { client, calls } = answeringClient(OPERATION_ID);
    try {
      const told: string[] = [];
      const all = mutations(client, (id) => told.push(id));
      for (const [name, call] of all) {
        const before = told.length;
        await call();
        assert.deepEqual(told.slice(before), [OPERATION_ID], name);
      }
      assert.equal(calls(), all.length);
    } finally {
      client.close();
    }
  });

  test("an answer without an operation id (validate-only, an older server) tells nothing", async () => {
    const { client } = answeringClient("");
    try {
      const told: string[] = [];
      for (const [, call] of mutations(client, (id) => told.push(id))) await call();
      assert.deepEqual(told, []);
    } finally {
      client.close();
    }
  });

  test("a call that fails tells nothing", async () => {
    const client = new VClusterClient({ endpoint: "127.0.0.1:1", retry: null, env: {} });
    try {
      const told: string[] = [];
      await assert.rejects(client.createVCluster("ns", "dev", { onOperation: (id) => told.push(id) }), { name: "UnavailableError" });
      await assert.rejects(client.createVCluster("ns", "Bad_Name", { onOperation: (id) => told.push(id) }), InvalidArgumentError);
      assert.deepEqual(told, []);
    } finally {
      client.close();
    }
  });

  test("an exception onOperation throws rejects the call", async () => {
    const { client, calls } = answeringClient(OPERATION_ID);
    try {
      const oops = new Error("oops");
      await assert.rejects(client.scaleVCluster("ns", "dev", { cpu: "2", onOperation: () => { throw oops; } }), (e) => e === oops);
      await assert.rejects(client.deleteSnapshot("ns", "snap", { onOperation: () => { throw oops; } }), (e) => e === oops);
      assert.equal(calls(), 2, "made once, not retried");
    } finally {
      client.close();
    }
  });

  test("getOperation and listOperations send what they are given", async () => {
    const sent: unknown[] = [];
    const record: Interceptor = (next) => (req) => {
      sent.push(req.message);
      return next(req);
    };
    const { client } = answeringClient("", { interceptors: [record] });
    try {
      await assert.rejects(client.getOperation(OPERATION_ID), { name: "UnexpectedStatusError", message: /no operation/ });
      const page = await client.listOperations("team-a", { vcluster: "dev", pageSize: 7, pageToken: "t1" }).page();
      assert.deepEqual(page, { items: [], nextPageToken: "" });
      assert.deepEqual(
        sent.map((m) => ({ ...(m as object), $typeName: undefined })),
        [
          { $typeName: undefined, id: OPERATION_ID },
          { $typeName: undefined, namespace: "team-a", vcluster: "dev", pageSize: 7, pageToken: "t1" },
        ],
      );
    } finally {
      client.close();
    }
  });

  test("every mutation's builder leaves requestId empty; the client fills it from the request's schema", async () => {
    const built = [
      build.createRequest("ns", "dev", {}),
      build.updateRequest("ns", "dev", {}),
      build.scaleRequest("ns", "dev", {}),
      build.suspendRequest("ns", "dev", {}),
      build.resumeRequest("ns", "dev", {}),
      build.snapshotRequest("ns", "dev", {}),
      build.restoreRequest("ns", "snap", {}),
      build.deleteRequest("ns", "dev", {}),
      build.deleteSnapshotRequest("ns", "snap", {}),
    ];
    assert.deepEqual(built.map((r) => r.requestId), built.map(() => ""));
    assert.equal(build.deleteRequest("ns", "dev", { requestId: "mine" }).requestId, "mine");

    const sent: { method: string; keyed: boolean; requestId: unknown }[] = [];
    const record: Interceptor = (next) => (req) => {
      const keyed = req.method.input.fields.some((f) => f.name === "request_id");
      sent.push({ method: req.method.name, keyed, requestId: (req.message as { requestId?: unknown }).requestId });
      return next(req);
    };
    const { client } = answeringClient("", { interceptors: [record] });
    try {
      const all = mutations(client, () => undefined);
      for (const [, call] of all) await call();
      assert.equal(sent.length, all.length);
      for (const { method, keyed, requestId } of sent) {
        assert.ok(keyed, `${method}: its request has a request_id field`);
        assert.match(String(requestId), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, method);
      }
      assert.equal(new Set(sent.map((s) => s.requestId)).size, sent.length, "a fresh one per call");

      sent.length = 0;
      await client.deleteSnapshot("ns", "snap", { requestId: "6f9619ff-8b86-4011-b42d-00c04fc964ff" });
      await client.getVCluster("ns", "dev");
      assert.deepEqual(sent, [
        { method: "DeleteSnapshot", keyed: true, requestId: "6f9619ff-8b86-4011-b42d-00c04fc964ff" },
        { method: "GetVCluster", keyed: false, requestId: undefined },
      ], "the caller's sent as given; a read is left alone");
    } finally {
      client.close();
    }
  });
});

const EDITOR = { token: "editor-secret", name: "ci-bot" };
const VIEWER = "viewer-secret";
const team = uniqueNamespace("team");
/** Holds a vcluster in the phase its mutation starts (the server's test hook). */
const HOLD = { "ovc-test-transition-delay-ms": "3600000" };

let server: RunningServer;
let client: VClusterClient;
let viewer: VClusterClient;

/** The operation once it has ended (the server ends it as its vcluster or snapshot settles). */
async function ended(id: string): Promise<Operation> {
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    const operation = await client.getOperation(id);
    if (operation.state !== State.RUNNING) return operation;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Calls `mutation` with an `onOperation` and resolves to the id it was told (failing when it was told none). */
async function operationOf(mutation: (onOperation: (id: string) => void) => Promise<unknown>): Promise<string> {
  const told: string[] = [];
  await mutation((id) => told.push(id));
  assert.equal(told.length, 1, "told once");
  return told[0]!;
}

describe("OperationService", () => {
  before(async () => {
    server = await startServer({
      tokens: [
        { token: EDITOR.token, name: EDITOR.name, role: "editor", namespaces: ["*"] },
        { token: VIEWER, role: "viewer", namespaces: [team] },
      ],
    });
    client = new VClusterClient({ endpoint: server.address, token: EDITOR.token, retry: FAST, env: {} });
    viewer = new VClusterClient({ endpoint: server.address, token: VIEWER, env: {} });
  });

  after(async () => {
    client.close();
    viewer.close();
    await server.stop();
  });

  test("every mutation makes one operation, which names its method, target and caller", async () => {
    const ns = uniqueNamespace();
    const ids = new Map<string, string>();
    const run = async (method: string, mutation: (onOperation: (id: string) => void) => Promise<unknown>): Promise<void> => {
      ids.set(method, await operationOf(mutation));
    };
    await run("CreateVCluster", (onOperation) => client.createVCluster(ns, "dev", { kubernetesVersion: "1.31", wait: true, onOperation }));
    await run("UpdateVCluster", (onOperation) => client.updateVCluster(ns, "dev", { labels: { tier: "gold" }, wait: true, onOperation }));
    await run("UpgradeVCluster", (onOperation) => client.upgradeVCluster(ns, "dev", "1.32", { wait: true, onOperation }));
    await run("ScaleVCluster", (onOperation) => client.scaleVCluster(ns, "dev", { cpu: "2", wait: true, onOperation }));
    await run("SuspendVCluster", (onOperation) => client.suspendVCluster(ns, "dev", { wait: true, onOperation }));
    await run("ResumeVCluster", (onOperation) => client.resumeVCluster(ns, "dev", { wait: true, onOperation }));
    await run("SnapshotVCluster", (onOperation) => client.snapshotVCluster(ns, "dev", { snapshotName: "s1", wait: true, onOperation }));
    await run("RestoreVCluster", (onOperation) => client.restoreVCluster(ns, "s1", { wait: true, onOperation }));
    await run("DeleteSnapshot", (onOperation) => client.deleteSnapshot(ns, "s1", { onOperation }));
    await run("DeleteVCluster", (onOperation) => client.deleteVCluster(ns, "dev", { wait: true, onOperation }));
    assert.equal(new Set(ids.values()).size, ids.size, "one operation each");

    for (const [method, id] of ids) {
      const operation = await ended(id);
      const expectedMethod = method === "UpgradeVCluster" ? "UpdateVCluster" : method;
      assert.deepEqual(
        [operation.id, operation.namespace, operation.vcluster, operation.method, operation.requestedBy, operation.state],
        [id, ns, "dev", expectedMethod, EDITOR.name, State.SUCCEEDED],
        method,
      );
      assert.match(operation.requestId, /^[0-9a-f-]{36}$/, `${method}: the request id the SDK made`);
      assert.ok(operation.startTime !== undefined && operation.endTime !== undefined, method);
      assert.equal(operation.error, undefined, method);
      const snapshot = ["SnapshotVCluster", "RestoreVCluster", "DeleteSnapshot"].includes(method) ? "s1" : "";
      assert.equal(operation.snapshot, snapshot, method);
    }
    const phases = async (method: string): Promise<string[]> => (await client.getOperation(ids.get(method)!)).progress.map((p) => p.phase);
    assert.deepEqual(await phases("CreateVCluster"), ["PROVISIONING", "RUNNING"]);
    assert.deepEqual(await phases("UpgradeVCluster"), ["UPGRADING", "RUNNING"]);
    assert.deepEqual(await phases("SuspendVCluster"), ["SUSPENDING", "SUSPENDED"]);
    assert.deepEqual(await phases("DeleteVCluster"), ["DELETING", "DELETED"]);
  });

  test("onOperation is told before the wait begins", async () => {
    const events: string[] = [];
    const record: Interceptor = (next) => (req) => {
      events.push(req.method.name);
      return next(req);
    };
    const recording = new VClusterClient({ endpoint: server.address, token: EDITOR.token, interceptors: [record], env: {} });
    try {
      const ns = uniqueNamespace();
      await recording.createVCluster(ns, "dev", { wait: true, onOperation: () => events.push("onOperation") });
      assert.deepEqual(events.slice(0, 3), ["CreateVCluster", "onOperation", "WatchVClusters"]);
    } finally {
      recording.close();
    }
  });

  test("a change with no transition succeeds at once; a held one is RUNNING", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { wait: true });
    const relabel = await client.getOperation(await operationOf((onOperation) => client.updateVCluster(ns, "dev", { labels: { a: "b" }, onOperation })));
    assert.equal(relabel.state, State.SUCCEEDED);
    assert.notEqual(relabel.endTime, undefined);

    const suspend = await operationOf((onOperation) => client.suspendVCluster(ns, "dev", { metadata: HOLD, onOperation }));
    const running = await client.getOperation(suspend);
    assert.deepEqual([running.state, running.endTime, running.progress.map((p) => p.phase)], [State.RUNNING, undefined, ["SUSPENDING"]]);
  });

  test("a transition that ends FAILED fails its operation with TRANSITION_FAILED", async () => {
    const ns = uniqueNamespace();
    const told: string[] = [];
    const failing = { metadata: { "ovc-test-fail-transition": "disk on fire" }, wait: true, onOperation: (id: string) => told.push(id) };
    await assert.rejects(client.createVCluster(ns, "dev", failing), VClusterFailedError);
    assert.equal(told.length, 1, "told before the wait failed");
    const operation = await ended(told[0]!);
    assert.equal(operation.state, State.FAILED);
    assert.deepEqual(operation.progress.map((p) => p.phase), ["PROVISIONING", "FAILED"]);
    assert.notEqual(operation.error, undefined);
    const info = operation.error!.details.map((d) => anyUnpack(d, ErrorInfoSchema)).find((d) => d !== undefined);
    assert.deepEqual([info?.domain, info?.reason, info?.metadata.phase], ["openvcluster.io", "TRANSITION_FAILED", "PROVISIONING"]);
  });

  test("validate-only calls make no operation; a replayed request id answers the first one", async () => {
    const ns = uniqueNamespace();
    const told: string[] = [];
    const onOperation = (id: string): void => void told.push(id);
    await client.createVCluster(ns, "dev", { validateOnly: true, onOperation });
    assert.deepEqual(told, []);
    const requestId = crypto.randomUUID();
    await client.createVCluster(ns, "dev", { requestId, onOperation });
    await client.createVCluster(ns, "dev", { requestId, onOperation });
    assert.equal(told.length, 2);
    assert.equal(told[0], told[1], "the first call's operation");
    await client.updateVCluster(ns, "dev", { labels: {}, validateOnly: true, onOperation });
    assert.equal(told.length, 2);
    assert.deepEqual((await client.listOperations(ns).toArray()).map((o) => o.id), [told[0]]);
  });

  test("listOperations: newest first, by vcluster, page by page", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "a", { wait: true });
    await client.createVCluster(ns, "b", { wait: true });
    await client.updateVCluster(ns, "a", { labels: { x: "y" } });
    await client.deleteVCluster(ns, "b", { wait: true });
    const all = await client.listOperations(ns).toArray();
    assert.deepEqual(
      all.map((o) => [o.method, o.vcluster]),
      [
        ["DeleteVCluster", "b"],
        ["UpdateVCluster", "a"],
        ["CreateVCluster", "b"],
        ["CreateVCluster", "a"],
      ],
    );
    assert.deepEqual((await client.listOperations(ns, { vcluster: "b" }).toArray()).map((o) => o.method), ["DeleteVCluster", "CreateVCluster"], "a deleted vcluster's operations stay");

    const pages = [];
    for await (const page of client.listOperations(ns, { pageSize: 3 }).pages()) pages.push(page);
    assert.deepEqual(pages.map((p) => p.items.length), [3, 1]);
    assert.equal(pages[1]!.nextPageToken, "");
    const first = await client.listOperations(ns, { pageSize: 1 }).page();
    const rest = await client.listOperations(ns, { pageSize: 1, pageToken: first.nextPageToken }).toArray();
    assert.deepEqual([...first.items, ...rest].map((o) => o.id), all.map((o) => o.id));

    await assert.rejects(client.listOperations(ns, { pageToken: "forged" }).page(), InvalidArgumentError);
    await assert.rejects(client.listOperations(ns, { vcluster: "a", pageToken: first.nextPageToken }).page(), InvalidArgumentError, "a token of another listing");
  });

  test("a viewer reads the operations of its namespaces; others behave as absent", async () => {
    const elsewhere = uniqueNamespace();
    const ours = await operationOf((onOperation) => client.createVCluster(team, "dev", { onOperation }));
    const theirs = await operationOf((onOperation) => client.createVCluster(elsewhere, "dev", { onOperation }));
    assert.equal((await viewer.getOperation(ours)).requestedBy, EDITOR.name);
    await assert.rejects(viewer.getOperation(theirs), NotFoundError);
    const seen = await viewer.listOperations().toArray();
    assert.ok(seen.some((o) => o.id === ours));
    assert.ok(seen.every((o) => o.namespace === team), "only its namespaces");
    assert.deepEqual(await viewer.listOperations(elsewhere).toArray(), []);
    await assert.rejects(viewer.deleteVCluster(team, "dev", { onOperation: () => assert.fail("told") }), PermissionDeniedError);
    await assert.rejects(client.getOperation(crypto.randomUUID()), NotFoundError);
  });
});
