/**
 * The errors of the SDK: one class per gRPC status code the API uses, plus
 * the failures of the wait helpers.
 *
 * Every error a server answers becomes an {@link OpenVClusterError} subclass
 * with the rich details of its `google.rpc.Status` already decoded, so callers
 * catch `NotFoundError` instead of comparing status codes, and read
 * `err.fieldViolations` instead of unpacking `google.protobuf.Any`.
 *
 * `instanceof` keeps working when a bundler or a second install ends up with
 * two copies of these classes: each class recognises any error branded with
 * its name (a `Symbol.for` key shared by every copy). {@link isOpenVClusterError}
 * is the same check as a function.
 *
 * @module
 */

import { Code } from "@connectrpc/connect";
import type { Message } from "@bufbuild/protobuf";

import {
  BadRequestSchema,
  ErrorInfoSchema,
  QuotaFailureSchema,
  type BadRequest,
  type BadRequest_FieldViolation,
  type ErrorInfo,
  type QuotaFailure,
  type QuotaFailure_Violation,
} from "./gen/google/rpc/error_details_pb.js";
import type { Snapshot } from "./gen/openvcluster/v1/snapshot_pb.js";
import type { VCluster } from "./gen/openvcluster/v1/vcluster_pb.js";

const BRAND: unique symbol = Symbol.for("@open-vcluster/sdk/error") as never;

/** The canonical gRPC names of the codes, as servers and other SDKs print them. */
const CODE_NAMES: Record<Code, string> = {
  [Code.Canceled]: "CANCELLED",
  [Code.Unknown]: "UNKNOWN",
  [Code.InvalidArgument]: "INVALID_ARGUMENT",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.NotFound]: "NOT_FOUND",
  [Code.AlreadyExists]: "ALREADY_EXISTS",
  [Code.PermissionDenied]: "PERMISSION_DENIED",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.FailedPrecondition]: "FAILED_PRECONDITION",
  [Code.Aborted]: "ABORTED",
  [Code.OutOfRange]: "OUT_OF_RANGE",
  [Code.Unimplemented]: "UNIMPLEMENTED",
  [Code.Internal]: "INTERNAL",
  [Code.Unavailable]: "UNAVAILABLE",
  [Code.DataLoss]: "DATA_LOSS",
  [Code.Unauthenticated]: "UNAUTHENTICATED",
};

/** `"NOT_FOUND"` for `Code.NotFound`: the canonical gRPC name of a status code. */
export function codeName(code: Code): string {
  return CODE_NAMES[code] ?? String(code);
}

/**
 * A decoded `google.rpc` error detail (`ErrorInfo`, `BadRequest`,
 * `QuotaFailure`, ...); details of types the SDK does not know stay
 * `google.protobuf.Any` messages.
 */
export type ErrorDetail = Message;

/** What every error of the SDK may carry besides its message. */
export interface OpenVClusterErrorOptions {
  /** The gRPC status code; defaults to the class's own code. */
  code?: Code;
  /** The decoded `google.rpc` details of the status. */
  details?: readonly ErrorDetail[];
  /** The idempotency key sent with the failed mutation. */
  requestId?: string | undefined;
  /** The error this one was made from (a `ConnectError`, an abort reason). */
  cause?: unknown;
}

function detailsOf<T extends Message>(details: readonly ErrorDetail[], typeName: string): T[] {
  return details.filter((d): d is T => d.$typeName === typeName);
}

/** Whether `value` is an error of this SDK, from whichever copy of the SDK made it. */
export function isOpenVClusterError(value: unknown): value is OpenVClusterError {
  return hasBrand(value, OpenVClusterError.errorName);
}

function hasBrand(value: unknown, name: string): boolean {
  if (typeof value !== "object" || value === null) return false;
  const brand = (value as { [BRAND]?: unknown })[BRAND];
  return Array.isArray(brand) && brand.includes(name);
}

/**
 * Base of every error the SDK raises for a failed call.
 *
 * `message` reads `CODE: server message (request_id ...)`, followed by one
 * line per bad field; `rawMessage` is the server's explanation alone.
 */
export class OpenVClusterError extends Error {
  /** The name the class brands its errors with; `instanceof` compares it. */
  static readonly errorName: string = "OpenVClusterError";
  /** The status code of errors of this class unless told otherwise. */
  static readonly defaultCode: Code = Code.Unknown;

