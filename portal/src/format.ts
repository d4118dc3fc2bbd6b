/**
 * How values of the API read on screen: ages, phases, CPU, memory, sizes,
 * sleep schedules and expiry. Pure functions, so that the tests pin down
 * what people see.
 *
 * @module
 */

import { phaseName, snapshotPhaseName, Snapshot_Phase, VCluster_Phase } from "@open-vcluster/sdk/browser";

/** A protobuf Timestamp as protobuf-es gives it (seconds as a bigint). */
export interface TimestampLike {
  seconds: bigint;
  nanos: number;
}

/** The colour family of a phase chip: settled, on its way, powered off, or needing attention. */
export type Tone = "ok" | "busy" | "off" | "bad" | "none";

/** The fields of a SleepSchedule the portal reads. */
export interface SleepScheduleLike {
  suspendCron: string;
  resumeCron: string;
  timeZone: string;
}

/** The Date of a protobuf Timestamp, or undefined when it is unset. */
export function toDate(timestamp: TimestampLike | undefined): Date | undefined {
  if (timestamp === undefined) return undefined;
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6));
}

/** A short age such as "45s", "12m", "3h" or "5d", as kubectl shows it. */
export function formatAge(since: Date | undefined, now: Date): string {
  if (since === undefined) return "—";
  const seconds = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** A point in time as people read it, in their locale; "—" when unset. */
export function formatTime(at: Date | undefined): string {
  if (at === undefined) return "—";
  return at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** "in 3h" for a time ahead of `now`, "5m ago" for one behind it; "—" when unset. */
export function formatRelative(at: Date | undefined, now: Date): string {
  if (at === undefined) return "—";
  return at.getTime() >= now.getTime() ? `in ${formatAge(now, at)}` : `${formatAge(at, now)} ago`;
}

/** A point in time with how far off it is: "10 Jan 2025, 13:00:00 (in 1h)"; "—" when unset. */
export function formatTimeFrom(at: Date | undefined, now: Date): string {
  if (at === undefined) return "—";
  return `${formatTime(at)} (${formatRelative(at, now)})`;
}

/**
 * A sleep schedule in words, its crons as written (people who set them
 * read cron): "Suspends 0 19 * * 1-5, resumes 0 7 * * 1-5 (Europe/Berlin)".
 * A schedule with one cron says who does the other half. "" when there is
 * no schedule (unset, or neither cron), so callers show nothing.
 */
export function formatSchedule(schedule: SleepScheduleLike | undefined): string {
  const suspend = schedule?.suspendCron ?? "";
  const resume = schedule?.resumeCron ?? "";
  const zone = `(${schedule?.timeZone || "UTC"})`;
  if (suspend && resume) return `Suspends ${suspend}, resumes ${resume} ${zone}`;
  if (suspend) return `Suspends ${suspend} ${zone}; resuming is left to its users`;
  if (resume) return `Resumes ${resume} ${zone}; suspending is left to its users`;
  return "";
}

/**
 * What the server does at expire_time, snapshots included
 * (spec.delete_snapshots_on_expiry); once the time has `passed`, the
 * deletion is due (it waits while deletion protection is on).
 */
export function formatExpiryEffect(deleteSnapshots: boolean, passed: boolean): string {
  return `${passed ? "due for deletion" : "deleted then"}, ${deleteSnapshots ? "with its snapshots" : "keeping its snapshots"}`;
}

/**
 * Why the schedule did not act, from its ScheduleSkipped condition:
 * "The last scheduled suspend was skipped: <the server's message>".
 */
export function formatSkipped(reason: string, message: string): string {
  const action = reason === "SuspendRefused" ? "suspend" : reason === "ResumeRefused" ? "resume" : "action";
  return `The last scheduled ${action} was skipped${message ? `: ${message}` : "."}`;
}

/** The list's compact word on an expiry: "Expires in 5d", or "Expired" once past. */
export function expiryHint(at: Date, now: Date): string {
  return at.getTime() > now.getTime() ? `Expires in ${formatAge(now, at)}` : "Expired";
}

/** "Running" for RUNNING: a phase as a word. */
export function phaseLabel(phase: VCluster_Phase): string {
  if (phase === VCluster_Phase.UNSPECIFIED) return "Unknown";
  return capitalise(phaseName(phase));
}

/** "In progress" for IN_PROGRESS. */
export function snapshotPhaseLabel(phase: Snapshot_Phase): string {
  if (phase === Snapshot_Phase.UNSPECIFIED) return "Unknown";
  return capitalise(snapshotPhaseName(phase));
}

/** The chip colour of a vcluster phase. */
export function phaseTone(phase: VCluster_Phase): Tone {
  switch (phase) {
    case VCluster_Phase.RUNNING:
      return "ok";
    case VCluster_Phase.SUSPENDED:
      return "off";
    case VCluster_Phase.FAILED:
      return "bad";
    case VCluster_Phase.UNSPECIFIED:
      return "none";
    default:
      return "busy";
  }
}

/** The chip colour of a snapshot phase. */
export function snapshotPhaseTone(phase: Snapshot_Phase): Tone {
  switch (phase) {
    case Snapshot_Phase.READY:
      return "ok";
    case Snapshot_Phase.FAILED:
      return "bad";
    case Snapshot_Phase.UNSPECIFIED:
      return "none";
    default:
      return "busy";
  }
}

/** CPU as a quantity people read: "2" → "2 CPU", "500m" → "0.5 CPU"; "—" when empty. */
export function formatCpu(quantity: string | undefined): string {
  if (!quantity) return "—";
  const milli = /^(\d+)m$/.exec(quantity);
  if (milli) return `${trimNumber(Number(milli[1]) / 1000)} CPU`;
  if (/^\d+(\.\d+)?$/.test(quantity)) return `${quantity} CPU`;
  return quantity;
}

/** Memory with its binary unit spelt out: "4Gi" → "4 GiB", "512Mi" → "512 MiB"; other forms as given. */
export function formatMemory(quantity: string | undefined): string {
  if (!quantity) return "—";
  const binary = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi)$/.exec(quantity);
  if (binary) return `${binary[1]} ${binary[2]}B`;
  const decimal = /^(\d+(?:\.\d+)?)([kMGTP])$/.exec(quantity);
  if (decimal) return `${decimal[1]} ${decimal[2] === "k" ? "kB" : `${decimal[2]}B`}`;
  return quantity;
}

/** A byte count such as "1.5 MiB"; "—" for zero (a snapshot not READY yet has no size). */
export function formatBytes(bytes: bigint | number): string {
  let value = Number(bytes);
  if (value <= 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : trimNumber(Math.round(value * 10) / 10)} ${units[unit]}`;
}

/** Labels as `key=value` pairs, sorted by key. */
export function formatLabels(labels: Readonly<Record<string, string>>): string[] {
  return Object.keys(labels)
    .sort()
    .map((key) => (labels[key] ? `${key}=${labels[key]}` : key));
}

function capitalise(name: string): string {
  const words = name.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function trimNumber(value: number): string {
  return String(Number(value.toFixed(3)));
}
