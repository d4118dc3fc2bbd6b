// Typed errors with their decoded google.rpc details, and instanceof that
// survives a second copy of the SDK.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";

import {
  AbortedError,
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  isOpenVClusterError,
  NotFoundError,
  OpenVClusterError,
  ResourceExhaustedError,
  UnexpectedStatusError,
  VClusterClient,
  WaitError,
  WaitTimeoutError,
} from "../src/index.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { toOpenVClusterError } from "../src/status.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

let server: RunningServer;
let client: VClusterClient;
const quotaNamespace = uniqueNamespace("quota");

before(async () => {
  server = await startServer({ quotas: { [quotaNamespace]: { max_vclusters: 1, cpu: "4" } } });
  client = new VClusterClient({ endpoint: server.address, env: {} });
});

after(async () => {
  client.close();
  await server.stop();
});

test("INVALID_ARGUMENT names every bad field", async () => {
  // The server's answer, decoded: the client's own check of the field rules
  // (field-rules.test.ts) would otherwise answer first.
  const unchecked = client.withOptions({ validateRequests: false });
  const error = await unchecked.createVCluster(uniqueNamespace(), "Bad_Name", { memory: "lots", replicas: 9 }).then(
    () => assert.fail("created"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidArgumentError);
  assert.ok(error instanceof OpenVClusterError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "InvalidArgumentError");
  assert.equal(error.code, Code.InvalidArgument);
  assert.equal(error.codeName, "INVALID_ARGUMENT");
  assert.deepEqual(
    error.fieldViolations.map((v) => v.field),
    ["name", "spec.resources.memory", "spec.replicas"],
  );
  assert.ok(error.fieldViolations.every((v) => v.description.length > 0));
  assert.match(error.message, /^INVALID_ARGUMENT: /);
  assert.match(error.message, /\n {2}spec\.resources\.memory: /);
  assert.match(error.message, /\(request_id [0-9a-f-]{36}\)/);
  assert.equal(typeof error.requestId, "string");
  assert.ok(error.cause instanceof ConnectError);
});

test("FAILED_PRECONDITION carries ErrorInfo: reason, metadata, phase, allowed phases", async () => {
  const ns = uniqueNamespace();
  await client.createVCluster(ns, "dev", { wait: true });
  await client.suspendVCluster(ns, "dev", { metadata: { "ovc-test-transition-delay-ms": "3600000" } });
  const held = await client.scaleVCluster(ns, "dev", { cpu: "2" }).then(
    () => assert.fail("scaled"),
    (e: unknown) => e,
  );
  assert.ok(held instanceof FailedPreconditionError);
  assert.equal(held.reason, "INVALID_PHASE");
  assert.equal(held.phase, "SUSPENDING");
  assert.equal(held.metadata["phase"], "SUSPENDING");
  assert.deepEqual(held.allowedPhases, ["RUNNING", "SUSPENDED"]);
  assert.notEqual(held.errorInfo?.domain, "");
  assert.deepEqual(held.fieldViolations, []);
});

test("ALREADY_EXISTS, NOT_FOUND and ABORTED for a stale etag", async () => {
  const ns = uniqueNamespace();
  const first = await client.createVCluster(ns, "dev", { wait: true });
  await assert.rejects(client.createVCluster(ns, "dev"), AlreadyExistsError);
  await assert.rejects(client.getVCluster(ns, "nope"), (e: unknown) => e instanceof NotFoundError && e.reason === undefined);
  await assert.rejects(client.suspendVCluster(ns, "dev", { etag: `${first.etag}-stale` }), AbortedError);
});

test("RESOURCE_EXHAUSTED carries the quota violations", async () => {
  await client.createVCluster(quotaNamespace, "one");
  const error = await client.createVCluster(quotaNamespace, "two").then(
    () => assert.fail("created over quota"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ResourceExhaustedError);
  assert.ok(error.quotaViolations.length >= 1);
  assert.match(error.quotaViolations[0]!.subject, new RegExp(quotaNamespace));
  assert.notEqual(error.quotaViolations[0]!.description, "");
});

test("instanceof and isOpenVClusterError recognise errors of another copy of the SDK", () => {
  // What a second, bundled copy of the SDK makes: its own classes, the same brand.
  const brand = Symbol.for("@open-vcluster/sdk/error");
  const foreign = Object.assign(new Error("x"), {
    [brand]: ["NotFoundError", "OpenVClusterError"],
  });
  assert.ok(foreign instanceof NotFoundError);
  assert.ok(foreign instanceof OpenVClusterError);
  assert.ok(isOpenVClusterError(foreign));
  assert.ok(!(foreign instanceof AlreadyExistsError));
  assert.ok(!(new Error("plain") instanceof OpenVClusterError));
  assert.ok(!isOpenVClusterError("NotFoundError"));

  const timeout = new WaitTimeoutError("late");
  assert.ok(timeout instanceof WaitError && timeout instanceof OpenVClusterError);
  assert.ok(!(timeout instanceof NotFoundError));
  assert.equal(timeout.name, "WaitTimeoutError");
  assert.equal(timeout.code, Code.DeadlineExceeded);
  assert.deepEqual(Object.keys(timeout).includes("name"), false, "name is not an enumerable own field");
});

test("codes the contract never promises become UnexpectedStatusError; unknown details stay Any", () => {
  const wire = new ConnectError("boom", Code.Internal);
  wire.details = [
    { type: "google.rpc.ErrorInfo", value: new Uint8Array([10, 1, 82]) },
    { type: "example.Unknown", value: new Uint8Array([1, 2]) },
  ];
  const error = toOpenVClusterError(wire);
  assert.ok(error instanceof UnexpectedStatusError);
  assert.equal(error.codeName, "INTERNAL");
  assert.equal(error.reason, "R");
  assert.equal(error.details[1]?.$typeName, "google.protobuf.Any");
  assert.equal(create(ErrorInfoSchema).reason, "");
});
