import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { VCluster_Phase, WatchVClustersResponse_EventType as Event, type VCluster, type WatchEvent } from "@open-vcluster/sdk/browser";

import { applyWatchEvent, inWindow, newLiveList, type LiveList } from "../src/live-list.js";

function vc(name: string, phase = VCluster_Phase.RUNNING, namespace = "team-a"): VCluster {
  return { namespace, name, status: { phase } } as unknown as VCluster;
}

function event(type: Event, vcluster?: VCluster): WatchEvent {
  return { type, vcluster } as unknown as WatchEvent;
}

function names(list: LiveList): string[] {
  return list.items.map((v) => `${v.name}:${VCluster_Phase[v.status!.phase]}`);
}

const ALL = { after: null, upTo: null };

/** The start of every watch: an ADDED event for each vcluster that matches, then SYNCED. */
function replay(list: LiveList, ...items: VCluster[]): LiveList {
  for (const item of items) list = applyWatchEvent(list, event(Event.ADDED, item));
  return applyWatchEvent(list, event(Event.SYNCED));
}

describe("live list", () => {
  test("ADDED inserts in name order, MODIFIED replaces, DELETED removes", () => {
    let list = newLiveList([vc("b"), vc("d")], ALL, VCluster_Phase.UNSPECIFIED);
    list = replay(list, vc("b"), vc("d"));
    list = applyWatchEvent(list, event(Event.ADDED, vc("c", VCluster_Phase.PROVISIONING)));
    list = applyWatchEvent(list, event(Event.ADDED, vc("a")));
    assert.deepEqual(names(list), ["a:RUNNING", "b:RUNNING", "c:PROVISIONING", "d:RUNNING"]);
    list = applyWatchEvent(list, event(Event.MODIFIED, vc("c", VCluster_Phase.RUNNING)));
    list = applyWatchEvent(list, event(Event.DELETED, vc("b", VCluster_Phase.DELETING)));
    assert.deepEqual(names(list), ["a:RUNNING", "c:RUNNING", "d:RUNNING"]);
  });

  test("namespace orders before name", () => {
    let list = newLiveList([vc("a", VCluster_Phase.RUNNING, "team-b")], ALL, VCluster_Phase.UNSPECIFIED);
    list = applyWatchEvent(list, event(Event.ADDED, vc("z", VCluster_Phase.RUNNING, "team-a")));
    assert.deepEqual(list.items.map((v) => `${v.namespace}/${v.name}`), ["team-a/z", "team-b/a"]);
  });

  test("SYNCED drops what the replay did not mention: it was deleted meanwhile", () => {
    let list = newLiveList([vc("a"), vc("b")], ALL, VCluster_Phase.UNSPECIFIED);
    list = applyWatchEvent(list, event(Event.ADDED, vc("a", VCluster_Phase.SUSPENDING)));
    assert.equal(list.synced, false);
    list = applyWatchEvent(list, event(Event.SYNCED));
    assert.equal(list.synced, true);
    assert.deepEqual(names(list), ["a:SUSPENDING"]);
    list = applyWatchEvent(list, event(Event.MODIFIED, vc("a", VCluster_Phase.SUSPENDED)));
    assert.deepEqual(names(list), ["a:SUSPENDED"]);
  });

  test("a page keeps to its window: later pages' vclusters stay out", () => {
    const window = { after: { namespace: "team-a", name: "b" }, upTo: { namespace: "team-a", name: "d" } };
    assert.equal(inWindow(window, { namespace: "team-a", name: "b" }), false);
    assert.equal(inWindow(window, { namespace: "team-a", name: "c" }), true);
    assert.equal(inWindow(window, { namespace: "team-a", name: "d" }), true);
    assert.equal(inWindow(window, { namespace: "team-a", name: "e" }), false);
    let list = newLiveList([vc("c"), vc("d")], window, VCluster_Phase.UNSPECIFIED);
    for (const name of ["a", "b", "c", "d", "e", "f"]) list = applyWatchEvent(list, event(Event.ADDED, vc(name)));
    list = applyWatchEvent(list, event(Event.SYNCED));
    list = applyWatchEvent(list, event(Event.ADDED, vc("cc")));
    list = applyWatchEvent(list, event(Event.ADDED, vc("zz")));
    assert.deepEqual(names(list), ["c:RUNNING", "cc:RUNNING", "d:RUNNING"]);
  });

  test("a phase filter drops a vcluster that leaves the phase and takes one that enters it", () => {
    let list = newLiveList([vc("a"), vc("b")], ALL, VCluster_Phase.RUNNING);
    list = replay(list, vc("a"), vc("b"));
    list = applyWatchEvent(list, event(Event.MODIFIED, vc("a", VCluster_Phase.SUSPENDING)));
    list = applyWatchEvent(list, event(Event.ADDED, vc("c", VCluster_Phase.PROVISIONING)));
    assert.deepEqual(names(list), ["b:RUNNING"]);
    list = applyWatchEvent(list, event(Event.MODIFIED, vc("c", VCluster_Phase.RUNNING)));
    assert.deepEqual(names(list), ["b:RUNNING", "c:RUNNING"]);
  });

  test("the list it was given is not changed", () => {
    const first = newLiveList([vc("a")], ALL, VCluster_Phase.UNSPECIFIED);
    applyWatchEvent(first, event(Event.DELETED, vc("a")));
    assert.deepEqual(names(first), ["a:RUNNING"]);
  });
});
