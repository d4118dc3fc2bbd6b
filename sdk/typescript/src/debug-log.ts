/**
 * The Node entry's logging of attempts: `NODE_DEBUG=openvcluster` shows one
 * line per attempt of every call. Node only (`node:util`); the browser entry
 * logs nothing unless given an {@link AttemptLog}.
 *
 * @module
 */

import { debuglog } from "node:util";

import type { Interceptor } from "@connectrpc/connect";

import {
  createRetryInterceptor as createAttemptInterceptor,
  type AttemptLog,
  type RetryInterceptorOptions,
} from "./retry-interceptor.js";

/** Writes to standard error when `NODE_DEBUG` names `openvcluster`, and is silent otherwise. */
const debug = debuglog("openvcluster");
export const attemptLog: AttemptLog = debug;

/**
 * The retry interceptor (see the browser-safe one in `retry-interceptor.ts`),
 * logging each attempt to `NODE_DEBUG=openvcluster` unless `defaults.log`
 * says otherwise.
 */
export function createRetryInterceptor(defaults: RetryInterceptorOptions = {}): Interceptor {
  // Off (as it usually is), nothing is logged at all rather than every line dropped one by one.
  return createAttemptInterceptor({ ...(debug.enabled ? { log: attemptLog } : {}), ...defaults });
}
