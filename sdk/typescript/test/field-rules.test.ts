// The client's check of each request against the proto's field rules:
// a request that breaks one fails at once, as the server would answer it,
// with no network call; validateRequests: false sends it anyway. The
// clients point at 127.0.0.1:1, where nothing listens, and count the
// attempts that reach the transport with an interceptor.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { create } from "@bufbuild/protobuf";
import { buildPath } from "@bufbuild/protobuf/reflect";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code, type Interceptor } from "@connectrpc/connect";

import { fieldPath, violations } from "../src/field-rules.js";
import { BadRequestSchema } from "../src/gen/google/rpc/error_details_pb.js";
import {
  CreateVClusterRequestSchema,
  InvalidArgumentError,
  UnavailableError,
  UpdateVClusterRequestSchema,
  VClusterClient,
  VClusterSchema,
  type ClientOptions,
} from "../src/index.js";

const NOWHERE = "127.0.0.1:1";
const REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

/** A client for an address where nothing listens, one attempt per call, and the number of attempts it made. */
function offlineClient(options: ClientOptions = {}): { client: VClusterClient; attempts: () => number } {
  let attempts = 0;
  const count: Interceptor = (next) => (req) => {
    attempts++;
    return next(req);
  };
  const client = new VClusterClient({ endpoint: NOWHERE, tls: false, retry: null, interceptors: [count], env: {}, ...options });
  return { client, attempts: () => attempts };
}

/** The rejection of `call`, which must be an InvalidArgumentError. */
async function invalidArgument(call: Promise<unknown>): Promise<InvalidArgumentError> {
  const error = await call.then(
    () => assert.fail("the call succeeded"),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof InvalidArgumentError, String(error));
  return error;
}

