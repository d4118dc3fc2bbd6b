import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { addEntry, clearActivity, failures, loadActivity, MAX_ENTRIES, saveActivity, type ActivityEntry } from "../src/activity.js";
import { parseLabels } from "../src/labels.js";
import { clearToken, loadToken, saveToken } from "../src/session.js";

function memoryStore(): Storage {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  } as Storage;
}

const entry = (what: string, outcome = "ok"): Omit<ActivityEntry, "id"> => ({ what, target: "team-a/dev", at: "2025-01-10T12:00:00.000Z", outcome, detail: "" });

describe("activity", () => {
  test("newest first, unique ids, capped", () => {
    let log = addEntry([], entry("Create"));
    log = addEntry(log, entry("Suspend", "FAILED_PRECONDITION"));
    assert.deepEqual(log.map((e) => [e.id, e.what]), [[2, "Suspend"], [1, "Create"]]);
    assert.deepEqual(failures(log).map((e) => e.what), ["Suspend"]);
    for (let i = 0; i < MAX_ENTRIES + 10; i += 1) log = addEntry(log, entry(`op ${i}`));
    assert.equal(log.length, MAX_ENTRIES);
    assert.equal(log[0]!.what, `op ${MAX_ENTRIES + 9}`);
  });

  test("kept in storage, and unreadable storage is an empty log", () => {
    const store = memoryStore();
    const log = addEntry([], entry("Create"));
    saveActivity(store, log);
    assert.deepEqual(loadActivity(store), log);
    clearActivity(store);
    assert.deepEqual(loadActivity(store), []);
    store.setItem("openvcluster.portal.activity", "{not json");
    assert.deepEqual(loadActivity(store), []);
    store.setItem("openvcluster.portal.activity", JSON.stringify([{ id: "x" }, log[0]]));
    assert.deepEqual(loadActivity(store), log);
  });
});

describe("session", () => {
  test("the token: absent, empty (a server without tokens), set, cleared", () => {
    const store = memoryStore();
    assert.equal(loadToken(store), null);
    saveToken(store, "");
    assert.equal(loadToken(store), "");
    saveToken(store, "s3cret");
    assert.equal(loadToken(store), "s3cret");
    clearToken(store);
    assert.equal(loadToken(store), null);
  });
});

describe("labels", () => {
  test("key=value pairs by line or comma; a bare key has an empty value", () => {
    assert.deepEqual(parseLabels("tier=gold, env = dev\nteam=a=b\n\nbare"), { tier: "gold", env: "dev", team: "a=b", bare: "" });
    assert.deepEqual(parseLabels("  "), {});
  });
});
