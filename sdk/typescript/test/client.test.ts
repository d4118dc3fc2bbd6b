// Every method of VClusterClient against a reference server.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  NetworkSpec_ExposeType,
  NotFoundError,
  Snapshot_Phase,
  USER_AGENT,
  VCluster_Phase,
  VClusterClient,
  VClusterSpec_Distro,
  VERSION,
  WatchVClustersResponse_EventType as EventType,
  type WatchEvent,
} from "../src/index.js";
import * as check from "./support/scenarios.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

let server: RunningServer;
let client: VClusterClient;

before(async () => {
  server = await startServer();
  client = new VClusterClient({ endpoint: server.address, env: {} });
});

after(async () => {
  client.close();
  await server.stop();
});

describe("VClusterService", () => {
  test("createVCluster merges friendly arguments over a spec and returns PROVISIONING", async () => {
    const ns = uniqueNamespace();
    const spec = { kubernetesVersion: "1.30", replicas: 1, resources: { cpu: "1", memory: "2Gi" } };
    const vc = await client.createVCluster(ns, "dev", {
      spec,
      cpu: "2",
      distro: "k3s",
      exposeType: "NODE_PORT",
      labels: { tier: "gold" },
    });
    assert.equal(vc.namespace, ns);
    assert.equal(vc.name, "dev");
    assert.equal(vc.status?.phase, VCluster_Phase.PROVISIONING);
    assert.equal(vc.spec?.kubernetesVersion, "1.30");
    assert.equal(vc.spec?.resources?.cpu, "2");
    assert.equal(vc.spec?.resources?.memory, "2Gi");
    assert.equal(vc.spec?.distro, VClusterSpec_Distro.K3S);
    assert.equal(vc.spec?.network?.exposeType, NetworkSpec_ExposeType.NODE_PORT);
    assert.deepEqual(vc.labels, { tier: "gold" });
    assert.equal(spec.resources.cpu, "1", "the caller's spec is not changed");
    assert.notEqual(vc.etag, "");
  });

  test("createVCluster with validateOnly creates nothing", async () => {
    const ns = uniqueNamespace();
    const vc = await client.createVCluster(ns, "dry", { validateOnly: true, wait: true });
    assert.equal(vc.name, "dry");
    await assert.rejects(client.getVCluster(ns, "dry"), NotFoundError);
  });

  test("createVCluster with wait resolves RUNNING, and getVCluster reads it", async () => {
    const ns = uniqueNamespace();
    const created = await client.createVCluster(ns, "dev", { memory: "4Gi", wait: true });
    assert.equal(created.status?.phase, VCluster_Phase.RUNNING);
    const got = await client.getVCluster(ns, "dev");
    assert.equal(got.status?.phase, VCluster_Phase.RUNNING);
    assert.equal(got.spec?.resources?.memory, "4Gi");
    assert.equal(got.status?.kubeconfig, "", "Get never carries the kubeconfig");
  });

  test("scale, suspend, resume with wait end in their resting phases", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { wait: true });
    const scaled = await client.scaleVCluster(ns, "dev", { cpu: "3", replicas: 3, enableHa: true, wait: true });
    assert.equal(scaled.status?.phase, VCluster_Phase.RUNNING);
    assert.equal(scaled.spec?.resources?.cpu, "3");
    assert.equal(scaled.spec?.replicas, 3);
    assert.equal(scaled.spec?.enableHa, true);

    const suspending = await client.suspendVCluster(ns, "dev", { drainWorkloads: true });
    assert.equal(suspending.status?.phase, VCluster_Phase.SUSPENDING);
    const suspended = await client.waitForPhase(ns, "dev", "suspended");
    assert.equal(suspended.status?.phase, VCluster_Phase.SUSPENDED);

    const scaledWhileSuspended = await client.scaleVCluster(ns, "dev", { memory: "8Gi", wait: true });
    assert.equal(scaledWhileSuspended.status?.phase, VCluster_Phase.SUSPENDED);
    assert.equal(scaledWhileSuspended.spec?.resources?.memory, "8Gi");

    const resumed = await client.resumeVCluster(ns, "dev", { etag: scaledWhileSuspended.etag, wait: true });
    assert.equal(resumed.status?.phase, VCluster_Phase.RUNNING);
  });

  test("snapshot, restore in place and to a new name", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "src", { cpu: "2", wait: true });
    const pending = await client.snapshotVCluster(ns, "src", {
      snapshotName: "before",
      description: "first",
      labels: { kind: "manual" },
    });
    assert.equal(pending.name, "before");
    assert.equal(pending.vcluster, "src");
    const ready = await client.waitForSnapshot(ns, "before");
    assert.equal(ready.phase, Snapshot_Phase.READY);
    assert.equal(ready.description, "first");
    assert.deepEqual(ready.labels, { kind: "manual" });

    await client.scaleVCluster(ns, "src", { cpu: "4", wait: true });
    const inPlace = await client.restoreVCluster(ns, "before", { wait: true });
    assert.equal(inPlace.name, "src");
    assert.equal(inPlace.status?.phase, VCluster_Phase.RUNNING);
    assert.equal(inPlace.spec?.resources?.cpu, "2");

    const generated = await client.snapshotVCluster(ns, "src", { wait: true });
    assert.notEqual(generated.name, "");
    assert.equal(generated.phase, Snapshot_Phase.READY);
    const copy = await client.restoreVCluster(ns, generated.name, { targetName: "copy" });
    assert.equal(copy.status?.phase, VCluster_Phase.PROVISIONING);
    assert.equal((await client.waitForPhase(ns, "copy", VCluster_Phase.RUNNING)).name, "copy");
  });

  test("getKubeconfig answers a kubeconfig of the vcluster", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "dev", { wait: true });
    const kubeconfig = await client.getKubeconfig(ns, "dev");
    assert.match(kubeconfig, /kind: Config/);
    assert.match(kubeconfig, new RegExp(`dev\\.${ns}`));
  });

  test("deleteVCluster answers DELETING, and with wait resolves once gone", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "a", { wait: true });
    await client.createVCluster(ns, "b", { wait: true });
    const deleting = await client.deleteVCluster(ns, "a");
    assert.equal(deleting.status?.phase, VCluster_Phase.DELETING);
    await client.waitForDeletion(ns, "a");
    await client.deleteVCluster(ns, "b", { wait: true });
    await assert.rejects(client.getVCluster(ns, "b"), NotFoundError);
    await client.waitForDeletion(ns, "never-existed");
  });

  test("watchVClusters replays, syncs, follows changes and ends cleanly on cancel", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "one", { wait: true });
    const watch = client.watchVClusters(ns);
    const seen: WatchEvent[] = [];
    for await (const event of watch) {
      seen.push(event);
      if (event.type === EventType.SYNCED) await client.createVCluster(ns, "two");
      if (event.vcluster?.name === "two" && event.vcluster.status?.phase === VCluster_Phase.RUNNING) watch.cancel();
    }
    assert.equal(seen[0]?.type, EventType.ADDED);
    assert.equal(seen[0]?.vcluster?.name, "one");
    assert.equal(seen[1]?.type, EventType.SYNCED);
    assert.equal(seen[1]?.vcluster, undefined);
    assert.deepEqual(
      seen.slice(2).map((e) => [e.type, e.vcluster?.name, e.vcluster?.status?.phase]),
      [
        [EventType.ADDED, "two", VCluster_Phase.PROVISIONING],
        [EventType.MODIFIED, "two", VCluster_Phase.RUNNING],
      ],
    );
    assert.equal(watch.cancelled, true);
  });

  test("watchVClusters filters by name and label selector; leaving the loop ends the stream", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "gold", { labels: { tier: "gold" } });
    await client.createVCluster(ns, "iron", { labels: { tier: "iron" } });
    const names = async (watch: AsyncIterable<WatchEvent>): Promise<string[]> => {
      const found: string[] = [];
      for await (const event of watch) {
        if (event.type === EventType.SYNCED) break;
        found.push(event.vcluster?.name ?? "");
      }
      return found;
    };
    assert.deepEqual(await names(client.watchVClusters(ns, { labelSelector: "tier=gold" })), ["gold"]);
    assert.deepEqual(await names(client.watchVClusters(ns, { name: "iron" })), ["iron"]);
  });
});

