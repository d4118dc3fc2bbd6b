/**
 * Watch streams as async iterables that translate errors and end cleanly
 * when cancelled.
 *
 * @module
 */

import type { WatchVClustersResponse } from "./gen/openvcluster/v1/vcluster_service_pb.js";
import { startDeadline } from "./deadline.js";
import { toOpenVClusterError } from "./status.js";

/**
 * One event of `watchVClusters`: `.type` (`WatchVClustersResponse_EventType`)
 * and `.vcluster` (undefined for SYNCED).
 */
export type WatchEvent = WatchVClustersResponse;

/** Opens the stream of a watch, cancelled (or timed out) through `signal`. */
export type OpenStream = (signal: AbortSignal) => AsyncIterable<WatchEvent>;

/**
 * The events of `watchVClusters`: `for await (const event of watch)`.
 *
 * The stream first replays every matching vcluster as `ADDED`, then sends
 * one `SYNCED` event: the initial state is complete (like an informer's
 * has-synced), so a vcluster with no ADDED event before it does not exist.
 * SYNCED is the only event whose `vcluster` is unset. Every later event is a
 * change: `ADDED`, `MODIFIED` or `DELETED`, with the full state (for DELETED,
 * the last one).
 *
 * The call starts when the iteration does, and runs until you {@link cancel}
 * it or leave the loop (iteration then simply ends), until its `timeoutMs`
 * passes (DeadlineExceededError), or until the caller's `signal` aborts
 * (CancelledError). A watch is iterated once; watches are not retried:
 * watch again, and the replay tells you the current state.
 */
export class Watch implements AsyncIterable<WatchEvent> {
  private readonly controller = new AbortController();
  private started = false;

  /**
   * A watch that opens its stream with `open`; `signal` is the caller's,
   * `timeoutMs` the stream's deadline (null: none).
   */
  constructor(
    private readonly open: OpenStream,
    private readonly signal?: AbortSignal,
    private readonly timeoutMs: number | null = null,
  ) {
    if (signal !== undefined) {
      const onAbort = (): void => this.controller.abort(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true, signal: this.controller.signal });
    }
  }

  /** The events, as they come. */
  async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent, void, undefined> {
    if (this.started) throw new Error("a watch can be iterated only once; call watchVClusters again");
    this.started = true;
    // The deadline is kept here rather than by the transport, whose timer
    // would outlive a loop left early and keep Node running.
    const deadline = new AbortController();
    const stopDeadline = this.timeoutMs === null ? undefined : startDeadline(deadline, this.timeoutMs, "watch");
    deadline.signal.addEventListener("abort", () => this.controller.abort(deadline.signal.reason), {
      once: true,
      signal: this.controller.signal,
    });
    try {
      for await (const event of this.open(this.controller.signal)) yield event;
    } catch (reason) {
      if (deadline.signal.aborted) throw toOpenVClusterError(deadline.signal.reason);
      if (this.controller.signal.aborted && !this.signal?.aborted) return;
      throw toOpenVClusterError(reason, undefined, this.signal);
    } finally {
      stopDeadline?.();
      this.controller.abort();
    }
  }

  /** Ends the stream; a loop over it stops at its next step. Safe to call twice. */
  cancel(): void {
    this.controller.abort();
  }

  /** Whether the watch was cancelled (by {@link cancel}, by leaving its loop or by the caller's signal). */
  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }
}
