// UpdateVCluster through the client: the update mask derived from the
// arguments given (checked by what the server changed), upgrades through
// UPGRADING with their waits, deletion protection, the errors and their
// ErrorInfo, and one idempotency key across retries.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import {
  AbortedError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  RetryPolicy,
  toPhase,
  VCluster_Phase,
  VClusterClient,
  VClusterFailedError,
} from "../src/index.js";
import { updateRequest } from "../src/requests.js";
import * as check from "./support/scenarios.js";
import { invalidFields } from "./support/scenarios.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

let server: RunningServer;
let client: VClusterClient;
const HOLD = { "ovc-test-transition-delay-ms": "3600000" };

before(async () => {
  server = await startServer();
  client = new VClusterClient({ endpoint: server.address, retry: new RetryPolicy({ initialBackoffMs: 5, maxBackoffMs: 20 }), env: {} });
});

after(async () => {
  client.close();
  await server.stop();
});

/** What `call` rejected with; fails when it resolved. */
function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => assert.fail("resolved"),
    (e: unknown) => e,
  );
}

describe("the update request", () => {
  test("the mask names the arguments given, in a fixed order", () => {
    const paths = (args: Parameters<typeof updateRequest>[2]): string[] => updateRequest("ns", "dev", args).updateMask?.paths ?? [];
    assert.deepEqual(paths({}), [], "nothing given: an empty mask, for the server to refuse");
    assert.deepEqual(paths({ labels: {} }), ["labels"], "empty labels are given labels");
    assert.deepEqual(paths({ deletionProtection: false }), ["spec.deletion_protection"], "false is given too");
    assert.deepEqual(paths({ deletionProtection: true, kubernetesVersion: "1.32", labels: { a: "b" } }), [
      "labels",
      "spec.kubernetes_version",
      "spec.deletion_protection",
    ]);
    assert.deepEqual(paths({ labels: { a: "b" }, updateMask: ["spec.distro"] }), ["spec.distro"], "an explicit mask is sent as given");
  });

  test("carries the vcluster, etag, validateOnly and a fresh request id", () => {
    const request = updateRequest("ns", "dev", { labels: { a: "b" }, kubernetesVersion: "1.32", etag: "e1", validateOnly: true });
    assert.deepEqual([request.vcluster?.namespace, request.vcluster?.name, request.vcluster?.labels], ["ns", "dev", { a: "b" }]);
    assert.equal(request.vcluster?.spec?.kubernetesVersion, "1.32");
    assert.deepEqual([request.etag, request.validateOnly], ["e1", true]);
    assert.match(request.requestId, /^[0-9a-f-]{36}$/);
    assert.notEqual(updateRequest("ns", "dev", {}).requestId, request.requestId);
    assert.equal(updateRequest("ns", "dev", { requestId: "mine" }).requestId, "mine");
  });
});

