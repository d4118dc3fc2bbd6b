/**
 * Which actions a vcluster offers in which phase and to which role, from
 * the transition table of the contract (on VClusterService in
 * proto/openvcluster/v1/vcluster_service.proto). A refused action stays on screen,
 * disabled, with a sentence saying why, rather than failing on click with
 * FAILED_PRECONDITION; a viewer's token allows no change, so a viewer sees
 * none of them.
 *
 * @module
 */

import { Caller_Role, VCluster_Phase } from "@open-vcluster/sdk/browser";

import { phaseLabel } from "./format.js";

/** The actions of a vcluster's page. */
export type ActionId = "suspend" | "resume" | "scale" | "edit" | "snapshot" | "restore" | "delete" | "kubeconfig";

/** Whether an action is shown, and if shown whether it can be used now. */
export interface Availability {
  /** False when the role may never do it: the action is not shown. */
  shown: boolean;
  /** Whether it can be used in the current phase. */
  enabled: boolean;
  /** Why it cannot be used now; empty when enabled. */
  reason: string;
}

/** The actions in the order they are shown. */
export const ACTION_ORDER: readonly ActionId[] = ["suspend", "resume", "scale", "edit", "snapshot", "restore", "delete"];

/** The button text of each action. */
export const ACTION_LABELS: Record<ActionId, string> = {
  suspend: "Suspend",
  resume: "Resume",
  scale: "Scale",
  edit: "Edit",
  snapshot: "Take snapshot",
  restore: "Restore",
  delete: "Delete",
  kubeconfig: "Kubeconfig",
};

const { RUNNING, SUSPENDED, SUSPENDING, RESUMING, PROVISIONING, DELETING, FAILED, SCALING, RESTORING, UPGRADING } = VCluster_Phase;

/** The phases each action is accepted in, per the transition table. */
const ALLOWED: Record<ActionId, readonly VCluster_Phase[]> = {
  suspend: [RUNNING],
  resume: [SUSPENDED],
  scale: [RUNNING, SUSPENDED],
  // Labels and protection in any resting phase; the dialog upgrades only a RUNNING one.
  edit: [RUNNING, SUSPENDED, FAILED],
  snapshot: [RUNNING, SUSPENDED],
  // In place needs RUNNING or SUSPENDED, but restoring to a new name works
  // whatever the source's phase; the dialog tells the two apart.
  restore: [PROVISIONING, RUNNING, SCALING, SUSPENDING, SUSPENDED, RESUMING, RESTORING, UPGRADING, FAILED],
  delete: [PROVISIONING, RUNNING, SCALING, SUSPENDING, SUSPENDED, RESUMING, RESTORING, UPGRADING, FAILED],
  kubeconfig: [RUNNING, SCALING, SUSPENDING, SUSPENDED, RESUMING, RESTORING, UPGRADING],
};

/** Whether `role` may change vclusters (and read kubeconfigs, which grant admin access). */
export function canEdit(role: Caller_Role): boolean {
  return role === Caller_Role.EDITOR;
}

/**
 * Whether `action` is shown to `role` and usable on a vcluster in `phase`,
 * and why not. A vcluster with `deletionProtection` refuses deletion in
 * every phase (the server answers DELETION_PROTECTED).
 */
export function availability(action: ActionId, phase: VCluster_Phase, role: Caller_Role, deletionProtection = false): Availability {
  if (!canEdit(role)) return { shown: false, enabled: false, reason: "Your token is a viewer's: it can read, not change." };
  if (action === "delete" && deletionProtection && phase !== DELETING) {
    return { shown: true, enabled: false, reason: "It is protected against deletion; turn the protection off first (ovc update --no-deletion-protection)." };
  }
  if (ALLOWED[action].includes(phase)) return { shown: true, enabled: true, reason: "" };
  return { shown: true, enabled: false, reason: refusal(action, phase) };
}

/** Whether an in-place restore is accepted in `phase` (RUNNING or SUSPENDED). */
export function canRestoreInPlace(phase: VCluster_Phase): boolean {
  return phase === RUNNING || phase === SUSPENDED;
}

function refusal(action: ActionId, phase: VCluster_Phase): string {
  const now = phaseLabel(phase).toLowerCase();
  if (phase === DELETING) return "It is being deleted.";
  switch (action) {
    case "suspend":
      if (phase === SUSPENDING || phase === SUSPENDED) return `It is already ${now}.`;
      return `Only a running vcluster can be suspended; this one is ${now}.`;
    case "resume":
      if (phase === RESUMING || phase === RUNNING) return `It is already ${now}.`;
      return `Only a suspended vcluster can be resumed; this one is ${now}.`;
    case "scale":
      return `Scaling needs a running or suspended vcluster; this one is ${now}.`;
    case "edit":
      return `Labels, protection and version change once it has settled; this one is ${now}.`;
    case "snapshot":
      return `Snapshots are taken of running or suspended vclusters; this one is ${now}.`;
    case "kubeconfig":
      return phase === FAILED
        ? "A failed vcluster has no usable API server, so no kubeconfig."
        : `There is no usable API server while it is ${now}.`;
    default:
      return `Not possible while it is ${now}.`;
  }
}
