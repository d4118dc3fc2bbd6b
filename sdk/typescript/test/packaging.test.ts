// The packed npm package works on its own: installed into a fresh project
// (dependencies from the registry or the npm cache), it type-checks and runs
// examples/typescript/lifecycle.ts against a reference server, and its
// browser entry type-checks for a web page, without Node's types.

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { run } from "./support/processes.js";
import { startServer, type RunningServer } from "./support/server.js";

// Compiled, this file runs from build/test/; the SDK is two levels up.
const SDK = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const EXAMPLE = join(SDK, "..", "..", "examples", "typescript", "lifecycle.ts");
// A web page's use of the browser entry, checked with the DOM's types and none of Node's.
const PAGE = `import { NotFoundError, VClusterClient } from "@open-vcluster/sdk/browser";

const client = new VClusterClient({ baseUrl: "https://api.example.com:8080", token: "t", protocol: "grpc-web" });
export async function show(): Promise<string> {
  try {
    return (await client.getVCluster("team-a", "dev")).name;
  } catch (error) {
    if (error instanceof NotFoundError) return "none";
    throw error;
  } finally {
    client.close();
  }
}
`;
const PAGE_TSCONFIG = {
  compilerOptions: { strict: true, target: "es2022", module: "nodenext", lib: ["es2022", "dom"], types: [], noEmit: true },
  files: ["page.ts"],
};

const manifest = JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};

let work: string;
let server: RunningServer;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "ovc-ts-pack-"));
  server = await startServer();
});

after(async () => {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

test("npm pack, install into a fresh project, compile and run the lifecycle example", { timeout: 240_000 }, async (t) => {
  const { stdout: packed } = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: SDK, signal: t.signal });
  const [info] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const expected of [
    "package.json",
    "dist/index.js",
    "dist/index.d.ts",
    "dist/client.d.ts",
    "dist/browser.js",
    "dist/browser.d.ts",
    "dist/gen/openvcluster/v1/vcluster_pb.js",
  ]) {
    assert.ok(files.includes(expected), `${expected} is packed`);
  }
  assert.ok(!files.some((f) => /^(src|test|build|conformance)\//.test(f)), `only dist is packed: ${files.join(", ")}`);
  assert.ok(!files.includes("dist/browser.bundle.js"), "the browser bundle, a test artefact, is not packed");

  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "lifecycle-app", private: true, type: "module" }));
  const pins = ["typescript", "@types/node"].map((name) => `${name}@${manifest.devDependencies[name]}`);
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, info.filename), ...pins], {
    cwd: app,
    signal: t.signal,
  });
  const installed = JSON.parse(readFileSync(join(app, "node_modules", "@open-vcluster", "sdk", "package.json"), "utf8"));
  assert.equal(installed.version, manifest.version);

  copyFileSync(EXAMPLE, join(app, "lifecycle.ts"));
  const tsc = join(app, "node_modules", ".bin", "tsc");
  await run(tsc, ["--strict", "--target", "es2022", "--module", "nodenext", "--types", "node", "lifecycle.ts"], { cwd: app, signal: t.signal });

  const resolved = await run(process.execPath, ["--input-type=module", "-e", 'console.log(import.meta.resolve("@open-vcluster/sdk"))'], {
    cwd: app,
    signal: t.signal,
  });
  assert.ok(fileURLToPath(resolved.stdout.trim()).startsWith(realpathSync(app)), "the installed copy, not the repository's");

  const page = join(work, "page");
  mkdirSync(page);
  writeFileSync(join(page, "page.ts"), PAGE);
  writeFileSync(join(page, "tsconfig.json"), JSON.stringify(PAGE_TSCONFIG));
  symlinkSync(join(app, "node_modules"), join(page, "node_modules"), "dir");
  await run(tsc, ["-p", "."], { cwd: page, signal: t.signal });

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OVC_")));
  const { stdout } = await run(process.execPath, ["lifecycle.js"], {
    cwd: app,
    env: { ...env, OVC_ENDPOINT: server.address },
    signal: t.signal,
  });
  for (const expected of ["RUNNING", "SUSPENDED", "READY", "-copy: RUNNING", "gone."]) {
    assert.ok(stdout.includes(expected), `${expected} in:\n${stdout}`);
  }
});
