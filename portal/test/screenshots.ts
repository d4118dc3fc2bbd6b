// `npm run screenshots`: pictures of the portal for the docs, taken from a
// reference server holding fixed data (namespace team-a: a few vclusters
// and a snapshot), written to docs/images/portal-<screen>.png. Ages and
// times on screen vary from run to run; everything else is the same.

import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { Page } from "playwright-core";

import { signIn, startHarness, waitForDetailPhase, waitForRowPhase, type Harness } from "./support/portal.js";

// build/test/ -> the repository's docs/images.
const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "docs", "images");
const TOKEN = "demo-editor-token";
const NS = "team-a";

async function seed(harness: Harness): Promise<void> {
  const client = harness.grpc(TOKEN);
  await client.createVCluster(NS, "dev", { labels: { env: "dev", team: "payments" }, wait: true });
  await client.createVCluster(NS, "ml-train", { cpu: "4", memory: "16Gi", replicas: 3, enableHa: true, labels: { env: "research" }, wait: true });
  await client.createVCluster(NS, "staging", { kubernetesVersion: "1.31", cpu: "2", memory: "4Gi", labels: { env: "staging" }, wait: true });
  await client.suspendVCluster(NS, "staging", { wait: true });
  await client.snapshotVCluster(NS, "dev", { snapshotName: "dev-before-upgrade", description: "before the 1.33 upgrade", wait: true });
}

async function shoot(page: Page, screen: string): Promise<void> {
  // Let no focus ring or caret fall on the picture by chance.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const path = join(OUT, `portal-${screen}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`wrote ${path}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const harness = await startHarness({
    tokens: [{ token: TOKEN, role: "editor", namespaces: [NS, "team-b"], name: "alice" }],
    transitionDelaySeconds: 0.2,
  });
  try {
    await seed(harness);
    const page = await harness.newPage({ width: 1280, height: 800 });
    await page.goto(`${harness.origin}/`);
    await page.getByRole("heading", { name: "Sign in to open-vcluster" }).waitFor();
    await shoot(page, "sign-in");

    await signIn(page, harness.origin, TOKEN);
    await waitForRowPhase(page, NS, "staging", "SUSPENDED");
    await page.getByText("Live: changes appear as they happen.").waitFor();
    await shoot(page, "list");

    await page.getByRole("link", { name: "Create", exact: true }).click();
    await page.getByLabel("Name", { exact: true }).fill("Bad_Name");
    await page.getByLabel("Memory").fill("1Mi");
    await page.getByRole("button", { name: "Check" }).click();
    await page.locator("#create-memory-problem").waitFor();
    await shoot(page, "create");

    await page.goto(`${harness.origin}/#/vclusters/${NS}/dev`);
    await waitForDetailPhase(page, "RUNNING");
    await page.getByText("Observed").waitFor();
    await shoot(page, "detail");

    await page.getByRole("link", { name: "Snapshots" }).click();
    await page.locator('tr[data-snapshot="dev-before-upgrade"]').waitFor();
    await shoot(page, "snapshots");

    await page.getByRole("link", { name: "Access" }).click();
    await page.getByRole("button", { name: "Download kubeconfig" }).waitFor();
    await shoot(page, "access");

    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByLabel("Type dev to confirm").fill("de");
    await shoot(page, "delete");
    await page.keyboard.press("Escape");

    await page.getByRole("button", { name: "Suspend" }).click();
    await waitForDetailPhase(page, "SUSPENDED");
    await page.getByRole("link", { name: "Activity" }).click();
    await page.getByRole("heading", { name: "Activity" }).waitFor();
    await shoot(page, "activity");

    const phone = await harness.newPage({ width: 390, height: 844 });
    await signIn(phone, harness.origin, TOKEN);
    await waitForRowPhase(phone, NS, "staging", "SUSPENDED");
    await shoot(phone, "list-mobile");
  } finally {
    await harness.close();
  }
}

await main();
