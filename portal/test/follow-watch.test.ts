import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ResourceExhaustedError, WatchVClustersResponse_EventType, type WatchVClustersResponse } from "@open-vcluster/sdk/browser";

import { describeError } from "../src/errors.js";
import { followWatch } from "../src/follow-watch.js";

const SYNCED = { type: WatchVClustersResponse_EventType.SYNCED } as WatchVClustersResponse;

async function* events(...items: (WatchVClustersResponse | Error)[]): AsyncGenerator<WatchVClustersResponse> {
  for (const item of items) {
    if (item instanceof Error) throw item;
    yield item;
  }
}

describe("followWatch", () => {
  test("hands over every event and says when the server ended the stream", async () => {
    const seen: WatchVClustersResponse[] = [];
    const ended = await followWatch(events(SYNCED, SYNCED), () => false, (e) => seen.push(e), describeError);
    assert.equal(seen.length, 2);
    assert.equal(ended, "The server ended the stream of live updates.");
  });

  test("says how the watch failed, code first", async () => {
    const limit = new ResourceExhaustedError("too many watches");
    const ended = await followWatch(events(SYNCED, limit), () => false, () => undefined, describeError);
    assert.equal(ended, "RESOURCE_EXHAUSTED: too many watches");
  });

  test("says nothing once the page stopped it", async () => {
    let cancelled = false;
    const seen: WatchVClustersResponse[] = [];
    const ended = await followWatch(
      events(SYNCED, SYNCED, new ResourceExhaustedError("late")),
      () => cancelled,
      (e) => {
        seen.push(e);
        cancelled = true;
      },
      describeError,
    );
    assert.equal(seen.length, 1);
    assert.equal(ended, null);
  });
});
