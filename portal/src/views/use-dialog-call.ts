import { useState } from "preact/hooks";

import { useApp } from "../app-context.js";
import type { ShownError } from "../errors.js";

/** What a dialog that makes one call keeps: whether it runs, how it was refused, and the call. */
export interface DialogCall {
  busy: boolean;
  error: ShownError | null;
  /** Runs the operation through the app (logged as `what` on `target`); closes the dialog when it succeeds. */
  run<T>(what: string, target: string, operation: () => Promise<T>, summary: (value: T) => string): Promise<void>;
}

/**
 * The call of a dialog such as Scale or Edit: busy while it runs, the
 * refusal kept for the dialog to show beside its fields, closed on success.
 */
export function useDialogCall(onClose: () => void): DialogCall {
  const app = useApp();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(what: string, target: string, operation: () => Promise<T>, summary: (value: T) => string): Promise<void> => {
    setBusy(true);
    const outcome = await app.run(what, target, operation, summary);
    setBusy(false);
    if (outcome.ok) onClose();
    else setError(outcome.error);
  };
  return { busy, error, run };
}
