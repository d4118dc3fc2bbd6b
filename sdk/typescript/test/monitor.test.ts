// MonitorService through the client, over gRPC and over the Connect
// protocol, against a reference server with quotas and tokens: what a
// vcluster's usage says (its spec's requests, the simulated backend's
// figures, and the figures it has no source for) and what the fleet summary
// counts, for the namespaces a token may see. Phases are reached with the
// wait helpers and held with the server's test hooks, never with sleeps.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { timestampMs } from "@bufbuild/protobuf/wkt";

import { NotFoundError, VCluster_Phase as Phase, VClusterClient, type UsageFigure } from "../src/index.js";
import { invalidFields } from "./support/scenarios.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const protocols = ["grpc", "connect"] as const;
type TestedProtocol = (typeof protocols)[number];

const EDITOR = "editor-secret";
/** Per protocol: a namespace with a quota, and one a viewer token of its own may see. */
const quotaNamespaces = { grpc: uniqueNamespace("quota"), connect: uniqueNamespace("quota") };
const teams = { grpc: uniqueNamespace("team"), connect: uniqueNamespace("team") };
const viewerToken = (protocol: TestedProtocol): string => `viewer-${protocol}`;
const QUOTA = { max_vclusters: 10, cpu: "16", memory: "32Gi" };

/** Holds a vcluster in the phase its mutation starts (the server's test hook). */
const HOLD = { metadata: { "ovc-test-transition-delay-ms": "3600000" } };
/** Ends the transition a mutation starts in FAILED with this message (the server's test hook). */
const failWith = (message: string) => ({ metadata: { "ovc-test-fail-transition": message } });

let server: RunningServer;

before(async () => {
  server = await startServer({
    tokens: [
      { token: EDITOR, role: "editor", namespaces: ["*"] },
      ...protocols.map((p) => ({ token: viewerToken(p), role: "viewer" as const, namespaces: [teams[p]] })),
    ],
    quotas: Object.fromEntries(Object.values(quotaNamespaces).map((ns) => [ns, QUOTA])),
  });
});

after(() => server.stop());

/** A figure the backend has a source for. */
function known(figure: UsageFigure | undefined, value: string): void {
  assert.deepEqual(
    { available: figure?.available, value: figure?.value, source: figure?.source, reason: figure?.reason },
    { available: true, value, source: "simulated", reason: "" },
  );
}

/** A figure the backend has no source for: unknown, which is not zero. */
function unknown(figure: UsageFigure | undefined): void {
  assert.deepEqual([figure?.available, figure?.value, figure?.source], [false, "", ""]);
  assert.notEqual(figure?.reason ?? "", "", "an unavailable figure says why");
}

