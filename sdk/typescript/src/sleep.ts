/**
 * Pauses that end early when the caller cancels.
 *
 * @module
 */

import { setTimeout as delay } from "node:timers/promises";

/** Resolves after `ms` milliseconds; rejects with the signal's reason once it aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (ms <= 0) return;
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}
