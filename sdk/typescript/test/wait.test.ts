// The wait helpers: following a watch (SYNCED tells an absent vcluster),
// rewatching, falling back to polling, and their errors.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

import {
  DeadlineExceededError,
  NotFoundError,
  phaseName,
  RetryPolicy,
  Snapshot_Phase,
  SnapshotFailedError,
  UnexpectedStatusError,
  VCluster_Phase,
  VClusterClient,
  VClusterFailedError,
  VClusterSchema,
  WaitTimeoutError,
  WatchVClustersResponse_EventType as EventType,
  WatchVClustersResponseSchema,
  type Snapshot,
  type VCluster,
} from "../src/index.js";
import { restingPhase, SETTLED, settleTarget, VClusterWaiter } from "../src/wait.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

let server: RunningServer;
let client: VClusterClient;
const HOLD = { "ovc-test-transition-delay-ms": "3600000" };
const FAST = new RetryPolicy({ initialBackoffMs: 1, maxBackoffMs: 5 });

before(async () => {
  server = await startServer();
  client = new VClusterClient({ endpoint: server.address, env: {} });
});

after(async () => {
  client.close();
  await server.stop();
});

/** The phases of the states an `onChange` saw, by name. */
function phases(states: VCluster[]): string[] {
  return states.map((vc) => phaseName(vc.status?.phase ?? VCluster_Phase.UNSPECIFIED));
}

/** A client whose calls (each attempt, each watch) are recorded by method name. */
function recordedClient(extra?: Interceptor): [VClusterClient, string[]] {
  const methods: string[] = [];
  const record: Interceptor = (next) => (req) => {
    methods.push(req.method.name);
    return next(req);
  };
  const interceptors = extra === undefined ? [record] : [record, extra];
  return [new VClusterClient({ endpoint: server.address, retry: FAST, interceptors, env: {} }), methods];
}

