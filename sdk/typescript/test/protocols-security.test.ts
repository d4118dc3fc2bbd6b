// TLS, mutual TLS and bearer tokens on the server's HTTP port, over the
// Connect protocol and gRPC-Web: the same settings and errors as over gRPC.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { PermissionDeniedError, UnauthenticatedError, UnavailableError, VClusterClient, type ClientOptions } from "../src/index.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const once = { retry: null } as const;
const variants = [
  { protocol: "connect", httpVersion: "1.1" },
  { protocol: "grpc-web", httpVersion: "1.1" },
  { protocol: "connect", httpVersion: "2" },
  { protocol: "grpc-web", httpVersion: "2" },
] as const;

/** Runs `body` with clients made from each options object, closing them all after. */
async function withClients(options: ClientOptions[], body: (...clients: VClusterClient[]) => Promise<void>): Promise<void> {
  const clients = options.map((o) => new VClusterClient({ env: {}, ...o }));
  try {
    await body(...clients);
  } finally {
    for (const client of clients) client.close();
  }
}

describe("TLS on the HTTP port", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ tls: "tls" });
  });
  after(() => server.stop());

  for (const variant of variants) {
    test(`${variant.protocol} over HTTP/${variant.httpVersion}: the CA's server is trusted, any other refused`, async () => {
      const certs = server.certs!;
      const port = server.httpAddress.split(":")[1];
      await withClients(
        [
          { ...variant, endpoint: server.httpAddress, caFile: certs.ca },
          { ...variant, endpoint: `127.0.0.1:${port}`, caFile: certs.ca, tlsServerName: "localhost" },
          { ...variant, endpoint: server.httpAddress, caFile: certs.otherCa },
          { ...variant, endpoint: server.httpAddress, caFile: certs.ca, tlsServerName: "elsewhere.example" },
        ],
        async (trusting, named, untrusting, misnamed) => {
          assert.equal(trusting!.config.baseUrl, `https://${server.httpAddress}`);
          const ns = uniqueNamespace();
          await trusting!.createVCluster(ns, "dev");
          assert.equal((await named!.getVCluster(ns, "dev")).name, "dev");
          await assert.rejects(untrusting!.getVCluster(ns, "dev", once), UnavailableError);
          await assert.rejects(misnamed!.getVCluster(ns, "dev", once), UnavailableError);
        },
      );
    });
  }
});

describe("mutual TLS on the HTTP port", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ tls: "mtls" });
  });
  after(() => server.stop());

  for (const variant of variants) {
    test(`${variant.protocol} over HTTP/${variant.httpVersion}: a client certificate gets in; none is UNAVAILABLE`, async () => {
      const certs = server.certs!;
      await withClients(
        [
          { ...variant, endpoint: server.httpAddress, caFile: certs.ca, clientCertFile: certs.clientCert, clientKeyFile: certs.clientKey },
          { ...variant, endpoint: server.httpAddress, caFile: certs.ca },
        ],
        async (withCert, without) => {
          const ns = uniqueNamespace();
          await withCert!.createVCluster(ns, "dev", { wait: true });
          const watch = withCert!.watchVClusters(ns);
          for await (const event of watch) if (event.vcluster === undefined) break;
          await assert.rejects(without!.getVCluster(ns, "dev", once), UnavailableError);
        },
      );
    });
  }
});

describe("tokens on the HTTP port", () => {
  let server: RunningServer;
  const team = uniqueNamespace("team");
  before(async () => {
    server = await startServer({
      tokens: [
        { token: "editor-secret", role: "editor", namespaces: ["*"] },
        { token: "viewer-secret", role: "viewer", namespaces: [team] },
      ],
    });
  });
  after(() => server.stop());

  for (const protocol of ["connect", "grpc-web"] as const) {
    test(`${protocol}: the token goes in the authorization header; roles apply; none is UNAUTHENTICATED`, async () => {
      const endpoint = server.httpAddress;
      await withClients(
        [
          { protocol, endpoint, token: "editor-secret" },
          { protocol, endpoint, token: "viewer-secret" },
          { protocol, endpoint },
          { protocol, endpoint, token: "who-knows" },
        ],
        async (editor, viewer, nobody, stranger) => {
          await editor!.createVCluster(team, "dev", { wait: true });
          assert.equal((await viewer!.getVCluster(team, "dev")).name, "dev");
          await assert.rejects(viewer!.suspendVCluster(team, "dev"), PermissionDeniedError);
          await assert.rejects(nobody!.getVCluster(team, "dev"), UnauthenticatedError);
          await assert.rejects(stranger!.getVCluster(team, "dev"), UnauthenticatedError);
          const events = nobody!.watchVClusters(team)[Symbol.asyncIterator]();
          await assert.rejects(events.next(), UnauthenticatedError);
          await editor!.deleteVCluster(team, "dev", { wait: true });
        },
      );
    });
  }
});
