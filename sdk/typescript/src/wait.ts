/**
 * The decisions of the wait helpers, free of I/O.
 *
 * A vcluster wait follows one WatchVClusters stream of that vcluster, whose
 * deadline is the time left of the wait. The stream starts with the current
 * state (an ADDED event when the vcluster exists) and then one SYNCED event,
 * so the waiter knows the exact state at the start without a separate read:
 * a SYNCED with no event of the vcluster before it means the vcluster does
 * not exist. Every later event is a change; DELETED means gone.
 *
 * A watch the server ended because it fell behind (RESOURCE_EXHAUSTED) is
 * simply started again, and one that failed with a retryable code
 * (UNAVAILABLE by default) is started again under the client's retry policy.
 * When the watch cannot be used otherwise (not implemented, retries used up,
 * the stream ended without an error, ...), the wait polls GetVCluster with a
 * growing interval instead. Snapshots have no watch and are always polled.
 *
 * A waiter also reports progress: each state it takes in that differs from
 * the last one it reported (another etag; for a snapshot, any other field)
 * goes to its `onChange` callback before it decides whether the wait is
 * over. The loops that feed it are in `wait-loops.ts`.
 *
 * @module
 */

import { equals } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";

import { phaseName, snapshotPhaseName } from "./enums.js";
import {
  DeadlineExceededError,
  NotFoundError,
  SnapshotFailedError,
  VClusterFailedError,
  WaitTimeoutError,
  type OpenVClusterError,
} from "./errors.js";
import { Snapshot_Phase, SnapshotSchema, type Snapshot } from "./gen/openvcluster/v1/snapshot_pb.js";
import {
  VCluster_Phase,
  VCluster_PhaseSchema,
  VClusterSchema,
  type VCluster,
} from "./gen/openvcluster/v1/vcluster_pb.js";
import {
  WatchVClustersResponse_EventType as EventType,
  type WatchVClustersResponse,
} from "./gen/openvcluster/v1/vcluster_service_pb.js";
import { RetryState, type RetryPolicy } from "./retry.js";

const RESTING = new Map<VCluster_Phase, VCluster_Phase>([
  [VCluster_Phase.PROVISIONING, VCluster_Phase.RUNNING],
  [VCluster_Phase.SCALING, VCluster_Phase.RUNNING],
  [VCluster_Phase.SUSPENDING, VCluster_Phase.SUSPENDED],
  [VCluster_Phase.RESUMING, VCluster_Phase.RUNNING],
  [VCluster_Phase.RESTORING, VCluster_Phase.RUNNING],
  [VCluster_Phase.UPGRADING, VCluster_Phase.RUNNING],
]);

/** The phases this SDK knows (those of its generated enum). */
const KNOWN = new Set<number>(VCluster_PhaseSchema.values.map((v) => v.number));

/**
 * The target of a wait for "whichever resting phase it ends in": RUNNING or
 * SUSPENDED (FAILED fails the wait). A vcluster in a phase this SDK does not
 * know, from a newer server, is waited for this way: the contract says to
 * treat an unknown phase as intermediate.
 */
export const SETTLED = "settled";

/** What a vcluster wait waits for: a phase, any resting phase ({@link SETTLED}), or null for its deletion. */
export type VClusterTarget = VCluster_Phase | typeof SETTLED | null;

const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1000;

/**
 * The phase an intermediate phase ends in on its own: RUNNING for
 * PROVISIONING, SCALING, RESUMING, RESTORING and UPGRADING; SUSPENDED for
 * SUSPENDING; itself for a resting phase (and DELETING, which ends with the
 * vcluster gone). A phase this SDK does not know (one a newer server added)
 * counts as intermediate, as the contract asks, and is taken to end in
 * RUNNING, as most intermediate phases do: the Python SDK's `resting_phase`
 * and the Go SDK's `RestingPhase` answer alike. (`wait: true` of a
 * mutation that answers such a phase accepts either resting phase.)
 */
