// The generated protobuf-es messages agree with the shared wire vectors of
// conformance/vectors/, like the Python and Go SDKs do.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  createRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type JsonValue,
} from "@bufbuild/protobuf";
import {
  isReflectList,
  isReflectMap,
  isReflectMessage,
  reflect,
  type ReflectMessage,
} from "@bufbuild/protobuf/reflect";
import { anyUnpack } from "@bufbuild/protobuf/wkt";

import {
  file_openvcluster_v1_operation,
  file_openvcluster_v1_operation_service,
  file_openvcluster_v1_snapshot,
  file_openvcluster_v1_snapshot_service,
  file_openvcluster_v1_vcluster,
  file_openvcluster_v1_vcluster_service,
  VCluster_Phase,
  VClusterSchema,
  VClusterSpec_Distro,
} from "../src/index.js";
import {
  BadRequestSchema,
  file_google_rpc_error_details,
} from "../src/gen/google/rpc/error_details_pb.js";
import { file_google_rpc_status, StatusSchema } from "../src/gen/google/rpc/status_pb.js";

/** A step of a check path: a proto field name, a list index or a map key. */
type PathStep = string | number;

interface ManifestEntry {
  name: string;
  /** Fully-qualified proto message name, e.g. "openvcluster.v1.VCluster". */
  type: string;
  binary: string;
  json: string;
  checks: { path: PathStep[]; value: string | number | boolean }[];
}

interface Vector extends ManifestEntry {
  bytes: Uint8Array;
  jsonValue: JsonValue;
}

// The compiled test runs from build/test/, the source from test/: walk up
// instead of counting levels, so either location finds the repository root.
function findVectorsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "conformance", "vectors");
    if (existsSync(join(candidate, "manifest.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("conformance/vectors/manifest.json not found");
    dir = parent;
  }
}

function loadVectors(): Vector[] {
  const dir = findVectorsDir();
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    vectors: ManifestEntry[];
  };
  return manifest.vectors.map((entry) => ({
    ...entry,
    // A plain Uint8Array, not a Buffer, so deepEqual against toBinary() works.
    bytes: new Uint8Array(readFileSync(join(dir, entry.binary))),
    jsonValue: JSON.parse(readFileSync(join(dir, entry.json), "utf8")) as JsonValue,
  }));
}

/**
 * Follows a check path through fields (by proto name), list indexes and map
 * keys. Unset message fields read as empty messages, so their fields give the
 * defaults; 64-bit integers (bigint) are returned as decimal strings, as the
 * manifest writes them.
 */
function readPath(message: ReflectMessage, path: readonly PathStep[]): unknown {
  let value: unknown = message;
  for (const step of path) {
    if (isReflectMessage(value)) {
      const field = value.desc.fields.find((f) => f.name === step);
      assert.ok(field, `${value.desc.typeName} has no field ${String(step)}`);
      value = value.get(field);
    } else if (isReflectList(value) && typeof step === "number") {
      value = value.get(step);
    } else if (isReflectMap(value) && typeof step === "string") {
      value = value.get(step);
    } else {
      assert.fail(`cannot follow ${JSON.stringify(step)} in ${JSON.stringify(path)}`);
    }
  }
  return typeof value === "bigint" ? value.toString() : value;
}

const registry = createRegistry(
  file_openvcluster_v1_operation,
  file_openvcluster_v1_operation_service,
  file_openvcluster_v1_vcluster,
  file_openvcluster_v1_snapshot,
  file_openvcluster_v1_vcluster_service,
  file_openvcluster_v1_snapshot_service,
  file_google_rpc_status,
  // Packed into google.rpc.Status.details; JSON needs them for Any's "@type".
  file_google_rpc_error_details,
);

const vectors = loadVectors();

function vectorNamed(name: string): Vector {
  const vector = vectors.find((v) => v.name === name);
  assert.ok(vector, `no vector ${name}`);
  return vector;
}

for (const vector of vectors) {
  test(vector.name, async (t) => {
    const schema = registry.getMessage(vector.type);
    assert.ok(schema, `${vector.type} is not in the registry`);
    const decoded = fromBinary(schema, vector.bytes);

    await t.test("binary re-encodes to the same bytes", () => {
      assert.deepEqual(toBinary(schema, decoded), vector.bytes);
    });

    await t.test("JSON matches the binary", () => {
      assert.deepEqual(toJson(schema, decoded, { registry }), vector.jsonValue);
      // Compared as JSON, not as messages or bytes: a google.protobuf.Any
      // holds its message as bytes, whose map order may legitimately differ.
      const parsed = fromJson(schema, vector.jsonValue, { registry });
      assert.deepEqual(toJson(schema, parsed, { registry }), vector.jsonValue);
    });

    await t.test("typed fields", () => {
      const message = reflect(schema, decoded);
      for (const check of vector.checks) {
        assert.equal(readPath(message, check.path), check.value, JSON.stringify(check.path));
      }
    });
  });
}

test("vcluster_full through the typed API", () => {
  const vc = fromBinary(VClusterSchema, vectorNamed("vcluster_full").bytes);
  assert.equal(vc.status?.phase, VCluster_Phase.RUNNING);
  assert.equal(vc.spec?.distro, VClusterSpec_Distro.K3S);
  assert.equal(vc.spec?.storage?.persistence, true);
  assert.deepEqual(vc.labels, { "app.kubernetes.io/name": "demo", "empty-value": "", tier: "gold" });
  assert.equal(vc.createTime?.seconds, 1794990000n);
  assert.equal(vc.createTime?.nanos, 123456789);
});

test("status_invalid_argument unpacks a BadRequest", () => {
  const status = fromBinary(StatusSchema, vectorNamed("status_invalid_argument").bytes);
  const detail = status.details[0];
  assert.ok(detail, "Status has no details");
  const badRequest = anyUnpack(detail, BadRequestSchema);
  assert.ok(badRequest, `details[0] is ${detail.typeUrl}, not a BadRequest`);
  assert.deepEqual(
    badRequest.fieldViolations.map((v) => v.field),
    ["name", "spec.resources.memory"],
  );
});
