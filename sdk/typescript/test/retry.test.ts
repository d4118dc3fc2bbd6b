// Retries through the server's test hooks, the retry policy's arithmetic,
// per-call timeouts and cancellation.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

import {
  CancelledError,
  DeadlineExceededError,
  RetryPolicy,
  UnavailableError,
  VCluster_Phase,
  VClusterClient,
} from "../src/index.js";
import { RetryState } from "../src/retry.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

let server: RunningServer;
let client: VClusterClient;
// Retry quickly: the waits are real.
const fast = new RetryPolicy({ initialBackoffMs: 5, maxBackoffMs: 20 });

before(async () => {
  server = await startServer();
  client = new VClusterClient({ endpoint: server.address, retry: fast, env: {} });
});

after(async () => {
  client.close();
  await server.stop();
});

describe("retries", () => {
  test("UNAVAILABLE twice, then success, is retried by default", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev");
    const defaults = new VClusterClient({ endpoint: server.address, env: {} });
    try {
      const vc = await defaults.getVCluster(ns, "dev", { metadata: { "ovc-test-unavailable": `${ns}:2` } });
      assert.equal(vc.name, "dev");
    } finally {
      defaults.close();
    }
  });

  test("lost answers: the same requestId on every attempt applies a mutation once", async () => {
    const ns = uniqueNamespace();
    const lost = { "ovc-test-unavailable-after": `${ns}-create:2` };
    const created = await client.createVCluster(ns, "dev", { metadata: lost });
    assert.equal(created.status?.phase, VCluster_Phase.PROVISIONING, "the first answer, not ALREADY_EXISTS");

    const snapshot = await client.snapshotVCluster(ns, "dev", {
      metadata: { "ovc-test-unavailable-after": `${ns}-snap:1` },
      wait: true,
    });
    const snapshots = await client.listSnapshots(ns).toArray();
    assert.deepEqual(snapshots.map((s) => s.name), [snapshot.name], "one snapshot, not two");
  });

  test("a requestId of the caller's is sent as given", async () => {
    const ns = uniqueNamespace();
    const requestId = "6f9619ff-8b86-4011-b42d-00c04fc964ff";
    const first = await client.createVCluster(ns, "dev", { requestId });
    const again = await client.createVCluster(ns, "dev", { requestId });
    assert.equal(again.uid, first.uid);
  });

  test("a mutation without requestId sends a fresh one, the same on every attempt; reads send none", async () => {
    // Each call's first attempt fails UNAVAILABLE before it leaves the
    // process; the retry reaches the server.
    const sent: { method: string; requestId: unknown }[] = [];
    const loseFirst: Interceptor = (next) => async (req) => {
      sent.push({ method: req.method.name, requestId: (req.message as { requestId?: unknown }).requestId });
      if (sent.length % 2 === 1) throw new ConnectError("lost", Code.Unavailable);
      return next(req);
    };
    const flaky = new VClusterClient({ endpoint: server.address, retry: fast, interceptors: [loseFirst], env: {} });
    try {
      const ns = uniqueNamespace();
      await flaky.createVCluster(ns, "dev");
      await flaky.createVCluster(ns, "other");
      const given = "6f9619ff-8b86-4011-b42d-00c04fc964ff";
      await flaky.suspendVCluster(ns, "dev", { requestId: given }).catch(() => undefined);
      await flaky.getVCluster(ns, "dev");
      assert.deepEqual(sent.map((s) => s.method), [
        "CreateVCluster", "CreateVCluster", "CreateVCluster", "CreateVCluster",
        "SuspendVCluster", "SuspendVCluster", "GetVCluster", "GetVCluster",
      ]);
      const ids = sent.map((s) => s.requestId);
      assert.match(String(ids[0]), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUID");
      assert.equal(ids[1], ids[0], "the retry sends the same request id");
      assert.equal(ids[3], ids[2]);
      assert.notEqual(ids[2], ids[0], "a fresh one per logical call");
      assert.deepEqual(ids.slice(4), [given, given, undefined, undefined], "the caller's sent as given; reads have none");
    } finally {
      flaky.close();
    }
  });

  test("retry: null makes one attempt", async () => {
    const ns = uniqueNamespace();
    const error = await client
      .listVClusters(ns, { retry: null, metadata: { "ovc-test-unavailable": `${ns}:1` } })
      .page()
      .then(() => assert.fail("no error"), (e: unknown) => e);
    assert.ok(error instanceof UnavailableError);
    // The hook is spent: the next call goes through.
    await client.listVClusters(ns, { metadata: { "ovc-test-unavailable": `${ns}:1` } }).page();
  });

  test("attempts are bounded by maxAttempts", async () => {
    const ns = uniqueNamespace();
    const hook = { "ovc-test-unavailable": `${ns}:3` };
    await assert.rejects(client.getVCluster(ns, "x", { retry: { maxAttempts: 3, initialBackoffMs: 1 }, metadata: hook }), UnavailableError);
    await assert.rejects(client.getVCluster(ns, "x", { metadata: hook }), { name: "NotFoundError" });
  });

  test("other codes are not retried", async () => {
    const ns = uniqueNamespace();
    const hook = { "ovc-test-unavailable": `${ns}:1` };
    await assert.rejects(client.getVCluster(ns, "x", { retry: { retryCodes: [Code.NotFound] } }), { name: "NotFoundError" });
    await assert.rejects(client.getVCluster(ns, "x", { retry: { retryCodes: [Code.NotFound] }, metadata: hook }), UnavailableError);
  });
});

