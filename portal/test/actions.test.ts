import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Caller_Role, VCluster_Phase } from "@open-vcluster/sdk/browser";

import { ACTION_ORDER, availability, canEdit, canRestoreInPlace, type ActionId } from "../src/actions.js";

const P = VCluster_Phase;
const EDITOR = Caller_Role.EDITOR;

function enabledIn(phase: VCluster_Phase): ActionId[] {
  return [...ACTION_ORDER, "kubeconfig" as const].filter((a) => availability(a, phase, EDITOR).enabled);
}

describe("actions", () => {
  test("the transition table of the contract, phase by phase", () => {
    assert.deepEqual(enabledIn(P.RUNNING), ["suspend", "scale", "edit", "snapshot", "restore", "delete", "kubeconfig"]);
    assert.deepEqual(enabledIn(P.SUSPENDED), ["resume", "scale", "edit", "snapshot", "restore", "delete", "kubeconfig"]);
    assert.deepEqual(enabledIn(P.PROVISIONING), ["restore", "delete"]);
    assert.deepEqual(enabledIn(P.SCALING), ["restore", "delete", "kubeconfig"]);
    assert.deepEqual(enabledIn(P.UPGRADING), ["restore", "delete", "kubeconfig"]);
    assert.deepEqual(enabledIn(P.FAILED), ["edit", "restore", "delete"]);
    assert.deepEqual(enabledIn(P.DELETING), []);
  });

  test("every refused action says why, in words", () => {
    for (const phase of [P.PROVISIONING, P.SCALING, P.SUSPENDING, P.RESUMING, P.RESTORING, P.DELETING, P.FAILED, P.RUNNING, P.SUSPENDED]) {
      for (const action of ACTION_ORDER) {
        const a = availability(action, phase, EDITOR);
        assert.equal(a.shown, true);
        if (!a.enabled) assert.match(a.reason, /\w+/, `${action} in ${P[phase]}`);
        else assert.equal(a.reason, "");
      }
    }
    assert.equal(availability("suspend", P.PROVISIONING, EDITOR).reason, "Only a running vcluster can be suspended; this one is provisioning.");
    assert.equal(availability("resume", P.RUNNING, EDITOR).reason, "It is already running.");
    assert.equal(availability("delete", P.DELETING, EDITOR).reason, "It is being deleted.");
  });

  test("a protected vcluster cannot be deleted, and says how to change that", () => {
    const a = availability("delete", P.RUNNING, EDITOR, true);
    assert.equal(a.enabled, false);
    assert.match(a.reason, /protected against deletion/);
    assert.equal(availability("suspend", P.RUNNING, EDITOR, true).enabled, true);
  });

  test("a viewer is shown no action at all", () => {
    assert.equal(canEdit(Caller_Role.VIEWER), false);
    assert.equal(canEdit(EDITOR), true);
    for (const action of [...ACTION_ORDER, "kubeconfig" as const]) {
      assert.equal(availability(action, P.RUNNING, Caller_Role.VIEWER).shown, false);
    }
  });

  test("in-place restore needs RUNNING or SUSPENDED", () => {
    assert.equal(canRestoreInPlace(P.RUNNING), true);
    assert.equal(canRestoreInPlace(P.SUSPENDED), true);
    assert.equal(canRestoreInPlace(P.FAILED), false);
    assert.equal(canRestoreInPlace(P.SCALING), false);
  });
});
