/**
 * Deadlines the SDK keeps itself: their timers, and how the server learns
 * them (the `grpc-timeout` header).
 *
 * @module
 */

import { Code, ConnectError } from "@connectrpc/connect";

// Node fires longer timers at once; a deadline that far away is no deadline in practice.
const MAX_TIMER_MS = 2_147_483_647;

/** The `grpc-timeout` header value of a deadline: at most 8 digits and a unit. */
export function grpcTimeout(ms: number): string {
  const rounded = Math.max(1, Math.ceil(ms));
  if (rounded < 100_000_000) return `${rounded}m`;
  const seconds = Math.ceil(rounded / 1000);
  return seconds < 100_000_000 ? `${seconds}S` : `${Math.ceil(seconds / 3600)}H`;
}

/**
 * Aborts `controller` with a DEADLINE_EXCEEDED error after `ms`
 * milliseconds; returns the function that stops the timer.
 */
export function startDeadline(controller: AbortController, ms: number, what: string): () => void {
  const timer = setTimeout(
    () => controller.abort(new ConnectError(`the ${what} did not finish within its deadline`, Code.DeadlineExceeded)),
    Math.min(Math.max(ms, 0), MAX_TIMER_MS),
  );
  return () => clearTimeout(timer);
}