describe("timeouts and cancellation", () => {
  test("timeoutMs bounds each attempt: DEADLINE_EXCEEDED", async () => {
    const started = performance.now();
    await assert.rejects(
      client.getVCluster("x", "y", { timeoutMs: 100, metadata: { "ovc-test-delay-ms": "2000" } }),
      DeadlineExceededError,
    );
    assert.ok(performance.now() - started < 1500);
  });

  test("the client's timeoutMs applies to every call; null lifts it", async () => {
    const hasty = client.withOptions({ timeoutMs: 50 });
    await assert.rejects(hasty.getVCluster("x", "y", { metadata: { "ovc-test-delay-ms": "500" } }), DeadlineExceededError);
    await assert.rejects(hasty.getVCluster("x", "y", { timeoutMs: null, metadata: { "ovc-test-delay-ms": "100" } }), {
      name: "NotFoundError",
    });
  });

  test("an AbortSignal cancels a call in flight, with its reason as the cause", async () => {
    const controller = new AbortController();
    const call = client.getVCluster("x", "y", { signal: controller.signal, metadata: { "ovc-test-delay-ms": "2000" } });
    setTimeout(() => controller.abort(new Error("user gave up")), 50);
    const error = await call.then(() => assert.fail("answered"), (e: unknown) => e);
    assert.ok(error instanceof CancelledError);
    assert.equal((error.cause as Error).message, "user gave up");
  });

  test("an AbortSignal cancels the pause between retries", async () => {
    const ns = uniqueNamespace();
    const controller = new AbortController();
    const slow = { initialBackoffMs: 10_000, maxBackoffMs: 10_000 };
    const call = client.getVCluster(ns, "y", {
      retry: slow,
      signal: controller.signal,
      metadata: { "ovc-test-unavailable": `${ns}:5` },
    });
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await assert.rejects(call, CancelledError);
    assert.ok(performance.now() - started < 2000);
  });

  test("an aborted signal cancels before anything is sent", async () => {
    await assert.rejects(client.getVCluster("x", "y", { signal: AbortSignal.abort() }), CancelledError);
  });

  test("an AbortSignal cancels a wait", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "held", { metadata: { "ovc-test-transition-delay-ms": "3600000" } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(client.waitForPhase(ns, "held", "RUNNING", { signal: controller.signal }), CancelledError);
  });
});

describe("RetryPolicy", () => {
  test("backoff grows by the multiplier and is capped", () => {
    const policy = new RetryPolicy({ initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 500 });
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => policy.backoffCapMs(n)), [100, 200, 400, 500, 500]);
  });

  test("full jitter draws uniformly below the cap, and attempts stop at maxAttempts", () => {
    const draws = [0, 0.5, 0.999];
    const state = new RetryState(new RetryPolicy({ maxAttempts: 4 }), () => 0, () => draws.shift()!);
    assert.equal(state.nextBackoffMs(Code.Unavailable), 0);
    assert.equal(state.nextBackoffMs(Code.Unavailable), 100);
    assert.ok(Math.abs(state.nextBackoffMs(Code.Unavailable)! - 399.6) < 1e-9);
    assert.equal(state.attempt, 4);
    assert.equal(state.nextBackoffMs(Code.Unavailable), undefined);
  });

  test("only the retry codes are retried; null retries nothing", () => {
    assert.equal(new RetryState(new RetryPolicy()).nextBackoffMs(Code.Internal), undefined);
    assert.equal(new RetryState(null).nextBackoffMs(Code.Unavailable), undefined);
  });

  test("the total timeout bounds waits and attempt deadlines", () => {
    let now = 0;
    const state = new RetryState(new RetryPolicy({ totalTimeoutMs: 1000 }), () => now, () => 1);
    assert.equal(state.attemptTimeoutMs(30_000), 1000);
    now = 950;
    assert.equal(state.attemptTimeoutMs(null), 50);
    assert.equal(state.nextBackoffMs(Code.Unavailable), undefined, "a 100 ms wait does not fit in 50 ms");
    const unbounded = new RetryState(new RetryPolicy({ totalTimeoutMs: null }), () => now);
    assert.equal(unbounded.attemptTimeoutMs(null), null);
  });

  test("impossible policies are refused", () => {
    assert.throws(() => new RetryPolicy({ maxAttempts: 0 }), RangeError);
    assert.throws(() => new RetryPolicy({ initialBackoffMs: -1 }), RangeError);
    assert.throws(() => new RetryPolicy({ multiplier: 0.5 }), RangeError);
    assert.throws(() => new RetryPolicy({ totalTimeoutMs: 0 }), RangeError);
  });
});
