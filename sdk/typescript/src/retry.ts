/**
 * Retry policy: exponential backoff with full jitter, bounded by attempts and
 * time. Pure bookkeeping with no I/O; the retry interceptor and the wait
 * helpers run these rules.
 *
 * @module
 */

import { Code } from "@connectrpc/connect";

/** The settings of a {@link RetryPolicy}; every one is optional. */
export interface RetryPolicyInit {
  /** Attempts in all, the first included (default 5; 1 never retries). */
  maxAttempts?: number;
  /** The longest first wait, in milliseconds (default 100). */
  initialBackoffMs?: number;
  /** The cap of any wait, in milliseconds (default 5000). */
  maxBackoffMs?: number;
  /** How much the cap grows per attempt (default 2). */
  multiplier?: number;
  /**
   * No attempt starts, and no wait reaches, beyond this many milliseconds
   * after the first attempt (default 60000; null for no bound).
   */
  totalTimeoutMs?: number | null;
  /** The codes worth another attempt (default UNAVAILABLE only). */
  retryCodes?: Iterable<Code>;
}

/**
 * When and how long to wait before sending a failed call again.
 *
 * Only the codes in `retryCodes` are retried: by default UNAVAILABLE, which
 * means the server did not handle the call (or its answer was lost).
 * Retrying mutations is safe because the SDK sends the same `requestId` on
 * every attempt, so the server applies the mutation once.
 *
 * The wait before attempt n + 1 is drawn uniformly from
 * `[0, min(maxBackoffMs, initialBackoffMs * multiplier ** (n - 1))]` ("full
 * jitter"), which keeps many clients from retrying in lock step.
 */
export class RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The longest first wait, in milliseconds. */
  readonly initialBackoffMs: number;
  /** The cap of any wait, in milliseconds. */
  readonly maxBackoffMs: number;
  /** How much the cap grows per attempt. */
  readonly multiplier: number;
  /** Milliseconds after the first attempt beyond which nothing starts; null: no bound. */
  readonly totalTimeoutMs: number | null;
  /** The codes worth another attempt. */
  readonly retryCodes: ReadonlySet<Code>;

  /** A policy with the given settings; RangeError for impossible ones. */
  constructor(init: RetryPolicyInit = {}) {
    this.maxAttempts = init.maxAttempts ?? 5;
    this.initialBackoffMs = init.initialBackoffMs ?? 100;
    this.maxBackoffMs = init.maxBackoffMs ?? 5000;
    this.multiplier = init.multiplier ?? 2;
    this.totalTimeoutMs = init.totalTimeoutMs === undefined ? 60_000 : init.totalTimeoutMs;
    this.retryCodes = new Set(init.retryCodes ?? [Code.Unavailable]);
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError("maxAttempts must be a whole number of at least 1");
    }
    if (!(this.initialBackoffMs >= 0) || !(this.maxBackoffMs >= 0)) {
      throw new RangeError("backoffs must not be negative");
    }
    if (!(this.multiplier >= 1)) throw new RangeError("multiplier must be at least 1");
    if (this.totalTimeoutMs !== null && !(this.totalTimeoutMs > 0)) {
      throw new RangeError("totalTimeoutMs must be positive or null");
    }
  }

  /** The longest wait after failed attempt number `attempt` (1-based), in milliseconds. */
  backoffCapMs(attempt: number): number {
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * this.multiplier ** (attempt - 1));
  }
}

/** A policy given as a {@link RetryPolicy}, as its settings, or null for one attempt only. */
export type RetryLike = RetryPolicy | RetryPolicyInit | null;

/** The policy of a {@link RetryLike} (null stays null). */
export function toRetryPolicy(retry: RetryLike): RetryPolicy | null {
  if (retry === null || retry instanceof RetryPolicy) return retry;
  return new RetryPolicy(retry);
}

/** The attempts of one logical call under a policy (null: one attempt only). */
export class RetryState {
  /** The number of the attempt about to run or running, from 1. */
  attempt = 1;
  private readonly start: number;

  /** Starts the clock of the call's first attempt. */
  constructor(
    private readonly policy: RetryPolicy | null,
    private readonly clock: () => number = performance.now.bind(performance),
    private readonly random: () => number = Math.random,
  ) {
    this.start = clock();
  }

  /** Milliseconds left of the policy's total timeout, or undefined when unbounded. */
  remainingMs(): number | undefined {
    const total = this.policy?.totalTimeoutMs ?? null;
    return total === null ? undefined : total - (this.clock() - this.start);
  }

  /** The deadline of the next attempt: the call timeout, cut to the time left. */
  attemptTimeoutMs(timeoutMs: number | null): number | null {
    const remaining = this.remainingMs();
    if (remaining === undefined) return timeoutMs;
    const left = Math.max(remaining, 1);
    return timeoutMs === null ? left : Math.min(timeoutMs, left);
  }

  /**
   * After a failed attempt: milliseconds to wait before the next one, or
   * undefined to give up. Advances the attempt counter when it answers a wait.
   */
  nextBackoffMs(code: Code): number | undefined {
    const policy = this.policy;
    if (policy === null || !policy.retryCodes.has(code)) return undefined;
    if (this.attempt >= policy.maxAttempts) return undefined;
    const delay = this.random() * policy.backoffCapMs(this.attempt);
    const remaining = this.remainingMs();
    if (remaining !== undefined && delay >= remaining) return undefined;
    this.attempt += 1;
    return delay;
  }
}
