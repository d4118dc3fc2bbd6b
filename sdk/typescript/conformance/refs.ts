/**
 * The refs of a step: request fields taken from earlier steps' results
 * before the call (an etag, a generated snapshot name, a page token).
 *
 * @module
 */

import { clone, type DescMessage, type JsonValue, type Message } from "@bufbuild/protobuf";

import type { Step } from "./gen/openvcluster/conformance/v1/protocol_pb.js";

/** A ref could not be resolved: its step failed, or its path leads nowhere. */
export class UnresolvedRefError extends Error {
  override name = "UnresolvedRefError";
}

/** A step's action: its request message (for a `call`, the one its Any holds) and the schema of that message. */
export interface Action {
  readonly name: NonNullable<Step["action"]["case"]>;
  readonly request: Message;
  readonly schema: DescMessage;
}

/**
 * The step's request with its refs filled in from `earlier`, the proto3
 * JSON of earlier steps' results by step name. The step itself is not changed.
 */
export function resolveRefs(action: Action, step: Step, earlier: ReadonlyMap<string, JsonValue>): Message {
  if (step.refs.length === 0) return action.request;
  const request = clone(action.schema, action.request) as Message & Record<string, unknown>;
  for (const ref of step.refs) {
    let value: JsonValue | undefined = earlier.get(ref.step);
    for (const part of ref.path.split(".")) {
      if (Array.isArray(value) && /^\d+$/.test(part) && Number(part) < value.length) {
        value = value[Number(part)];
      } else if (value !== null && typeof value === "object" && !Array.isArray(value) && part in value) {
        value = value[part];
      } else {
        throw new UnresolvedRefError(`${ref.step}.${ref.path} has no value`);
      }
    }
    const field = action.schema.fields.find((f) => f.jsonName === ref.field);
    if (field === undefined) throw new UnresolvedRefError(`${ref.field} is not a field of ${action.schema.name}`);
    request[field.localName] = String(value);
  }
  return request;
}
