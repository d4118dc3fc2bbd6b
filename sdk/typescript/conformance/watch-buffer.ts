/**
 * Events of a background watch, handed from the loop reading the stream to
 * the watch_collect steps that read them.
 *
 * @module
 */

import { setTimeout as delay } from "node:timers/promises";

import type { Watch, WatchEvent } from "../src/index.js";
import type { WatchCollect } from "./gen/openvcluster/conformance/v1/protocol_pb.js";
import { watchEvents, type Outcome } from "./outcomes.js";

const DEFAULT_COLLECT_MS = 5000;

/** The events of one watch so far, and how its stream ended. */
export class WatchBuffer {
  private events: WatchEvent[] = [];
  private ended = false;
  private failure: unknown = undefined;
  private changed: (() => void) | undefined;

  /** Starts reading `watch` in the background. */
  constructor(readonly watch: Watch) {
    void this.follow();
  }

  private async follow(): Promise<void> {
    try {
      for await (const event of this.watch) {
        this.events.push(event);
        this.notify();
      }
    } catch (reason) {
      this.failure = reason;
    }
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    this.changed?.();
  }

  /**
   * Up to `count` events, waiting for them until the timeout or the stream's
   * end. Returns the events taken, whether the stream ended, and its error.
   */
  async collect(count: number, timeoutMs: number): Promise<[WatchEvent[], boolean, unknown]> {
    const timeout = new AbortController();
    const deadline = delay(timeoutMs || DEFAULT_COLLECT_MS, "timeout", { signal: timeout.signal }).catch(() => "aborted");
    try {
      while (this.events.length < count && !this.ended) {
        const changed = new Promise<string>((resolve) => (this.changed = () => resolve("changed")));
        if ((await Promise.race([changed, deadline])) === "timeout") break;
      }
    } finally {
      this.changed = undefined;
      timeout.abort();
    }
    const taken = this.events.slice(0, count);
    this.events = this.events.slice(count);
    const ended = this.ended && this.events.length === 0;
    return [taken, ended, ended ? this.failure : undefined];
  }
}

/** The background watches of one case, by the name of their watch_start step. */
export class Watches {
  private readonly buffers = new Map<string, WatchBuffer>();

  /** Starts reading a watch that a watch_start step named `name` opened. */
  start(name: string, watch: Watch): void {
    this.buffers.set(name, new WatchBuffer(watch));
  }

  /** Runs a watch_collect step. */
  async collect(request: WatchCollect): Promise<Outcome> {
    const buffer = this.buffers.get(request.watch);
    if (buffer === undefined) throw new Error(`no watch was started by a step named ${request.watch}`);
    const [events, ended, failure] = await buffer.collect(request.count, Number(request.timeoutMs));
    if (request.stop) buffer.watch.cancel();
    return watchEvents(events, ended, failure);
  }

  /** Cancels every stream (the case is over). */
  stopAll(): void {
    for (const buffer of this.buffers.values()) buffer.watch.cancel();
  }
}