export function restingPhase(phase: VCluster_Phase): VCluster_Phase {
  if (!KNOWN.has(phase)) return VCluster_Phase.RUNNING;
  return RESTING.get(phase) ?? phase;
}

/**
 * What `wait: true` of a mutation that answered `phase` waits for: its
 * {@link restingPhase}, or {@link SETTLED} (RUNNING or SUSPENDED, whichever
 * comes) for a phase this SDK does not know, which is intermediate but
 * whose end this SDK cannot tell.
 */
export function settleTarget(phase: VCluster_Phase): VCluster_Phase | typeof SETTLED {
  return KNOWN.has(phase) ? restingPhase(phase) : SETTLED;
}

/** A vcluster phase by its short name, for messages; `"a resting phase"` for {@link SETTLED}. */
function targetName(target: VCluster_Phase | typeof SETTLED): string {
  return target === SETTLED ? "a resting phase" : phaseName(target);
}

type Clock = () => number;
const now: Clock = () => performance.now();

/** How a waiter runs besides what it waits for: all optional. */
export interface WaiterOptions<T> {
  /** Called with each new state the wait sees, before it decides whether it is over. */
  onChange?: ((state: T) => void) | undefined;
  /** The clock of its deadline and pauses, in milliseconds (default: `performance.now`). */
  clock?: Clock;
}

/**
 * What every wait tracks: what it waits for, how much time is left, what it
 * saw last, and what it last reported to `onChange`.
 */
abstract class Waiter<T> {
  /** The last state seen. */
  lastSeen: T | undefined;
  private readonly deadline: number | undefined;
  private pollMs = FIRST_POLL_MS;
  private readonly onChange: ((state: T) => void) | undefined;
  private reported: T | undefined;
  protected readonly clock: Clock;

  protected constructor(
    /** The namespace of the awaited resource. */
    readonly namespace: string,
    /** The name of the awaited resource. */
    readonly name: string,
    protected readonly timeoutMs: number | null,
    options: WaiterOptions<T>,
  ) {
    this.clock = options.clock ?? now;
    this.onChange = options.onChange;
    this.deadline = timeoutMs === null ? undefined : this.clock() + timeoutMs;
  }

  /** Records `state` as the last seen, and reports it when it is new. */
  protected take(state: T): void {
    this.lastSeen = state;
    if (this.onChange === undefined) return;
    if (this.reported !== undefined && this.same(this.reported, state)) return;
    this.reported = state;
    this.onChange(state);
  }

  /** Whether `state` is the state already reported. */
  protected abstract same(reported: T, state: T): boolean;

  /** Milliseconds left, or undefined for no limit. */
  remainingMs(): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(this.deadline - this.clock(), 0);
  }

  /** Whether the time is up. */
  expired(): boolean {
    const remaining = this.remainingMs();
    return remaining !== undefined && remaining <= 0;
  }

  /** The deadline of one call made while waiting: never beyond the wait's end. */
  callTimeoutMs(timeoutMs: number | null): number | null {
    const remaining = this.remainingMs();
    if (remaining === undefined) return timeoutMs;
    const left = Math.max(remaining, 1);
    return timeoutMs === null ? left : Math.min(timeoutMs, left);
  }

  /**
   * Whether a read that failed with `error` ran out of the wait's time: the
   * time is up, or the read's deadline (`readTimeoutMs`, from callTimeoutMs)
   * was the time left, shorter than the call's own `timeoutMs`. The read's
   * timer may fire a moment before the wait's clock says the time is up, so
   * where the deadline came from decides, not the clock alone.
   */
  readTimedOut(error: unknown, readTimeoutMs: number | null, timeoutMs: number | null): boolean {
    if (!(error instanceof DeadlineExceededError)) return false;
    if (this.expired()) return true;
    return readTimeoutMs !== null && (timeoutMs === null || readTimeoutMs < timeoutMs);
  }

  /** The next pause between two reads: 50 ms, growing to 1 s, cut to the time left. */
  pollDelayMs(): number {
    const delay = this.pollMs;
    this.pollMs = Math.min(this.pollMs * 2, MAX_POLL_MS);
    return this.cut(delay);
  }

  protected cut(delayMs: number): number {
    const remaining = this.remainingMs();
    return remaining === undefined ? delayMs : Math.min(delayMs, remaining);
  }

  protected timeoutText(): string {
    return this.timeoutMs === null ? "in time" : `within ${this.timeoutMs / 1000} s`;
  }
}

