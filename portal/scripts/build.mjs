// Builds the portal into the server package, where `openvcluster-server
// serve` finds it: index.html, app.js and app.css, with fixed names so that
// the output is the same on every machine (scripts/check-generated).
// A file is replaced only when its bytes change, and then by a rename, so a
// server starting meanwhile (tests run side by side) never reads half a file.
// Prints the gzipped size of what a browser downloads.
import { readdirSync, readFileSync, renameSync, rmSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { build } from "esbuild";

const portal = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(portal, "..", "server", "src", "openvcluster_server", "http", "generated", "portal");

const result = await build({
  absWorkingDir: portal,
  entryPoints: { app: "src/main.tsx" },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
  outdir: out,
  write: false,
});
const files = new Map(result.outputFiles.map((file) => [basename(file.path), file.contents]));
files.set("index.html", readFileSync(join(portal, "src", "index.html")));

mkdirSync(out, { recursive: true });
for (const [name, contents] of files) {
  const target = join(out, name);
  if (existsSync(target) && Buffer.compare(readFileSync(target), Buffer.from(contents)) === 0) continue;
  writeFileSync(`${target}.tmp`, contents);
  renameSync(`${target}.tmp`, target);
}
for (const name of readdirSync(out)) {
  if (!files.has(name)) rmSync(join(out, name), { recursive: true, force: true });
}

let total = 0;
for (const contents of files.values()) total += gzipSync(contents, { level: 9 }).length;
console.log(`portal: built into ${out}: ${(total / 1024).toFixed(1)} KiB gzipped`);
