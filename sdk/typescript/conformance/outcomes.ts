/**
 * Turning what an SDK call resolved to or threw into a StepResult outcome.
 *
 * @module
 */

import { create, createRegistry, type Registry } from "@bufbuild/protobuf";

import {
  isOpenVClusterError,
  SnapshotFailedError,
  VClusterFailedError,
  WaitTimeoutError,
  type WatchEvent,
} from "../src/index.js";
import { file_google_rpc_error_details } from "../src/gen/google/rpc/error_details_pb.js";
import {
  Error_Kind,
  ErrorSchema,
  type Error as ProtocolError,
  type StepResult,
} from "./gen/openvcluster/conformance/v1/protocol_pb.js";
import { UnresolvedRefError } from "./refs.js";

/** The SDK does not offer the step's action or one of its options. */
export class UnsupportedError extends Error {
  override name = "UnsupportedError";
}

/**
 * The types a result may hold in a `google.protobuf.Any`, which its proto3
 * JSON must be able to write out: the error details of an Operation's
 * `error` (ErrorInfo ...).
 */
export const RESULT_TYPES: Registry = createRegistry(file_google_rpc_error_details);

/** A StepResult's outcome: the oneof case and its value. */
export type Outcome = StepResult["outcome"];

/** The protocol Error of what an SDK call threw. */
export function errorOf(reason: unknown): ProtocolError {
  if (reason instanceof UnsupportedError) return create(ErrorSchema, { kind: Error_Kind.UNSUPPORTED, message: reason.message });
  if (reason instanceof UnresolvedRefError) {
    return create(ErrorSchema, { kind: Error_Kind.UNRESOLVED_REF, message: reason.message });
  }
  if (isOpenVClusterError(reason)) {
    const kind =
      reason instanceof WaitTimeoutError
        ? Error_Kind.WAIT_TIMEOUT
        : reason instanceof VClusterFailedError
          ? Error_Kind.VCLUSTER_FAILED
          : reason instanceof SnapshotFailedError
            ? Error_Kind.SNAPSHOT_FAILED
            : Error_Kind.STATUS;
    if (kind !== Error_Kind.STATUS) return create(ErrorSchema, { kind, message: reason.rawMessage, sdkError: reason.name });
    return create(ErrorSchema, {
      kind,
      code: reason.codeName,
      message: reason.rawMessage,
      reason: reason.reason ?? "",
      domain: reason.errorInfo?.domain ?? "",
      metadata: { ...reason.metadata },
      fieldViolations: reason.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
      quotaViolations: reason.quotaViolations.map((v) => ({ subject: v.subject, description: v.description })),
      sdkError: reason.name,
    });
  }
  const name = reason instanceof Error ? reason.name : typeof reason;
  process.stderr.write(`${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  return create(ErrorSchema, { kind: Error_Kind.CLIENT, message: `${name}: ${String(reason)}`, sdkError: name });
}

/** The outcome of a watch_collect: the events read, whether the stream ended, and its error. */
export function watchEvents(events: WatchEvent[], ended: boolean, failure: unknown): Outcome {
  return {
    case: "watchEvents",
    value: {
      $typeName: "openvcluster.conformance.v1.WatchEvents",
      events,
      ended,
      error: failure === undefined ? undefined : errorOf(failure),
    },
  };
}
