// The Node client over the Connect protocol and gRPC-Web, to the server's
// HTTP port, over HTTP/1.1 and HTTP/2 (h2c): the same calls, results and
// typed errors as over gRPC.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type { Interceptor } from "@connectrpc/connect";

import { DeadlineExceededError, VClusterClient, type Protocol } from "../src/index.js";
import * as check from "./support/scenarios.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const variants = [
  { protocol: "connect", httpVersion: "1.1" },
  { protocol: "grpc-web", httpVersion: "1.1" },
  { protocol: "connect", httpVersion: "2" },
  { protocol: "grpc-web", httpVersion: "2" },
] as const;
// One namespace of one vcluster per variant, for the quota check.
const quotaNamespaces = variants.map(() => uniqueNamespace("quota"));

let server: RunningServer;

before(async () => {
  const quotas = Object.fromEntries(quotaNamespaces.map((ns) => [ns, { max_vclusters: 1 }]));
  server = await startServer({ quotas });
});

after(() => server.stop());

for (const [index, { protocol, httpVersion }] of variants.entries()) {
  describe(`${protocol} over HTTP/${httpVersion}`, () => {
    let client: VClusterClient;
    const make = (options: { interceptors?: Interceptor[]; useHttpGet?: boolean } = {}): VClusterClient =>
      new VClusterClient({ endpoint: server.httpAddress, protocol, httpVersion, env: {}, ...options });
    before(() => {
      client = make();
    });
    after(() => client.close());

    test("create, get, list and delete", () => check.crud(client));
    test("a watch replays, syncs and sees a change", () => check.watch(client));
    test("INVALID_ARGUMENT names every bad field", () => check.invalidArgument(client));
    test("FAILED_PRECONDITION carries its ErrorInfo", () => check.failedPrecondition(client));
    test("RESOURCE_EXHAUSTED carries its quota violations", () => check.quotaExceeded(client, quotaNamespaces[index]!));
    test("usage and the fleet summary, with their errors", () => check.monitor(client));
    test("the server's information", () => check.serverInfo(client, quotaNamespaces));
    test("operations: onOperation, getOperation and listOperations", () => check.operations(client));
    test("updates, deletion protection and an upgrade with wait", () => check.update(client));
    test("closing ends the calls and watches still running", () => check.closing(make()));

    test("a call slower than its timeout is DEADLINE_EXCEEDED", async () => {
      const slow = { timeoutMs: 200, retry: null, metadata: { "ovc-test-delay-ms": "5000" } };
      await assert.rejects(client.getVCluster("x", "y", slow), DeadlineExceededError);
    });

    test("deadlines and the user agent travel in the protocol's headers", async () => {
      const sent: Headers[] = [];
      const record: Interceptor = (next) => (req) => {
        sent.push(new Headers(req.header));
        return next(req);
      };
      const recording = make({ interceptors: [record] });
      try {
        await recording.listVClusters(uniqueNamespace(), { timeoutMs: 5000 }).page();
        const events = recording.watchVClusters(uniqueNamespace(), { timeoutMs: 60_000 })[Symbol.asyncIterator]();
        await events.next();
        await events.return();
      } finally {
        recording.close();
      }
      const [unary, stream] = sent;
      for (const header of [unary!, stream!]) {
        assert.match(header.get("user-agent") ?? "", /^open-vcluster-api-typescript\//);
        if (protocol === "connect") {
          assert.match(header.get("connect-timeout-ms") ?? "", /^\d+$/);
          assert.equal(header.get("grpc-timeout"), null);
        } else {
          assert.match(header.get("grpc-timeout") ?? "", /^\d+m$/);
          assert.equal(header.get("connect-timeout-ms"), null);
        }
      }
      assert.ok(Number(unary!.get("connect-timeout-ms") ?? "5000") <= 5000);
    });

    if (protocol === "connect") {
      test("useHttpGet reads through GET", async () => {
        const getting = make({ useHttpGet: true });
        try {
          const ns = uniqueNamespace();
          await getting.createVCluster(ns, "dev");
          assert.equal((await getting.getVCluster(ns, "dev")).name, "dev");
          assert.deepEqual((await getting.listVClusters(ns).toArray()).map((vc) => vc.name), ["dev"]);
          assert.equal((await getting.getVClusterUsage(ns, "dev")).name, "dev");
          assert.equal((await getting.getFleetSummary({ namespace: ns })).vclusterCount, 1);
          const listed = await getting.listOperations(ns).toArray();
          assert.deepEqual(listed.map((o) => o.method), ["CreateVCluster"]);
          assert.equal((await getting.getOperation(listed[0]!.id)).method, "CreateVCluster");
          assert.notEqual((await getting.getServerInfo()).version, "");
        } finally {
          getting.close();
        }
      });
    }
  });
}

describe("protocol settings", () => {
  test("the protocol shows in the settings and the description", () => {
    const client = new VClusterClient({ endpoint: "127.0.0.1:8080", protocol: "grpc-web", env: {} });
    client.close();
    assert.equal(client.config.protocol, "grpc-web");
    assert.equal(String(client), "VClusterClient(endpoint=127.0.0.1:8080, protocol=grpc-web, tls=false)");
    const byDefault = new VClusterClient({ env: {} });
    byDefault.close();
    assert.equal(byDefault.config.protocol, "grpc");
  });

  test("impossible combinations are refused", () => {
    const env = {};
    assert.throws(() => new VClusterClient({ protocol: "http3" as Protocol, env }), /protocol must be one of grpc, connect, grpc-web/);
    assert.throws(() => new VClusterClient({ protocol: "grpc", httpVersion: "1.1", env }), /gRPC needs HTTP\/2/);
    assert.throws(() => new VClusterClient({ protocol: "grpc-web", useHttpGet: true, env }), /useHttpGet needs the connect protocol/);
    assert.throws(() => new VClusterClient({ useHttpGet: true, env }), /useHttpGet needs the connect protocol/);
  });
});
