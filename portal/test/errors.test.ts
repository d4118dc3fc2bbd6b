import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  FailedPreconditionError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnauthenticatedError,
  type ErrorDetail,
} from "@open-vcluster/sdk/browser";

import { describeError, oneLine, violationsOf } from "../src/errors.js";

// Details as the SDK decodes them: messages told apart by $typeName.
function badRequest(...violations: [string, string][]): ErrorDetail {
  return {
    $typeName: "google.rpc.BadRequest",
    fieldViolations: violations.map(([field, description]) => ({ $typeName: "google.rpc.BadRequest.FieldViolation", field, description })),
  } as unknown as ErrorDetail;
}

function errorInfo(metadata: Record<string, string>): ErrorDetail {
  return { $typeName: "google.rpc.ErrorInfo", reason: "INVALID_PHASE", domain: "openvcluster.io", metadata } as unknown as ErrorDetail;
}

describe("errors", () => {
  test("field violations by field, the code by name, no stack", () => {
    const error = new InvalidArgumentError("invalid CreateVClusterRequest", {
      details: [badRequest(["spec.resources.memory", "must be at least 64Mi, got 1Mi"], ["labels[Bad Key]", "is not a valid key"], ["", "request too large"])],
      requestId: "0f8fad5b-d9cb-469f-a165-70867728950e",
    });
    const shown = describeError(error);
    assert.equal(shown.code, "INVALID_ARGUMENT");
    assert.equal(shown.message, "invalid CreateVClusterRequest");
    assert.deepEqual(shown.fieldViolations, {
      "spec.resources.memory": ["must be at least 64Mi, got 1Mi"],
      "labels[Bad Key]": ["is not a valid key"],
      "": ["request too large"],
    });
    assert.equal(violationsOf(shown, "spec.resources.memory"), "must be at least 64Mi, got 1Mi");
    assert.equal(violationsOf(shown, "labels"), "[Bad Key] is not a valid key");
    assert.equal(violationsOf(shown, "spec.resources.cpu"), "");
    assert.equal(violationsOf(null, "name"), "");
    assert.equal(shown.unauthenticated, false);
    assert.doesNotMatch(JSON.stringify(shown), /at .*\.js/);
  });

  test("FAILED_PRECONDITION says the phase and what the call needs", () => {
    const error = new FailedPreconditionError("cannot suspend", { details: [errorInfo({ phase: "SUSPENDED", allowed_phases: "RUNNING" })] });
    const shown = describeError(error);
    assert.equal(shown.code, "FAILED_PRECONDITION");
    assert.equal(shown.hint, "The vcluster is SUSPENDED; this needs RUNNING.");
    const snapshot = describeError(
      new FailedPreconditionError("not ready", { details: [errorInfo({ phase: "PENDING", allowed_phases: "READY", resource: "snapshot" })] }),
    );
    assert.equal(snapshot.hint, "The snapshot is PENDING; this needs READY.");
  });

  test("quota violations are said too", () => {
    const quota = {
      $typeName: "google.rpc.QuotaFailure",
      violations: [{ $typeName: "google.rpc.QuotaFailure.Violation", subject: "namespace:team-a", description: "at most 2 vclusters" }],
    } as unknown as ErrorDetail;
    assert.equal(describeError(new ResourceExhaustedError("quota", { details: [quota] })).hint, "at most 2 vclusters");
  });

  test("UNAUTHENTICATED ends the session", () => {
    const shown = describeError(new UnauthenticatedError("missing or unknown bearer token"));
    assert.equal(shown.unauthenticated, true);
    assert.equal(oneLine(shown), "UNAUTHENTICATED: missing or unknown bearer token");
  });

  test("anything else thrown is shown by its message", () => {
    assert.deepEqual(describeError(new TypeError("boom")), { code: "ERROR", message: "boom", fieldViolations: {}, hint: "", unauthenticated: false });
    assert.equal(describeError("plain").message, "plain");
  });
});
