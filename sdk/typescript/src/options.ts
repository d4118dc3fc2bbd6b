/**
 * Per-call behaviour (timeout, retry, metadata, cancellation, wait timeout):
 * the client's defaults and each call's overrides.
 *
 * In every option `undefined` (or leaving it out) means "the client's
 * setting", and `null` means "none": `timeoutMs: null` is no deadline,
 * `retry: null` a single attempt.
 *
 * @module
 */

import type { VCluster } from "./gen/openvcluster/v1/vcluster_pb.js";
import { RetryPolicy, toRetryPolicy, type RetryLike } from "./retry.js";

/** Deadline of each attempt of a call unless told otherwise: 30 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** How long wait helpers and `wait: true` wait unless told otherwise: 10 min. */
export const DEFAULT_WAIT_TIMEOUT_MS = 600_000;

/**
 * Extra gRPC metadata: a record, pairs, or a `Headers` object. Keys are lower
 * case; values of `-bin` keys are base64 text.
 */
export type Metadata = Readonly<Record<string, string>> | Iterable<readonly [string, string]> | Headers;

/** Options every call accepts. */
export interface CallOptions {
  /** Deadline of each attempt in milliseconds (null: none). Default: the client's, 30 s. */
  timeoutMs?: number | null;
  /** Retry policy of the call (null: one attempt). Default: the client's. */
  retry?: RetryLike;
  /** Extra metadata for this call, added to the client's. */
  metadata?: Metadata;
  /** Cancels the call (and its retries and waits); it then rejects with a CancelledError. */
  signal?: AbortSignal;
}

/** Options of calls that can wait for the change they start to finish (`wait: true`). */
export interface WaitingCallOptions extends CallOptions {
  /** Resolves only once the change is done (RUNNING, SUSPENDED, gone, READY ...). */
  wait?: boolean;
  /** How long `wait` waits, in milliseconds (null: no limit). Default: the client's, 10 min. */
  waitTimeoutMs?: number | null;
}

/**
 * Options of the wait helpers; `T` is what the wait follows: a `VCluster`,
 * or a `Snapshot` for `waitForSnapshot`.
 */
export interface WaitOptions<T = VCluster> {
  /** How long to wait, in milliseconds (null: no limit). Default: the client's, 10 min. */
  timeoutMs?: number | null;
  /** Extra metadata for the calls the wait makes. */
  metadata?: Metadata;
  /** Cancels the wait; it then rejects with a CancelledError. */
  signal?: AbortSignal;
  /**
   * Progress: called with each state the wait sees (from its watch, or a
   * read when it polls), the first one included, once per state (never
   * twice for the same etag; for a snapshot, for the same read), before the
   * wait decides whether it is over, and never after it settles. An
   * exception it throws ends the wait with that exception.
   */
  onChange?: (state: T) => void;
}

/** The defaults of every call of a client, and of clients derived with `withOptions`. */
export interface DefaultCallOptions {
  /** Deadline of each attempt in milliseconds (null: none); default 30 s. */
  timeoutMs?: number | null;
  /** Retry policy (null: never retry); default `new RetryPolicy()`, UNAVAILABLE up to 5 attempts. */
  retry?: RetryLike;
  /** Extra metadata sent with every call. */
  metadata?: Metadata;
  /** How long wait helpers and `wait: true` wait, in milliseconds (null: no limit); default 10 min. */
  waitTimeoutMs?: number | null;
  /**
   * Check each request against the proto's field rules before sending it;
   * default true. A request that breaks one then rejects at once with the
   * InvalidArgumentError the server would answer (same fields, same
   * descriptions), with no network call and no retry. Turn it off to let
   * the server judge alone, such as a newer server whose rules are looser
   * than the ones this SDK was built with.
   */
  validateRequests?: boolean;
}

/** The resolved behaviour of calls: what {@link DefaultCallOptions} became. */
export class CallSettings {
  /** A complete set of settings. */
  constructor(
    /** Deadline of each attempt in milliseconds, or null. */
    readonly timeoutMs: number | null = DEFAULT_TIMEOUT_MS,
    /** Retry policy, or null for one attempt. */
    readonly retry: RetryPolicy | null = new RetryPolicy(),
    /** Metadata pairs sent with every call. */
    readonly metadata: readonly (readonly [string, string])[] = [],
    /** How long waits wait in milliseconds, or null. */
    readonly waitTimeoutMs: number | null = DEFAULT_WAIT_TIMEOUT_MS,
    /** Whether requests are checked against the field rules before they are sent. */
    readonly validateRequests: boolean = true,
  ) {}

  /** These settings with the given ones applied; metadata is added, not replaced. */
  merged(options: DefaultCallOptions & { signal?: AbortSignal }): CallSettings {
    const { timeoutMs, retry, metadata, waitTimeoutMs, validateRequests } = options;
    if (
      timeoutMs === undefined &&
      retry === undefined &&
      metadata === undefined &&
      waitTimeoutMs === undefined &&
      validateRequests === undefined
    ) {
      return this;
    }
    return new CallSettings(
      timeoutMs === undefined ? this.timeoutMs : checkMs(timeoutMs, "timeoutMs"),
      retry === undefined ? this.retry : toRetryPolicy(retry),
      metadata === undefined ? this.metadata : [...this.metadata, ...metadataPairs(metadata)],
      waitTimeoutMs === undefined ? this.waitTimeoutMs : checkMs(waitTimeoutMs, "waitTimeoutMs"),
      validateRequests ?? this.validateRequests,
    );
  }
}

function checkMs(value: number | null, name: string): number | null {
  if (value !== null && !(value > 0)) throw new RangeError(`${name} must be positive or null, not ${value}`);
  return value;
}

/** The pairs of metadata given in any of its forms, keys in lower case. */
export function metadataPairs(metadata: Metadata | undefined): [string, string][] {
  if (metadata === undefined) return [];
  const entries: Iterable<readonly [string, string]> =
    metadata instanceof Headers || Symbol.iterator in metadata
      ? (metadata as Iterable<readonly [string, string]>)
      : Object.entries(metadata);
  return Array.from(entries, ([key, value]) => [key.toLowerCase(), value]);
}