describe("SnapshotService", () => {
  test("getSnapshot, listSnapshots (by vcluster) and deleteSnapshot", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "a", { wait: true });
    await client.createVCluster(ns, "b", { wait: true });
    await client.snapshotVCluster(ns, "a", { snapshotName: "a-1", wait: true });
    await client.snapshotVCluster(ns, "a", { snapshotName: "a-2", wait: true });
    await client.snapshotVCluster(ns, "b", { snapshotName: "b-1", wait: true });

    assert.equal((await client.getSnapshot(ns, "a-1")).vcluster, "a");
    const all = await client.listSnapshots(ns, { pageSize: 2 }).toArray();
    assert.deepEqual(all.map((s) => s.name), ["a-1", "a-2", "b-1"]);
    const ofA = await client.listSnapshots(ns, { vcluster: "a" }).toArray();
    assert.deepEqual(ofA.map((s) => s.name), ["a-1", "a-2"]);

    await client.deleteSnapshot(ns, "a-1");
    await assert.rejects(client.getSnapshot(ns, "a-1"), NotFoundError);
  });

  test("deleting a vcluster keeps its snapshots unless told otherwise", async () => {
    const ns = uniqueNamespace();
    await client.createVCluster(ns, "keep", { wait: true });
    await client.createVCluster(ns, "drop", { wait: true });
    await client.snapshotVCluster(ns, "keep", { snapshotName: "k", wait: true });
    await client.snapshotVCluster(ns, "drop", { snapshotName: "d", wait: true });
    await client.deleteVCluster(ns, "keep", { wait: true });
    await client.deleteVCluster(ns, "drop", { deleteSnapshots: true, wait: true });
    assert.deepEqual((await client.listSnapshots(ns).toArray()).map((s) => s.name), ["k"]);
  });
});

