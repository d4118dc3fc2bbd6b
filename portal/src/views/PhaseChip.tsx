import type { Snapshot_Phase, VCluster_Phase } from "@open-vcluster/sdk/browser";

import { phaseLabel, phaseTone, snapshotPhaseLabel, snapshotPhaseTone } from "../format.js";

/**
 * A vcluster's phase as a coloured chip. The status message is both the
 * hover title and text for screen readers, since a title alone is not
 * announced reliably.
 */
export function PhaseChip({ phase, message }: { phase: VCluster_Phase; message?: string }) {
  return (
    <span class={`chip chip-${phaseTone(phase)}`} title={message || undefined} data-phase={phaseLabel(phase).toUpperCase()}>
      {phaseLabel(phase)}
      {message ? <span class="visually-hidden">: {message}</span> : null}
    </span>
  );
}

/** A snapshot's phase as a chip. */
export function SnapshotPhaseChip({ phase, message }: { phase: Snapshot_Phase; message?: string }) {
  return (
    <span class={`chip chip-${snapshotPhaseTone(phase)}`} title={message || undefined}>
      {snapshotPhaseLabel(phase)}
      {message ? <span class="visually-hidden">: {message}</span> : null}
    </span>
  );
}
