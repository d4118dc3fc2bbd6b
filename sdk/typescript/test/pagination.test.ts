// Automatic pagination and page access.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { InvalidArgumentError, Pager, VCluster_Phase, VClusterClient } from "../src/index.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

let server: RunningServer;
let client: VClusterClient;
const ns = uniqueNamespace("pages");
const names = Array.from({ length: 7 }, (_, i) => `vc-${i}`);

before(async () => {
  server = await startServer();
  client = new VClusterClient({ endpoint: server.address, env: {} });
  for (const [i, name] of names.entries()) {
    await client.createVCluster(ns, name, { labels: { parity: i % 2 === 0 ? "even" : "odd" } });
  }
  await client.waitForPhase(ns, "vc-6", "RUNNING");
});

after(async () => {
  client.close();
  await server.stop();
});

test("iterating walks every item across pages, in order, fetching lazily", async () => {
  const fetched: string[] = [];
  const interceptor = new VClusterClient({
    endpoint: server.address,
    env: {},
    interceptors: [(next) => (req) => (fetched.push(req.method.name), next(req))],
  });
  try {
    const pager = interceptor.listVClusters(ns, { pageSize: 3 });
    assert.equal(fetched.length, 0, "nothing is fetched before iterating");
    const seen: string[] = [];
    for await (const vc of pager) {
      seen.push(vc.name);
      if (seen.length === 1) assert.equal(fetched.length, 1, "one page at a time");
    }
    assert.deepEqual(seen, names);
    assert.equal(fetched.length, 3);
    assert.deepEqual((await pager.toArray()).map((v) => v.name), names, "a new iteration starts again");
  } finally {
    interceptor.close();
  }
});

test("pages() gives whole pages with their tokens; page() fetches one; pageToken resumes", async () => {
  const pages = [];
  for await (const page of client.listVClusters(ns, { pageSize: 3 }).pages()) pages.push(page);
  assert.deepEqual(pages.map((p) => p.items.length), [3, 3, 1]);
  assert.equal(pages[2]!.nextPageToken, "");

  const first = await client.listVClusters(ns, { pageSize: 3 }).page();
  assert.deepEqual(first.items.map((v) => v.name), ["vc-0", "vc-1", "vc-2"]);
  const resumed = client.listVClusters(ns, { pageSize: 3, pageToken: first.nextPageToken });
  assert.deepEqual((await resumed.toArray()).map((v) => v.name), names.slice(3));
  assert.deepEqual((await resumed.page()).items.map((v) => v.name), ["vc-3", "vc-4", "vc-5"]);
});

test("filters: label selector and phase", async () => {
  const even = await client.listVClusters(ns, { labelSelector: "parity=even", pageSize: 2 }).toArray();
  assert.deepEqual(even.map((v) => v.name), ["vc-0", "vc-2", "vc-4", "vc-6"]);
  const running = await client.listVClusters(ns, { phase: "RUNNING" }).toArray();
  assert.ok(running.every((v) => v.status?.phase === VCluster_Phase.RUNNING));
  assert.deepEqual(await client.listVClusters(ns, { phase: "DELETING" }).toArray(), []);
  assert.throws(() => client.listVClusters(ns, { phase: "SLEEPING" }), RangeError);
});

test("a bad page size or token is INVALID_ARGUMENT", async () => {
  await assert.rejects(client.listVClusters(ns, { pageSize: -1 }).page(), InvalidArgumentError);
  await assert.rejects(client.listVClusters(ns, { pageToken: "forged" }).page(), InvalidArgumentError);
});

test("a server repeating a page token is caught instead of looping", async () => {
  const pager = new Pager<number>(async () => ({ items: [1], nextPageToken: "again" }), "again");
  await assert.rejects(pager.toArray(), /same page token/);
});