describe("MonitorService", () => {
  // The details (figures, quotas, scoping) are in monitor.test.ts.
  test("getVClusterUsage and getFleetSummary, with their errors", () => check.monitor(client));
});

describe("OperationService", () => {
  // Every mutation, states, failures, tokens and paging are in operations.test.ts.
  test("onOperation, getOperation and listOperations", () => check.operations(client));
});

describe("ServerInfoService", () => {
  // Tokens, quotas and configured limits are in server-info.test.ts.
  test("getServerInfo: the server's defaults, as an anonymous editor sees them", () => check.serverInfo(client));
});

describe("client", () => {
  test("sends the SDK's user agent, with the generated version", () => {
    assert.equal(USER_AGENT, `open-vcluster-api-typescript/${VERSION}`);
    assert.match(VERSION, /^\d+\.\d+\.\d+/);
  });

  test("withOptions shares the connection; closing it leaves the original open", async () => {
    const ns = uniqueNamespace();
    const derived = client.withOptions({ timeoutMs: 5000, metadata: { "x-test": "1" } });
    assert.equal(derived.defaults.timeoutMs, 5000);
    assert.equal(client.defaults.timeoutMs, 30_000);
    await derived.createVCluster(ns, "dev");
    derived.close();
    assert.equal((await client.getVCluster(ns, "dev")).name, "dev");
  });

  test("closing a client ends its calls and watches with CancelledError, and refuses new calls", async () => {
    const own = new VClusterClient({ endpoint: server.address, env: {} });
    const watch = own.watchVClusters(uniqueNamespace());
    const events = watch[Symbol.asyncIterator]();
    assert.equal((await events.next()).value?.type, EventType.SYNCED);
    const slow = own.getVCluster("x", "y", { metadata: { "ovc-test-delay-ms": "2000" } });
    setTimeout(() => own.close(), 50);
    await assert.rejects(slow, { name: "CancelledError", message: /closed/ });
    await assert.rejects(events.next(), { name: "CancelledError", message: /closed/ });
    await assert.rejects(own.getVCluster("x", "y"), { name: "CancelledError", message: /closed/ });
    assert.equal(String(own), `VClusterClient(endpoint=${server.address}, protocol=grpc, tls=false)`);
  });
});
