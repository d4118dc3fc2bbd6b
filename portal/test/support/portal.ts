// What the end-to-end tests share: a reference server (the SDK's test
// support spawns `python -m openvcluster_server serve`, which serves the
// built portal at / of its HTTP port), Debian's Chromium driven by
// Playwright, signing in, and the accessibility check.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";

import AxeBuilder from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { startServer, type RunningServer, type ServerOptions } from "../../../sdk/typescript/test/support/server.js";
import { VClusterClient } from "../../../sdk/typescript/src/index.js";

export { uniqueNamespace } from "../../../sdk/typescript/test/support/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Long enough for PROVISIONING and the like to be seen, short enough for quick tests. */
export const TRANSITION_DELAY_SECONDS = 0.5;

/** A server, a browser, and a Node gRPC client: "someone else" changing vclusters. */
export interface Harness {
  server: RunningServer;
  browser: Browser;
  origin: string;
  /** A gRPC client of the server with `token`. */
  grpc(token: string): VClusterClient;
  /** A fresh browser context (its own sessionStorage) and page at `viewport`. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Stops everything started, even after a failure. */
  close(): Promise<void>;
}

/** Starts a server (with a short transition delay unless told otherwise) and Chromium. */
export async function startHarness(options: ServerOptions): Promise<Harness> {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH`);
  const server = await startServer({ transitionDelaySeconds: TRANSITION_DELAY_SECONDS, ...options });
  const clients: VClusterClient[] = [];
  const contexts: BrowserContext[] = [];
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    for (const client of clients) client.close();
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close().catch(() => undefined);
    await server.stop();
  };
  try {
    // Root (as in CI containers) cannot use Chromium's sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  } catch (error) {
    await close();
    throw error;
  }
  const opened = browser;
  return {
    server,
    browser: opened,
    origin: `http://${server.httpAddress}`,
    grpc(token: string) {
      const client = new VClusterClient({ endpoint: server.address, token, env: {} });
      clients.push(client);
      return client;
    },
    async newPage(viewport = { width: 1280, height: 800 }) {
      const context = await opened.newContext({ viewport, acceptDownloads: true });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    },
    close,
  };
}

/** Opens the portal and signs in with `token`; resolves once the list is shown. */
export async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/#/sign-in`);
  await page.getByLabel("Bearer token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "VClusters" }).waitFor();
}

/** The phase a vcluster's page shows now. */
export function detailPhase(page: Page): Promise<string | null> {
  return page.locator(".detail .heading-row .chip").getAttribute("data-phase");
}

/** Waits until the vcluster's page shows `phase` (by itself: the page is never reloaded). */
export async function waitForDetailPhase(page: Page, phase: string): Promise<void> {
  await page.locator(`.detail .heading-row .chip[data-phase="${phase}"]`).waitFor();
}

/** Waits until the list's row of `namespace/name` shows `phase`. */
export async function waitForRowPhase(page: Page, namespace: string, name: string, phase: string): Promise<void> {
  await page.locator(`tr[data-vcluster="${namespace}/${name}"] .chip[data-phase="${phase}"]`).waitFor();
}

/**
 * Runs axe on the page as it is: no violation may be serious or critical.
 * The failure message lists those, and the lesser ones too.
 */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const severe = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const describe = (v: (typeof results.violations)[number]): string =>
    `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`;
  assert.deepEqual(
    severe.map(describe),
    [],
    `axe on ${screen}:\n${results.violations.map(describe).join("\n")}`,
  );
}

/** Whether the page scrolls sideways. */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
