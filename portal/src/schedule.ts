/**
 * A vcluster's sleep schedule and expiry beyond their wording: what the
 * create form and the Edit dialog send for their fields, and the
 * conditions the server sets when a scheduled action is skipped or an
 * expiry cannot delete.
 * Pure functions, tested on their own.
 *
 * @module
 */

import { Condition_Status } from "@open-vcluster/sdk/browser";

import type { SleepScheduleLike, TimestampLike } from "./format.js";

/** The condition a scheduled suspend or resume the phase table refused leaves (reason "SuspendRefused" or "ResumeRefused"). */
export const SCHEDULE_SKIPPED = "ScheduleSkipped";

/** The condition of a vcluster past its expire_time that deletion protection keeps (reason "DeletionProtected"). */
export const EXPIRED = "Expired";

/** The fields of a Condition the portal reads. */
export interface ConditionLike {
  type: string;
  status: Condition_Status;
  reason: string;
  message: string;
}

/** The condition of `type` when it is true; undefined when absent, false or unknown. */
export function trueCondition<C extends ConditionLike>(conditions: readonly C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type && c.status === Condition_Status.TRUE);
}

/**
 * The schedule of the form's three fields, trimmed: none unless a cron is
 * given, since a time zone alone schedules nothing. The server checks the
 * crons and the zone, naming the field it refuses.
 */
export function scheduleOf(suspendCron: string, resumeCron: string, timeZone: string): SleepScheduleLike | undefined {
  const schedule = { suspendCron: suspendCron.trim(), resumeCron: resumeCron.trim(), timeZone: timeZone.trim() };
  return schedule.suspendCron || schedule.resumeCron ? schedule : undefined;
}

/**
 * The Timestamp of a `datetime-local` input's value ("2030-01-10T19:00",
 * seconds optional), read in the browser's time zone as the person typed
 * it; undefined when empty or not of that form. A time already past is
 * left to the server to refuse (INVALID_ARGUMENT on spec.expire_time).
 */
export function localTimestamp(value: string): TimestampLike | undefined {
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (parts === null) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1).map((p) => Number(p ?? 0)) as [number, number, number, number, number, number];
  const at = new Date(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(at.getTime()) || at.getMonth() !== month - 1 || at.getDate() !== day) return undefined;
  return { seconds: BigInt(Math.floor(at.getTime() / 1000)), nanos: 0 };
}

/**
 * A time as a `datetime-local` input shows it, in the browser's time zone:
 * "2030-01-10T19:30", with seconds only when it has some; "" when unset,
 * so an input of a vcluster without expiry starts empty.
 */
export function localInputValue(at: Date | undefined): string {
  if (at === undefined) return "";
  const two = (n: number): string => String(n).padStart(2, "0");
  const minute = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`;
  return at.getSeconds() === 0 ? minute : `${minute}:${two(at.getSeconds())}`;
}
