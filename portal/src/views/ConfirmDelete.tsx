import { useState } from "preact/hooks";

import { Dialog, DialogButtons } from "./Dialog.js";
import { CheckField } from "./Field.js";

/**
 * Deleting a vcluster cannot be undone, so the name must be typed exactly
 * before the button works.
 */
export function ConfirmDelete({
  name,
  onConfirm,
  onClose,
}: {
  name: string;
  onConfirm: (deleteSnapshots: boolean) => Promise<void>;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState("");
  const [deleteSnapshots, setDeleteSnapshots] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={`Delete ${name}?`} onClose={onClose} id="delete">
      <p>The vcluster and everything running in it go away. Its snapshots are kept unless you choose otherwise below.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (typed !== name) return;
          setBusy(true);
          void onConfirm(deleteSnapshots).finally(() => setBusy(false));
        }}
      >
        <div class="field">
          <label for="delete-confirm">
            Type <strong>{name}</strong> to confirm
          </label>
          <input
            id="delete-confirm"
            value={typed}
            autocomplete="off"
            spellcheck={false}
            onInput={(event) => setTyped(event.currentTarget.value)}
          />
        </div>
        <CheckField id="delete-snapshots" label="Also delete its snapshots" checked={deleteSnapshots} onChange={setDeleteSnapshots} />
        <DialogButtons submit="Delete vcluster" disabled={typed !== name || busy} danger onCancel={onClose} />
      </form>
    </Dialog>
  );
}