/**
 * Waits for a vcluster to reach `target`, or to be gone when `target` is null.
 *
 * The loops feed it: the state a mutation returned ({@link startFrom}),
 * then the events of a watch ({@link watchStarted}, {@link observeEvent},
 * {@link watchEnded}), or, once it says to poll, the results of GetVCluster
 * ({@link observe}, {@link observeGone}, {@link pollDelayMs}). Each new
 * state of the vcluster goes to `onChange` first.
 */
export class VClusterWaiter extends Waiter<VCluster> {
  private retries: RetryState;
  private rewatchPauseMs = FIRST_POLL_MS;
  // What the current watch has sent: the vcluster's state, and SYNCED.
  private present = false;
  private synced = false;
  private readonly retry: RetryPolicy | null;

  /** A wait of at most `timeoutMs` (null: no limit) that rewatches under `options.retry`. */
  constructor(
    namespace: string,
    name: string,
    /** The awaited phase, {@link SETTLED} for any resting phase, or null for deletion. */
    readonly target: VClusterTarget,
    timeoutMs: number | null,
    options: WaiterOptions<VCluster> & { retry?: RetryPolicy | null } = {},
  ) {
    super(namespace, name, timeoutMs, options);
    this.retry = options.retry ?? null;
    this.retries = new RetryState(this.retry, this.clock);
  }

  protected same(reported: VCluster, state: VCluster): boolean {
    // The etag changes with every change; without one, compare it all.
    if (reported.etag !== "" || state.etag !== "") return reported.etag === state.etag;
    return equals(VClusterSchema, reported, state);
  }

  /**
   * Takes in the state a mutation returned: true when the wait is over. A
   * deletion only remembers it (the vcluster is DELETING; the watch tells
   * when it is gone); a wait for a phase observes it.
   */
  startFrom(vcluster: VCluster): boolean {
    if (this.target === null) {
      this.lastSeen = vcluster;
      return false;
    }
    return this.observe(vcluster);
  }

  /**
   * Takes a state in: true when the wait is over. Throws VClusterFailedError
   * when FAILED and another phase is awaited. Any other phase, including one
   * this SDK does not know, is a step on the way: the wait goes on.
   */
  observe(vcluster: VCluster): boolean {
    this.take(vcluster);
    const phase = vcluster.status?.phase ?? VCluster_Phase.UNSPECIFIED;
    if (this.target !== null && phase === this.target) return true;
    if (this.target === SETTLED && (phase === VCluster_Phase.RUNNING || phase === VCluster_Phase.SUSPENDED)) return true;
    if (phase === VCluster_Phase.FAILED && this.target !== VCluster_Phase.FAILED) {
      throw new VClusterFailedError(vcluster);
    }
    return false;
  }

  /** The vcluster does not exist: done when awaiting deletion, NotFoundError otherwise. */
  observeGone(): boolean {
    if (this.target === null) return true;
    const what = `vcluster ${this.namespace}/${this.name}`;
    const phase = targetName(this.target);
    if (this.lastSeen === undefined) throw new NotFoundError(`${what} does not exist, so it cannot reach ${phase}`);
    throw new NotFoundError(`${what} was deleted while waiting for ${phase}`);
  }

  /** A new watch begins: it sends the current state again, then SYNCED. */
  watchStarted(): void {
    this.present = false;
    this.synced = false;
  }