for (const protocol of protocols) {
  describe(`MonitorService over ${protocol}`, () => {
    const make = (token: string): VClusterClient =>
      new VClusterClient({ endpoint: protocol === "grpc" ? server.address : server.httpAddress, protocol, token, env: {} });
    let client: VClusterClient;
    before(() => {
      client = make(EDITOR);
    });
    after(() => client.close());

    test("getVClusterUsage of a RUNNING vcluster: the spec, the simulated figures, none for pod requests", async () => {
      const ns = uniqueNamespace();
      await client.createVCluster(ns, "dev", { cpu: "2", memory: "4Gi", replicas: 2, wait: true });
      const current = (await client.getVCluster(ns, "dev")).status?.currentUsage;
      const asked = Date.now();
      const usage = await client.getVClusterUsage(ns, "dev");
      const answered = Date.now();

      assert.deepEqual([usage.namespace, usage.name, usage.phase], [ns, "dev", Phase.RUNNING]);
      assert.deepEqual([usage.requested?.cpu, usage.requested?.memory, usage.replicas], ["2", "4Gi", 2]);
      assert.notEqual(usage.requested?.storage, "", "server defaults are applied to what is requested");
      assert.ok(usage.observeTime !== undefined, "observed at a time");
      const observed = timestampMs(usage.observeTime);
      assert.ok(asked - 1000 <= observed && observed <= answered + 1000, `observed at ${observed}, asked at ${asked}`);

      // The simulated backend's figures are those GetVCluster summarises, and a RUNNING vcluster uses something.
      known(usage.cpuUsed, current?.cpu ?? "");
      known(usage.memoryUsed, current?.memory ?? "");
      known(usage.podCount, String(current?.podCount));
      assert.notEqual(usage.cpuUsed?.value, "0");
      assert.match(usage.podCount?.value ?? "", /^[1-9]\d*$/);
      unknown(usage.cpuRequestedByPods);
      unknown(usage.memoryRequestedByPods);
    });

    test("getVClusterUsage of a vcluster that is not RUNNING: none used, which is known", async () => {
      const ns = uniqueNamespace();
      await client.createVCluster(ns, "held", { cpu: "1", ...HOLD });
      await client.createVCluster(ns, "off", { cpu: "3", memory: "2Gi", wait: true });
      await client.suspendVCluster(ns, "off", { wait: true });

      const held = await client.getVClusterUsage(ns, "held");
      assert.equal(held.phase, Phase.PROVISIONING);
      assert.equal(held.requested?.cpu, "1");
      const off = await client.getVClusterUsage(ns, "off");
      assert.equal(off.phase, Phase.SUSPENDED);
      assert.deepEqual([off.requested?.cpu, off.requested?.memory], ["3", "2Gi"], "a suspended vcluster keeps its spec");
      for (const usage of [held, off]) {
        known(usage.cpuUsed, "0");
        known(usage.memoryUsed, "0");
        known(usage.podCount, "0");
        unknown(usage.cpuRequestedByPods);
        unknown(usage.memoryRequestedByPods);
      }
    });

    test("getVClusterUsage: NOT_FOUND when absent, INVALID_ARGUMENT naming each bad field", async () => {
      const ns = uniqueNamespace();
      await assert.rejects(client.getVClusterUsage(ns, "absent"), NotFoundError);
      assert.deepEqual(await invalidFields(client.getVClusterUsage(ns, "Bad_Name")), ["name"]);
      assert.deepEqual(await invalidFields(client.getVClusterUsage("Bad_NS", "dev")), ["namespace"]);
      assert.deepEqual(await invalidFields(client.getVClusterUsage("", "")), ["namespace", "name"]);
      assert.deepEqual(await invalidFields(client.getFleetSummary({ namespace: "-bad-" })), ["namespace"]);
    });

    test("getFleetSummary of a namespace: phases, requested totals as the quota counts them, quota, suspended and failed", async () => {
      const ns = quotaNamespaces[protocol];
      // A namespace with a quota of its own is listed while it holds nothing.
      const empty = await client.getFleetSummary({ namespace: ns });
      assert.equal(empty.vclusterCount, 0);
      assert.deepEqual(empty.phases, []);
      assert.deepEqual(
        empty.namespaces.map((n) => [n.namespace, n.vclusterCount, n.phases.length, n.cpuRequested, n.memoryRequested]),
        [[ns, 0, 0, "0", "0"]],
      );
      assert.deepEqual(
        [empty.namespaces[0]?.quota?.maxVclusters, empty.namespaces[0]?.quota?.cpu, empty.namespaces[0]?.quota?.memory],
        [10, "16", "32Gi"],
      );

      const small = { cpu: "250m", memory: "512Mi" };
      await client.createVCluster(ns, "run", { cpu: "2", memory: "4Gi", wait: true });
      await client.createVCluster(ns, "pair", { cpu: "500m", memory: "1Gi", replicas: 2, wait: true });
      await client.createVCluster(ns, "held", { cpu: "1", memory: "1Gi", ...HOLD });
      // Suspended and failed in an order against their names', so the summary's order is by time.
      for (const name of ["zeta", "alpha"]) {
        await client.createVCluster(ns, name, { ...small, wait: true });
        await client.suspendVCluster(ns, name, { wait: true });
      }
      for (const name of ["early", "late"]) {
        await client.createVCluster(ns, `${name}-fail`, { ...small, ...failWith(`${name} disk on fire`) });
        await client.waitForPhase(ns, `${name}-fail`, "FAILED");
      }

      const summary = await client.getFleetSummary({ namespace: ns });
      assert.equal(summary.vclusterCount, 7);
      const phases = [
        [Phase.PROVISIONING, 1],
        [Phase.RUNNING, 2],
        [Phase.SUSPENDED, 2],
        [Phase.FAILED, 2],
      ];
      assert.deepEqual(summary.phases.map((p) => [p.phase, p.count]), phases);
      assert.equal(summary.namespaces.length, 1);
      const [entry] = summary.namespaces;
      assert.deepEqual([entry?.namespace, entry?.vclusterCount], [ns, 7]);
      assert.deepEqual(entry?.phases.map((p) => [p.phase, p.count]), phases);
      // Each spec's resources once, whatever its replicas, as the quota counts them:
      // 2 + 500m + 1 + 250m x 4 CPUs; 4Gi + 1Gi + 1Gi + 512Mi x 4.
      assert.deepEqual([entry?.cpuRequested, entry?.memoryRequested], ["4500m", "8Gi"]);
      assert.deepEqual([entry?.quota?.maxVclusters, entry?.quota?.cpu, entry?.quota?.memory], [10, "16", "32Gi"]);

      assert.deepEqual(summary.oldestSuspended.map((m) => [m.namespace, m.name]), [[ns, "zeta"], [ns, "alpha"]]);
      assert.deepEqual(summary.failed.map((m) => [m.name, m.message]), [
        ["late-fail", "late disk on fire"],
        ["early-fail", "early disk on fire"],
      ]);
      assert.equal(summary.failedCount, 2);
      for (const mention of [...summary.oldestSuspended, ...summary.failed]) {
        assert.ok(mention.since !== undefined, `${mention.name} says since when`);
      }
      const since = (list: typeof summary.failed): number[] => list.map((m) => timestampMs(m.since!));
      assert.ok(since(summary.oldestSuspended)[0]! < since(summary.oldestSuspended)[1]!, "longest suspended first");
      assert.ok(since(summary.failed)[0]! > since(summary.failed)[1]!, "most recently failed first");
    });

    test("getFleetSummary and getVClusterUsage see only what the token may see", async () => {
      const team = teams[protocol];
      const elsewhere = uniqueNamespace();
      await client.createVCluster(team, "dev", { cpu: "2", wait: true });
      await client.createVCluster(elsewhere, "hidden", { wait: true });
      const viewer = make(viewerToken(protocol));
      try {
        const mine = await viewer.getFleetSummary();
        assert.equal(mine.vclusterCount, 1);
        assert.deepEqual(mine.namespaces.map((n) => [n.namespace, n.vclusterCount, n.cpuRequested]), [[team, 1, "2"]]);
        assert.equal(mine.namespaces[0]?.quota, undefined, "a namespace without a quota has none");
        assert.equal((await viewer.getVClusterUsage(team, "dev")).requested?.cpu, "2");

        const theirs = await viewer.getFleetSummary({ namespace: elsewhere });
        assert.deepEqual([theirs.vclusterCount, theirs.phases, theirs.namespaces, theirs.failedCount], [0, [], [], 0]);
        await assert.rejects(viewer.getVClusterUsage(elsewhere, "hidden"), NotFoundError);
      } finally {
        viewer.close();
      }

      // Every namespace, for a token that sees all: in namespace order, adding up.
      const all = await client.getFleetSummary();
      const names = all.namespaces.map((n) => n.namespace);
      assert.ok(names.includes(team) && names.includes(elsewhere) && names.includes(quotaNamespaces[protocol]), names.join(", "));
      assert.deepEqual(names, [...names].sort());
      assert.equal(all.vclusterCount, all.namespaces.reduce((sum, n) => sum + n.vclusterCount, 0));
      assert.equal(all.vclusterCount, all.phases.reduce((sum, p) => sum + p.count, 0));
    });
  });
}
