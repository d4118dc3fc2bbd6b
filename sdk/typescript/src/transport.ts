/**
 * The gRPC transport of a client: HTTP/2 through Node's `http2` module, TLS
 * and mutual TLS from the resolved connection settings, and the retry
 * interceptor.
 *
 * @module
 */

import type { SecureClientSessionOptions } from "node:http2";

import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager, type Http2SessionOptions } from "@connectrpc/connect-node";

import type { ConnectionConfig } from "./config.js";
import { createRetryInterceptor } from "./retry-interceptor.js";

/** A transport and the connection under it, which `close` ends. */
export interface OwnedTransport {
  /** Where calls go. */
  readonly transport: Transport;
  /** Closes the HTTP/2 connection, failing the calls still running on it. */
  close(): void;
}

/** Settings of the transport beyond the connection's. */
export interface TransportOptions {
  /** Interceptors run around each attempt of every call, after the SDK's retry interceptor. */
  interceptors?: readonly Interceptor[];
  /** HTTP/2 keep-alive settings (PING interval and timeout, idle timeout). */
  http2?: Http2SessionOptions;
}

/** The transport for `config`: one HTTP/2 connection, opened at the first call. */
export function openTransport(config: ConnectionConfig, options: TransportOptions = {}): OwnedTransport {
  const nodeOptions: SecureClientSessionOptions = {};
  if (config.tls) {
    if (config.ca !== undefined) nodeOptions.ca = pemText(config.ca);
    if (config.clientCert !== undefined) nodeOptions.cert = pemText(config.clientCert);
    if (config.clientKey !== undefined) nodeOptions.key = pemText(config.clientKey);
    // Node checks the server certificate against servername when it is set.
    if (config.tlsServerName !== undefined) nodeOptions.servername = config.tlsServerName;
  }
  const sessionManager = new Http2SessionManager(config.baseUrl, options.http2, nodeOptions);
  const transport = createGrpcTransport({
    baseUrl: config.baseUrl,
    sessionManager,
    interceptors: [createRetryInterceptor(), ...(options.interceptors ?? [])],
  });
  return { transport, close: () => sessionManager.abort() };
}

function pemText(pem: string | Uint8Array): string | Buffer {
  return typeof pem === "string" ? pem : Buffer.from(pem);
}