describe("vcluster waits", () => {
  test("a wait follows one watch and resolves to the vcluster in the phase", async () => {
    const ns = uniqueNamespace();
    const [recorded, methods] = recordedClient();
    try {
      await recorded.createVCluster(ns, "dev", { metadata: { "ovc-test-transition-delay-ms": "200" } });
      methods.length = 0;
      const running = await recorded.waitForPhase(ns, "dev", "RUNNING");
      assert.equal(running.status?.phase, VCluster_Phase.RUNNING);
      assert.deepEqual(methods, ["WatchVClusters"]);
    } finally {
      recorded.close();
    }
  });

  test("waiting for an absent vcluster ends on SYNCED with NotFoundError", async () => {
    const ns = uniqueNamespace();
    const error = await client.waitForPhase(ns, "ghost", "RUNNING").then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NotFoundError);
    assert.match(error.message, /does not exist, so it cannot reach RUNNING/);
  });

  test("a vcluster deleted while waiting ends the wait with NotFoundError", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { metadata: HOLD });
    const waiting = client.waitForPhase(ns, "dev", "RUNNING");
    await client.deleteVCluster(ns, "dev");
    await assert.rejects(waiting, { name: "NotFoundError", message: /was deleted while waiting for RUNNING/ });
  });

  test("a transition ending in FAILED rejects with VClusterFailedError", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { wait: true });
    const error = await client
      .suspendVCluster(ns, "dev", { metadata: { "ovc-test-fail-transition": "disk on fire" }, wait: true })
      .then(() => assert.fail("resolved"), (e: unknown) => e);
    assert.ok(error instanceof VClusterFailedError);
    assert.equal(error.vcluster.status?.phase, VCluster_Phase.FAILED);
    assert.match(error.message, /FAILED: disk on fire/);
    assert.equal((await client.waitForPhase(ns, "dev", "FAILED")).status?.phase, VCluster_Phase.FAILED);
  });

  test("a held transition ends the wait with WaitTimeoutError and the last state seen", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { metadata: HOLD });
    const started = performance.now();
    const error = await client.waitForPhase(ns, "dev", "RUNNING", { timeoutMs: 200 }).then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WaitTimeoutError);
    assert.ok(performance.now() - started < 2000);
    assert.match(error.message, /did not reach RUNNING within 0\.2 s \(last seen PROVISIONING\)/);
    assert.equal((error.lastSeen as { status?: { phase: number } }).status?.phase, VCluster_Phase.PROVISIONING);

    await client.deleteVCluster(ns, "dev", { metadata: HOLD });
    await assert.rejects(client.waitForDeletion(ns, "dev", { timeoutMs: 150 }), { name: "WaitTimeoutError", message: /was not deleted/ });
    await assert.rejects(client.deleteVCluster(ns, "dev", { wait: true, waitTimeoutMs: 150 }), WaitTimeoutError);
  });

  test("an UNAVAILABLE watch is watched again, then polled once retries are spent", async () => {
    const ns = uniqueNamespace();
    const [recorded, methods] = recordedClient();
    try {
      await recorded.createVCluster(ns, "dev", { wait: true });
      methods.length = 0;
      await recorded.waitForPhase(ns, "dev", "RUNNING", { metadata: { "ovc-test-unavailable": `${ns}-a:2` } });
      assert.deepEqual(methods, ["WatchVClusters", "WatchVClusters", "WatchVClusters"]);
      methods.length = 0;
      const hook = { "ovc-test-unavailable": `${ns}-b:${FAST.maxAttempts}` };
      await recorded.waitForPhase(ns, "dev", "RUNNING", { metadata: hook });
      assert.deepEqual(methods, [...Array<string>(FAST.maxAttempts).fill("WatchVClusters"), "GetVCluster"]);
    } finally {
      recorded.close();
    }
  });

  test("onChange sees each new state of the wait's own watch in order, and nothing after", async () => {
    const ns = uniqueNamespace();
    const [recorded, methods] = recordedClient();
    try {
      await recorded.createVCluster(ns, "dev", { metadata: { "ovc-test-transition-delay-ms": "200" } });
      methods.length = 0;
      const seen: VCluster[] = [];
      const running = await recorded.waitForPhase(ns, "dev", "RUNNING", { onChange: (vc) => seen.push(vc) });
      assert.deepEqual(phases(seen), ["PROVISIONING", "RUNNING"]);
      assert.equal(seen.at(-1), running);
      assert.deepEqual(methods, ["WatchVClusters"], "no second watch, no reads");
      await recorded.suspendVCluster(ns, "dev", { wait: true });
      assert.equal(seen.length, 2, "never called after the wait settled");

      await recorded.deleteVCluster(ns, "dev", { metadata: { "ovc-test-transition-delay-ms": "100" } });
      const gone: VCluster[] = [];
      await recorded.waitForDeletion(ns, "dev", { onChange: (vc) => gone.push(vc) });
      assert.deepEqual(phases(gone), ["DELETING"]);
    } finally {
      recorded.close();
    }
  });

  test("without a usable watch, waits poll GetVCluster", async () => {
    const ns = uniqueNamespace();
    const breakWatch: Interceptor = (next) => (req) => {
      if (req.stream) throw new ConnectError("no watch here", Code.Unimplemented);
      return next(req);
    };
    const [recorded, methods] = recordedClient(breakWatch);
    try {
      const watch = recorded.watchVClusters(ns);
      await assert.rejects(watch[Symbol.asyncIterator]().next(), UnexpectedStatusError);
      await recorded.createVCluster(ns, "dev", { metadata: { "ovc-test-transition-delay-ms": "150" }, wait: true });
      assert.ok(methods.filter((m) => m === "GetVCluster").length >= 2, `it polled: ${methods.join(",")}`);
      await recorded.suspendVCluster(ns, "dev", { metadata: { "ovc-test-transition-delay-ms": "150" } });
      const seen: VCluster[] = [];
      await recorded.waitForPhase(ns, "dev", "SUSPENDED", { onChange: (vc) => seen.push(vc) });
      assert.deepEqual(phases(seen), ["SUSPENDING", "SUSPENDED"], "each polled state once");
      await recorded.deleteVCluster(ns, "dev", { wait: true });
      await assert.rejects(recorded.waitForPhase(ns, "dev", "RUNNING"), NotFoundError);
    } finally {
      recorded.close();
    }
  });
});

