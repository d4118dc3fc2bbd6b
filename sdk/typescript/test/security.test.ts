// TLS, mutual TLS and bearer tokens.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import {
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
  VClusterClient,
} from "../src/index.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const once = { retry: null } as const;

describe("TLS", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ tls: "tls" });
  });
  after(() => server.stop());

  test("a client trusting the server's CA connects, by file or by PEM", async () => {
    const certs = server.certs!;
    const byFile = new VClusterClient({ endpoint: server.address, caFile: certs.ca, env: {} });
    const byPem = new VClusterClient({ endpoint: `https://${server.address}`, ca: readFileSync(certs.ca, "utf8"), env: {} });
    try {
      assert.equal(byFile.config.tls, true);
      assert.equal(byFile.config.baseUrl, `https://${server.address}`);
      const ns = uniqueNamespace();
      await byFile.createVCluster(ns, "dev");
      assert.equal((await byPem.getVCluster(ns, "dev")).name, "dev");
    } finally {
      byFile.close();
      byPem.close();
    }
  });

  test("the name checked can differ from the endpoint's host", async () => {
    const port = server.address.split(":")[1];
    const named = new VClusterClient({ endpoint: `127.0.0.1:${port}`, caFile: server.certs!.ca, tlsServerName: "localhost", env: {} });
    const wrong = new VClusterClient({ endpoint: server.address, caFile: server.certs!.ca, tlsServerName: "elsewhere.example", env: {} });
    try {
      await named.listVClusters("x").page();
      await assert.rejects(wrong.listVClusters("x", once).page(), UnavailableError);
    } finally {
      named.close();
      wrong.close();
    }
  });

  test("an untrusted server, or plaintext to a TLS server, is UNAVAILABLE", async () => {
    const untrusted = new VClusterClient({ endpoint: server.address, caFile: server.certs!.otherCa, env: {} });
    const plaintext = new VClusterClient({ endpoint: server.address, env: {} });
    try {
      await assert.rejects(untrusted.getVCluster("x", "y", once), UnavailableError);
      await assert.rejects(plaintext.getVCluster("x", "y", once), UnavailableError);
    } finally {
      untrusted.close();
      plaintext.close();
    }
  });
});

describe("mutual TLS", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ tls: "mtls" });
  });
  after(() => server.stop());

  test("a client certificate gets in; no certificate is refused with UNAVAILABLE", async () => {
    const certs = server.certs!;
    const withCert = new VClusterClient({
      endpoint: server.address,
      caFile: certs.ca,
      clientCertFile: certs.clientCert,
      clientKeyFile: certs.clientKey,
      env: {},
    });
    const without = new VClusterClient({ endpoint: server.address, caFile: certs.ca, env: {} });
    try {
      const ns = uniqueNamespace();
      await withCert.createVCluster(ns, "dev", { wait: true });
      await assert.rejects(without.getVCluster(ns, "dev", once), UnavailableError);
    } finally {
      withCert.close();
      without.close();
    }
  });
});

describe("tokens", () => {
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

  test("the token goes in the authorization metadata; roles and namespaces apply", async () => {
    const editor = new VClusterClient({ endpoint: server.address, token: "editor-secret", env: {} });
    const viewer = new VClusterClient({ endpoint: server.address, token: "viewer-secret", env: {} });
    const nobody = new VClusterClient({ endpoint: server.address, env: {} });
    const stranger = new VClusterClient({ endpoint: server.address, token: "who-knows", env: {} });
    try {
      await editor.createVCluster(team, "dev", { wait: true });
      assert.equal((await viewer.getVCluster(team, "dev")).name, "dev");
      await assert.rejects(viewer.suspendVCluster(team, "dev"), PermissionDeniedError);
      await assert.rejects(viewer.getKubeconfig(team, "dev"), PermissionDeniedError);
      await assert.rejects(viewer.getVCluster(uniqueNamespace(), "dev"), { name: "NotFoundError" });
      await assert.rejects(nobody.getVCluster(team, "dev"), UnauthenticatedError);
      await assert.rejects(stranger.getVCluster(team, "dev"), UnauthenticatedError);
      // Metadata of the call's own wins over the client's token.
      const asEditor = { metadata: { authorization: "Bearer editor-secret" } };
      assert.match(await viewer.getKubeconfig(team, "dev", asEditor), /kind: Config/);
    } finally {
      for (const c of [editor, viewer, nobody, stranger]) c.close();
    }
  });
});
