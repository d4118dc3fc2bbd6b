// Every installed dependency runs on every Node version the SDK declares:
// a package whose `engines` asks for a newer Node makes each install warn
// EBADENGINE, and fails it for users with engine-strict set.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import semver from "semver";

// Compiled, this file runs from build/test/; the SDK is two levels up.
const SDK = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface Manifest {
  engines: { node: string };
}

interface Lockfile {
  packages: Record<string, { version?: string; engines?: { node?: unknown } }>;
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(SDK, name), "utf8")) as T;
}

test("every locked dependency's engines admit the SDK's Node range", () => {
  const ours = readJson<Manifest>("package.json").engines.node;
  const locked = readJson<Lockfile>("package-lock.json").packages;
  const refusing = Object.entries(locked)
    .filter(([path]) => path !== "")
    .flatMap(([path, entry]) => {
      const theirs = entry.engines?.node;
      if (typeof theirs !== "string" || semver.subset(ours, theirs)) return [];
      return [`${path.replace(/^.*node_modules\//, "")}@${entry.version ?? "?"} wants node ${theirs}`];
    });
  assert.deepEqual(refusing, [], `package.json says node ${ours}`);
});

test("the check notices a dependency that wants a newer Node", () => {
  assert.equal(semver.subset(">=20", ">=22"), false);
  assert.equal(semver.subset(">=20", ">=18 || ^17.5"), true);
});