describe("snapshot waits", () => {
  test("waitForSnapshot polls until READY; FAILED rejects with SnapshotFailedError", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { wait: true });
    await client.snapshotVCluster(ns, "dev", { snapshotName: "s1", metadata: { "ovc-test-transition-delay-ms": "100" } });
    const reads: Snapshot[] = [];
    const ready = await client.waitForSnapshot(ns, "s1", "READY", { onChange: (s) => reads.push(s) });
    assert.equal(ready.phase, Snapshot_Phase.READY);
    assert.equal(reads[0]?.phase, Snapshot_Phase.PENDING);
    assert.equal(reads.at(-1), ready);
    assert.ok(ready.sizeBytes > 0n);
    await assert.rejects(client.waitForSnapshot(ns, "s1", "PENDING", { timeoutMs: 150 }), (e: unknown) => {
      return e instanceof WaitTimeoutError && (e.lastSeen as { phase?: number }).phase === Snapshot_Phase.READY;
    });
    await assert.rejects(client.waitForSnapshot(ns, "absent"), NotFoundError);

    const failed = await client
      .snapshotVCluster(ns, "dev", { snapshotName: "bad", metadata: { "ovc-test-fail-transition": "disk" }, wait: true })
      .then(() => assert.fail("resolved"), (e: unknown) => e);
    assert.ok(failed instanceof SnapshotFailedError);
    assert.equal(failed.snapshot.phase, Snapshot_Phase.FAILED);
    assert.equal(failed.snapshot.message, "disk");
  });
});

