/**
 * The browser entry's {@link VClusterClient}: told its server's URL and
 * token outright (a web page has no environment or files to read them
 * from), over the Connect protocol or gRPC-Web.
 *
 * @module
 */

import { VClusterClientBase } from "./client.js";
import type { ConnectionConfig } from "./connection.js";
import type { DefaultCallOptions } from "./options.js";
import { openBrowserTransport, type BrowserTransportOptions } from "./browser-transport.js";

/** Everything a browser client can be told. */
export interface BrowserClientOptions extends DefaultCallOptions, BrowserTransportOptions {
  /**
   * The URL of the server's HTTP port, such as `https://api.example.com:8080`
   * (a path after it is kept, for a server behind a proxy; a relative URL
   * is resolved against the page).
   */
  baseUrl: string;
  /** Bearer token, sent as `authorization: Bearer <token>`. */
  token?: string;
  /** `"connect"` (the default) or `"grpc-web"`. */
  protocol?: "connect" | "grpc-web";
}

/**
 * A connection to an open-vcluster-api server from a web page, with one
 * method per operation: the same methods, results and typed errors as the
 * Node client's.
 *
 * The server must list the page's origin in `--http-allowed-origins`, or
 * the browser refuses every call (UNAVAILABLE). `close` ends the calls and
 * watches still running.
 *
 * ```ts
 * const client = new VClusterClient({ baseUrl: "https://api.example.com:8080", token });
 * const vc = await client.getVCluster("team-a", "dev");
 * ```
 */
export class VClusterClient extends VClusterClientBase {
  /** Checks the settings; nothing is sent before the first call. */
  constructor(options: BrowserClientOptions) {
    const config = browserConfig(options);
    super({ config, transport: openBrowserTransport(config, options), userAgentHeader: "x-user-agent" }, options);
  }
}

function browserConfig(options: BrowserClientOptions): ConnectionConfig {
  const protocol = options.protocol ?? "connect";
  if (protocol !== "connect" && protocol !== "grpc-web") {
    throw new TypeError(`protocol must be "connect" or "grpc-web", not ${JSON.stringify(protocol)}`);
  }
  const url = new URL(options.baseUrl, globalThis.location?.href);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`baseUrl must be an http or https URL, not ${JSON.stringify(options.baseUrl)}`);
  }
  return {
    endpoint: url.host,
    tls: url.protocol === "https:",
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    protocol,
    token: options.token || undefined,
    ca: undefined,
    clientCert: undefined,
    clientKey: undefined,
    tlsServerName: undefined,
  };
}
