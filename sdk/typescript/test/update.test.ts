// UpdateVCluster through the client: the update mask derived from the
// arguments given (checked by what the server changed), upgrades through
// UPGRADING with their waits, deletion protection, the errors and their
// ErrorInfo, and one idempotency key across retries.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { create, equals } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, TimestampSchema } from "@bufbuild/protobuf/wkt";

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
import { createRequest, updateRequest } from "../src/requests.js";
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

  test("the schedule, the expiry and snapshots on expiry name their paths, after the others", () => {
    const paths = (args: Parameters<typeof updateRequest>[2]): string[] => updateRequest("ns", "dev", args).updateMask?.paths ?? [];
    assert.deepEqual(paths({ sleepSchedule: { suspendCron: "0 19 * * 1-5" } }), ["spec.sleep_schedule"]);
    assert.deepEqual(paths({ expireTime: new Date("2030-01-01T00:00:00Z") }), ["spec.expire_time"]);
    assert.deepEqual(paths({ deleteSnapshotsOnExpiry: false }), ["spec.delete_snapshots_on_expiry"], "false is given too");
    assert.deepEqual(
      paths({ deleteSnapshotsOnExpiry: true, expireTime: timestampFromDate(new Date()), sleepSchedule: {}, deletionProtection: true, labels: {} }),
      ["labels", "spec.deletion_protection", "spec.sleep_schedule", "spec.expire_time", "spec.delete_snapshots_on_expiry"],
    );
  });

  test("an empty sleepSchedule is sent empty, which clears it; an expiry is cleared by the mask alone", () => {
    const emptied = updateRequest("ns", "dev", { sleepSchedule: {} }).vcluster?.spec;
    assert.ok(emptied?.sleepSchedule !== undefined, "set, so the server sees a schedule given");
    assert.deepEqual([emptied.sleepSchedule.suspendCron, emptied.sleepSchedule.resumeCron, emptied.sleepSchedule.timeZone], ["", "", ""]);

    const cleared = updateRequest("ns", "dev", { updateMask: ["spec.expire_time"] });
    assert.deepEqual(cleared.updateMask?.paths, ["spec.expire_time"]);
    assert.equal(cleared.vcluster?.spec?.expireTime, undefined, "named and unset: the server clears it");
    assert.equal(cleared.vcluster?.spec?.sleepSchedule, undefined);
    assert.equal(updateRequest("ns", "dev", { labels: {} }).vcluster?.spec?.expireTime, undefined, "not given: not sent");
  });

  test("expireTime takes a Date, a Timestamp or its fields, and copies what it is given", () => {
    const expiry = (expireTime: Parameters<typeof updateRequest>[2]["expireTime"]) =>
      updateRequest("ns", "dev", { expireTime }).vcluster?.spec?.expireTime;
    const date = new Date("2030-06-01T12:30:00.250Z");
    assert.deepEqual([expiry(date)?.seconds, expiry(date)?.nanos], [BigInt(Date.parse("2030-06-01T12:30:00Z") / 1000), 250_000_000]);
    assert.equal(timestampDate(expiry(date)!).getTime(), date.getTime());
    const message = create(TimestampSchema, { seconds: 1_900_000_000n, nanos: 5 });
    const sent = expiry(message);
    assert.ok(sent !== undefined && equals(TimestampSchema, sent, message));
    assert.notEqual(sent, message, "a copy: the request never shares the caller's message");
    assert.equal(expiry({ seconds: 1_900_000_000n })?.seconds, 1_900_000_000n);
    assert.throws(() => expiry(new Date("not a date")), { name: "RangeError", message: /expireTime/ });
  });

  test("createVCluster's schedule and expiry options override the spec's, which is not changed", () => {
    const spec = { sleepSchedule: { suspendCron: "0 19 * * *", timeZone: "Europe/Berlin" }, expireTime: { seconds: 1n } };
    const date = new Date("2030-01-01T00:00:00Z");
    const request = createRequest("ns", "dev", {
      spec,
      sleepSchedule: { suspendCron: "0 20 * * *", resumeCron: "0 7 * * 1-5" },
      expireTime: date,
      deleteSnapshotsOnExpiry: true,
    });
    const sent = request.spec;
    assert.deepEqual(
      [sent?.sleepSchedule?.suspendCron, sent?.sleepSchedule?.resumeCron, sent?.sleepSchedule?.timeZone],
      ["0 20 * * *", "0 7 * * 1-5", ""],
      "the whole schedule is replaced, not merged",
    );
    assert.equal(timestampDate(sent!.expireTime!).getTime(), date.getTime());
    assert.equal(sent?.deleteSnapshotsOnExpiry, true);
    assert.deepEqual(spec.sleepSchedule, { suspendCron: "0 19 * * *", timeZone: "Europe/Berlin" }, "the caller's spec is not changed");

    const kept = createRequest("ns", "dev", { spec, cpu: "2" }).spec;
    assert.deepEqual([kept?.sleepSchedule?.timeZone, kept?.expireTime?.seconds, kept?.deleteSnapshotsOnExpiry], ["Europe/Berlin", 1n, false]);
  });

  test("carries the vcluster, etag, validateOnly and the caller's request id, if any", () => {
    const request = updateRequest("ns", "dev", { labels: { a: "b" }, kubernetesVersion: "1.32", etag: "e1", validateOnly: true });
    assert.deepEqual([request.vcluster?.namespace, request.vcluster?.name, request.vcluster?.labels], ["ns", "dev", { a: "b" }]);
    assert.equal(request.vcluster?.spec?.kubernetesVersion, "1.32");
    assert.deepEqual([request.etag, request.validateOnly], ["e1", true]);
    assert.equal(request.requestId, "", "left empty: the client fills it when it sends the request");
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

describe("sleep schedules and expiry", () => {
  /** A whole second a day ahead, so the stored time compares exactly. */
  const tomorrow = (): Date => new Date(Math.ceil(Date.now() / 1000) * 1000 + 86_400_000);

  test("create sets them; each update replaces or clears one and leaves the others alone", async () => {
    const ns = uniqueNamespace();
    const expireTime = tomorrow();
    const created = await client.createVCluster(ns, "dev", {
      sleepSchedule: { suspendCron: "0 19 * * 1-5", resumeCron: "0 7 * * 1-5" },
      expireTime,
      wait: true,
    });
    assert.equal(created.spec?.sleepSchedule?.suspendCron, "0 19 * * 1-5");
    assert.equal(created.spec?.sleepSchedule?.timeZone, "UTC", "an empty zone is stored as UTC");
    assert.equal(timestampDate(created.spec!.expireTime!).getTime(), expireTime.getTime());
    assert.equal(created.spec?.deleteSnapshotsOnExpiry, false);
    assert.ok(created.status?.nextSuspendTime !== undefined && created.status.nextResumeTime !== undefined);

    const moved = await client.updateVCluster(ns, "dev", { sleepSchedule: { suspendCron: "0 20 * * *", timeZone: "Europe/Berlin" } });
    assert.deepEqual(
      [moved.spec?.sleepSchedule?.suspendCron, moved.spec?.sleepSchedule?.resumeCron, moved.spec?.sleepSchedule?.timeZone],
      ["0 20 * * *", "", "Europe/Berlin"],
      "the whole schedule is replaced",
    );
    assert.equal(moved.status?.nextResumeTime, undefined, "no resume_cron, no next resume");
    assert.equal(timestampDate(moved.spec!.expireTime!).getTime(), expireTime.getTime(), "schedule only: expiry kept");

    const withSnapshots = await client.updateVCluster(ns, "dev", { deleteSnapshotsOnExpiry: true });
    assert.equal(withSnapshots.spec?.deleteSnapshotsOnExpiry, true);
    assert.equal(withSnapshots.spec?.sleepSchedule?.suspendCron, "0 20 * * *");

    const unscheduled = await client.updateVCluster(ns, "dev", { sleepSchedule: {} });
    assert.equal(unscheduled.spec?.sleepSchedule, undefined, "an empty schedule clears it");
    assert.equal(unscheduled.status?.nextSuspendTime, undefined);
    assert.ok(unscheduled.spec?.expireTime !== undefined, "expiry kept");

    const unexpiring = await client.updateVCluster(ns, "dev", { updateMask: ["spec.expire_time"] });
    assert.equal(unexpiring.spec?.expireTime, undefined, "named without a value: cleared");
    assert.equal(unexpiring.spec?.deleteSnapshotsOnExpiry, true);
    assert.equal(unexpiring.status?.phase, VCluster_Phase.RUNNING, "at once, in the same phase");
  });

  test("a bad cron or zone, or an expiry already past, is INVALID_ARGUMENT naming the field", async () => {
    const ns = uniqueNamespace();
    assert.deepEqual(await invalidFields(client.createVCluster(ns, "dev", { sleepSchedule: { suspendCron: "at seven" } })), [
      "spec.sleep_schedule.suspend_cron",
    ]);
    assert.deepEqual(await invalidFields(client.createVCluster(ns, "dev", { expireTime: new Date(Date.now() - 60_000) })), ["spec.expire_time"]);
    await client.createVCluster(ns, "dev", { wait: true });
    assert.deepEqual(await invalidFields(client.updateVCluster(ns, "dev", { sleepSchedule: { resumeCron: "0 7 * * *", timeZone: "Mars/Olympus" } })), [
      "vcluster.spec.sleep_schedule.time_zone",
    ]);
  });
});
