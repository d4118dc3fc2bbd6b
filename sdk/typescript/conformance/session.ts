/**
 * The run of one case: its clients (one per token it uses), its watches, and
 * its steps in order.
 *
 * @module
 */

import { create, toJson, type JsonValue } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";

import { VClusterClient, type Protocol } from "../src/index.js";
import {
  Error_Kind,
  StepResultSchema,
  StepSchema,
  type CaseRequest,
  type Connection,
  type Step,
  type StepResult,
} from "./gen/openvcluster/conformance/v1/protocol_pb.js";
import { REQUEST_TYPES, runAction, type Reported, type StepAction } from "./calls.js";
import { errorOf, RESULT_TYPES, type Outcome } from "./outcomes.js";
import { resolveRefs, type Action } from "./refs.js";
import { Watches } from "./watch-buffer.js";

/** How long wait helpers wait unless a step says otherwise, as the Python clients do. */
const WAIT_TIMEOUT_MS = 60_000;
/**
 * Where `offline` steps go: nothing listens there, so only the SDK's own
 * check of the request against the field rules can answer them.
 */
const OFFLINE_ADDRESS = "127.0.0.1:1";

/** Runs the steps of `testCase` in order over `protocol`, emitting each result as it comes. */
export async function runCase(testCase: CaseRequest, protocol: Protocol, emit: (result: StepResult) => void): Promise<void> {
  const session = new Session(testCase.connection, protocol);
  const earlier = new Map<string, JsonValue>();
  let unsupported: Outcome | undefined;
  try {
    for (const [index, step] of testCase.steps.entries()) {
      // After one unsupported step the case cannot be judged, so the rest
      // are not run (the runner counts the case as skipped).
      const reported: Reported = { operationId: "" };
      const outcome = unsupported ?? (await session.run(step, earlier, reported));
      if (outcome.case === "error" && outcome.value.kind === Error_Kind.UNSUPPORTED) unsupported = outcome;
      const result = create(StepResultSchema, {
        caseName: testCase.caseName,
        stepIndex: index,
        stepName: step.name,
        outcome,
        operationId: reported.operationId,
      });
      earlier.set(step.name, toJson(StepResultSchema, result, { registry: RESULT_TYPES }));
      emit(result);
    }
  } finally {
    session.close();
  }
}

class Session {
  private readonly clients = new Map<string, VClusterClient>();
  private offline: VClusterClient | undefined;
  private readonly watches = new Watches();

  constructor(
    private readonly connection: Connection | undefined,
    private readonly protocol: Protocol,
  ) {}

  async run(step: Step, earlier: ReadonlyMap<string, JsonValue>, reported: Reported): Promise<Outcome> {
    try {
      const action = actionOf(step);
      const request = resolveRefs(action, step, earlier);
      const resolved = (
        step.action.case === "call"
          ? { case: "call", value: { method: step.action.value.method, request, schema: action.schema } }
          : { case: action.name, value: request }
      ) as StepAction;
      return await runAction(this.client(step), resolved, step, this.watches, reported);
    } catch (reason) {
      return { case: "error", value: errorOf(reason) };
    }
  }

  close(): void {
    this.watches.stopAll();
    for (const client of this.clients.values()) client.close();
    this.offline?.close();
  }

  private client(step: Step): VClusterClient {
    if (step.options?.offline) {
      // Plaintext, no token, one attempt, every other setting its default.
      this.offline ??= new VClusterClient({ endpoint: OFFLINE_ADDRESS, protocol: this.protocol, tls: false, retry: null, env: {} });
      return this.offline;
    }
    const token = step.options?.token ?? this.connection?.token ?? "";
    let client = this.clients.get(token);
    if (client === undefined) {
      const tls = this.connection?.tls;
      client = new VClusterClient({
        endpoint: this.connection?.address ?? "",
        protocol: this.protocol,
        token,
        tls: tls !== undefined,
        caFile: tls?.caFile || undefined,
        clientCertFile: tls?.clientCertFile || undefined,
        clientKeyFile: tls?.clientKeyFile || undefined,
        tlsServerName: tls?.serverName || undefined,
        waitTimeoutMs: this.connection?.waitTimeoutMs || WAIT_TIMEOUT_MS,
        env: {},
      });
      this.clients.set(token, client);
    }
    // The server answers what the SDK's field rules would have stopped.
    return step.options?.noSdkChecks ? client.withOptions({ validateRequests: false }) : client;
  }
}

function actionOf(step: Step): Action {
  const action = step.action;
  if (action.case === undefined) throw new Error(`step ${step.name} has no action`);
  if (action.case === "call") {
    // The request of a call is an Any: its refs and arguments are fields of the message it holds.
    const packed = action.value.request;
    const request = packed === undefined ? undefined : anyUnpack(packed, REQUEST_TYPES);
    const schema = request === undefined ? undefined : REQUEST_TYPES.getMessage(request.$typeName);
    if (request === undefined || schema === undefined) throw new Error(`call ${action.value.method}: no request of a known type`);
    return { name: action.case, request, schema };
  }
  const field = StepSchema.fields.find((f) => f.oneof?.name === "action" && f.localName === action.case);
  if (field?.message === undefined) throw new Error(`unknown action ${action.case}`);
  return { name: action.case, request: action.value, schema: field.message };
}
