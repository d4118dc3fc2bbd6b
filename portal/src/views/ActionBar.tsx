import { Caller_Role, VCluster_Phase } from "@open-vcluster/sdk/browser";

import { ACTION_LABELS, ACTION_ORDER, availability, type ActionId } from "../actions.js";

/**
 * The buttons of a vcluster's actions. One refused in the current phase is
 * disabled and says why right under it (a tooltip alone would be missed),
 * the explanation tied to the button with aria-describedby.
 */
export function ActionBar({
  phase,
  deletionProtection,
  role,
  busy,
  onAction,
}: {
  phase: VCluster_Phase;
  deletionProtection: boolean;
  role: Caller_Role;
  busy: boolean;
  onAction: (action: ActionId) => void;
}) {
  const shown = ACTION_ORDER.map((id) => ({ id, ...availability(id, phase, role, deletionProtection) })).filter((a) => a.shown);
  if (shown.length === 0) return null;
  return (
    <ul class="actions" aria-label="Actions">
      {shown.map((action) => (
        <li key={action.id}>
          <button
            type="button"
            class={action.id === "delete" ? "danger" : "secondary"}
            disabled={!action.enabled || busy}
            aria-describedby={action.enabled ? undefined : `why-${action.id}`}
            onClick={() => onAction(action.id)}
          >
            {ACTION_LABELS[action.id]}
          </button>
          {action.enabled ? null : (
            <span class="why" id={`why-${action.id}`}>
              {action.reason}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
