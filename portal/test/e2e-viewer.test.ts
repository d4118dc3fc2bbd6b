// What a viewer sees (reads only: no mutating action, no Access tab), what
// a token the server does not accept does (back to sign-in), and the portal
// on a phone-sized screen (390×844): no sideways scrolling, every action
// reachable, the list's badges inside their card.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type { Page } from "playwright-core";

import {
  assertAccessible,
  scrollsSideways,
  signIn,
  startHarness,
  uniqueNamespace,
  waitForDetailPhase,
  waitForRowPhase,
  type Harness,
} from "./support/portal.js";

const VIEWER = "viewer-token-e2e";
const EDITOR = "editor-token-e2e";
const ns = uniqueNamespace("portal");
let harness: Harness;

before(async () => {
  harness = await startHarness({
    tokens: [
      { token: VIEWER, role: "viewer", namespaces: [ns], name: "vic" },
      { token: EDITOR, role: "editor", namespaces: [ns], name: "erin" },
    ],
  });
  const editor = harness.grpc(EDITOR);
  // A suspend cron that cannot fire while the tests run (29 February), and an expiry a month away.
  const expireTime = { seconds: BigInt(Math.floor(Date.now() / 1000) + 30 * 86400), nanos: 0 };
  const sleepSchedule = { suspendCron: "0 19 29 2 *", resumeCron: "", timeZone: "" };
  await editor.createVCluster(ns, "shared", { wait: true, labels: { team: "a" }, spec: { sleepSchedule, expireTime } });
  await editor.snapshotVCluster(ns, "shared", { snapshotName: "shared-snap", wait: true });
});

after(async () => {
  await harness?.close();
});

describe("a viewer", () => {
  let page: Page;
  before(async () => {
    page = await harness.newPage();
  });

  test("reads the list but is offered no way to change anything", async () => {
    await signIn(page, harness.origin, VIEWER);
    await waitForRowPhase(page, ns, "shared", "RUNNING");
    assert.equal(await page.getByRole("link", { name: "Create" }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "Create vcluster" }).count(), 0);
    assert.match(await page.locator(".who").innerText(), /vic \(viewer\)/);
    const namespaces = await page.getByLabel("Namespace").locator("option").allInnerTexts();
    assert.deepEqual(namespaces, ["All my namespaces", ns], "the namespaces of the grant");
  });

  test("sees a vcluster's page with no actions and no Access tab", async () => {
    await page.getByRole("link", { name: "shared" }).click();
    await waitForDetailPhase(page, "RUNNING");
    await page.getByText("Suspends 0 19 29 2 * (UTC); resuming is left to its users").waitFor();
    assert.equal(await page.locator("section.sleep-expiry dt", { hasText: "Next resume" }).count(), 0, "no resume cron, no next resume");
    assert.equal(await page.locator("ul.actions").count(), 0);
    for (const name of ["Suspend", "Resume", "Scale", "Take snapshot", "Restore", "Delete"]) {
      assert.equal(await page.getByRole("button", { name }).count(), 0, name);
    }
    assert.deepEqual(await page.locator(".tabs a").allInnerTexts(), ["Overview", "Snapshots"]);
    await page.getByRole("link", { name: "Snapshots" }).click();
    await page.locator('tr[data-snapshot="shared-snap"]').waitFor();
    assert.equal(await page.getByRole("button", { name: /Restore|Delete|Take snapshot/ }).count(), 0);
    await page.goto(`${harness.origin}/#/vclusters/${ns}/shared/access`);
    await page.getByText("only editors may read them").waitFor();
    assert.equal(await page.getByRole("button", { name: /kubeconfig/i }).count(), 0);
  });
});

describe("a token the server does not accept", () => {
  test("is refused at sign-in with the server's UNAUTHENTICATED", async () => {
    const page = await harness.newPage();
    await page.goto(`${harness.origin}/`);
    await page.getByLabel("Bearer token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("UNAUTHENTICATED").waitFor();
    await page.getByRole("heading", { name: "Sign in to open-vcluster" }).waitFor();
    await page.getByRole("button", { name: "Continue without a token" }).click();
    await page.getByRole("alert").getByText("UNAUTHENTICATED").waitFor();
  });

  test("ends a session: the page returns to sign-in with a message", async () => {
    const page = await harness.newPage();
    await signIn(page, harness.origin, VIEWER);
    // The token stops being accepted (as when it is revoked): the next call says so.
    await page.evaluate(() => sessionStorage.setItem("openvcluster.portal.token", "revoked-token"));
    await page.reload();
    await page.getByRole("heading", { name: "Sign in to open-vcluster" }).waitFor();
    await page.getByText("Your token is no longer accepted; sign in again.").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("openvcluster.portal.token")), null);
  });
});

describe("on a 390×844 screen", () => {
  let page: Page;
  before(async () => {
    page = await harness.newPage({ width: 390, height: 844 });
  });

  /** Every button and link of the page (outside the header) can be brought into view without sideways scrolling. */
  async function assertReachable(screen: string, selector = "main button, main a, main input, main select"): Promise<void> {
    assert.equal(await scrollsSideways(page), false, `${screen} scrolls sideways`);
    const controls = page.locator(selector);
    const count = await controls.count();
    assert.ok(count > 0, `${screen}: no controls`);
    for (let i = 0; i < count; i += 1) {
      const control = controls.nth(i);
      if (!(await control.isVisible())) continue;
      await control.scrollIntoViewIfNeeded();
      const box = await control.boundingBox();
      assert.ok(box !== null && box.x >= 0 && box.x + box.width <= 390 + 0.5, `${screen}: ${await control.evaluate((e) => e.outerHTML.slice(0, 120))} is out of reach`);
    }
  }

  test("the list is stacked cards, with no sideways scrolling", async () => {
    await signIn(page, harness.origin, EDITOR);
    await waitForRowPhase(page, ns, "shared", "RUNNING");
    await assertReachable("list");
    await assertReachable("header", "header a, header button");
    const badge = await page.locator(`tr[data-vcluster="${ns}/shared"] [data-badge="expires"]`).boundingBox();
    assert.ok(badge !== null && badge.x >= 0 && badge.x + badge.width <= 390, "the expiry badge stays inside the card");
    const headings = await page.locator("table.vclusters thead").boundingBox();
    assert.ok(headings !== null && headings.height <= 1, "column headings give way to labels in each card");
  });

  test("every action of a vcluster is reachable", async () => {
    await page.getByRole("link", { name: "shared" }).click();
    await waitForDetailPhase(page, "RUNNING");
    for (const name of ["Suspend", "Resume", "Scale", "Take snapshot", "Restore", "Delete"]) {
      await page.locator("ul.actions").getByRole("button", { name }).waitFor();
    }
    await assertReachable("detail");
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").waitFor();
    await assertReachable("delete dialog", "dialog button, dialog input");
    await page.keyboard.press("Escape");
    await page.getByRole("link", { name: "Snapshots" }).click();
    await page.locator('tr[data-snapshot="shared-snap"]').waitFor();
    await assertReachable("snapshots");
    await page.getByRole("link", { name: "Access" }).click();
    await page.getByRole("button", { name: "Download kubeconfig" }).waitFor();
    await assertReachable("access");
  });

  test("the create form and the activity fit too", async () => {
    await page.getByRole("link", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: "Create a vcluster" }).waitFor();
    await assertReachable("create");
    await page.getByRole("link", { name: "Activity" }).click();
    await page.getByRole("heading", { name: "Activity" }).waitFor();
    assert.equal(await scrollsSideways(page), false);
    await assertAccessible(page, "activity at 390 px");
  });
});
