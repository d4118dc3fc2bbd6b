/**
 * The TypeScript SDK's client under test for the conformance suite
 * (conformance/README.md at the repository root).
 *
 *     node sdk/typescript/build/conformance/main.js [--concurrency N] [--protocol grpc|connect|grpc-web]
 *
 * Reads one CaseRequest per stdin line (proto3 JSON), runs the steps of
 * each case in order through `VClusterClient`, several cases at once, and
 * writes one StepResult line per step to stdout; exits 0 once stdin is
 * closed and every case is done. `--protocol` is the protocol of the
 * client's calls (default grpc); for connect and grpc-web the runner gives
 * the address of the server's HTTP port (`port: http` in clients.yaml).
 *
 * @module
 */

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

import { fromJsonString, toJsonString } from "@bufbuild/protobuf";

import { toProtocol } from "../src/connection.js";
import { REQUEST_TYPES } from "./calls.js";
import { CaseRequestSchema, StepResultSchema, type StepResult } from "./gen/openvcluster/conformance/v1/protocol_pb.js";
import { RESULT_TYPES } from "./outcomes.js";
import { runCase } from "./session.js";

function emit(result: StepResult): void {
  process.stdout.write(`${toJsonString(StepResultSchema, result, { registry: RESULT_TYPES })}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { concurrency: { type: "string", default: "8" }, protocol: { type: "string", default: "grpc" } },
  });
  const concurrency = Math.max(1, Number(values.concurrency));
  const protocol = toProtocol(values.protocol);
  const running = new Set<Promise<void>>();
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const testCase = fromJsonString(CaseRequestSchema, line, { registry: REQUEST_TYPES });
    const run = runCase(testCase, protocol, emit).finally(() => running.delete(run));
    running.add(run);
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
}

main().then(
  // Exit once stdout is flushed, whatever timers a case may have left behind.
  () => process.stdout.write("", () => process.exit(0)),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
