/**
 * The transport of a browser client: the Connect protocol or gRPC-Web over
 * the page's `fetch` (`@connectrpc/connect-web`), with the retry
 * interceptor and the caller's trace context. TLS, proxies and cookies are
 * the browser's business.
 *
 * @module
 */

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";

import { createCloser } from "./close-interceptor.js";
import type { ConnectionConfig, OwnedTransport } from "./connection.js";
import { createRetryInterceptor } from "./retry-interceptor.js";
import { createTraceContextInterceptor } from "./trace-context.js";

/** Settings of a browser transport beyond the connection's. */
export interface BrowserTransportOptions {
  /** Interceptors run around each attempt of every call, after the SDK's retry interceptor. */
  interceptors?: readonly Interceptor[];
  /**
   * Sends the calls that change nothing (GetVCluster, ListVClusters,
   * GetSnapshot, ListSnapshots, GetVClusterUsage, GetFleetSummary,
   * GetOperation, ListOperations, GetServerInfo) as HTTP GET, which the browser and proxies may cache.
   * Connect protocol only.
   */
  useHttpGet?: boolean;
  /** The `fetch` calls go through (default: the page's), to set `credentials` or the like. */
  fetch?: typeof globalThis.fetch;
}

/** The transport for `config`, whose protocol must be `connect` or `grpc-web`. */
export function openBrowserTransport(config: ConnectionConfig, options: BrowserTransportOptions = {}): OwnedTransport {
  if (config.protocol === "grpc") throw new TypeError("browsers cannot speak gRPC: use \"connect\" or \"grpc-web\"");
  if (options.useHttpGet && config.protocol !== "connect") throw new TypeError("useHttpGet needs the connect protocol");
  // fetch keeps no connection to end: closing the client aborts its calls, and that is all.
  const closer = createCloser();
  const common = {
    baseUrl: config.baseUrl,
    fetch: unreachableAsUnavailable(options.fetch),
    interceptors: [closer.interceptor, createRetryInterceptor(), createTraceContextInterceptor(), ...(options.interceptors ?? [])],
  };
  const transport =
    config.protocol === "connect"
      ? createConnectTransport({ ...common, useHttpGet: options.useHttpGet ?? false })
      : createGrpcWebTransport(common);
  return { transport, close: () => closer.close() };
}

/**
 * `fetch` whose own failures are UNAVAILABLE. fetch rejects with a bare
 * TypeError when no answer came (no connection, TLS refused, the origin not
 * allowed by CORS), which would otherwise be UNKNOWN: the server did not
 * handle the call, so it is worth retrying like any other UNAVAILABLE.
 * Aborts stay what they are. The page's fetch is looked up at each call.
 */
function unreachableAsUnavailable(own: typeof globalThis.fetch | undefined): typeof globalThis.fetch {
  return async (input, init) => {
    try {
      return await (own ?? globalThis.fetch)(input, init);
    } catch (reason) {
      if (init?.signal?.aborted) throw reason;
      const why = reason instanceof Error ? reason.message : String(reason);
      const message = `no answer from the server (${why}): is it up, is its certificate trusted, and does its --http-allowed-origins list this page's origin?`;
      throw new ConnectError(message, Code.Unavailable, undefined, undefined, reason);
    }
  };
}
