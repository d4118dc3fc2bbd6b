import { useCallback, useEffect, useState } from "preact/hooks";
import { Snapshot_Phase, type Snapshot } from "@open-vcluster/sdk/browser";

import { useApp } from "../app-context.js";
import type { ShownError } from "../errors.js";

/** A vcluster's snapshots, and how to read them again. */
export interface Snapshots {
  items: readonly Snapshot[] | null;
  error: ShownError | null;
  reload: () => void;
}

/**
 * The snapshots of one vcluster. Snapshots have no watch in the API, so
 * while one is still PENDING or IN_PROGRESS this waits for it (the SDK's
 * waitForSnapshot) and then reads the list again; nothing is read when all
 * are settled.
 */
export function useSnapshots(namespace: string, vcluster: string): Snapshots {
  const { client, fail } = useApp();
  const [items, setItems] = useState<readonly Snapshot[] | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      try {
        const listed = await client.listSnapshots(namespace, { vcluster, signal: abort.signal }).toArray();
        setItems(listed);
        setError(null);
        const unsettled = listed.find((s) => s.phase === Snapshot_Phase.PENDING || s.phase === Snapshot_Phase.IN_PROGRESS);
        if (unsettled === undefined) return;
        await client.waitForSnapshot(namespace, unsettled.name, "READY", { signal: abort.signal }).catch(() => undefined);
        if (!abort.signal.aborted) reload();
      } catch (reason) {
        if (!abort.signal.aborted) setError(fail(reason));
      }
    })();
    return () => abort.abort();
  }, [client, namespace, vcluster, generation]);

  return { items, error, reload };
}
