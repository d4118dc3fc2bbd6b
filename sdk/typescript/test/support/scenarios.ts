// The checks every transport must pass, whichever entry point built the
// client: the same calls, results and typed errors over gRPC, Connect and
// gRPC-Web, from Node or through fetch.

import assert from "node:assert/strict";

import {
  Caller_Role,
  Code,
  Operation_State as State,
  FailedPreconditionError,
  InvalidArgumentError,
  newRequestId,
  NotFoundError,
  ResourceExhaustedError,
  ServerInfo_Backend,
  VCluster_Phase,
  WatchVClustersResponse_EventType as EventType,
  type VClusterClientBase,
  type WatchEvent,
} from "../../src/index.js";
import { uniqueNamespace } from "./server.js";

/** Create, get, list (over two pages) and delete. */
export async function crud(client: VClusterClientBase): Promise<void> {
  const ns = uniqueNamespace();
  const created = await client.createVCluster(ns, "dev", { cpu: "2", labels: { tier: "gold" }, wait: true });
  assert.equal(created.status?.phase, VCluster_Phase.RUNNING);
  await client.createVCluster(ns, "web");
  const got = await client.getVCluster(ns, "dev");
  assert.equal(got.spec?.resources?.cpu, "2");
  assert.deepEqual(got.labels, { tier: "gold" });
  const pages = [];
  for await (const page of client.listVClusters(ns, { pageSize: 1 }).pages()) pages.push(page.items.map((vc) => vc.name));
  assert.deepEqual(pages, [["dev"], ["web"]]);
  await client.deleteVCluster(ns, "dev", { wait: true });
  await assert.rejects(client.getVCluster(ns, "dev"), NotFoundError);
}

/** A watch replays, syncs, and sees a vcluster created after SYNCED until cancelled. */
export async function watch(client: VClusterClientBase): Promise<void> {
  const ns = uniqueNamespace();
  await client.createVCluster(ns, "one", { wait: true });
  const stream = client.watchVClusters(ns);
  const seen: WatchEvent[] = [];
  for await (const event of stream) {
    seen.push(event);
    if (event.type === EventType.SYNCED) await client.createVCluster(ns, "two");
    if (event.vcluster?.name === "two" && event.vcluster.status?.phase === VCluster_Phase.RUNNING) stream.cancel();
  }
  assert.deepEqual(
    seen.map((e) => [e.type, e.vcluster?.name, e.vcluster?.status?.phase]),
    [
      [EventType.ADDED, "one", VCluster_Phase.RUNNING],
      [EventType.SYNCED, undefined, undefined],
      [EventType.ADDED, "two", VCluster_Phase.PROVISIONING],
      [EventType.MODIFIED, "two", VCluster_Phase.RUNNING],
    ],
  );
}

