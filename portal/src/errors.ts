/**
 * Errors as people read them: the status code's name, the server's
 * sentence, and each bad field's sentence keyed by the field path the
 * server names ("spec.resources.memory"), so a form can show it next to the
 * field. Never a stack trace.
 *
 * @module
 */

import { Code, codeName, isOpenVClusterError } from "@open-vcluster/sdk/browser";

/** An error ready for display. */
export interface ShownError {
  /** "INVALID_ARGUMENT", or "ERROR" for a failure that is not the server's answer. */
  code: string;
  /** The server's explanation, without the code in front. */
  message: string;
  /** Sentences by field path; a violation with an empty field is under "". */
  fieldViolations: Record<string, string[]>;
  /** What else the server said: for FAILED_PRECONDITION the phase and the phases needed, for RESOURCE_EXHAUSTED the quota. */
  hint: string;
  /** Whether the token is missing or no longer accepted: the session is over. */
  unauthenticated: boolean;
}

/** What to show for `error`, whatever was thrown. */
export function describeError(error: unknown): ShownError {
  if (isOpenVClusterError(error)) {
    const fieldViolations: Record<string, string[]> = {};
    for (const violation of error.fieldViolations) {
      (fieldViolations[violation.field] ??= []).push(violation.description);
    }
    return {
      code: codeName(error.code),
      message: error.rawMessage,
      fieldViolations,
      hint: [hintOf(error.metadata), ...error.quotaViolations.map((v) => v.description)].filter((t) => t).join(" "),
      unauthenticated: error.code === Code.Unauthenticated,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "ERROR", message, fieldViolations: {}, hint: "", unauthenticated: false };
}

/**
 * The sentences of the violations of `field` and of its entries
 * (`labels[tier]` belongs to `labels`), joined; empty when it has none.
 */
export function violationsOf(shown: ShownError | null, field: string): string {
  if (shown === null) return "";
  return Object.entries(shown.fieldViolations)
    .filter(([path]) => path === field || path.startsWith(`${field}[`))
    .flatMap(([path, sentences]) => sentences.map((s) => (path === field ? s : `${path.slice(field.length)} ${s}`)))
    .join(" ");
}

/** "CODE: message", for one-line places such as the activity log. */
export function oneLine(shown: ShownError): string {
  return `${shown.code}: ${shown.message}`;
}

function hintOf(metadata: Readonly<Record<string, string>>): string {
  const phase = metadata["phase"];
  const allowed = metadata["allowed_phases"];
  if (!phase || !allowed) return "";
  const what = metadata["resource"] === "snapshot" ? "The snapshot" : "The vcluster";
  return `${what} is ${phase}; this needs ${allowed.split(",").join(" or ")}.`;
}