describe("field rules", () => {
  test("a request that breaks field rules is rejected locally, every bad field named once, in order", async () => {
    const { client, attempts } = offlineClient();
    try {
      const error = await invalidArgument(
        client.createVCluster("default", "Dev", { labels: { "-bad": "ok", good: "fine" }, requestId: REQUEST_ID }),
      );
      assert.equal(error.code, Code.InvalidArgument);
      assert.equal(error.codeName, "INVALID_ARGUMENT");
      const fields = error.fieldViolations.map((v) => v.field);
      assert.deepEqual(fields, ["name", "labels[-bad]"]);
      assert.match(error.fieldViolations[0]!.description, /DNS-1123/);
      assert.match(error.fieldViolations[1]!.description, /label key/);
      const summary = error.fieldViolations.map((v) => `${v.field}: ${v.description}`).join("; ");
      assert.equal(error.rawMessage, `invalid request: ${summary}`);
      assert.equal(error.details.length, 1);
      assert.equal(error.details[0]!.$typeName, BadRequestSchema.typeName);
      assert.equal(error.requestId, REQUEST_ID, "a mutation's error carries its requestId, as the server's do");
      assert.equal(attempts(), 0, "no attempt reached the transport");
    } finally {
      client.close();
    }
  });

  test("reads are checked too, and a bad field of a nested message is named by its path", async () => {
    const { client, attempts } = offlineClient();
    try {
      const read = await invalidArgument(client.getVCluster("default", "Not_A_Name"));
      assert.deepEqual(read.fieldViolations.map((v) => v.field), ["name"]);
      assert.equal(read.requestId, undefined, "reads have no requestId");

      const update = await invalidArgument(client.updateVCluster("default", "dev", { labels: { app: "no spaces" } }));
      assert.deepEqual(update.fieldViolations.map((v) => v.field), ["vcluster.labels[app]"]);

      const list = await invalidArgument(client.listVClusters("Bad_NS", { pageSize: -5 }).page());
      assert.deepEqual(list.fieldViolations.map((v) => v.field), ["namespace", "page_size"]);
      assert.equal(attempts(), 0);
    } finally {
      client.close();
    }
  });

  test("operation reads are checked: the id must be a UUID, the filters DNS-1123 labels", async () => {
    const { client, attempts } = offlineClient();
    try {
      const empty = await invalidArgument(client.getOperation(""));
      assert.deepEqual(empty.fieldViolations.map((v) => [v.field, v.description]), [["id", "must not be empty"]]);
      const bad = await invalidArgument(client.getOperation("op-1"));
      assert.deepEqual(bad.fieldViolations.map((v) => v.field), ["id"]);
      assert.match(bad.fieldViolations[0]!.description, /operation id, a UUID/);
      const list = await invalidArgument(client.listOperations("Bad_NS", { vcluster: "Bad_Name", pageSize: -1 }).page());
      assert.deepEqual(list.fieldViolations.map((v) => v.field), ["namespace", "vcluster", "page_size"]);
      assert.equal(attempts(), 0);
      await assert.rejects(client.getOperation(REQUEST_ID), UnavailableError, "a UUID is sent");
      await assert.rejects(client.listOperations().page(), UnavailableError, "no filter is sent");
      assert.equal(attempts(), 2);
    } finally {
      client.close();
    }
  });

  test("with validateRequests false the same request reaches the network", async () => {
    const { client, attempts } = offlineClient({ validateRequests: false });
    try {
      await assert.rejects(client.createVCluster("default", "Dev", { labels: { "-bad": "ok" } }), UnavailableError);
      assert.equal(attempts(), 1, "one attempt: retries are off");
      await assert.rejects(client.getVCluster("default", "Not_A_Name"), UnavailableError);
      assert.equal(attempts(), 2);
    } finally {
      client.close();
    }
  });

  test("validateRequests is a client default that withOptions can change both ways", async () => {
    const { client, attempts } = offlineClient();
    try {
      assert.equal(client.defaults.validateRequests, true, "on by default");
      const unchecked = client.withOptions({ validateRequests: false });
      assert.equal(unchecked.defaults.validateRequests, false);
      await assert.rejects(unchecked.getVCluster("default", "Not_A_Name"), UnavailableError);
      assert.equal(attempts(), 1);
      await invalidArgument(unchecked.withOptions({ validateRequests: true }).getVCluster("default", "Not_A_Name"));
      await invalidArgument(client.getVCluster("default", "Not_A_Name"));
      assert.equal(attempts(), 1);
    } finally {
      client.close();
    }
  });

  test("a valid request is not rejected by the check", async () => {
    const { client, attempts } = offlineClient();
    try {
      await assert.rejects(
        client.createVCluster("team-a", "dev", {
          kubernetesVersion: "1.31",
          cpu: "500m",
          memory: "4Gi",
          replicas: 3,
          enableHa: true,
          labels: { "example.com/app": "web", tier: "" },
        }),
        UnavailableError,
      );
      await assert.rejects(client.listVClusters().page(), UnavailableError);
      await assert.rejects(client.getServerInfo(), UnavailableError);
      assert.equal(attempts(), 3, "each valid request was sent");
    } finally {
      client.close();
    }
  });

  test("a remembered valid request does not let a different one of its type through", async () => {
    const { client, attempts } = offlineClient();
    try {
      // The same valid read, twice (the second verdict is the remembered one), then bad ones.
      await assert.rejects(client.getVCluster("team-a", "dev"), UnavailableError);
      await assert.rejects(client.getVCluster("team-a", "dev"), UnavailableError);
      const bad = await invalidArgument(client.getVCluster("team-a", "Dev"));
      assert.deepEqual(bad.fieldViolations.map((v) => v.field), ["name"]);
      const unset = await invalidArgument(client.getVCluster("team-a", ""));
      assert.deepEqual(unset.fieldViolations.map((v) => v.field), ["name"]);
      assert.equal(attempts(), 2, "only the valid ones were sent");
    } finally {
      client.close();
    }
  });

  test("a watch with a bad namespace is rejected before its stream opens", () => {
    const { client, attempts } = offlineClient();
    try {
      assert.throws(
        () => client.watchVClusters("Bad_NS"),
        (error: unknown) => {
          assert.ok(error instanceof InvalidArgumentError, String(error));
          assert.deepEqual(error.fieldViolations.map((v) => v.field), ["namespace"]);
          return true;
        },
      );
      assert.equal(attempts(), 0);
      const unchecked = client.withOptions({ validateRequests: false }).watchVClusters("Bad_NS");
      unchecked.cancel();
    } finally {
      client.close();
    }
  });

  test("field paths: nested fields joined by '.', map keys raw in [], list indexes in []", () => {
    const update = UpdateVClusterRequestSchema;
    const labels = buildPath(update).field(update.field.vcluster!).field(VClusterSchema.field.labels!);
    assert.equal(fieldPath(labels.clone().map("example.com/app").toPath()), "vcluster.labels[example.com/app]");
    assert.equal(fieldPath(labels.clone().map("a b'c\"").toPath()), "vcluster.labels[a b'c\"]", "no quotes, no escapes");
    const paths = buildPath(update).field(update.field.updateMask!).field(FieldMaskSchema.field.paths!).list(2);
    assert.equal(fieldPath(paths.toPath()), "update_mask.paths[2]", "proto names, not JSON names");
    assert.equal(fieldPath([]), "");
    assert.equal(fieldPath([{ kind: "map_sub", key: true }]), "[true]");
    assert.equal(fieldPath([{ kind: "map_sub", key: 7n }]), "[7]");
  });

  test("violations keeps the first violation of each field, fields in the order of the proto", () => {
    const request = create(CreateVClusterRequestSchema, {
      namespace: "",
      name: "x".repeat(64),
      labels: { "Example.COM/app": "ok" },
      spec: { replicas: 9, resources: { cpu: "lots" } },
    });
    const found = violations(CreateVClusterRequestSchema, request);
    assert.deepEqual(
      found.map((v) => v.field),
      ["namespace", "name", "spec.resources.cpu", "spec.replicas", "labels[Example.COM/app]"],
    );
    assert.equal(found[0]!.description, "must not be empty");
    assert.equal(found[1]!.description, "is 64 characters; at most 63 are allowed");
    // A label whose key and value are both bad breaks two rules on one path: the key's is kept.
    const badLabel = create(CreateVClusterRequestSchema, { namespace: "a", name: "b", labels: { "-x": "-y" } });
    const both = violations(CreateVClusterRequestSchema, badLabel);
    assert.deepEqual(both.map((v) => v.field), ["labels[-x]"]);
    assert.match(both[0]!.description, /^the key must be a label key/);
    const valid = create(CreateVClusterRequestSchema, { namespace: "a", name: "b" });
    assert.deepEqual(violations(CreateVClusterRequestSchema, valid), []);
  });

  test("the entries of a map are named in key order, as every SDK names them", () => {
    const request = create(CreateVClusterRequestSchema, {
      namespace: "a",
      name: "b",
      labels: { z: "x y", "a-b": "x y", a: "x y" },
      requestId: "nope",
    });
    assert.deepEqual(
      violations(CreateVClusterRequestSchema, request).map((v) => v.field),
      ["labels[a]", "labels[a-b]", "labels[z]", "request_id"],
    );
  });
});
