// The TypeScript column of the name table (sdk/names.json, rendered in
// sdk/README.md) holds in code: every name is exported by the Node entry,
// or is a member of an export. Values (classes, functions, constants,
// methods, getters) are looked up at run time; what only exists for the
// type checker (interfaces, type aliases, instance fields) is checked by
// compiling a probe that names each of them against the sources.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { createRegistry } from "@bufbuild/protobuf";

import { file_openvcluster_v1_monitor_service } from "../src/gen/openvcluster/v1/monitor_service_pb.js";
import { file_openvcluster_v1_operation_service } from "../src/gen/openvcluster/v1/operation_service_pb.js";
import { file_openvcluster_v1_server_info_service } from "../src/gen/openvcluster/v1/server_info_service_pb.js";
import { file_openvcluster_v1_snapshot_service } from "../src/gen/openvcluster/v1/snapshot_service_pb.js";
import { file_openvcluster_v1_vcluster_service } from "../src/gen/openvcluster/v1/vcluster_service_pb.js";
import * as sdk from "../src/index.js";
import { runToEnd } from "./support/processes.js";

// Compiled, this file runs from build/test/; the package is two levels up.
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const NAMES = join(PACKAGE, "..", "names.json");
const PROBE_DIR = join(PACKAGE, "build", "names-probe");

interface Row {
  concept: string;
  typescript: string[];
}

/** A table row, or the row that stands for one row per RPC of its services. */
type TableRow = Row | { rpcs: string[] };

/** Every service of the API, to expand the rpcs row with. */
const SERVICES = createRegistry(
  file_openvcluster_v1_vcluster_service,
  file_openvcluster_v1_snapshot_service,
  file_openvcluster_v1_monitor_service,
  file_openvcluster_v1_operation_service,
  file_openvcluster_v1_server_info_service,
);

/** The rows, the rpcs row replaced by a row per RPC: its camelCase name, or the one rpc_names gives. */
function expand(tableRows: TableRow[], rpcNames: Record<string, { typescript: string[] }>): Row[] {
  return tableRows.flatMap((row) => {
    if (!("rpcs" in row)) return [row];
    return row.rpcs.flatMap((serviceName) => {
      const service = SERVICES.getService(serviceName);
      assert.ok(service !== undefined, `${serviceName} is no service of the API`);
      return service.methods.map((method) => ({
        concept: method.name,
        typescript: rpcNames[method.name]?.typescript ?? [`VClusterClient.${method.localName}`],
      }));
    });
  });
}

interface Deprecated {
  sdk: string;
  old: string;
  new: string;
}

const table = JSON.parse(readFileSync(NAMES, "utf8")) as {
  rows: TableRow[];
  rpc_names: Record<string, { typescript: string[] }>;
  deprecated: Deprecated[];
};
const rows = expand(table.rows, table.rpc_names);
const deprecated = table.deprecated.filter((entry) => entry.sdk === "typescript");
const names = [
  ...new Set([...rows.flatMap((row) => row.typescript), ...deprecated.flatMap((entry) => [entry.old, entry.new])]),
].sort();

const NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?$/;
const exported = sdk as unknown as Record<string, unknown>;

/** Whether `name` is a value of the Node entry at run time: an export, or a static or prototype member of one. */
function atRunTime(name: string): boolean {
  const [owner = "", member] = name.split(".");
  if (!(owner in exported)) return false;
  if (member === undefined) return true;
  const value = exported[owner];
  if (typeof value !== "function" && (typeof value !== "object" || value === null)) return false;
  if (member in value) return true;
  const prototype = (value as { prototype?: unknown }).prototype;
  return typeof prototype === "object" && prototype !== null && member in prototype;
}

/**
 * The probe's line for a name: an import of a package-level name; for a
 * member, a check that it is among the public keys of its owner's type.
 */
function probeLine(name: string, typeArguments: number): string {
  const [owner = "", member] = name.split(".");
  if (member === undefined) return `import type { ${owner} } from "../../src/index.js";`;
  const args = typeArguments > 0 ? `<${Array<string>(typeArguments).fill("any").join(", ")}>` : "";
  return `export type Probe_${owner}_${member} = Has<sdk.${owner}${args}, "${member}">;`;
}

/**
 * The names the type checker does not find, each with tsc's complaint. A
 * generic type needs type arguments before it can be indexed: a first
 * complaint that says how many makes the name's line be tried again with them.
 */