describe("VClusterWaiter", () => {
  const vc = (phase: VCluster_Phase, name = "dev") =>
    create(VClusterSchema, { namespace: "ns", name, status: { phase } });
  // A phase of a newer server than this SDK knows.
  const UNKNOWN = 42 as VCluster_Phase;
  const event = (type: EventType, vcluster?: ReturnType<typeof vc>) =>
    create(WatchVClustersResponseSchema, { type, vcluster });

  test("resting phases", () => {
    assert.equal(restingPhase(VCluster_Phase.SCALING), VCluster_Phase.RUNNING);
    assert.equal(restingPhase(VCluster_Phase.SUSPENDING), VCluster_Phase.SUSPENDED);
    assert.equal(restingPhase(VCluster_Phase.SUSPENDED), VCluster_Phase.SUSPENDED);
    assert.equal(restingPhase(VCluster_Phase.UPGRADING), VCluster_Phase.RUNNING);
    assert.equal(restingPhase(VCluster_Phase.FAILED), VCluster_Phase.FAILED);
    assert.equal(restingPhase(UNKNOWN), VCluster_Phase.RUNNING, "a phase of a newer server is intermediate, ending RUNNING as in Python and Go");
  });

  test("wait: true after an unknown phase waits for either resting phase", () => {
    assert.equal(settleTarget(VCluster_Phase.SCALING), VCluster_Phase.RUNNING);
    assert.equal(settleTarget(VCluster_Phase.SUSPENDING), VCluster_Phase.SUSPENDED);
    assert.equal(settleTarget(VCluster_Phase.SUSPENDED), VCluster_Phase.SUSPENDED);
    assert.equal(settleTarget(UNKNOWN), SETTLED);
  });

  test("an unknown phase is a step on the way, to a phase or to any resting phase", () => {
    const running = new VClusterWaiter("ns", "dev", VCluster_Phase.RUNNING, 1000);
    assert.equal(running.observe(vc(UNKNOWN)), false);
    assert.equal(running.observe(vc(VCluster_Phase.UPGRADING)), false);
    assert.equal(running.observe(vc(VCluster_Phase.RUNNING)), true);

    const settled = new VClusterWaiter("ns", "dev", SETTLED, 1000);
    assert.equal(settled.observe(vc(UNKNOWN)), false);
    assert.equal(settled.observe(vc(VCluster_Phase.SUSPENDED)), true);
    assert.equal(settled.observe(vc(VCluster_Phase.RUNNING)), true);
    assert.throws(() => settled.observe(vc(VCluster_Phase.FAILED)), VClusterFailedError);
    assert.match(settled.timeoutError().message, /did not reach a resting phase/);
  });

  test("a read whose deadline was the time left is the wait's timeout, even a moment early", () => {
    let now = 0;
    const waiter = new VClusterWaiter("ns", "dev", VCluster_Phase.RUNNING, 300, { clock: () => now });
    const deadline = new DeadlineExceededError("the call did not finish within its deadline");
    now = 299.7; // the read's timer fired before the wait's clock reached the end
    assert.equal(waiter.readTimedOut(deadline, waiter.callTimeoutMs(30_000), 30_000), true);
    // A read with a deadline of its own, shorter than the time left, is no timeout of the wait.
    now = 0;
    assert.equal(waiter.readTimedOut(deadline, waiter.callTimeoutMs(100), 100), false);
    assert.equal(waiter.readTimedOut(new NotFoundError("gone"), waiter.callTimeoutMs(30_000), 30_000), false);
  });

  test("reads the initial state from the replay and SYNCED", () => {
    const waiter = new VClusterWaiter("ns", "dev", VCluster_Phase.RUNNING, 1000);
    waiter.watchStarted();
    assert.equal(waiter.observeEvent(event(EventType.ADDED, vc(VCluster_Phase.RUNNING, "other"))), false);
    assert.equal(waiter.observeEvent(event(EventType.ADDED, vc(VCluster_Phase.PROVISIONING))), false);
    assert.equal(waiter.observeEvent(event(EventType.SYNCED)), false, "present before SYNCED");
    assert.equal(waiter.observeEvent(event(EventType.MODIFIED, vc(VCluster_Phase.RUNNING))), true);

    const deletion = new VClusterWaiter("ns", "dev", null, 1000);
    deletion.watchStarted();
    assert.equal(deletion.observeEvent(event(EventType.SYNCED)), true, "absent at SYNCED: already gone");
  });

  test("reports each new state once per etag, before deciding", () => {
    const seen: string[] = [];
    const waiter = new VClusterWaiter("ns", "dev", VCluster_Phase.RUNNING, 1000, { onChange: (v) => seen.push(v.etag) });
    const tagged = (phase: VCluster_Phase, etag: string) => create(VClusterSchema, { namespace: "ns", name: "dev", etag, status: { phase } });
    waiter.watchStarted();
    assert.equal(waiter.observeEvent(event(EventType.ADDED, tagged(VCluster_Phase.PROVISIONING, "a"))), false);
    assert.equal(waiter.observeEvent(event(EventType.SYNCED)), false);
    waiter.watchStarted(); // a new watch replays the same state: not reported again
    assert.equal(waiter.observeEvent(event(EventType.ADDED, tagged(VCluster_Phase.PROVISIONING, "a"))), false);
    assert.equal(waiter.observe(tagged(VCluster_Phase.PROVISIONING, "b")), false);
    assert.equal(waiter.observe(tagged(VCluster_Phase.RUNNING, "c")), true);
    assert.deepEqual(seen, ["a", "b", "c"]);

    const failing: string[] = [];
    const doomed = new VClusterWaiter("ns", "dev", VCluster_Phase.RUNNING, 1000, { onChange: (v) => failing.push(v.etag) });
    assert.throws(() => doomed.observe(tagged(VCluster_Phase.FAILED, "f")), VClusterFailedError);
    assert.deepEqual(failing, ["f"], "reported, then decided");
  });

  test("decides what follows the end of a watch", () => {
    let now = 0;
    const waiter = new VClusterWaiter("ns", "dev", VCluster_Phase.RUNNING, 1000, { retry: FAST, clock: () => now });
    const endedWith = (code: Code) => new UnexpectedStatusError("ended", { code });
    assert.equal(waiter.watchEnded(undefined), undefined, "a stream that just ended: poll");
    assert.equal(waiter.watchEnded(endedWith(Code.ResourceExhausted)), 50, "never synced: pause");
    assert.equal(waiter.watchEnded(endedWith(Code.ResourceExhausted)), 100, "and pause longer");
    assert.ok(waiter.watchEnded(endedWith(Code.Unavailable))! <= 1, "retryable: watch again after a backoff");
    assert.equal(waiter.watchEnded(endedWith(Code.Unimplemented)), undefined, "not retryable: poll");
    waiter.watchStarted();
    assert.equal(waiter.observeEvent(event(EventType.ADDED, vc(VCluster_Phase.PROVISIONING))), false);
    assert.equal(waiter.observeEvent(event(EventType.SYNCED)), false);
    assert.equal(waiter.watchEnded(endedWith(Code.ResourceExhausted)), 0, "a synced watch fell behind: at once");
    now = 1000;
    assert.throws(() => waiter.watchEnded(endedWith(Code.Unavailable)), WaitTimeoutError);
  });
});
