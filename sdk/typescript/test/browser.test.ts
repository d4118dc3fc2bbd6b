// The browser entry point against a reference server's HTTP port, over the
// Connect protocol and gRPC-Web. Node's own fetch stands in for the
// browser's (connect-web needs nothing else); what only a browser does,
// CORS, is checked by asking the server the preflight question a browser
// would ask for the headers the SDK sends.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";

import {
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
  VClusterClient,
  type BrowserClientOptions,
} from "../src/browser.js";
import * as check from "./support/scenarios.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const PAGE_ORIGIN = "https://console.example.com";
const EDITOR = "editor-secret";
const quotaNamespaces = { connect: uniqueNamespace("quota"), "grpc-web": uniqueNamespace("quota") };
const team = uniqueNamespace("team");

let server: RunningServer;

before(async () => {
  server = await startServer({
    allowedOrigins: [PAGE_ORIGIN],
    tokens: [
      { token: EDITOR, role: "editor", namespaces: ["*"] },
      { token: "viewer-secret", role: "viewer", namespaces: [team] },
    ],
    quotas: Object.fromEntries(Object.values(quotaNamespaces).map((ns) => [ns, { max_vclusters: 1 }])),
  });
});

after(() => server.stop());

/** What a client sent: the method, URL and headers of each fetch. */
interface Sent {
  method: string;
  url: string;
  headers: Headers;
}

/** A fetch that records each request before passing it on to Node's. */
function recordingFetch(sent: Sent[]): typeof globalThis.fetch {
  return (input, init) => {
    sent.push({ method: init?.method ?? "GET", url: String(input), headers: new Headers(init?.headers) });
    return fetch(input, init);
  };
}

/** A local port nothing listens on: one just given up. */
async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const address = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