async function missingTypes(typeNames: readonly string[], signal: AbortSignal): Promise<Map<string, string>> {
  const typeArguments = new Map<string, number>();
  mkdirSync(PROBE_DIR, { recursive: true });
  writeFileSync(
    join(PROBE_DIR, "tsconfig.json"),
    JSON.stringify({
      extends: "../../tsconfig.json",
      compilerOptions: { rootDir: "../..", noEmit: true, declaration: false },
      include: ["probe.ts"],
    }),
  );
  for (;;) {
    const header = ['import type * as sdk from "../../src/index.js";', "type Has<T, K extends keyof T> = K;", ""];
    const lines = typeNames.map((name) => probeLine(name, typeArguments.get(name) ?? 0));
    writeFileSync(join(PROBE_DIR, "probe.ts"), [...header, ...lines, ""].join("\n"));
    const tsc = join(PACKAGE, "node_modules", ".bin", "tsc");
    const ending = await runToEnd(tsc, ["-p", join(PROBE_DIR, "tsconfig.json"), "--pretty", "false"], { cwd: PACKAGE, signal });
    const missing = new Map<string, string>();
    let retry = false;
    for (const match of ending.stdout.matchAll(/^(.*?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)) {
      const [, file = "", line = "0", code = "", message = ""] = match;
      const name = file.endsWith("probe.ts") ? typeNames[Number(line) - 1 - header.length] : undefined;
      assert.ok(name !== undefined, `tsc found an error outside the probe:\n${ending.stdout}`);
      const generic = /requires (?:between )?(\d+)/.exec(message);
      if ((code === "TS2314" || code === "TS2707") && generic && !typeArguments.has(name)) {
        typeArguments.set(name, Number(generic[1]));
        retry = true;
      } else {
        missing.set(name, `${code}: ${message}`);
      }
    }
    assert.ok(ending.code === 0 || missing.size > 0 || retry, `tsc failed:\n${ending.stdout}${ending.stderr}`);
    if (!retry) return missing;
  }
}

test("every TypeScript name of sdk/names.json exists", async (t) => {
  for (const name of names) assert.match(name, NAME, `${name} is not a name`);
  const typeNames = names.filter((name) => !atRunTime(name));
  const missing = typeNames.length > 0 ? await missingTypes(typeNames, t.signal) : new Map<string, string>();
  assert.deepEqual(
    [...missing].map(([name, why]) => `${name} (${why})`),
    [],
    "names of sdk/names.json the TypeScript SDK does not have",
  );
});

test("every public method of VClusterClient is in sdk/names.json", async (t) => {
  // So a new one gets its name in the table (and its twins in the other SDKs).
  const listed = new Set(names.filter((name) => name.startsWith("VClusterClient.")));
  const unlisted = new Set<string>();
  for (let proto: object | null = sdk.VClusterClient.prototype; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const name = `VClusterClient.${key}`;
      if (key !== "constructor" && key !== "toString" && !listed.has(name)) unlisted.add(name);
    }
  }
  // Private methods are on the prototype too; they are not among the type's keys.
  const candidates = [...unlisted].sort();
  const hidden = candidates.length > 0 ? await missingTypes(candidates, t.signal) : new Map<string, string>();
  assert.ok([...hidden.values()].every((why) => why.startsWith("TS2344")), [...hidden.values()].join("\n"));
  assert.deepEqual(candidates.filter((name) => !hidden.has(name)), []);
});

test("a missing name is found missing", async (t) => {
  assert.equal(atRunTime("VClusterClient.getVClusterKubeconfig"), false);
  assert.equal(atRunTime("VClusterClient.getKubeconfig"), true);
  assert.equal(atRunTime("NotFoundError"), true);
  const missing = await missingTypes(["NoSuchOptions", "CallOptions.noSuchOption", "CallOptions.timeoutMs", "Page.items"], t.signal);
  assert.deepEqual([...missing.keys()].sort(), ["CallOptions.noSuchOption", "NoSuchOptions"]);
});

test("the enums' short names are the generated enums", () => {
  assert.equal(sdk.Phase, sdk.VCluster_Phase);
  assert.equal(sdk.SnapshotPhase, sdk.Snapshot_Phase);
  assert.equal(sdk.OperationState, sdk.Operation_State);
  assert.equal(sdk.Distro, sdk.VClusterSpec_Distro);
  assert.equal(sdk.ExposeType, sdk.NetworkSpec_ExposeType);
  assert.equal(sdk.EventType, sdk.WatchVClustersResponse_EventType);
  const phase: sdk.Phase = sdk.VCluster_Phase.RUNNING;
  assert.equal(sdk.phaseName(phase), "RUNNING");
  const state: sdk.OperationState = sdk.Operation_State.SUCCEEDED;
  assert.equal(state, 2);
});
