// The SDK's browser bundle in a real browser: Debian's Chromium, driven by
// Playwright, loads a page from one origin and calls a reference server's
// HTTP port on another (so CORS is real), over Connect and over gRPC-Web:
// it lists, creates with a validation error, and follows a watch.
//
// Chromium comes from the system (scripts/bootstrap installs Debian's
// `chromium`; CHROMIUM_PATH points elsewhere); Playwright downloads none.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type Page } from "playwright-core";

import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// build/test/ -> the package root.
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PAGE_DIR = join(PACKAGE, "test", "browser-page");
const BUNDLE = join(PACKAGE, "dist", "browser.bundle.js");

let pages: Server;
let origin: string;
let api: RunningServer;
let browser: Browser;
let page: Page;

/** Serves the test page and the SDK bundle, nothing else. */
function servePages(): Promise<Server> {
  const files: Record<string, [string, string]> = {
    "/": [join(PAGE_DIR, "index.html"), "text/html; charset=utf-8"],
    "/sdk/browser.bundle.js": [BUNDLE, "text/javascript; charset=utf-8"],
  };
  const server = createServer((request, response) => {
    const file = files[request.url ?? ""];
    if (file === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": file[1] }).end(readFileSync(file[0]));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/bootstrap does) or set CHROMIUM_PATH`);
  assert.ok(existsSync(BUNDLE), "dist/browser.bundle.js is missing: npm run build:browser");
  pages = await servePages();
  origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  api = await startServer({ allowedOrigins: [origin], transitionDelaySeconds: 0.05 });
  // Root (as in CI containers) cannot use Chromium's sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage();
  await page.goto(origin);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
});

after(async () => {
  await browser?.close();
  await api?.stop();
  await new Promise((resolve) => pages?.close(resolve));
});

for (const protocol of ["connect", "grpc-web"] as const) {
  describe(`in Chromium over ${protocol}`, () => {
    test("lists what another client created", async () => {
      const namespace = uniqueNamespace("page");
      const names = await page.evaluate(
        async ({ baseUrl, protocol, namespace }) => {
          const { VClusterClient } = (window as any).sdk;
          const client = new VClusterClient({ baseUrl, protocol });
          try {
            await client.createVCluster(namespace, "one");
            await client.createVCluster(namespace, "two");
            const names: string[] = [];
            for await (const vc of client.listVClusters(namespace)) names.push(vc.name);
            return names;
          } finally {
            client.close();
          }
        },
        { baseUrl: `http://${api.httpAddress}`, protocol, namespace },
      );
      assert.deepEqual(names, ["one", "two"]);
    });

    test("a create with bad fields is refused with each field named", async () => {
      const refusal = await page.evaluate(
        async ({ baseUrl, protocol, namespace }) => {
          const { VClusterClient, InvalidArgumentError } = (window as any).sdk;
          const client = new VClusterClient({ baseUrl, protocol });
          try {
            await client.createVCluster(namespace, "Bad_Name", { memory: "lots" });
            return null;
          } catch (error: any) {
            return {
              typed: error instanceof InvalidArgumentError,
              fields: error.fieldViolations.map((v: { field: string }) => v.field).sort(),
            };
          } finally {
            client.close();
          }
        },
        { baseUrl: `http://${api.httpAddress}`, protocol, namespace: uniqueNamespace("page") },
      );
      assert.deepEqual(refusal, { typed: true, fields: ["name", "spec.resources.memory"] });
    });

    test("a watch follows a vcluster from PROVISIONING to RUNNING", async () => {
      const seen = await page.evaluate(
        async ({ baseUrl, protocol, namespace }) => {
          const { VClusterClient, WatchVClustersResponse_EventType: EventType, VCluster_Phase: Phase } = (window as any).sdk;
          const client = new VClusterClient({ baseUrl, protocol });
          const seen: [string, string | undefined, string | undefined][] = [];
          try {
            const stream = client.watchVClusters(namespace);
            for await (const event of stream) {
              seen.push([EventType[event.type], event.vcluster?.name, event.vcluster ? Phase[event.vcluster.status.phase] : undefined]);
              if (event.type === EventType.SYNCED) await client.createVCluster(namespace, "watched");
              if (event.vcluster?.status?.phase === Phase.RUNNING) stream.cancel();
            }
            return seen;
          } finally {
            client.close();
          }
        },
        { baseUrl: `http://${api.httpAddress}`, protocol, namespace: uniqueNamespace("page") },
      );
      assert.deepEqual(seen, [
        ["SYNCED", undefined, undefined],
        ["ADDED", "watched", "PROVISIONING"],
        ["MODIFIED", "watched", "RUNNING"],
      ]);
    });
  });
}
