// Bundles each test (and the screenshot command) for Node: the tests import
// the portal's modules, which import the SDK from its source, so they are
// bundled the way the portal is; Playwright stays an ordinary import.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const portal = join(dirname(fileURLToPath(import.meta.url)), "..");
const tests = readdirSync(join(portal, "test"))
  .filter((name) => name.endsWith(".test.ts") || name === "screenshots.ts")
  .map((name) => `test/${name}`);

await build({
  absWorkingDir: portal,
  entryPoints: tests,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["playwright-core", "@axe-core/playwright"],
  logLevel: "warning",
  outdir: "build",
  outbase: ".",
});
