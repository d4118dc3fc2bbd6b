import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Snapshot_Phase, VCluster_Phase } from "@open-vcluster/sdk/browser";

import {
  expiryHint,
  formatAge,
  formatBytes,
  formatCpu,
  formatExpiryEffect,
  formatLabels,
  formatMemory,
  formatRelative,
  formatSchedule,
  formatSkipped,
  formatTime,
  formatTimeFrom,
  phaseLabel,
  phaseTone,
  snapshotPhaseLabel,
  snapshotPhaseTone,
  toDate,
} from "../src/format.js";

describe("format", () => {
  test("ages read like kubectl's", () => {
    const now = new Date("2025-01-10T12:00:00Z");
    const ago = (seconds: number): Date => new Date(now.getTime() - seconds * 1000);
    assert.equal(formatAge(ago(5), now), "5s");
    assert.equal(formatAge(ago(125), now), "2m");
    assert.equal(formatAge(ago(3 * 3600 + 5), now), "3h");
    assert.equal(formatAge(ago(2 * 86400 + 7200), now), "2d");
    assert.equal(formatAge(new Date(now.getTime() + 3000), now), "0s", "a clock ahead of ours is not a negative age");
    assert.equal(formatAge(undefined, now), "—");
  });

  test("timestamps with bigint seconds become dates", () => {
    assert.equal(toDate({ seconds: 1736510400n, nanos: 500_000_000 })?.toISOString(), "2025-01-10T12:00:00.500Z");
    assert.equal(toDate(undefined), undefined);
  });

  test("phases read as words with a colour family", () => {
    assert.equal(phaseLabel(VCluster_Phase.RUNNING), "Running");
    assert.equal(phaseLabel(VCluster_Phase.PROVISIONING), "Provisioning");
    assert.equal(phaseLabel(VCluster_Phase.UNSPECIFIED), "Unknown");
    assert.equal(phaseTone(VCluster_Phase.RUNNING), "ok");
    assert.equal(phaseTone(VCluster_Phase.SUSPENDED), "off");
    assert.equal(phaseTone(VCluster_Phase.FAILED), "bad");
    assert.equal(phaseTone(VCluster_Phase.SCALING), "busy");
    assert.equal(snapshotPhaseLabel(Snapshot_Phase.IN_PROGRESS), "In progress");
    assert.equal(snapshotPhaseTone(Snapshot_Phase.READY), "ok");
    assert.equal(snapshotPhaseTone(Snapshot_Phase.PENDING), "busy");
  });

  test("CPU and memory quantities", () => {
    assert.equal(formatCpu("2"), "2 CPU");
    assert.equal(formatCpu("500m"), "0.5 CPU");
    assert.equal(formatCpu("1.5"), "1.5 CPU");
    assert.equal(formatCpu(""), "—");
    assert.equal(formatMemory("4Gi"), "4 GiB");
    assert.equal(formatMemory("512Mi"), "512 MiB");
    assert.equal(formatMemory("1G"), "1 GB");
    assert.equal(formatMemory("123"), "123");
    assert.equal(formatMemory(undefined), "—");
  });

  test("byte sizes, none before a snapshot is READY", () => {
    assert.equal(formatBytes(0n), "—");
    assert.equal(formatBytes(512n), "512 B");
    assert.equal(formatBytes(1536n), "1.5 KiB");
    assert.equal(formatBytes(5 * 1024 * 1024), "5 MiB");
  });

  test("labels sorted by key, bare keys without '='", () => {
    assert.deepEqual(formatLabels({ tier: "gold", app: "", env: "dev" }), ["app", "env=dev", "tier=gold"]);
  });

  test("times ahead read 'in', times behind read 'ago'", () => {
    const now = new Date("2025-01-10T12:00:00Z");
    assert.equal(formatRelative(new Date("2025-01-10T15:00:30Z"), now), "in 3h");
    assert.equal(formatRelative(new Date("2025-01-10T11:55:00Z"), now), "5m ago");
    assert.equal(formatRelative(now, now), "in 0s");
    assert.equal(formatRelative(undefined, now), "—");
    const at = new Date("2025-01-12T12:00:00Z");
    assert.equal(formatTimeFrom(at, now), `${formatTime(at)} (in 2d)`, "the portal's usual time, then how far off");
    assert.equal(formatTimeFrom(undefined, now), "—");
  });

  test("a sleep schedule reads as its crons and zone; none reads as nothing", () => {
    const schedule = (suspendCron: string, resumeCron: string, timeZone = "Europe/Berlin") => ({ suspendCron, resumeCron, timeZone });
    assert.equal(formatSchedule(schedule("0 19 * * 1-5", "0 7 * * 1-5")), "Suspends 0 19 * * 1-5, resumes 0 7 * * 1-5 (Europe/Berlin)");
    assert.equal(formatSchedule(schedule("0 19 * * *", "", "UTC")), "Suspends 0 19 * * * (UTC); resuming is left to its users");
    assert.equal(formatSchedule(schedule("", "0 7 * * 1-5", "")), "Resumes 0 7 * * 1-5 (UTC); suspending is left to its users", "an empty zone is UTC");
    assert.equal(formatSchedule(schedule("", "")), "", "a schedule with neither cron is no schedule");
    assert.equal(formatSchedule(undefined), "");
  });

  test("expiry: what happens then, the list's short hint, and a skipped scheduled action", () => {
    assert.equal(formatExpiryEffect(false, false), "deleted then, keeping its snapshots");
    assert.equal(formatExpiryEffect(true, false), "deleted then, with its snapshots");
    assert.equal(formatExpiryEffect(false, true), "due for deletion, keeping its snapshots", "past, and still there");
    const now = new Date("2025-01-10T12:00:00Z");
    assert.equal(expiryHint(new Date("2025-01-15T13:00:00Z"), now), "Expires in 5d");
    assert.equal(expiryHint(new Date("2025-01-10T12:00:20Z"), now), "Expires in 20s");
    assert.equal(expiryHint(now, now), "Expired");
    assert.equal(expiryHint(new Date("2025-01-09T12:00:00Z"), now), "Expired");
    assert.equal(
      formatSkipped("SuspendRefused", "PROVISIONING cannot be suspended"),
      "The last scheduled suspend was skipped: PROVISIONING cannot be suspended",
    );
    assert.equal(formatSkipped("ResumeRefused", ""), "The last scheduled resume was skipped.");
    assert.equal(formatSkipped("", "why"), "The last scheduled action was skipped: why");
  });
});
