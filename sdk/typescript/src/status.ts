/**
 * Turning what the transport throws (a `ConnectError`, an abort reason) into
 * the SDK's typed errors, with the `google.rpc.Status` details decoded.
 *
 * @module
 */

import { create, createRegistry, fromBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";

import { file_google_rpc_error_details } from "./gen/google/rpc/error_details_pb.js";
import {
  CancelledError,
  ERROR_CLASSES,
  isOpenVClusterError,
  UnexpectedStatusError,
  type ErrorDetail,
  type OpenVClusterError,
} from "./errors.js";

// The google.rpc detail messages a server may attach, by full proto name.
const DETAIL_TYPES = createRegistry(file_google_rpc_error_details);

/** Decodes status details: known google.rpc types as messages, others as `Any`. */
export function decodeDetails(error: ConnectError): ErrorDetail[] {
  return error.details.map((detail) => {
    if ("desc" in detail) return create(detail.desc, detail.value);
    const schema = DETAIL_TYPES.getMessage(detail.type);
    if (schema !== undefined) {
      try {
        return fromBinary(schema, detail.value);
      } catch {
        // An undecodable detail is kept as it came rather than failing the error.
      }
    }
    return create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value });
  });
}

// Codes connect-node gives failures of the connection itself (TLS, resets, closed streams).
const CONNECTION_FAILURE_CODES = new Set([Code.Internal, Code.Canceled, Code.Unknown, Code.Aborted]);

/**
 * A failure of the connection rather than an answer of the server: a TLS
 * handshake that failed, a connection reset or refused, a stream closed
 * before any status. gRPC calls these UNAVAILABLE (the server did not handle
 * the call), which makes them retryable like any other UNAVAILABLE. Errors
 * the server sent (which carry no such message and no system error as their
 * cause) and the caller's own cancellations are left as they are.
 */
export function asConnectionFailure(error: ConnectError): ConnectError {
  if (!CONNECTION_FAILURE_CODES.has(error.code)) return error;
  if (!/^http\/2 (stream|connection) closed/.test(error.rawMessage) && !hasSystemCause(error)) return error;
  return new ConnectError(error.rawMessage, Code.Unavailable, error.metadata, undefined, error);
}

function hasSystemCause(error: Error): boolean {
  const seen = new Set<unknown>();
  for (let reason: unknown = error; reason instanceof Error && !seen.has(reason); reason = reason.cause) {
    seen.add(reason);
    if (typeof (reason as { code?: unknown }).code === "string") return true;
  }
  return false;
}

/**
 * The typed error of a failed call. The client does this itself; it is
 * public for code that calls the generated services through Connect-ES
 * directly and wants the same errors.
 *
 * `reason` is what the transport threw; `signal` the caller's own abort
 * signal, whose abort makes a {@link CancelledError} carrying its reason.
 */
export function toOpenVClusterError(reason: unknown, requestId?: string, signal?: AbortSignal): OpenVClusterError {
  if (isOpenVClusterError(reason)) return reason;
  if (signal?.aborted) {
    return new CancelledError("the call was cancelled", { requestId, cause: signal.reason });
  }
  const error = asConnectionFailure(ConnectError.from(reason));
  const cls = ERROR_CLASSES.get(error.code) ?? UnexpectedStatusError;
  return new cls(error.rawMessage, {
    code: error.code,
    details: decodeDetails(error),
    requestId,
    cause: error,
  });
}
