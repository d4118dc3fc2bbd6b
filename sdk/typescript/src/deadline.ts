/**
 * Deadlines the SDK keeps itself: their timers, and how the server learns
 * them (`grpc-timeout` under gRPC and gRPC-Web, `connect-timeout-ms` under
 * the Connect protocol).
 *
 * @module
 */

import { Code, ConnectError } from "@connectrpc/connect";

// Node fires longer timers at once; a deadline that far away is no deadline in practice.
const MAX_TIMER_MS = 2_147_483_647;
// The Connect protocol allows at most 10 digits of milliseconds.
const MAX_CONNECT_TIMEOUT_MS = 9_999_999_999;
// Connect transports set this header on every request, and gRPC ones never do.
const CONNECT_PROTOCOL_VERSION = "connect-protocol-version";

/** The `grpc-timeout` header value of a deadline: at most 8 digits and a unit. */
export function grpcTimeout(ms: number): string {
  const rounded = Math.max(1, Math.ceil(ms));
  if (rounded < 100_000_000) return `${rounded}m`;
  const seconds = Math.ceil(rounded / 1000);
  return seconds < 100_000_000 ? `${seconds}S` : `${Math.ceil(seconds / 3600)}H`;
}

/**
 * Tells the server a call's deadline in the header of its protocol: the
 * Connect protocol ignores `grpc-timeout`, and gRPC `connect-timeout-ms`.
 * `connect` says whether the call speaks Connect; by default the headers a
 * Connect transport already set tell.
 */
export function setDeadlineHeader(header: Headers, ms: number, connect = header.has(CONNECT_PROTOCOL_VERSION)): void {
  if (connect) header.set("connect-timeout-ms", String(Math.min(Math.max(1, Math.ceil(ms)), MAX_CONNECT_TIMEOUT_MS)));
  else header.set("grpc-timeout", grpcTimeout(ms));
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
