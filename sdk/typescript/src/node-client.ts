/**
 * The Node entry's {@link VClusterClient}: connection settings from options
 * and the `OVC_*` environment, over gRPC, the Connect protocol or gRPC-Web.
 *
 * @module
 */

import { VClusterClientBase } from "./client.js";
import { resolveConnection, type ConnectionOptions } from "./config.js";
import type { DefaultCallOptions } from "./options.js";
import { openTransport, type TransportOptions } from "./transport.js";

/**
 * Everything a client can be told: where and how to connect
 * ({@link ConnectionOptions}, with `OVC_*` environment defaults), the
 * defaults of every call ({@link DefaultCallOptions}) and transport extras
 * ({@link TransportOptions}).
 */
export interface ClientOptions extends ConnectionOptions, DefaultCallOptions, TransportOptions {}

/**
 * A connection to an open-vcluster-api server, with one method per operation.
 *
 * Every option is optional; what is left out comes from the environment
 * (`OVC_ENDPOINT`, default `127.0.0.1:50051`; `OVC_TOKEN`; `OVC_TLS`;
 * `OVC_CA_FILE`; `OVC_CLIENT_CERT_FILE` and `OVC_CLIENT_KEY_FILE`;
 * `OVC_TLS_SERVER_NAME`). `protocol` picks gRPC (the default, to the
 * server's gRPC port) or the Connect protocol or gRPC-Web (to its HTTP
 * port); the methods, results and errors are the same. Results are the
 * generated protobuf-es messages (`VCluster`, `Snapshot`); failures reject
 * with the typed errors of `OpenVClusterError`. Unary calls retry
 * UNAVAILABLE with backoff (see `RetryPolicy`), sending a mutation's
 * `requestId` unchanged each time.
 *
 * Mutations answer at once with the resource in its new, often intermediate
 * phase; pass `wait: true` to resolve once the change is done, or use
 * `waitForPhase`. Call `close` when done: an open connection keeps Node
 * running.
 *
 * ```ts
 * const client = new VClusterClient({ endpoint: "127.0.0.1:50051" });
 * const vc = await client.createVCluster("team-a", "dev", { cpu: "2", memory: "4Gi", wait: true });
 * client.close();
 * ```
 */
export class VClusterClient extends VClusterClientBase {
  /** Resolves the settings and prepares the connection, which opens at the first call. */
  constructor(options: ClientOptions = {}) {
    const config = resolveConnection(options);
    super({ config, transport: openTransport(config, options), userAgentHeader: "user-agent" }, options);
  }
}
