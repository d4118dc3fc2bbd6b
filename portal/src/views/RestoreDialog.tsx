import { useState } from "preact/hooks";
import { Snapshot_Phase, type Snapshot, type VCluster_Phase } from "@open-vcluster/sdk/browser";

import { canRestoreInPlace } from "../actions.js";
import { violationsOf, type ShownError } from "../errors.js";
import { formatTime, phaseLabel, toDate } from "../format.js";
import { Dialog, DialogButtons } from "./Dialog.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { describedBy, Field } from "./Field.js";

/**
 * Restores a READY snapshot in place (the vcluster must be running or
 * suspended) or as a new vcluster of another name.
 */
export function RestoreDialog({
  name,
  phase,
  snapshots,
  initial,
  onRestore,
  onClose,
}: {
  name: string;
  phase: VCluster_Phase | null;
  snapshots: readonly Snapshot[];
  initial: string;
  onRestore: (snapshot: string, targetName: string) => Promise<ShownError | null>;
  onClose: () => void;
}) {
  const ready = snapshots.filter((s) => s.phase === Snapshot_Phase.READY);
  const inPlaceAllowed = phase !== null && canRestoreInPlace(phase);
  const [snapshot, setSnapshot] = useState(ready.some((s) => s.name === initial) ? initial : (ready[0]?.name ?? ""));
  const [mode, setMode] = useState<"in-place" | "new">(inPlaceAllowed ? "in-place" : "new");
  const [target, setTarget] = useState(`${name}-restored`);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const inPlaceWhy = phase === null ? "The vcluster no longer exists." : `Needs a running or suspended vcluster; it is ${phaseLabel(phase).toLowerCase()}.`;
  const targetProblem = violationsOf(error, "target_name");

  return (
    <Dialog title={`Restore ${name} from a snapshot`} onClose={onClose} id="restore">
      {error ? <ErrorPanel error={error} title="Restoring was refused" fieldLabels={{ target_name: "New name" }} /> : null}
      {ready.length === 0 ? (
        <>
          <p>There is no READY snapshot of this vcluster yet. Take one, and wait for it to be ready.</p>
          <div class="buttons">
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            setBusy(true);
            void onRestore(snapshot, mode === "new" ? target.trim() : "").then((shown) => {
              setBusy(false);
              if (shown !== null) setError(shown);
            });
          }}
        >
          <div class="field">
            <label for="restore-snapshot">Snapshot</label>
            <select id="restore-snapshot" value={snapshot} onChange={(event) => setSnapshot(event.currentTarget.value)}>
              {ready.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name} ({formatTime(toDate(s.createTime))})
                </option>
              ))}
            </select>
          </div>
          <fieldset>
            <legend>Restore into</legend>
            <div class="field field-check">
              <input
                id="restore-in-place"
                type="radio"
                name="restore-mode"
                checked={mode === "in-place"}
                disabled={!inPlaceAllowed}
                aria-describedby={inPlaceAllowed ? undefined : "restore-in-place-why"}
                onChange={() => setMode("in-place")}
              />
              <label for="restore-in-place">This vcluster, in place (its state and spec are replaced)</label>
            </div>
            {inPlaceAllowed ? null : (
              <p class="why" id="restore-in-place-why">
                {inPlaceWhy}
              </p>
            )}
            <div class="field field-check">
              <input id="restore-new" type="radio" name="restore-mode" checked={mode === "new"} onChange={() => setMode("new")} />
              <label for="restore-new">A new vcluster</label>
            </div>
            {mode === "new" ? (
              <Field id="restore-target" label="New name" problem={targetProblem}>
                <input
                  id="restore-target"
                  value={target}
                  spellcheck={false}
                  aria-describedby={describedBy("restore-target", undefined, targetProblem)}
                  onInput={(event) => setTarget(event.currentTarget.value)}
                />
              </Field>
            ) : null}
          </fieldset>
          <DialogButtons submit="Restore" disabled={busy || snapshot === ""} onCancel={onClose} />
        </form>
      )}
    </Dialog>
  );
}
