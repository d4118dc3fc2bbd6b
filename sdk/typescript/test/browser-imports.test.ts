// Nothing the browser entry imports needs Node: its compiled import graph
// holds no `node:` module, no bare Node builtin and no connect-node, and
// esbuild bundles it for browsers (where an import of a Node builtin fails
// the build unless marked external, which this test never does).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

// Compiled, this file runs from build/test/; the compiled sources are in build/src/.
const BUILD_SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
const BROWSER_ENTRY = join(BUILD_SRC, "browser.js");
const NODE_ENTRY = join(BUILD_SRC, "index.js");

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

// Import and export statements start a line in tsc's output (comment lines
// start with `*` or `//`, so examples in doc comments never match);
// `[^"';]` keeps a match inside one statement.
const STATIC_IMPORT = /^(?:import|export)\s(?:[^"';]*?\sfrom\s*)?["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Why `specifier` has no place in a browser's import graph, or undefined when it has. */
function nodeOnly(specifier: string): string | undefined {
  if (specifier.startsWith("node:")) return "a node: module";
  if (NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split("/")[0]!)) return "a Node builtin";
  if (specifier === "@connectrpc/connect-node" || specifier.startsWith("@connectrpc/connect-node/")) return "connect-node";
  return undefined;
}

/**
 * Walks the compiled modules reachable from `entry` through relative
 * imports; returns every import of a module that needs Node, as
 * `file: specifier (why)`, and the files walked.
 */
function nodeImports(entry: string): { offending: string[]; walked: string[] } {
  const offending: string[] = [];
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, "utf8");
    const specifiers = [...code.matchAll(STATIC_IMPORT), ...code.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) {
        queue.push(resolve(dirname(file), specifier));
        continue;
      }
      const why = nodeOnly(specifier);
      if (why !== undefined) offending.push(`${file.slice(BUILD_SRC.length + 1)}: ${specifier} (${why})`);
    }
  }
  return { offending, walked: [...seen] };
}

test("the browser entry's compiled import graph holds nothing Node-only", () => {
  const { offending, walked } = nodeImports(BROWSER_ENTRY);
  assert.deepEqual(offending, []);
  const names = walked.map((file) => file.slice(BUILD_SRC.length + 1));
  for (const shared of ["client.js", "errors.js", "retry-interceptor.js", "browser-transport.js", "gen/openvcluster/v1/vcluster_pb.js"]) {
    assert.ok(names.includes(shared), `${shared} walked: ${names.join(", ")}`);
  }
});

test("the walk finds what the Node entry imports from Node", () => {
  const { offending } = nodeImports(NODE_ENTRY);
  for (const expected of ["config.js: node:fs (a node: module)", "transport.js: @connectrpc/connect-node (connect-node)"]) {
    assert.ok(offending.includes(expected), `${expected} in ${offending.join("; ")}`);
  }
});

test("esbuild bundles the browser entry for browsers, without connect-node", async () => {
  const result = await build({
    entryPoints: [BROWSER_ENTRY],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  assert.deepEqual(result.errors, []);
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((path) => path.includes("@connectrpc/connect-web/")), "connect-web is bundled");
  assert.deepEqual(inputs.filter((path) => path.includes("connect-node")), []);
  const bundle = result.outputFiles[0]!.text;
  assert.match(bundle, /export\s*\{[^}]*\bVClusterClient\b/);
});

test("esbuild refuses to bundle the Node entry for browsers", async () => {
  await assert.rejects(
    build({ entryPoints: [NODE_ENTRY], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" }),
    /node:fs|node:http|Could not resolve/,
  );
});
