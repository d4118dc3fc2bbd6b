/**
 * The browser entry point of the TypeScript SDK for open-vcluster-api:
 * `import { VClusterClient } from "@open-vcluster/sdk/browser"`.
 *
 * The same client surface as the Node entry (methods, results, typed
 * errors, pagers, watches, waits), over the Connect protocol or gRPC-Web
 * through the page's `fetch`, to the server's HTTP port. The server URL and
 * token are given outright; nothing is read from an environment or a file,
 * and nothing imported from here needs Node.
 *
 * ```ts
 * import { VClusterClient, NotFoundError } from "@open-vcluster/sdk/browser";
 *
 * const client = new VClusterClient({ baseUrl: "https://api.example.com:8080", token });
 * for await (const vc of client.listVClusters("team-a")) console.log(vc.name);
 * ```
 *
 * @packageDocumentation
 */

export * from "./common.js";

export { VClusterClient } from "./browser-client.js";
export type { BrowserClientOptions } from "./browser-client.js";
export type { BrowserTransportOptions } from "./browser-transport.js";
export { createRetryInterceptor } from "./retry-interceptor.js";