  /**
   * Takes a watch event in: true when the wait is over.
   *
   * SYNCED with no state of the vcluster before it means the vcluster does
   * not exist; DELETED means it is gone. Events of other vclusters and of
   * types this SDK does not know are ignored.
   */
  observeEvent(event: WatchVClustersResponse): boolean {
    if (event.type === EventType.SYNCED) {
      this.synced = true;
      return this.present ? false : this.observeGone();
    }
    const vcluster = event.vcluster;
    if (vcluster === undefined || vcluster.name !== this.name || vcluster.namespace !== this.namespace) return false;
    if (event.type === EventType.DELETED) {
      this.lastSeen = vcluster;
      this.present = false;
      return this.observeGone();
    }
    if (event.type === EventType.ADDED || event.type === EventType.MODIFIED) {
      this.present = true;
      return this.observe(vcluster);
    }
    return false;
  }

  /** The deadline of a watch: the time left of the wait (null: no limit). */
  watchTimeoutMs(): number | null {
    return this.callTimeoutMs(null);
  }

  /**
   * A watch ended before the wait was over (`error` undefined when the stream
   * just ended): the milliseconds to pause before watching again, or
   * undefined to poll from now on. Throws the timeout error when the time is
   * up: the watch's deadline is the wait's.
   */
  watchEnded(error: OpenVClusterError | undefined): number | undefined {
    if (this.expired() || (error instanceof DeadlineExceededError && this.timeoutMs !== null)) {
      throw this.timeoutError(error);
    }
    if (error === undefined) return undefined;
    if (this.synced) {
      // The watch worked: its failure starts a fresh round of retries.
      this.retries = new RetryState(this.retry, this.clock);
      this.rewatchPauseMs = FIRST_POLL_MS;
    }
    if (error.code === Code.ResourceExhausted) {
      // The server ended a watcher that fell behind: watch again. Pause only
      // when the watch never got through its initial state, so a server that
      // refuses every watch is not called in a busy loop.
      if (this.synced) return 0;
      const pause = this.rewatchPauseMs;
      this.rewatchPauseMs = Math.min(pause * 2, MAX_POLL_MS);
      return this.cut(pause);
    }
    const backoff = this.retries.nextBackoffMs(error.code);
    return backoff === undefined ? undefined : this.cut(backoff);
  }

  /** The error to throw when the time is up. */
  timeoutError(cause?: unknown): WaitTimeoutError {
    const goal = this.target === null ? "was not deleted" : `did not reach ${targetName(this.target)}`;
    const phase = this.lastSeen?.status?.phase;
    const seen = this.lastSeen === undefined ? "" : ` (last seen ${phaseName(phase ?? VCluster_Phase.UNSPECIFIED)})`;
    return new WaitTimeoutError(
      `vcluster ${this.namespace}/${this.name} ${goal} ${this.timeoutText()}${seen}`,
      this.lastSeen,
      { cause },
    );
  }
}

/**
 * Waits for a snapshot to reach `target` (READY by default) by polling. Each
 * read that differs from the last one reported goes to `onChange` first.
 */
export class SnapshotWaiter extends Waiter<Snapshot> {
  /** A wait of at most `timeoutMs` (null: no limit). */
  constructor(
    namespace: string,
    name: string,
    /** The awaited phase. */
    readonly target: Snapshot_Phase,
    timeoutMs: number | null,
    options: WaiterOptions<Snapshot> = {},
  ) {
    super(namespace, name, timeoutMs, options);
  }

  protected same(reported: Snapshot, state: Snapshot): boolean {
    return equals(SnapshotSchema, reported, state);
  }

  /** Takes a state in: true when reached; throws SnapshotFailedError on FAILED. */
  observe(snapshot: Snapshot): boolean {
    this.take(snapshot);
    if (snapshot.phase === this.target) return true;
    if (snapshot.phase === Snapshot_Phase.FAILED) throw new SnapshotFailedError(snapshot);
    return false;
  }

  /** The error to throw when the time is up. */
  timeoutError(cause?: unknown): WaitTimeoutError {
    const seen = this.lastSeen === undefined ? "" : ` (last seen ${snapshotPhaseName(this.lastSeen.phase)})`;
    return new WaitTimeoutError(
      `snapshot ${this.namespace}/${this.name} did not reach ${snapshotPhaseName(this.target)} ${this.timeoutText()}${seen}`,
      this.lastSeen,
      { cause },
    );
  }
}
