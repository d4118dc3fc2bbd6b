/**
 * The API's field rules, checked before a request is sent.
 *
 * The rules are written once, in the proto (`buf.validate` options, see
 * `proto/openvcluster/v1/field_rules.proto`), and checked here with
 * protovalidate. The server runs the same check, so a request that breaks a
 * rule fails the same way with or without a network call: an
 * {@link InvalidArgumentError} with one `google.rpc.BadRequest` field
 * violation per bad field, the first rule that field breaks. Checking first
 * saves a round trip (and the retries of a server that is down) on a request
 * that can only fail.
 *
 * Rules that need the server's state or several fields at once (supported
 * Kubernetes versions, the odd replica count of HA, resource minimums, label
 * selectors, page tokens) are the server's alone.
 *
 * @module
 */

import { create, createRegistry, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Path } from "@bufbuild/protobuf/reflect";
import { createValidator } from "@bufbuild/protovalidate";

import { InvalidArgumentError } from "./errors.js";
import { BadRequestSchema } from "./gen/google/rpc/error_details_pb.js";
import { file_openvcluster_v1_field_rules } from "./gen/openvcluster/v1/field_rules_pb.js";

// Compiles each message type's rules on first use and keeps them. The
// registry holds the API's predefined rules (the `openvcluster.v1`
// extensions of buf.validate), which protovalidate must be told about.
const validator = createValidator({ registry: createRegistry(file_openvcluster_v1_field_rules) });

/** A bad field: its path as the API writes it (`labels[app]`) and what is wrong. */
export interface FieldRuleViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * The bad fields of `message`: for each field path the first rule it
 * breaks, in the order protovalidate reports them (the order of the proto).
 * Empty for a valid message.
 */
export function violations<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): FieldRuleViolation[] {
  const result = validator.validate(schema, message);
  // A rule that cannot be compiled or evaluated is a bug of the SDK's rules,
  // not of the request: it must not pass for a bad field.
  if (result.kind === "error") throw result.error;
  const found = new Map<string, string>();
  for (const violation of result.violations ?? []) {
    const field = fieldPath(violation.field);
    if (!found.has(field)) found.set(field, violation.message);
  }
  return mapEntriesByKey(Array.from(found, ([field, description]) => ({ field, description })));
}

/**
 * `found` with the entries of each map field in key order, where the map's
 * first violation was: every SDK's protovalidate walks a map in its own
 * order (Go's at random), and one answer should read the same in all.
 */
function mapEntriesByKey(found: FieldRuleViolation[]): FieldRuleViolation[] {
  const groups = new Map<string, { key: string; violation: FieldRuleViolation }[]>();
  for (const violation of found) {
    const bracket = violation.field.indexOf("[");
    const group = bracket < 0 ? violation.field : violation.field.slice(0, bracket + 1);
    const key = bracket < 0 ? "" : violation.field.slice(bracket + 1, -1); // the raw key
    const entries = groups.get(group) ?? [];
    entries.push({ key, violation });
    groups.set(group, entries);
  }
  return Array.from(groups.values()).flatMap((entries) =>
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((e) => e.violation),
  );
}

/**
 * Throws the InvalidArgumentError the server would answer if `message`
 * breaks a field rule (with `requestId`, the key of a mutation, as the
 * server's errors carry it); returns quietly otherwise.
 */
export function check<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, requestId?: string): void {
  const key = validKey(schema, message);
  if (key !== undefined && VALID.has(key)) return;
  const found = violations(schema, message);
  if (found.length === 0) {
    if (key !== undefined) remember(key);
    return;
  }
  const summary = found.map((v) => `${v.field}: ${v.description}`).join("; ");
  const detail = create(BadRequestSchema, { fieldViolations: found });
  throw new InvalidArgumentError(`invalid request: ${summary}`, { details: [detail], requestId });
}

// Requests that broke no rule, by message type and wire bytes, the oldest
// forgotten first. A client sends the same small requests again and again (a
// poll, a wait loop, the next page), and evaluating the rules costs more than
// the rest of the SDK's work on a call (issue 28); the rules read nothing but
// the message, so the same bytes always get the same verdict.
const VALID = new Set<string>();
const VALID_REMEMBERED = 256;
// Larger requests are checked every time: their bytes would cost more to keep than to check.
const VALID_MAX_BYTES = 512;

/** The key `message` is remembered by when valid; undefined for a large one. */
function validKey<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string | undefined {
  const bytes = toBinary(schema, message);
  if (bytes.length > VALID_MAX_BYTES) return undefined;
  return `${schema.typeName} ${String.fromCharCode(...bytes)}`;
}

function remember(key: string): void {
  if (VALID.size >= VALID_REMEMBERED) VALID.delete(VALID.values().next().value as string);
  VALID.add(key);
}

/** A protovalidate field path as the API writes field paths: `spec.resources.cpu`, `labels[app]`, `items[0]`. */
export function fieldPath(path: Path): string {
  let text = "";
  for (const element of path) {
    switch (element.kind) {
      case "list_sub":
        text += `[${element.index}]`;
        break;
      case "map_sub":
        text += `[${String(element.key)}]`;
        break;
      default: {
        const name = element.kind === "extension" ? `[${element.typeName}]` : element.name;
        text += text === "" ? name : `.${name}`;
      }
    }
  }
  return text;
}
