// W3C trace context: inside an OpenTelemetry span, every call over every
// protocol, and every retry attempt, joins the caller's trace (the server's
// log line names it); outside a span, or without @opentelemetry/api, calls
// carry none.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { context, propagation, trace, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";

import { NotFoundError, VClusterClient } from "../src/index.js";
import { createTraceContextInterceptor } from "../src/trace-context.js";
import { startServer, uniqueNamespace, type RunningServer } from "./support/server.js";

let server: RunningServer;
let provider: BasicTracerProvider;
const contextManager = new AsyncLocalStorageContextManager();

before(async () => {
  provider = new BasicTracerProvider();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  server = await startServer();
});

after(async () => {
  await server.stop();
  trace.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
});

/** The value of one `key=value` field of a server log line ("" when absent). */
function field(line: string, key: string): string {
  const match = new RegExp(`\\b${key}=("(?:[^"\\\\]|\\\\.)*"|\\S*)`).exec(line);
  return match ? match[1]!.replace(/^"|"$/g, "") : "";
}

/** Runs `body` inside a new active span, returning the span's trace id with the body's result. */
async function inSpan<T>(name: string, body: () => Promise<T>): Promise<{ traceId: string; result: T }> {
  const tracer = trace.getTracer("ovc-sdk-test");
  return tracer.startActiveSpan(name, async (span: Span) => {
    try {
      return { traceId: span.spanContext().traceId, result: await body() };
    } finally {
      span.end();
    }
  });
}

for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
  describe(`over ${protocol}`, () => {
    let client: VClusterClient;
    before(() => {
      const endpoint = protocol === "grpc" ? server.address : server.httpAddress;
      client = new VClusterClient({ endpoint, protocol, env: {} });
    });
    after(() => client.close());

    test("a unary call inside a span joins its trace", async () => {
      const requestId = randomUUID();
      const { traceId } = await inSpan("create", () => client.createVCluster(uniqueNamespace(), "dev", { requestId }));
      const line = await server.waitForLog(`CreateVCluster ${requestId}`, (l) => field(l, "request_id") === requestId);
      assert.equal(field(line, "trace_id"), traceId, line);
    });

    test("every retry attempt carries the trace", async () => {
      const ns = uniqueNamespace("traced");
      // The server fails the first attempt with UNAVAILABLE; the retry reaches NOT_FOUND.
      const hooked = { metadata: { "ovc-test-unavailable": `${ns}-retry:1` } };
      const { traceId } = await inSpan("get", () =>
        assert.rejects(client.getVCluster(ns, "missing", hooked), NotFoundError),
      );
      for (const code of ["UNAVAILABLE", "NOT_FOUND"]) {
        await server.waitForLog(`GetVCluster ${code} in trace ${traceId}`, (l) =>
          l.includes("method=GetVCluster") && field(l, "code") === code && field(l, "trace_id") === traceId,
        );
      }
    });

    test("a watch inside a span joins its trace", async () => {
      const { traceId } = await inSpan("watch", async () => {
        const events = client.watchVClusters(uniqueNamespace(), { timeoutMs: 60_000 })[Symbol.asyncIterator]();
        await events.next();
        await events.return();
      });
      await server.waitForLog(`WatchVClusters in trace ${traceId}`, (l) =>
        l.includes("method=WatchVClusters") && field(l, "trace_id") === traceId,
      );
    });

    test("a call outside any span carries no trace", async () => {
      const requestId = randomUUID();
      await client.createVCluster(uniqueNamespace(), "dev", { requestId });
      const line = await server.waitForLog(`CreateVCluster ${requestId}`, (l) => field(l, "request_id") === requestId);
      assert.equal(field(line, "trace_id"), "", line);
    });
  });
}

describe("without @opentelemetry/api", () => {
  const call = async (load: () => Promise<null>): Promise<Headers> => {
    const interceptor = createTraceContextInterceptor(load);
    let sent: Headers | undefined;
    const next = interceptor(async (req) => {
      sent = req.header;
      return undefined as never;
    });
    await inSpan("caller", () => next({ header: new Headers() } as never));
    return sent!;
  };

  test("a package that cannot be found sends calls as they are", async () => {
    assert.equal((await call(async () => null)).get("traceparent"), null);
  });

  test("a package that fails to load sends calls as they are", async () => {
    assert.equal((await call(() => Promise.reject(new Error("broken install")))).get("traceparent"), null);
  });

  test("the package is looked for once", async () => {
    let loads = 0;
    const interceptor = createTraceContextInterceptor(async () => {
      loads += 1;
      return null;
    });
    const next = interceptor(async () => undefined as never);
    await Promise.all([next({ header: new Headers() } as never), next({ header: new Headers() } as never)]);
    await next({ header: new Headers() } as never);
    assert.equal(loads, 1);
  });
});
