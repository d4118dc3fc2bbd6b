import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Condition_Status } from "@open-vcluster/sdk/browser";

import { toDate } from "../src/format.js";
import { EXPIRED, localInputValue, localTimestamp, SCHEDULE_SKIPPED, scheduleOf, trueCondition } from "../src/schedule.js";

describe("schedule", () => {
  test("the form's fields make a schedule only when a cron is given, trimmed", () => {
    assert.deepEqual(scheduleOf(" 0 19 * * 1-5 ", "0 7 * * 1-5", " Europe/Berlin "), {
      suspendCron: "0 19 * * 1-5",
      resumeCron: "0 7 * * 1-5",
      timeZone: "Europe/Berlin",
    });
    assert.deepEqual(scheduleOf("", "0 7 * * *", ""), { suspendCron: "", resumeCron: "0 7 * * *", timeZone: "" }, "either cron alone");
    assert.equal(scheduleOf("  ", "", "Europe/Berlin"), undefined, "a time zone alone schedules nothing");
  });

  test("a datetime-local value is a Timestamp of that local time", () => {
    const at = localTimestamp("2030-01-10T19:30");
    assert.equal(toDate(at)?.getTime(), new Date(2030, 0, 10, 19, 30).getTime());
    assert.equal(at?.nanos, 0);
    assert.equal(toDate(localTimestamp("2030-07-01T08:05:09"))?.getTime(), new Date(2030, 6, 1, 8, 5, 9).getTime(), "with seconds");
    assert.equal(localTimestamp(""), undefined);
    assert.equal(localTimestamp("tomorrow"), undefined);
    assert.equal(localTimestamp("2030-02-30T10:00"), undefined, "no such day");
  });

  test("a time shows in a datetime-local input as local time, and reads back the same", () => {
    assert.equal(localInputValue(new Date(2030, 0, 5, 7, 3)), "2030-01-05T07:03");
    assert.equal(localInputValue(new Date(2030, 11, 31, 23, 59, 9)), "2030-12-31T23:59:09", "seconds only when there are some");
    assert.equal(localInputValue(undefined), "");
    const at = new Date(2031, 5, 15, 18, 30, 45);
    assert.equal(toDate(localTimestamp(localInputValue(at)))?.getTime(), at.getTime());
  });

  test("a condition counts only when it is true", () => {
    const condition = (type: string, status: Condition_Status) => ({ type, status, reason: "DeletionProtected", message: "" });
    const conditions = [condition("Ready", Condition_Status.TRUE), condition(EXPIRED, Condition_Status.TRUE), condition(SCHEDULE_SKIPPED, Condition_Status.FALSE)];
    assert.equal(trueCondition(conditions, EXPIRED)?.type, "Expired");
    assert.equal(trueCondition(conditions, SCHEDULE_SKIPPED), undefined, "false is as good as absent");
    assert.equal(trueCondition([], EXPIRED), undefined);
    assert.equal(trueCondition(undefined, EXPIRED), undefined);
  });
});
