// The SDK overhead driver of the TypeScript SDK: VClusterClient (built into
// sdk/typescript/dist) against the raw generated client of Connect-ES on a
// gRPC transport of its own.
//
//     node bench/sdk_drivers/typescript.mjs --address=HOST:PORT --namespace=NS \
//         --name=NAME --calls=200 --rounds=21 --warmup=300
//
// Prints {"sdk": [seconds per call, per round], "raw": [...]}. Build the SDK
// first: (cd sdk/typescript && npm run build).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const SDK = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "typescript");
const MODES = ["sdk", "raw"];

// This file lives outside the SDK's package, so its dependencies are loaded
// from the SDK's node_modules: the same ES modules the built SDK imports.
async function importFromSdk(name) {
  const dir = join(SDK, "node_modules", ...name.split("/"));
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return import(pathToFileURL(join(dir, manifest.exports["."].import)).href);
}

const { VClusterClient, VClusterService } = await import(pathToFileURL(join(SDK, "dist", "index.js")).href);
const { createClient } = await importFromSdk("@connectrpc/connect");
const { createGrpcTransport, Http2SessionManager } = await importFromSdk("@connectrpc/connect-node");

/** Which mode goes first alternates from round to round. */
function order(round) {
  return round % 2 === 0 ? MODES : [...MODES].reverse();
}

async function main() {
  const { values } = parseArgs({
    options: {
      address: { type: "string" },
      namespace: { type: "string" },
      name: { type: "string" },
      calls: { type: "string", default: "200" },
      rounds: { type: "string", default: "21" },
      warmup: { type: "string", default: "300" },
    },
  });
  const { address, namespace, name } = values;
  if (!address || !namespace || !name) throw new Error("--address, --namespace and --name are required");
  const [calls, rounds, warmup] = [values.calls, values.rounds, values.warmup].map(Number);

  const client = new VClusterClient({ endpoint: address });
  const baseUrl = `http://${address}`;
  const session = new Http2SessionManager(baseUrl);
  const raw = createClient(VClusterService, createGrpcTransport({ baseUrl, sessionManager: session }));
  const call = {
    sdk: () => client.getVCluster(namespace, name),
    raw: () => raw.getVCluster({ namespace, name }),
  };

  async function batch(mode, count) {
    const fn = call[mode];
    const started = performance.now();
    for (let i = 0; i < count; i++) await fn();
    return (performance.now() - started) / 1000 / count;
  }

  try {
    for (const mode of MODES) await batch(mode, warmup);
    const samples = { sdk: [], raw: [] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of order(round)) samples[mode].push(await batch(mode, calls));
    }
    process.stdout.write(`${JSON.stringify(samples)}\n`);
  } finally {
    client.close();
    session.abort();
  }
}

await main();
