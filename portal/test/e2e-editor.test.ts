// An editor's day in the portal, against a real server in real Chromium:
// sign in, create (a field violation first), watch PROVISIONING turn
// RUNNING, suspend and resume, scale, snapshot and restore to a new name,
// download the kubeconfig, see another client's changes live, read the
// activity, delete with the typed confirmation, protect against deletion
// and upgrade, create with a sleep schedule and an expiry and change them
// in the Edit dialog; axe on every screen.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import type { Page } from "playwright-core";

import type { VClusterClient } from "../../sdk/typescript/src/index.js";
import { localInputValue } from "../src/schedule.js";
import {
  assertAccessible,
  signIn,
  startHarness,
  uniqueNamespace,
  waitForDetailPhase,
  waitForRowPhase,
  type Harness,
} from "./support/portal.js";

const EDITOR = "editor-token-e2e";
const ns = uniqueNamespace("portal");
let harness: Harness;
let page: Page;
let other: VClusterClient;

before(async () => {
  harness = await startHarness({ tokens: [{ token: EDITOR, role: "editor", namespaces: [ns], name: "erin" }] });
  other = harness.grpc(EDITOR);
  page = await harness.newPage();
});

after(async () => {
  await harness?.close();
});

describe("an editor", () => {
  test("signs in with a token; the empty list says how to create one", async () => {
    await page.goto(`${harness.origin}/`);
    await page.getByRole("heading", { name: "Sign in to open-vcluster" }).waitFor();
    await assertAccessible(page, "sign-in");
    await signIn(page, harness.origin, EDITOR);
    await page.getByText("erin").waitFor();
    await page.getByRole("heading", { name: "No vclusters yet" }).waitFor();
    await page.getByText(`ovc create -n default dev --wait`).waitFor();
    assert.equal(await page.getByRole("link", { name: "Create a vcluster" }).count(), 1);
    await assertAccessible(page, "empty list");
  });

  test("creates a vcluster: the field violation shows next to its field, Check says valid, then PROVISIONING turns RUNNING", async () => {
    await page.getByRole("link", { name: "Create a vcluster" }).click();
    await page.getByRole("heading", { name: "Create a vcluster" }).waitFor();
    assert.equal(await page.getByLabel("Namespace").inputValue(), ns, "the namespace of the token's grant");
    assert.match(await page.getByLabel("Kubernetes version").inputValue(), /^1\.\d+$/, "the server's default version");
    assert.equal(await page.getByLabel("CPU", { exact: true }).inputValue(), "1", "the server's default CPU");
    await page.getByLabel("Name", { exact: true }).fill("web");
    await page.getByLabel("Memory").fill("1Mi");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    const problem = page.locator("#create-memory-problem");
    await problem.waitFor();
    assert.match(await problem.innerText(), /64Mi/);
    assert.match((await page.getByLabel("Memory").getAttribute("aria-describedby")) ?? "", /create-memory-problem/);
    assert.match(await page.getByRole("alert").innerText(), /INVALID_ARGUMENT[\s\S]*Memory/);
    await assertAccessible(page, "create with errors");

    await page.getByLabel("Memory").fill("1Gi");
    await page.getByLabel("Labels").fill("tier=web");
    await page.getByRole("button", { name: "Check" }).click();
    await page.getByText("Valid: the server would create this vcluster").waitFor();
    assert.equal(await page.locator("#create-memory-problem").count(), 0);

    const sawProvisioning = page.waitForFunction(
      () => document.querySelector(".detail .heading-row .chip")?.getAttribute("data-phase") === "PROVISIONING",
      undefined,
      { polling: 10 },
    );
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.waitForURL(/#\/vclusters\/[^/]+\/web$/);
    await sawProvisioning;
    await waitForDetailPhase(page, "RUNNING");
    await page.getByText("tier=web").waitFor();
    await assertAccessible(page, "detail overview");
  });

  test("suspends and resumes; a refused action is disabled and says why", async () => {
    const resume = page.getByRole("button", { name: "Resume" });
    assert.equal(await resume.isDisabled(), true);
    await page.locator("#why-resume", { hasText: "It is already running." }).waitFor();
    await page.getByRole("button", { name: "Suspend" }).click();
    await waitForDetailPhase(page, "SUSPENDED");
    assert.equal(await page.getByRole("button", { name: "Suspend" }).isDisabled(), true);
    await page.locator("#why-suspend", { hasText: "already suspended" }).waitFor();
    await resume.click();
    await waitForDetailPhase(page, "RUNNING");
  });

  test("scales in a dialog that takes focus and closes on Escape", async () => {
    await page.getByRole("button", { name: "Scale" }).click();
    const dialog = page.getByRole("dialog", { name: "Scale web" });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.closest("dialog") !== null), true, "focus is in the dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Scale" }).click();
    await dialog.getByLabel("Control-plane replicas").fill("3");
    await dialog.getByRole("button", { name: "Scale" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.locator("dd", { hasText: /^3$/ }).waitFor();
    await waitForDetailPhase(page, "RUNNING");
  });

  test("takes a snapshot and restores it to a new name", async () => {
    await page.getByRole("link", { name: "Snapshots" }).click();
    await page.getByRole("heading", { name: "Snapshots", level: 2 }).waitFor();
    await page.getByText("No snapshots of web yet.").waitFor();
    await page.locator(".snapshots").getByRole("button", { name: "Take snapshot" }).click();
    const row = page.locator("tr[data-snapshot]");
    await row.locator(".chip", { hasText: "Ready" }).waitFor();
    await assertAccessible(page, "snapshots tab");
    const snapshot = await row.getAttribute("data-snapshot");
    await page.getByRole("button", { name: `Restore from ${snapshot}` }).click();
    const dialog = page.getByRole("dialog", { name: "Restore web from a snapshot" });
    await dialog.getByLabel("A new vcluster").check();
    await dialog.getByLabel("New name").fill("web-copy");
    await dialog.getByRole("button", { name: "Restore" }).click();
    await page.waitForURL(/#\/vclusters\/[^/]+\/web-copy$/);
    await waitForDetailPhase(page, "RUNNING");
  });

  test("downloads the kubeconfig from the Access tab", async () => {
    await page.goto(`${harness.origin}/#/vclusters/${ns}/web/access`);
    await page.getByRole("heading", { name: "Access" }).waitFor();
    await assertAccessible(page, "access tab");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download kubeconfig" }).click()]);
    assert.equal(download.suggestedFilename(), "web.kubeconfig.yaml");
    const path = await download.path();
    assert.match(readFileSync(path, "utf8"), /kind: Config/);
  });

  test("sees another client's changes in the list without a reload", async () => {
    await page.getByRole("link", { name: "VClusters", exact: true }).click();
    await waitForRowPhase(page, ns, "web", "RUNNING");
    await page.getByText("Live: changes appear as they happen.").waitFor();
    await other.createVCluster(ns, "api", { cpu: "2", memory: "4Gi" });
    await waitForRowPhase(page, ns, "api", "RUNNING");
    const row = page.locator(`tr[data-vcluster="${ns}/api"]`);
    assert.match(await row.innerText(), /2 CPU · 4 GiB/);
    await other.suspendVCluster(ns, "api");
    await waitForRowPhase(page, ns, "api", "SUSPENDED");
    const names = await page.locator("tr[data-vcluster]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-vcluster")));
    assert.deepEqual(names, [`${ns}/api`, `${ns}/web`, `${ns}/web-copy`], "kept in name order");
    await assertAccessible(page, "list");
  });

  test("filters by phase and label selector, and pages through", async () => {
    await page.getByLabel("Phase").selectOption("SUSPENDED");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/phase=SUSPENDED/);
    await page.getByText("Live: changes appear as they happen.").waitFor();
    assert.deepEqual(await page.locator("tr[data-vcluster]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-vcluster"))), [`${ns}/api`]);
    await page.getByLabel("Phase").selectOption("");
    await page.getByLabel("Label selector").fill("tier=web");
    await page.getByLabel("Page size").selectOption("10");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/selector=tier%3Dweb/);
    await page.locator(`tr[data-vcluster="${ns}/web"]`).waitFor();
    await page.locator(`tr[data-vcluster="${ns}/api"]`).waitFor({ state: "detached" });
    for (let i = 0; i < 10; i += 1) await other.createVCluster(ns, `bulk-${String(i).padStart(2, "0")}`);
    await page.goto(`${harness.origin}/#/`);
    await page.getByText("Page 1").waitFor();
    assert.equal(await page.locator("tr[data-vcluster]").count(), 10);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Page 2").waitFor();
    await page.locator(`tr[data-vcluster="${ns}/web"]`).waitFor();
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.locator(`tr[data-vcluster="${ns}/api"]`).waitFor();
  });

  test("deletes only after typing the name exactly", async () => {
    await page.goto(`${harness.origin}/#/vclusters/${ns}/web-copy`);
    await waitForDetailPhase(page, "RUNNING");
    await page.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete web-copy?" });
    await dialog.waitFor();
    await assertAccessible(page, "delete dialog");
    const confirm = dialog.getByRole("button", { name: "Delete vcluster" });
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel("Type web-copy to confirm").fill("web-cop");
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel("Type web-copy to confirm").fill("web-copy");
    await confirm.click();
    await page.waitForURL(/#\/\?namespace=/);
    await page.locator(`tr[data-vcluster="${ns}/web-copy"]`).waitFor({ state: "detached" });
  });

  test("reads this session's activity, failures with their code", async () => {
    await page.getByRole("link", { name: "Activity" }).click();
    await page.getByRole("heading", { name: "Activity" }).waitFor();
    const text = await page.locator("table.activity").innerText();
    for (const what of ["Create", "Check create", "Suspend", "Resume", "Scale", "Take snapshot", "Restore", "Download kubeconfig", "Delete"]) {
      assert.match(text, new RegExp(`\\b${what}\\b`), what);
    }
    assert.match(text, /INVALID_ARGUMENT/);
    await assertAccessible(page, "activity");
  });

  test("protects against deletion and upgrades in the Edit dialog; a skipped minor is refused with the reason", async () => {
    await other.createVCluster(ns, "old", { kubernetesVersion: "1.31", wait: true });
    await page.goto(`${harness.origin}/#/vclusters/${ns}/old`);
    await waitForDetailPhase(page, "RUNNING");
    await page.getByRole("button", { name: "Edit" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit old" });
    await dialog.getByLabel(/Deletion protection/).check();
    await assertAccessible(page, "edit dialog");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.locator("#why-delete", { hasText: "protected against deletion" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Delete" }).isDisabled(), true);

    await page.getByRole("button", { name: "Edit" }).click();
    await dialog.getByLabel("Kubernetes version").selectOption("1.33");
    await dialog.getByRole("button", { name: "Save" }).click();
    assert.match(await dialog.getByRole("alert").innerText(), /FAILED_PRECONDITION[\s\S]*1\.32/);
    await dialog.getByLabel(/Deletion protection/).uncheck();
    await dialog.getByLabel("Kubernetes version").selectOption("1.32");
    const sawUpgrading = page.waitForFunction(
      () => document.querySelector(".detail .heading-row .chip")?.getAttribute("data-phase") === "UPGRADING",
      undefined,
      { polling: 10 },
    );
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await sawUpgrading;
    await waitForDetailPhase(page, "RUNNING");
    await page.locator("dd", { hasText: /^1\.32 / }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Delete" }).isDisabled(), false);
  });

  test("creates with a sleep schedule and an expiry: a bad cron is refused at its field; the page and the list show them", async () => {
    // Crons that cannot fire while the test runs (a suspend on 29 February;
    // a resume of a RUNNING vcluster does nothing), so the phase stays put.
    const expires = new Date();
    expires.setFullYear(expires.getFullYear() + 1, 5, 15);
    expires.setHours(18, 30, 0, 0);
    await page.getByRole("link", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: "Create a vcluster" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("nightly");
    await page.getByLabel("Suspend (cron)").fill("every evening");
    await page.getByRole("button", { name: "Check" }).click();
    const problem = page.locator("#create-suspend-problem");
    await problem.waitFor();
    assert.match((await page.getByLabel("Suspend (cron)").getAttribute("aria-describedby")) ?? "", /create-suspend-problem/);
    assert.match(await page.getByRole("alert").innerText(), /INVALID_ARGUMENT[\s\S]*Suspend \(cron\)/);
    await assertAccessible(page, "create with a bad cron");

    await page.getByLabel("Suspend (cron)").fill("0 19 29 2 *");
    await page.getByLabel("Resume (cron)").fill("0 7 1 3 *");
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    await page.getByLabel("Expires at").fill(localInputValue(expires));
    await page.getByLabel("Delete its snapshots when it expires").check();
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.waitForURL(/#\/vclusters\/[^/]+\/nightly$/);
    await waitForDetailPhase(page, "RUNNING");

    const stored = await other.getVCluster(ns, "nightly");
    assert.equal(stored.spec?.expireTime?.seconds, BigInt(expires.getTime() / 1000), "the expiry as typed, in local time");
    const section = page.locator("section.sleep-expiry");
    await section.getByText("Suspends 0 19 29 2 *, resumes 0 7 1 3 * (Europe/Berlin)").waitFor();
    const berlin = async (term: string): Promise<string> => {
      const at = await section.locator("dt", { hasText: term }).locator("+ dd time").getAttribute("datetime");
      return new Date(at ?? "").toLocaleString("en-GB", { timeZone: "Europe/Berlin", day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit" });
    };
    assert.equal(await berlin("Next suspend"), "29/02, 19:00", "the next suspend, read in the schedule's zone");
    assert.equal(await berlin("Next resume"), "01/03, 07:00");
    assert.match(await section.locator("dt", { hasText: "Expires" }).locator("+ dd").innerText(), /\(in \d+d\): deleted then, with its snapshots$/);
    await assertAccessible(page, "detail with a sleep schedule and an expiry");

    await page.getByRole("link", { name: "VClusters", exact: true }).click();
    const row = page.locator(`tr[data-vcluster="${ns}/nightly"]`);
    await row.waitFor();
    // What a screen reader reads: the badge's word, then its details.
    assert.equal(await row.locator('[data-badge="sleeps"]').textContent(), "Sleeps: Suspends 0 19 29 2 *, resumes 0 7 1 3 * (Europe/Berlin)");
    assert.match((await row.locator('[data-badge="expires"]').textContent()) ?? "", /^Expires in \d+d: \S/);
    assert.equal(await page.locator(`tr[data-vcluster="${ns}/web"] .badge`).count(), 0, "no badge without a schedule or an expiry");
    await assertAccessible(page, "list with badges");
  });

  test("changes the schedule and clears the expiry in the Edit dialog; a bad time zone is refused at its field", async () => {
    await page.getByRole("link", { name: "nightly" }).click();
    await waitForDetailPhase(page, "RUNNING");
    await page.getByRole("button", { name: "Edit" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit nightly" });
    assert.equal(await dialog.getByLabel("Suspend (cron)").inputValue(), "0 19 29 2 *", "the fields start as the vcluster has them");
    assert.equal(await dialog.getByLabel("Time zone").inputValue(), "Europe/Berlin");
    assert.notEqual(await dialog.getByLabel("Expires at").inputValue(), "");
    await dialog.getByLabel("Time zone").fill("Mars/Olympus_Mons");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.locator("#edit-zone-problem").waitFor();
    assert.match((await dialog.getByLabel("Time zone").getAttribute("aria-describedby")) ?? "", /edit-zone-problem/);
    assert.match(await dialog.getByRole("alert").innerText(), /INVALID_ARGUMENT[\s\S]*Time zone/);
    await assertAccessible(page, "edit dialog with a bad time zone");

    await dialog.getByLabel("Time zone").fill("");
    await dialog.getByLabel("Resume (cron)").fill("");
    await dialog.getByLabel("Expires at").fill("");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const section = page.locator("section.sleep-expiry");
    await section.getByText("Suspends 0 19 29 2 * (UTC); resuming is left to its users").waitFor();
    assert.equal(await section.locator("dt", { hasText: /^(Next resume|Expires)$/ }).count(), 0, "no resume cron, no expiry");
    const stored = await other.getVCluster(ns, "nightly");
    assert.equal(stored.spec?.expireTime, undefined, "the expiry is cleared");
    assert.equal(stored.spec?.sleepSchedule?.resumeCron, "");
  });
});