/** INVALID_ARGUMENT decodes into InvalidArgumentError with every field violation (google.rpc.BadRequest). */
export async function invalidArgument(client: VClusterClientBase): Promise<void> {
  const error = await client.createVCluster(uniqueNamespace(), "Bad_Name", { memory: "lots" }).then(
    () => assert.fail("created"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidArgumentError, String(error));
  assert.equal(error.code, Code.InvalidArgument);
  assert.deepEqual(
    error.fieldViolations.map((v) => v.field),
    ["name", "spec.resources.memory"],
  );
  assert.ok(error.fieldViolations.every((v) => v.description.length > 0));
  assert.match(error.message, /\n {2}spec\.resources\.memory: /);
  assert.match(error.requestId ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
}

/** FAILED_PRECONDITION carries its google.rpc.ErrorInfo; NOT_FOUND has none. */
export async function failedPrecondition(client: VClusterClientBase): Promise<void> {
  const ns = uniqueNamespace();
  await client.createVCluster(ns, "dev", { metadata: { "ovc-test-transition-delay-ms": "3600000" } });
  const error = await client.suspendVCluster(ns, "dev").then(
    () => assert.fail("suspended while provisioning"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FailedPreconditionError, String(error));
  assert.equal(error.reason, "INVALID_PHASE");
  assert.equal(error.phase, "PROVISIONING");
  await assert.rejects(client.getVCluster(ns, "nope"), (e: unknown) => e instanceof NotFoundError && e.reason === undefined);
}

/** RESOURCE_EXHAUSTED carries the google.rpc.QuotaFailure violations; `namespace` allows one vcluster. */
export async function quotaExceeded(client: VClusterClientBase, namespace: string): Promise<void> {
  await client.createVCluster(namespace, "one");
  const error = await client.createVCluster(namespace, "two").then(
    () => assert.fail("created over quota"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ResourceExhaustedError, String(error));
  assert.match(error.quotaViolations[0]?.subject ?? "", new RegExp(namespace));
}

/** The fields an InvalidArgumentError names; fails on any other outcome. */
export async function invalidFields(call: Promise<unknown>): Promise<string[]> {
  const error = await call.then(
    () => assert.fail("accepted"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidArgumentError, String(error));
  return error.fieldViolations.map((v) => v.field);
}

/**
 * Usage and the fleet summary: the spec's requests, the simulated figures
 * and one the backend has no source for; NOT_FOUND and INVALID_ARGUMENT.
 */
export async function monitor(client: VClusterClientBase): Promise<void> {
  const ns = uniqueNamespace();
  await client.createVCluster(ns, "dev", { cpu: "2", memory: "4Gi", wait: true });
  const usage = await client.getVClusterUsage(ns, "dev");
  assert.deepEqual([usage.namespace, usage.name, usage.phase], [ns, "dev", VCluster_Phase.RUNNING]);
  assert.deepEqual([usage.requested?.cpu, usage.requested?.memory, usage.replicas], ["2", "4Gi", 1]);
  assert.deepEqual([usage.cpuUsed?.available, usage.cpuUsed?.source], [true, "simulated"]);
  assert.notEqual(usage.cpuUsed?.value, "");
  assert.deepEqual([usage.cpuRequestedByPods?.available, usage.cpuRequestedByPods?.value], [false, ""]);
  assert.notEqual(usage.cpuRequestedByPods?.reason, "");

  const summary = await client.getFleetSummary({ namespace: ns });
  assert.equal(summary.vclusterCount, 1);
  assert.deepEqual(summary.phases.map((p) => [p.phase, p.count]), [[VCluster_Phase.RUNNING, 1]]);
  assert.deepEqual(
    summary.namespaces.map((n) => [n.namespace, n.vclusterCount, n.cpuRequested, n.memoryRequested]),
    [[ns, 1, "2", "4Gi"]],
  );

  await assert.rejects(client.getVClusterUsage(ns, "absent"), NotFoundError);
  assert.deepEqual(await invalidFields(client.getVClusterUsage(ns, "Bad_Name")), ["name"]);
  assert.deepEqual(await invalidFields(client.getFleetSummary({ namespace: "Bad_NS" })), ["namespace"]);
}

/**
 * The server's information, for a token that may use every namespace: the
 * reference server's defaults, and the spec an empty create gets. The
 * server's quotas are those of `quotaNamespaces`, of one vcluster each.
 */
export async function serverInfo(client: VClusterClientBase, quotaNamespaces: readonly string[] = []): Promise<void> {
  const info = await client.getServerInfo();
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.backend, ServerInfo_Backend.SIMULATED);
  assert.ok(info.kubernetesVersions.length > 0);
  assert.deepEqual([info.specDefaults?.resources?.cpu, info.specDefaults?.resources?.memory], ["1", "2Gi"]);
  assert.deepEqual(
    [info.limits?.defaultPageSize, info.limits?.maxPageSize, info.limits?.maxMessageBytes],
    [50, 1000, 4 * 1024 * 1024],
  );
  const quotas = Object.entries(info.limits?.quotas ?? {}).map(([ns, quota]) => [ns, quota.maxVclusters]);
  assert.deepEqual(quotas.sort(), [...quotaNamespaces].sort().map((ns) => [ns, 1]));
  assert.deepEqual([info.caller?.role, info.caller?.namespaces, info.caller?.allNamespaces], [Caller_Role.EDITOR, [], true]);
  assert.notEqual(info.caller?.name, "");

  const ns = uniqueNamespace();
  const created = await client.createVCluster(ns, "plain");
  assert.deepEqual(created.spec, info.specDefaults, "an empty spec becomes specDefaults");
  assert.equal(created.spec?.kubernetesVersion, info.kubernetesVersions.at(-1), "the last version is the default");
}

/**
 * Updates: labels at once (protection kept), deletion protection's refusal
 * of a delete, an upgrade with wait through UPGRADING to RUNNING.
 */
export async function update(client: VClusterClientBase): Promise<void> {
  const ns = uniqueNamespace();
  await client.createVCluster(ns, "dev", { kubernetesVersion: "1.31", deletionProtection: true, wait: true });
  const relabelled = await client.updateVCluster(ns, "dev", { labels: { tier: "gold" } });
  assert.deepEqual(relabelled.labels, { tier: "gold" });
  assert.deepEqual([relabelled.spec?.deletionProtection, relabelled.status?.phase], [true, VCluster_Phase.RUNNING]);
  const refused = await client.deleteVCluster(ns, "dev").then(
    () => assert.fail("deleted a protected vcluster"),
    (e: unknown) => e,
  );
  assert.ok(refused instanceof FailedPreconditionError, String(refused));
  assert.equal(refused.reason, "DELETION_PROTECTED");
  const upgraded = await client.upgradeVCluster(ns, "dev", "1.32", { wait: true });
  assert.deepEqual([upgraded.spec?.kubernetesVersion, upgraded.status?.phase], ["1.32", VCluster_Phase.RUNNING]);
  const unprotected = await client.updateVCluster(ns, "dev", { deletionProtection: false });
  assert.deepEqual(unprotected.labels, { tier: "gold" });
  await client.deleteVCluster(ns, "dev", { wait: true });
}

/**
 * Operations: every mutation reports the id of the Operation recording it,
 * which getOperation reads (its method, target and the phases it went
 * through) and listOperations lists, newest first, page by page; a
 * validate-only call reports none.
 */
export async function operations(client: VClusterClientBase): Promise<void> {
  const ns = uniqueNamespace();
  const ids: string[] = [];
  const onOperation = (id: string): void => void ids.push(id);
  await client.createVCluster(ns, "dev", { validateOnly: true, onOperation });
  assert.deepEqual(ids, [], "a validate-only call makes no operation");
  const requestId = newRequestId();
  await client.createVCluster(ns, "dev", { requestId, wait: true, onOperation });
  await client.snapshotVCluster(ns, "dev", { snapshotName: "s1", wait: true, onOperation });
  await client.deleteSnapshot(ns, "s1", { onOperation });
  assert.equal(ids.length, 3, "each mutation tells its operation once");
  assert.equal(new Set(ids).size, 3);

  const created = await client.getOperation(ids[0]!);
  assert.deepEqual(
    [created.id, created.namespace, created.vcluster, created.snapshot, created.method, created.requestId],
    [ids[0], ns, "dev", "", "CreateVCluster", requestId],
  );
  assert.equal(created.state, State.SUCCEEDED);
  assert.deepEqual(created.progress.map((p) => p.phase), ["PROVISIONING", "RUNNING"]);
  assert.ok(created.startTime !== undefined && created.endTime !== undefined);
  assert.equal(created.error, undefined);
  const deleted = await client.getOperation(ids[2]!);
  assert.deepEqual([deleted.method, deleted.vcluster, deleted.snapshot, deleted.state], ["DeleteSnapshot", "dev", "s1", State.SUCCEEDED]);

  const pages = [];
  for await (const page of client.listOperations(ns, { pageSize: 2 }).pages()) pages.push(page.items.map((o) => o.id));
  assert.deepEqual(pages, [[ids[2], ids[1]], [ids[0]]], "newest first, two a page");
  const ofDev = await client.listOperations(ns, { vcluster: "dev" }).toArray();
  assert.deepEqual(ofDev.map((o) => o.method), ["DeleteSnapshot", "SnapshotVCluster", "CreateVCluster"]);
  assert.deepEqual(await client.listOperations(ns, { vcluster: "other" }).toArray(), []);

  await assert.rejects(client.getOperation("0f8fad5b-d9cb-469f-a165-70867728950e"), NotFoundError);
  assert.deepEqual(await invalidFields(client.getOperation("not-an-id")), ["id"]);
}

/** Closing the client ends a watch and a call still running with CancelledError, and refuses new calls. */
export async function closing(client: VClusterClientBase): Promise<void> {
  const events = client.watchVClusters(uniqueNamespace())[Symbol.asyncIterator]();
  const slow = client.getVCluster("x", "y", { metadata: { "ovc-test-delay-ms": "5000" } });
  assert.equal((await events.next()).value?.type, EventType.SYNCED);
  client.close();
  await assert.rejects(slow, { name: "CancelledError", message: /closed/ });
  await assert.rejects(events.next(), { name: "CancelledError", message: /closed/ });
  await assert.rejects(client.getVCluster("x", "y"), { name: "CancelledError", message: /closed/ });
}
