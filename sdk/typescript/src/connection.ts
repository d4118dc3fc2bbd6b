/**
 * What a client is connected through, in terms both entry points share: the
 * protocols, the resolved settings, and the transport a client owns. Nothing
 * here reads files or the environment, so the browser entry can use it.
 *
 * @module
 */

import type { Transport } from "@connectrpc/connect";

/**
 * The protocol of the calls. `"grpc"` (HTTP/2 gRPC, the server's gRPC port)
 * is Node only; `"connect"` and `"grpc-web"` go to the server's HTTP port,
 * from Node or a browser.
 */
export type Protocol = "grpc" | "connect" | "grpc-web";

/** Every {@link Protocol}, in the order the docs list them. */
export const PROTOCOLS: readonly Protocol[] = ["grpc", "connect", "grpc-web"];

/** `value` as a {@link Protocol}; a TypeError names the ones there are. */
export function toProtocol(value: string): Protocol {
  const found = PROTOCOLS.find((protocol) => protocol === value);
  if (found === undefined) throw new TypeError(`protocol must be one of ${PROTOCOLS.join(", ")}, not ${JSON.stringify(value)}`);
  return found;
}

/** PEM data given directly: a string or the bytes of a file. */
export type Pem = string | Uint8Array;

/** The resolved connection settings of a client. */
export interface ConnectionConfig {
  /** `host:port` of the server. */
  readonly endpoint: string;
  /** Whether the connection uses TLS. */
  readonly tls: boolean;
  /** The URL the transport calls: `http://host:port` or `https://host:port`. */
  readonly baseUrl: string;
  /** The protocol of the calls. */
  readonly protocol: Protocol;
  /** The bearer token, if any. */
  readonly token: string | undefined;
  /** The CA certificate (PEM), if not the system's roots. */
  readonly ca: Pem | undefined;
  /** The client certificate (PEM), for mutual TLS. */
  readonly clientCert: Pem | undefined;
  /** The client key (PEM), for mutual TLS. */
  readonly clientKey: Pem | undefined;
  /** The name checked in the server certificate instead of the endpoint's host. */
  readonly tlsServerName: string | undefined;
}

/** A transport and the connection under it, which `close` ends. */
export interface OwnedTransport {
  /** Where calls go. */
  readonly transport: Transport;
  /** Ends the connection (or the calls, where there is no connection to end), failing the calls still running. */
  close(): void;
}

/** What an entry point hands the client it builds. */
export interface ClientConnection {
  /** The resolved settings. */
  readonly config: ConnectionConfig;
  /** The transport, owned by the client. */
  readonly transport: OwnedTransport;
  /**
   * The header that carries the SDK's user agent: `user-agent` from Node;
   * `x-user-agent` from a browser, which sets `user-agent` itself.
   */
  readonly userAgentHeader: string;
}