describe("updateVCluster", () => {
  test("changes only the fields given: labels leave protection alone, and the reverse", async () => {
    const ns = uniqueNamespace();
    const created = await client.createVCluster(ns, "dev", { labels: { app: "web" }, deletionProtection: true, wait: true });
    assert.equal(created.spec?.deletionProtection, true);

    const relabelled = await client.updateVCluster(ns, "dev", { labels: { team: "platform" } });
    assert.deepEqual(relabelled.labels, { team: "platform" });
    assert.equal(relabelled.spec?.deletionProtection, true, "labels only: protection kept");
    assert.equal(relabelled.status?.phase, VCluster_Phase.RUNNING, "at once, in the same phase");
    assert.notEqual(relabelled.etag, created.etag);

    const unprotected = await client.updateVCluster(ns, "dev", { deletionProtection: false, etag: relabelled.etag });
    assert.equal(unprotected.spec?.deletionProtection, false, "false is sent, not left out");
    assert.deepEqual(unprotected.labels, { team: "platform" }, "protection only: labels kept");
    assert.equal(unprotected.spec?.kubernetesVersion, created.spec?.kubernetesVersion);

    const cleared = await client.updateVCluster(ns, "dev", { labels: {}, wait: true });
    assert.deepEqual(cleared.labels, {}, "empty labels clear them");
    assert.deepEqual((await client.getVCluster(ns, "dev")).labels, {});
  });

  test("an explicit updateMask is sent as given: an unknown path is INVALID_ARGUMENT on update_mask.paths", async () => {
    const ns = uniqueNamespace();
    const before = await client.createVCluster(ns, "dev", { wait: true });
    const error = await rejection(client.updateVCluster(ns, "dev", { labels: { app: "web" }, updateMask: ["labels", "spec.distro"] }));
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.deepEqual(error.fieldViolations.map((v) => v.field), ["update_mask.paths"]);
    assert.match(error.fieldViolations[0]!.description, /spec\.distro/);
    assert.equal((await client.getVCluster(ns, "dev")).etag, before.etag, "nothing changed");

    // A mask naming labels without labels given clears them.
    await client.updateVCluster(ns, "dev", { labels: { app: "web" } });
    const cleared = await client.updateVCluster(ns, "dev", { updateMask: ["labels"] });
    assert.deepEqual(cleared.labels, {});
  });

  test("nothing to change is not refused by the SDK: the server answers INVALID_ARGUMENT on update_mask", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { wait: true });
    assert.deepEqual(await invalidFields(client.updateVCluster(ns, "dev")), ["update_mask"]);
    assert.deepEqual(await invalidFields(client.updateVCluster(ns, "dev", { labels: { app: "no spaces" } })), ["vcluster.labels[app]"]);
  });

  test("validateOnly answers the change and changes nothing, and wait does not wait for it", async () => {
    const ns = uniqueNamespace();
    const before = await client.createVCluster(ns, "dev", { kubernetesVersion: "1.31", wait: true });
    const preview = await client.updateVCluster(ns, "dev", { kubernetesVersion: "1.32", validateOnly: true, wait: true });
    assert.equal(preview.status?.phase, VCluster_Phase.UPGRADING);
    assert.equal(preview.spec?.kubernetesVersion, "1.32");
    const after = await client.getVCluster(ns, "dev");
    assert.deepEqual([after.etag, after.spec?.kubernetesVersion], [before.etag, "1.31"]);
  });

  test("NOT_FOUND, a stale etag, and a phase that refuses updates", async () => {
    const ns = uniqueNamespace();
    await assert.rejects(client.updateVCluster(ns, "ghost", { labels: {} }), NotFoundError);
    const created = await client.createVCluster(ns, "dev", { metadata: HOLD });
    const error = await rejection(client.updateVCluster(ns, "dev", { labels: { app: "web" } }));
    assert.ok(error instanceof FailedPreconditionError, String(error));
    assert.deepEqual([error.reason, error.phase], ["INVALID_PHASE", "PROVISIONING"]);
    await client.createVCluster(ns, "other", { wait: true });
    await client.updateVCluster(ns, "other", { labels: { app: "web" } });
    await assert.rejects(client.updateVCluster(ns, "other", { labels: {}, etag: created.etag }), AbortedError);
  });
});