  /** Recognises errors of this class from any copy of the SDK (see the module notes). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return Object.hasOwn(this, "errorName") && hasBrand(value, this.errorName);
  }

  /** The gRPC status code. */
  readonly code: Code;
  /** The server's explanation, meant for people, without the code in front. */
  readonly rawMessage: string;
  /** The decoded `google.rpc` detail messages of the status. */
  readonly details: readonly ErrorDetail[];
  /** The idempotency key the SDK sent with a mutation (quote it when reporting a problem); undefined for reads. */
  readonly requestId: string | undefined;
  declare readonly [BRAND]: readonly string[];

  /** Makes an error; the SDK does this for you, tests and wrappers may too. */
  constructor(message: string, options: OpenVClusterErrorOptions = {}) {
    const ctor = new.target as typeof OpenVClusterError;
    const code = options.code ?? ctor.defaultCode;
    const details = options.details ?? [];
    super(formatMessage(code, message, details, options.requestId), { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.details = details;
    this.requestId = options.requestId;
    const brand: string[] = [];
    for (let c: unknown = ctor; typeof c === "function"; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, "errorName")) brand.push((c as typeof OpenVClusterError).errorName);
      if (c === OpenVClusterError) break;
    }
    Object.defineProperty(this, BRAND, { value: Object.freeze(brand) });
    Object.defineProperty(this, "name", { value: ctor.errorName, configurable: true, writable: true });
  }

  /** The canonical gRPC name of {@link code}, such as `"NOT_FOUND"`. */
  get codeName(): string {
    return codeName(this.code);
  }

  /** The `google.rpc.ErrorInfo` detail, when the server sent one. */
  get errorInfo(): ErrorInfo | undefined {
    return detailsOf<ErrorInfo>(this.details, ErrorInfoSchema.typeName)[0];
  }

  /** The machine-readable reason of the ErrorInfo detail, such as `INVALID_PHASE`. */
  get reason(): string | undefined {
    return this.errorInfo?.reason;
  }

  /** The metadata of the ErrorInfo detail (empty without one). */
  get metadata(): Readonly<Record<string, string>> {
    return { ...this.errorInfo?.metadata };
  }

  /**
   * The `google.rpc.BadRequest` field violations (of an INVALID_ARGUMENT):
   * `.field`, a path such as `spec.resources.memory`, and `.description`,
   * what to change. Empty for other errors.
   */
  get fieldViolations(): BadRequest_FieldViolation[] {
    return detailsOf<BadRequest>(this.details, BadRequestSchema.typeName).flatMap((d) => d.fieldViolations);
  }

  /**
   * The `google.rpc.QuotaFailure` violations (of a RESOURCE_EXHAUSTED):
   * `.subject` and `.description`. Empty for other errors.
   */
  get quotaViolations(): QuotaFailure_Violation[] {
    return detailsOf<QuotaFailure>(this.details, QuotaFailureSchema.typeName).flatMap((d) => d.violations);
  }
}

function formatMessage(code: Code, message: string, details: readonly ErrorDetail[], requestId?: string): string {
  let text = `${codeName(code)}: ${message}`;
  if (requestId) text += ` (request_id ${requestId})`;
  for (const bad of detailsOf<BadRequest>(details, BadRequestSchema.typeName)) {
    for (const violation of bad.fieldViolations) text += `\n  ${violation.field}: ${violation.description}`;
  }
  return text;
}

/** A field of the request is invalid; {@link OpenVClusterError.fieldViolations} names every bad field. */
export class InvalidArgumentError extends OpenVClusterError {
  static override readonly errorName: string = "InvalidArgumentError";
  static override readonly defaultCode: Code = Code.InvalidArgument;
}

/** The vcluster or snapshot does not exist (or is in a namespace you may not see). */
export class NotFoundError extends OpenVClusterError {
  static override readonly errorName: string = "NotFoundError";
  static override readonly defaultCode: Code = Code.NotFound;
}

/** A vcluster or snapshot of that name already exists in the namespace. */
export class AlreadyExistsError extends OpenVClusterError {
  static override readonly errorName: string = "AlreadyExistsError";
  static override readonly defaultCode: Code = Code.AlreadyExists;
}

/**
 * The resource is in a phase that does not allow the call: `reason` is
 * `INVALID_PHASE`, and {@link phase} and {@link allowedPhases} come from the
 * ErrorInfo metadata.
 */
export class FailedPreconditionError extends OpenVClusterError {
  static override readonly errorName: string = "FailedPreconditionError";
  static override readonly defaultCode: Code = Code.FailedPrecondition;

  /** The phase the resource was in, as the server names it. */
  get phase(): string | undefined {
    return this.metadata["phase"];
  }

