// When the server ends the list's watch (here RESOURCE_EXHAUSTED: the
// caller already has as many watches open as the server allows), the page
// says so and offers to reconnect; it does not retry by itself. Also the
// sign-in of a server without a tokens file: continue without a token.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startHarness, type Harness } from "./support/portal.js";

let harness: Harness;

before(async () => {
  harness = await startHarness({ config: { max_watches_per_caller: 1 } });
});

after(async () => {
  await harness?.close();
});

test("a refused watch shows a banner, and Reconnect starts live updates again", async () => {
  const first = await harness.newPage();
  await first.goto(`${harness.origin}/`);
  await first.getByRole("button", { name: "Continue without a token" }).click();
  await first.getByText("Live: changes appear as they happen.").waitFor();
  assert.match(await first.locator(".who").innerText(), /anonymous \(editor\)/);

  const second = await harness.newPage();
  await second.goto(`${harness.origin}/`);
  await second.getByRole("button", { name: "Continue without a token" }).click();
  const banner = second.getByRole("alert").filter({ hasText: "Live updates stopped." });
  await banner.waitFor();
  assert.match(await banner.innerText(), /RESOURCE_EXHAUSTED/);

  // The first page's watch ends when it leaves the list.
  await first.getByRole("link", { name: "Activity" }).click();
  await first.getByRole("heading", { name: "Activity" }).waitFor();
  // The server may take a moment to notice the first watch is gone: reconnect until it has.
  for (let attempt = 1; ; attempt += 1) {
    await banner.getByRole("button", { name: "Reconnect" }).click();
    await second.waitForFunction(() => {
      const text = document.querySelector("main")?.textContent ?? "";
      return text.includes("Live: changes appear") || text.includes("Live updates stopped.");
    });
    if (await second.getByText("Live: changes appear as they happen.").isVisible()) break;
    assert.ok(attempt < 50, "the watch was refused on every reconnect");
  }
  assert.equal(await banner.count(), 0);
});