describe("upgrades", () => {
  test("upgradeVCluster with wait ends RUNNING with the new version", async () => {
    const ns = uniqueNamespace();
    const before = await client.createVCluster(ns, "dev", { kubernetesVersion: "1.31", wait: true });
    const upgraded = await client.upgradeVCluster(ns, "dev", "1.32", { etag: before.etag, wait: true });
    assert.equal(upgraded.status?.phase, VCluster_Phase.RUNNING);
    assert.equal(upgraded.spec?.kubernetesVersion, "1.32");
    assert.equal(upgraded.uid, before.uid);

    const patched = await client.updateVCluster(ns, "dev", { kubernetesVersion: "1.32.4", wait: true });
    assert.deepEqual([patched.status?.phase, patched.spec?.kubernetesVersion], [VCluster_Phase.RUNNING, "1.32.4"]);
  });

  test("without wait it answers UPGRADING, which waitForPhase knows by name", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { kubernetesVersion: "1.31", wait: true });
    const upgrading = await client.upgradeVCluster(ns, "dev", "1.32");
    assert.equal(upgrading.status?.phase, VCluster_Phase.UPGRADING);
    assert.equal(toPhase("UPGRADING"), VCluster_Phase.UPGRADING);
    const running = await client.waitForPhase(ns, "dev", "RUNNING");
    assert.equal(running.spec?.kubernetesVersion, "1.32");

    await client.upgradeVCluster(ns, "dev", "1.33", { metadata: HOLD });
    const held = await client.waitForPhase(ns, "dev", "upgrading");
    assert.equal(held.status?.phase, VCluster_Phase.UPGRADING);
    const error = await rejection(client.scaleVCluster(ns, "dev", { replicas: 3 }));
    assert.ok(error instanceof FailedPreconditionError, String(error));
    assert.equal(error.phase, "UPGRADING");
  });

  test("a refused upgrade carries the versions in its ErrorInfo metadata", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { kubernetesVersion: "1.30", wait: true });
    const error = await rejection(client.upgradeVCluster(ns, "dev", "1.32", { wait: true }));
    assert.ok(error instanceof FailedPreconditionError, String(error));
    assert.equal(error.reason, "UPGRADE_NOT_ALLOWED");
    assert.deepEqual(error.metadata, { current: "1.30", requested: "1.32", allowed: "1.31" });
    assert.deepEqual(await invalidFields(client.upgradeVCluster(ns, "dev", "1.99")), ["vcluster.spec.kubernetes_version"]);
  });

  test("a failed upgrade rejects a wait with VClusterFailedError", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { kubernetesVersion: "1.31", wait: true });
    const error = await rejection(
      client.upgradeVCluster(ns, "dev", "1.32", { metadata: { "ovc-test-fail-transition": "the new control plane did not start" }, wait: true }),
    );
    assert.ok(error instanceof VClusterFailedError, String(error));
    assert.equal(error.vcluster.status?.phase, VCluster_Phase.FAILED);
    assert.match(error.vcluster.status?.message ?? "", /did not start/);
  });

  test("lost answers: the same requestId on every attempt starts one upgrade", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { kubernetesVersion: "1.31", wait: true });
    // The first attempt upgrades and its answer is lost; a retry with another
    // key would find the vcluster UPGRADING and be refused (INVALID_PHASE).
    const lost = { "ovc-test-unavailable-after": `${ns}-upgrade:1`, ...HOLD };
    const requestId = randomUUID();
    const upgrading = await client.upgradeVCluster(ns, "dev", "1.32", { metadata: lost, requestId });
    assert.equal(upgrading.status?.phase, VCluster_Phase.UPGRADING);
    assert.equal(upgrading.spec?.kubernetesVersion, "1.32");
    const ofKey = (code: string) => (line: string) => line.includes(`request_id=${requestId}`) && line.includes(`code=${code}`);
    await server.waitForLog("the lost answer", ofKey("UNAVAILABLE"));
    await server.waitForLog("the retry's answer", ofKey("OK"));

    // The SDK makes its own key once per call, and keeps it across the retry too.
    await client.createVCluster(ns, "web", { kubernetesVersion: "1.31", wait: true });
    const again = await client.upgradeVCluster(ns, "web", "1.32", { metadata: { "ovc-test-unavailable-after": `${ns}-web:1`, ...HOLD } });
    assert.equal(again.status?.phase, VCluster_Phase.UPGRADING);
  });
});

describe("deletion protection", () => {
  test("a protected vcluster is not deleted (DELETION_PROTECTED) until an update turns it off", async () => {
    const ns = uniqueNamespace();
    const created = await client.createVCluster(ns, "dev", { deletionProtection: true });
    assert.equal(created.spec?.deletionProtection, true);
    const running = await client.waitForPhase(ns, "dev", "RUNNING");
    const error = await rejection(client.deleteVCluster(ns, "dev", { wait: true }));
    assert.ok(error instanceof FailedPreconditionError, String(error));
    assert.equal(error.reason, "DELETION_PROTECTED");
    assert.equal(error.errorInfo?.domain, "openvcluster.io");
    assert.equal((await client.getVCluster(ns, "dev")).etag, running.etag, "nothing changed");

    await client.updateVCluster(ns, "dev", { deletionProtection: false });
    await client.deleteVCluster(ns, "dev", { wait: true });
    await assert.rejects(client.getVCluster(ns, "dev"), NotFoundError);
  });

  test("the same update through the shared scenario (run by every transport)", () => check.update(client));
});
