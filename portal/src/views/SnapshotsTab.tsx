import { useState } from "preact/hooks";
import { Snapshot_Phase, type VCluster } from "@open-vcluster/sdk/browser";

import { availability } from "../actions.js";
import { useApp } from "../app-context.js";
import type { ShownError } from "../errors.js";
import { formatBytes, formatTime, toDate } from "../format.js";
import { Dialog } from "./Dialog.js";
import { ErrorPanel } from "./ErrorPanel.js";
import { SnapshotPhaseChip } from "./PhaseChip.js";
import type { Snapshots } from "./use-snapshots.js";

/** The snapshots of a vcluster: take one, restore from one, delete one. */
export function SnapshotsTab({
  vcluster,
  snapshots,
  busy,
  onTake,
  onRestore,
}: {
  vcluster: VCluster;
  snapshots: Snapshots;
  busy: boolean;
  onTake: () => void;
  onRestore: (snapshot: string) => void;
}) {
  const app = useApp();
  const [deleting, setDeleting] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const take = availability("snapshot", vcluster.status?.phase ?? 0, app.role);
  const editor = take.shown;

  const remove = async (name: string): Promise<void> => {
    const outcome = await app.run("Delete snapshot", `${vcluster.namespace}/${name}`, () => app.client.deleteSnapshot(vcluster.namespace, name), () => "deleted");
    setDeleting(null);
    if (outcome.ok) {
      setError(null);
      snapshots.reload();
    } else setError(outcome.error);
  };

  return (
    <section class="snapshots">
      <div class="heading-row">
        <h2>Snapshots</h2>
        {editor ? (
          <div>
            <button type="button" disabled={!take.enabled || busy} aria-describedby={take.enabled ? undefined : "why-take"} onClick={onTake}>
              Take snapshot
            </button>
            {take.enabled ? null : (
              <span class="why" id="why-take">
                {take.reason}
              </span>
            )}
          </div>
        ) : null}
      </div>
      {error ? <ErrorPanel error={error} /> : null}
      {snapshots.error ? <ErrorPanel error={snapshots.error} title="Could not list the snapshots" /> : null}
      {snapshots.items === null ? (
        <p role="status">Loading snapshots…</p>
      ) : snapshots.items.length === 0 ? (
        <p class="empty">No snapshots of {vcluster.name} yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="snapshot-table">
            <caption class="visually-hidden">Snapshots of {vcluster.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Phase</th>
                <th scope="col">Size</th>
                <th scope="col">Created</th>
                {editor ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {snapshots.items.map((s) => (
                <tr key={s.name} data-snapshot={s.name}>
                  <th scope="row" data-label="Name">
                    {s.name}
                  </th>
                  <td data-label="Phase">
                    <SnapshotPhaseChip phase={s.phase} message={s.message} />
                  </td>
                  <td data-label="Size">{formatBytes(s.sizeBytes)}</td>
                  <td data-label="Created">{formatTime(toDate(s.createTime))}</td>
                  {editor ? (
                    <td data-label="Actions" class="row-actions">
                      <button
                        type="button"
                        class="secondary"
                        disabled={s.phase !== Snapshot_Phase.READY}
                        aria-label={`Restore from ${s.name}`}
                        onClick={() => onRestore(s.name)}
                      >
                        Restore
                      </button>
                      <button type="button" class="secondary" aria-label={`Delete snapshot ${s.name}`} onClick={() => setDeleting(s.name)}>
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <button type="button" class="link" onClick={snapshots.reload}>
        Refresh snapshots
      </button>
      {deleting !== null ? (
        <Dialog title={`Delete snapshot ${deleting}?`} onClose={() => setDeleting(null)} id="delete-snapshot">
          <p>A deleted snapshot cannot be restored.</p>
          <div class="buttons">
            <button type="button" class="danger" onClick={() => void remove(deleting)}>
              Delete snapshot
            </button>
            <button type="button" class="secondary" onClick={() => setDeleting(null)}>
              Cancel
            </button>
          </div>
        </Dialog>
      ) : null}
    </section>
  );
}