  /** The phases in which the call would have been accepted. */
  get allowedPhases(): string[] {
    return (this.metadata["allowed_phases"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
  }
}

/** The `etag` sent is stale: the resource changed since you read it. Read it again. */
export class AbortedError extends OpenVClusterError {
  static override readonly errorName: string = "AbortedError";
  static override readonly defaultCode: Code = Code.Aborted;
}

/** A namespace quota would be exceeded; {@link OpenVClusterError.quotaViolations} says which. */
export class ResourceExhaustedError extends OpenVClusterError {
  static override readonly errorName: string = "ResourceExhaustedError";
  static override readonly defaultCode: Code = Code.ResourceExhausted;
}

/** The token is valid but its role does not allow the call (a viewer's mutation). */
export class PermissionDeniedError extends OpenVClusterError {
  static override readonly errorName: string = "PermissionDeniedError";
  static override readonly defaultCode: Code = Code.PermissionDenied;
}

/** No token, or a token the server does not know. */
export class UnauthenticatedError extends OpenVClusterError {
  static override readonly errorName: string = "UnauthenticatedError";
  static override readonly defaultCode: Code = Code.Unauthenticated;
}

/** The server could not be reached or did not handle the call, even after retries. */
export class UnavailableError extends OpenVClusterError {
  static override readonly errorName: string = "UnavailableError";
  static override readonly defaultCode: Code = Code.Unavailable;
}

/** The call did not finish within its timeout. */
export class DeadlineExceededError extends OpenVClusterError {
  static override readonly errorName: string = "DeadlineExceededError";
  static override readonly defaultCode: Code = Code.DeadlineExceeded;
}

/**
 * The call was cancelled through its `AbortSignal` (the signal's reason is
 * the `cause`), or the client was closed while it ran.
 */
export class CancelledError extends OpenVClusterError {
  static override readonly errorName: string = "CancelledError";
  static override readonly defaultCode: Code = Code.Canceled;
}

/** A status code the API contract never promises (UNKNOWN, INTERNAL, UNIMPLEMENTED, ...). */
export class UnexpectedStatusError extends OpenVClusterError {
  static override readonly errorName: string = "UnexpectedStatusError";
}

/** Base of the errors of the wait helpers (`waitForPhase`, `wait: true`, ...). */
export class WaitError extends OpenVClusterError {
  static override readonly errorName: string = "WaitError";
}

/** The awaited state was not reached in time; {@link lastSeen} is the last state observed. */
export class WaitTimeoutError extends WaitError {
  static override readonly errorName: string = "WaitTimeoutError";
  static override readonly defaultCode: Code = Code.DeadlineExceeded;

  /** The last state of the vcluster or snapshot the wait saw, if any. */
  readonly lastSeen: VCluster | Snapshot | undefined;

  /** Makes the error of a wait that ran out of time. */
  constructor(message: string, lastSeen?: VCluster | Snapshot, options: OpenVClusterErrorOptions = {}) {
    super(message, options);
    this.lastSeen = lastSeen;
  }
}

/**
 * The vcluster ended in FAILED while another phase was awaited; only
 * deletion is allowed from there. The message is the server's `status.message`.
 */
export class VClusterFailedError extends WaitError {
  static override readonly errorName: string = "VClusterFailedError";
  static override readonly defaultCode: Code = Code.FailedPrecondition;

  /** The vcluster, as it was when it was seen FAILED. */
  readonly vcluster: VCluster;

  /** Makes the error of a wait that saw `vcluster` FAILED. */
  constructor(vcluster: VCluster) {
    const text = vcluster.status?.message || "no reason given";
    super(`vcluster ${vcluster.namespace}/${vcluster.name} FAILED: ${text}`);
    this.vcluster = vcluster;
  }
}

/** The snapshot ended in FAILED (its `message` says why); it can only be deleted. */
export class SnapshotFailedError extends WaitError {
  static override readonly errorName: string = "SnapshotFailedError";
  static override readonly defaultCode: Code = Code.FailedPrecondition;

  /** The snapshot, as it was when it was seen FAILED. */
  readonly snapshot: Snapshot;

  /** Makes the error of a wait that saw `snapshot` FAILED. */
  constructor(snapshot: Snapshot) {
    const text = snapshot.message || "no reason given";
    super(`snapshot ${snapshot.namespace}/${snapshot.name} FAILED: ${text}`);
    this.snapshot = snapshot;
  }
}

/** The error class of each status code the API uses. */
export const ERROR_CLASSES: ReadonlyMap<Code, typeof OpenVClusterError> = new Map(
  [
    InvalidArgumentError,
    NotFoundError,
    AlreadyExistsError,
    FailedPreconditionError,
    AbortedError,
    ResourceExhaustedError,
    PermissionDeniedError,
    UnauthenticatedError,
    UnavailableError,
    DeadlineExceededError,
    CancelledError,
  ].map((cls) => [cls.defaultCode, cls]),
);