for (const protocol of ["connect", "grpc-web"] as const) {
  describe(`browser entry over ${protocol}`, () => {
    let client: VClusterClient;
    const make = (options: Partial<BrowserClientOptions> = {}): VClusterClient =>
      new VClusterClient({ baseUrl: `http://${server.httpAddress}`, protocol, token: EDITOR, ...options });
    before(() => {
      client = make();
    });
    after(() => client.close());

    test("create, get, list and delete", () => check.crud(client));
    test("a watch replays, syncs and sees a change", () => check.watch(client));
    test("INVALID_ARGUMENT names every bad field", () => check.invalidArgument(client));
    test("FAILED_PRECONDITION carries its ErrorInfo", () => check.failedPrecondition(client));
    test("RESOURCE_EXHAUSTED carries its quota violations", () => check.quotaExceeded(client, quotaNamespaces[protocol]));
    test("usage and the fleet summary, with their errors", () => check.monitor(client));
    test("the server's information", () => check.serverInfo(client, Object.values(quotaNamespaces)));
    test("operations: onOperation, getOperation and listOperations", () => check.operations(client));
    test("updates, deletion protection and an upgrade with wait", () => check.update(client));
    test("closing ends the calls and watches still running", () => check.closing(make()));

    test("the token decides: none or an unknown one is UNAUTHENTICATED, a viewer's mutation PERMISSION_DENIED", async () => {
      const viewer = make({ token: "viewer-secret" });
      const nobody = make({ token: undefined });
      const stranger = make({ token: "who-knows" });
      try {
        await client.createVCluster(team, `dev-${protocol}`);
        assert.equal((await viewer.getVCluster(team, `dev-${protocol}`)).name, `dev-${protocol}`);
        await assert.rejects(viewer.deleteVCluster(team, `dev-${protocol}`), PermissionDeniedError);
        await assert.rejects(nobody.getVCluster(team, `dev-${protocol}`), UnauthenticatedError);
        await assert.rejects(stranger.listVClusters(team).page(), UnauthenticatedError);
        const events = nobody.watchVClusters(team)[Symbol.asyncIterator]();
        await assert.rejects(events.next(), UnauthenticatedError);
      } finally {
        for (const c of [viewer, nobody, stranger]) c.close();
      }
    });

    test("a page of this origin may send every header the SDK sends (CORS preflight)", async () => {
      const sent: Sent[] = [];
      const recording = make({ fetch: recordingFetch(sent) });
      try {
        await recording.listVClusters(uniqueNamespace()).page();
        const events = recording.watchVClusters(uniqueNamespace(), { timeoutMs: 60_000 })[Symbol.asyncIterator]();
        await events.next();
        await events.return();
      } finally {
        recording.close();
      }
      assert.equal(sent.length, 2);
      for (const { method, url, headers } of sent) {
        assert.equal(headers.get("user-agent"), null, "browsers set user-agent themselves");
        assert.match(headers.get("x-user-agent") ?? "", /^open-vcluster-api-typescript\//);
        assert.equal(headers.get("authorization"), `Bearer ${EDITOR}`);
        const names = [...headers.keys()];
        const preflight = await fetch(url, {
          method: "OPTIONS",
          headers: {
            origin: PAGE_ORIGIN,
            "access-control-request-method": method,
            "access-control-request-headers": names.join(","),
          },
        });
        assert.equal(preflight.status, 200, `${names.join(", ")}: ${await preflight.text()}`);
        assert.equal(preflight.headers.get("access-control-allow-origin"), PAGE_ORIGIN);
      }
    });
  });
}

describe("browser entry settings", () => {
  test("useHttpGet sends the reads as GET, and mutations as POST", async () => {
    const sent: Sent[] = [];
    const client = new VClusterClient({
      baseUrl: `http://${server.httpAddress}/`,
      token: EDITOR,
      useHttpGet: true,
      fetch: recordingFetch(sent),
    });
    try {
      const ns = uniqueNamespace();
      let operationId = "";
      await client.createVCluster(ns, "dev", { onOperation: (id) => (operationId = id) });
      assert.equal((await client.getVCluster(ns, "dev")).name, "dev");
      assert.equal((await client.getVClusterUsage(ns, "dev")).name, "dev");
      assert.equal((await client.getFleetSummary({ namespace: ns })).vclusterCount, 1);
      assert.equal((await client.getOperation(operationId)).method, "CreateVCluster");
      assert.deepEqual((await client.listOperations(ns).toArray()).map((o) => o.id), [operationId]);
      assert.notEqual((await client.getServerInfo()).version, "");
      assert.deepEqual(sent.map((s) => [s.method, new URL(s.url).pathname]), [
        ["POST", "/openvcluster.v1.VClusterService/CreateVCluster"],
        ["GET", "/openvcluster.v1.VClusterService/GetVCluster"],
        ["GET", "/openvcluster.v1.MonitorService/GetVClusterUsage"],
        ["GET", "/openvcluster.v1.MonitorService/GetFleetSummary"],
        ["GET", "/openvcluster.v1.OperationService/GetOperation"],
        ["GET", "/openvcluster.v1.OperationService/ListOperations"],
        ["GET", "/openvcluster.v1.ServerInfoService/GetServerInfo"],
      ]);
    } finally {
      client.close();
    }
  });

  test("a server that does not answer is UNAVAILABLE, and says what to check", async () => {
    const client = new VClusterClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    try {
      await assert.rejects(client.getVCluster("x", "y", { retry: null }), (e: unknown) => {
        assert.ok(e instanceof UnavailableError, String(e));
        assert.match(e.message, /--http-allowed-origins/);
        return true;
      });
    } finally {
      client.close();
    }
  });

  test("the settings come from the URL; impossible ones are refused", () => {
    const client = new VClusterClient({ baseUrl: "https://api.example.com:8443/ovc/", token: "t", protocol: "grpc-web" });
    client.close();
    assert.equal(client.config.endpoint, "api.example.com:8443");
    assert.equal(client.config.baseUrl, "https://api.example.com:8443/ovc");
    assert.equal(client.config.tls, true);
    assert.equal(client.config.token, "t");
    assert.equal(String(client), "VClusterClient(endpoint=api.example.com:8443, protocol=grpc-web, tls=true)");
    assert.throws(() => new VClusterClient({ baseUrl: "api.example.com:8080" }), /baseUrl must be an http or https URL/);
    assert.throws(() => new VClusterClient({ baseUrl: "no url" }), TypeError);
    assert.throws(() => new VClusterClient({ baseUrl: "https://a.example", protocol: "grpc" as "connect" }), /"connect" or "grpc-web"/);
    assert.throws(() => new VClusterClient({ baseUrl: "https://a.example", protocol: "grpc-web", useHttpGet: true }), /useHttpGet needs the connect protocol/);
  });
});
