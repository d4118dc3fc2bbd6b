/**
 * TypeScript SDK for open-vcluster-api: manage virtual Kubernetes clusters
 * (vclusters) with a VM-like lifecycle — create, update, upgrade, scale,
 * suspend, resume, snapshot, restore and delete. This is the Node entry
 * point; web pages import `@open-vcluster/sdk/browser`, which has the same
 * client surface.
 *
 * Start with {@link VClusterClient}:
 *
 * ```ts
 * import { VClusterClient, VCluster_Phase } from "@open-vcluster/sdk";
 *
 * const client = new VClusterClient(); // OVC_ENDPOINT, default 127.0.0.1:50051
 * try {
 *   const vc = await client.createVCluster("team-a", "dev", { cpu: "2", memory: "4Gi", wait: true });
 *   console.log(vc.status?.phase === VCluster_Phase.RUNNING);
 * } finally {
 *   client.close();
 * }
 * ```
 *
 * Results are the generated `openvcluster.v1` protobuf-es messages,
 * re-exported here with their schemas (`VClusterSchema` ..., for `create`,
 * `toJson` and friends from `@bufbuild/protobuf`) and enums
 * (`VCluster_Phase` ...). Failures reject with the typed errors
 * ({@link OpenVClusterError} and its subclasses). The `google.rpc` error
 * detail types are not re-exported, to keep their names apart from the
 * API's own; errors expose what they carry (`fieldViolations`, `reason`,
 * `metadata`, `quotaViolations`).
 *
 * @packageDocumentation
 */

export * from "./common.js";

export { VClusterClient } from "./node-client.js";
export type { ClientOptions } from "./node-client.js";
export { DEFAULT_ENDPOINT, ENV, resolveConnection } from "./config.js";
export type { ConnectionOptions } from "./config.js";
export { createRetryInterceptor } from "./debug-log.js";
export type { TransportOptions } from "./transport.js";
