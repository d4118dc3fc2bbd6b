/**
 * The interceptor that runs the attempts of a unary call: a deadline per
 * attempt (sent in the protocol's timeout header), and retries with backoff
 * under the call's {@link RetryPolicy}. The request message is sent
 * unchanged on every attempt, so a mutation's `requestId` is the same each
 * time and the server applies it once. Streams (watches) pass through
 * untouched: they are not retried. Nothing here needs Node; the Node entry
 * adds the `NODE_DEBUG` log (`debug-log.ts`).
 *
 * @module
 */

import {
  Code,
  ConnectError,
  createContextKey,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";

import { setDeadlineHeader, startDeadline } from "./deadline.js";
import { codeName } from "./errors.js";
import { asConnectionFailure } from "./status.js";
import { DEFAULT_TIMEOUT_MS } from "./options.js";
import { RetryPolicy, RetryState, toRetryPolicy, type RetryLike } from "./retry.js";
import { sleep } from "./sleep.js";

/**
 * Where the interceptor writes one line per attempt, `util.format` style
 * (`%s`, `%d`). The lines never hold metadata: it carries the token.
 */
export type AttemptLog = (format: string, ...args: unknown[]) => void;

/** How one logical call runs its attempts. */
export interface AttemptSettings {
  /** Deadline of each attempt in milliseconds, or null for none. */
  readonly timeoutMs: number | null;
  /** Retry policy, or null for one attempt. */
  readonly retry: RetryPolicy | null;
  /** The idempotency key of a mutation, for the log lines. */
  readonly requestId?: string | undefined;
}

/** The context value through which the client hands each call's {@link AttemptSettings} to the interceptor. */
export const ATTEMPT_SETTINGS = createContextKey<AttemptSettings | undefined>(undefined, {
  description: "open-vcluster attempt settings",
});

/** The defaults of a retry interceptor, for calls that bring no settings of their own. */
export interface RetryInterceptorOptions {
  /** Deadline of each attempt in milliseconds (null: none); default 30 s. */
  timeoutMs?: number | null;
  /** Retry policy (null: never retry); default `new RetryPolicy()`. */
  retry?: RetryLike;
  /** Where to log each attempt; by default nowhere. */
  log?: AttemptLog;
}

/**
 * The retry interceptor. `VClusterClient` installs one on its transport and
 * passes each call's settings; installed on a transport of your own, it
 * applies `defaults` to every unary call.
 */
export function createRetryInterceptor(defaults: RetryInterceptorOptions = {}): Interceptor {
  const fallback: AttemptSettings = {
    timeoutMs: defaults.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : defaults.timeoutMs,
    retry: defaults.retry === undefined ? new RetryPolicy() : toRetryPolicy(defaults.retry),
  };
  const log = defaults.log ?? ignore;
  return (next) => async (req) => {
    if (req.stream) return next(req);
    const settings = req.contextValues.get(ATTEMPT_SETTINGS) ?? fallback;
    const state = new RetryState(settings.retry);
    for (;;) {
      const attempt = state.attempt;
      try {
        const response = await runAttempt(next as Next, req, state.attemptTimeoutMs(settings.timeoutMs));
        log("%s attempt %d request_id=%s code=OK", req.method.name, attempt, settings.requestId ?? "-");
        return response;
      } catch (reason) {
        const error = req.signal.aborted ? ConnectError.from(reason) : asConnectionFailure(ConnectError.from(reason));
        const backoff = req.signal.aborted ? undefined : state.nextBackoffMs(error.code);
        log(
          "%s attempt %d request_id=%s code=%s%s",
          req.method.name,
          attempt,
          settings.requestId ?? "-",
          codeName(error.code),
          backoff === undefined ? "" : ` retrying in ${Math.round(backoff)}ms`,
        );
        if (backoff === undefined) throw error;
        await sleep(backoff, req.signal);
      }
    }
  };
}

type Next = (req: UnaryRequest) => Promise<UnaryResponse>;

function ignore(): void {}

/** One attempt under its own deadline, still cancelled with the whole call. */
async function runAttempt(next: Next, req: UnaryRequest, timeoutMs: number | null): Promise<UnaryResponse> {
  if (timeoutMs === null) return next(req);
  const call = req.signal;
  const controller = new AbortController();
  const onCallAbort = (): void => controller.abort(call.reason);
  call.addEventListener("abort", onCallAbort);
  if (call.aborted) onCallAbort();
  const stopDeadline = startDeadline(controller, timeoutMs, "call");
  // The transport made these headers for this call alone: each attempt sets its own deadline.
  setDeadlineHeader(req.header, timeoutMs);
  try {
    return await next({ ...req, signal: controller.signal });
  } catch (reason) {
    // The attempt's own deadline, or the whole call's cancellation.
    if (controller.signal.aborted) throw ConnectError.from(controller.signal.reason, Code.Canceled);
    throw reason;
  } finally {
    stopDeadline();
    call.removeEventListener("abort", onCallAbort);
  }
}
