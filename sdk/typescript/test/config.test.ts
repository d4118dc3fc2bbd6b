// Connection settings from options and the OVC_* environment, as in the
// Python SDK's _config.py.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { CallSettings, DEFAULT_ENDPOINT, ENV, resolveConnection, VClusterClient } from "../src/index.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const dir = mkdtempSync(join(tmpdir(), "ovc-ts-config-"));
const pem = (name: string): string => {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN ${name}-----\n-----END ${name}-----\n`);
  return path;
};
const ca = pem("CA");
const cert = pem("CERT");
const key = pem("KEY");

test("defaults: the local endpoint in plaintext, no token", () => {
  const config = resolveConnection({ env: {} });
  assert.equal(config.endpoint, DEFAULT_ENDPOINT);
  assert.equal(config.tls, false);
  assert.equal(config.baseUrl, "http://127.0.0.1:50051");
  assert.equal(config.token, undefined);
});

test("every setting left out comes from its OVC_* variable", () => {
  const config = resolveConnection({
    env: {
      [ENV.endpoint]: "vcluster.example.com:443",
      [ENV.token]: "s3cret",
      [ENV.caFile]: ca,
      [ENV.clientCertFile]: cert,
      [ENV.clientKeyFile]: key,
      [ENV.tlsServerName]: "api.example.com",
    },
  });
  assert.equal(config.endpoint, "vcluster.example.com:443");
  assert.equal(config.token, "s3cret");
  assert.equal(config.tls, true, "a CA switches TLS on");
  assert.equal(config.baseUrl, "https://vcluster.example.com:443");
  assert.match(String(config.ca), /BEGIN CA/);
  assert.match(String(config.clientCert), /BEGIN CERT/);
  assert.match(String(config.clientKey), /BEGIN KEY/);
  assert.equal(config.tlsServerName, "api.example.com");
  assert.deepEqual(Object.values(ENV).sort(), [
    "OVC_CA_FILE",
    "OVC_CLIENT_CERT_FILE",
    "OVC_CLIENT_KEY_FILE",
    "OVC_ENDPOINT",
    "OVC_TLS",
    "OVC_TLS_SERVER_NAME",
    "OVC_TOKEN",
  ]);
});

test("options win over the environment; an empty token sends none", () => {
  const env = { [ENV.endpoint]: "env:1", [ENV.token]: "from-env", [ENV.tls]: "true" };
  const config = resolveConnection({ endpoint: "opt:2", token: "", tls: false, env });
  assert.equal(config.endpoint, "opt:2");
  assert.equal(config.token, undefined);
  assert.equal(config.tls, false);
});

test("OVC_TLS and the endpoint's scheme switch TLS", () => {
  assert.equal(resolveConnection({ env: { [ENV.tls]: "yes" } }).tls, true);
  assert.equal(resolveConnection({ env: { [ENV.tls]: "0" } }).tls, false);
  assert.equal(resolveConnection({ env: { [ENV.tls]: "" } }).tls, false);
  assert.throws(() => resolveConnection({ env: { [ENV.tls]: "maybe" } }), /OVC_TLS must be true or false/);
  const https = resolveConnection({ endpoint: "https://h:1/", env: {} });
  assert.deepEqual([https.endpoint, https.tls], ["h:1", true]);
  const http = resolveConnection({ endpoint: "http://h:2", env: { [ENV.tls]: "true" } });
  assert.deepEqual([http.endpoint, http.tls], ["h:2", true], "OVC_TLS wins over the scheme");
});

test("contradictory settings are refused", () => {
  assert.throws(() => resolveConnection({ clientCertFile: cert, env: {} }), /needs its key/);
  assert.throws(() => resolveConnection({ clientKey: "k", env: {} }), /needs its key/);
  assert.throws(() => resolveConnection({ caFile: ca, tls: false, env: {} }), /TLS is switched off/);
  assert.throws(() => resolveConnection({ caFile: join(dir, "missing.pem"), env: {} }), /ENOENT/);
});

test("call defaults: 30 s per attempt, retries on, 10 min waits; merged metadata adds up", () => {
  const defaults = new CallSettings();
  assert.equal(defaults.timeoutMs, 30_000);
  assert.equal(defaults.retry?.maxAttempts, 5);
  assert.equal(defaults.waitTimeoutMs, 600_000);
  const merged = defaults.merged({ metadata: { a: "1" } }).merged({ metadata: [["B", "2"]], retry: null, timeoutMs: null });
  assert.deepEqual(merged.metadata, [["a", "1"], ["b", "2"]]);
  assert.equal(merged.retry, null);
  assert.equal(merged.timeoutMs, null);
  assert.throws(() => defaults.merged({ timeoutMs: 0 }), RangeError);
});

describe("a client from the environment", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ tokens: [{ token: "env-token", role: "editor", namespaces: ["*"] }] });
  });
  after(() => server.stop());

  test("a client with no options connects where the environment says, with its token", async () => {
    const saved = { endpoint: process.env[ENV.endpoint], token: process.env[ENV.token] };
    process.env[ENV.endpoint] = server.address;
    process.env[ENV.token] = "env-token";
    const client = new VClusterClient();
    try {
      assert.equal(client.config.endpoint, server.address);
      const ns = uniqueNamespace();
      assert.equal((await client.createVCluster(ns, "dev")).name, "dev");
    } finally {
      client.close();
      for (const [name, value] of [[ENV.endpoint, saved.endpoint], [ENV.token, saved.token]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
