/**
 * The transports of a Node client: gRPC over HTTP/2 to the server's gRPC
 * port, or the Connect protocol or gRPC-Web to its HTTP port (over HTTP/1.1
 * or HTTP/2), each with TLS and mutual TLS from the resolved connection
 * settings, the retry interceptor and the caller's trace context. Node only
 * (`node:http`, `node:https`, `@connectrpc/connect-node`).
 *
 * @module
 */

import { Agent as HttpAgent } from "node:http";
import type { SecureClientSessionOptions } from "node:http2";
import { Agent as HttpsAgent } from "node:https";

import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
  type Http2SessionOptions,
} from "@connectrpc/connect-node";

import { createCloser } from "./close-interceptor.js";
import type { ConnectionConfig, OwnedTransport } from "./connection.js";
import { createRetryInterceptor } from "./debug-log.js";
import { createTraceContextInterceptor } from "./trace-context.js";

/** Settings of the transport beyond the connection's. */
export interface TransportOptions {
  /** Interceptors run around each attempt of every call, after the SDK's retry interceptor. */
  interceptors?: readonly Interceptor[];
  /** HTTP/2 keep-alive settings (PING interval and timeout, idle timeout), for gRPC and `httpVersion: "2"`. */
  http2?: Http2SessionOptions;
  /**
   * The HTTP version of `connect` and `grpc-web` calls: `"1.1"` (the
   * default, as browsers and most proxies speak it) or `"2"` (h2c in
   * plaintext, ALPN over TLS). gRPC is always HTTP/2.
   */
  httpVersion?: "1.1" | "2";
  /**
   * Sends the calls that change nothing (GetVCluster, ListVClusters,
   * GetSnapshot, ListSnapshots, GetVClusterUsage, GetFleetSummary,
   * GetOperation, ListOperations, GetServerInfo) as HTTP GET, which caches and proxies may keep.
   * Connect protocol only.
   */
  useHttpGet?: boolean;
}

/**
 * The transport for `config`. HTTP/2 opens one connection at the first
 * call; HTTP/1.1 keeps a pool of its own, so closing one client never ends
 * another's calls.
 */
export function openTransport(config: ConnectionConfig, options: TransportOptions = {}): OwnedTransport {
  if (options.useHttpGet && config.protocol !== "connect") throw new TypeError("useHttpGet needs the connect protocol");
  if (config.protocol === "grpc" && options.httpVersion === "1.1") {
    throw new TypeError("gRPC needs HTTP/2: leave httpVersion out or set it to \"2\"");
  }
  const closer = createCloser();
  const interceptors = [closer.interceptor, createRetryInterceptor(), createTraceContextInterceptor(), ...(options.interceptors ?? [])];
  let transport: Transport;
  let channel: HttpChannel;
  if (config.protocol === "grpc") {
    const sessionManager = http2Session(config, options.http2);
    transport = createGrpcTransport({ baseUrl: config.baseUrl, sessionManager, interceptors });
    channel = { node: { httpVersion: "2", sessionManager }, close: () => sessionManager.abort() };
  } else {
    channel = httpChannel(config, options);
    const common = { baseUrl: config.baseUrl, interceptors, ...channel.node };
    transport =
      config.protocol === "connect"
        ? createConnectTransport({ ...common, useHttpGet: options.useHttpGet ?? false })
        : createGrpcWebTransport(common);
  }
  return {
    transport,
    close: () => {
      closer.close();
      channel.close();
    },
  };
}

/** The connection settings of a transport, and what ends the connection. */
interface HttpChannel {
  readonly node: { httpVersion: "2"; sessionManager: Http2SessionManager } | { httpVersion: "1.1"; nodeOptions: { agent: HttpAgent } };
  close(): void;
}

function httpChannel(config: ConnectionConfig, options: TransportOptions): HttpChannel {
  if (options.httpVersion === "2") {
    const sessionManager = http2Session(config, options.http2);
    return { node: { httpVersion: "2", sessionManager }, close: () => sessionManager.abort() };
  }
  const agent = http1Agent(config);
  return { node: { httpVersion: "1.1", nodeOptions: { agent } }, close: () => agent.destroy() };
}

function http2Session(config: ConnectionConfig, http2: Http2SessionOptions | undefined): Http2SessionManager {
  return new Http2SessionManager(config.baseUrl, http2, tlsOptions(config));
}

/**
 * An HTTP/1.1 connection pool of the client's own: closing the client
 * destroys its sockets, busy and idle, as closing an HTTP/2 client ends its
 * connection. Idle sockets do not keep Node running.
 */
function http1Agent(config: ConnectionConfig): HttpAgent {
  return config.tls ? new HttpsAgent({ keepAlive: true, ...tlsOptions(config) }) : new HttpAgent({ keepAlive: true });
}

/** The TLS settings of `config`, as `tls.connect` takes them. */
function tlsOptions(config: ConnectionConfig): SecureClientSessionOptions {
  const options: SecureClientSessionOptions = {};
  if (!config.tls) return options;
  if (config.ca !== undefined) options.ca = pemText(config.ca);
  if (config.clientCert !== undefined) options.cert = pemText(config.clientCert);
  if (config.clientKey !== undefined) options.key = pemText(config.clientKey);
  // Node checks the server certificate against servername when it is set.
  if (config.tlsServerName !== undefined) options.servername = config.tlsServerName;
  return options;
}

function pemText(pem: string | Uint8Array): string | Buffer {
  return typeof pem === "string" ? pem : Buffer.from(pem);
}
