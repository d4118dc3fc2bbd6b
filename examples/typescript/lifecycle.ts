/**
 * The whole life of a vcluster, the way you would manage a virtual machine.
 *
 * Create it, scale it, power it off and on, snapshot it, restore the
 * snapshot as a second vcluster, list them, and delete both.
 *
 * The connection comes from the environment: OVC_ENDPOINT (default
 * 127.0.0.1:50051), OVC_TOKEN, and OVC_CA_FILE / OVC_CLIENT_CERT_FILE /
 * OVC_CLIENT_KEY_FILE for TLS. See README.md for how to run it.
 */

import { randomBytes } from "node:crypto";

import {
  NotFoundError,
  OpenVClusterError,
  phaseName,
  snapshotPhaseName,
  VClusterClient,
  type VCluster,
} from "@open-vcluster/sdk";

const NAMESPACE = "team-a";

function show(vc: VCluster): void {
  const phase = phaseName(vc.status?.phase ?? 0);
  const resources = vc.spec?.resources;
  console.log(
    `  ${vc.namespace}/${vc.name}: ${phase}, Kubernetes ${vc.spec?.kubernetesVersion}, ` +
      `${resources?.cpu} CPU, ${resources?.memory} memory, ${vc.spec?.replicas} replica(s)`,
  );
}

async function main(): Promise<void> {
  const name = `demo-${randomBytes(3).toString("hex")}`; // a fresh name, so the demo can run again

  const client = new VClusterClient();
  try {
    console.log(`Creating ${NAMESPACE}/${name} on ${client.config.endpoint} ...`);
    const vc = await client.createVCluster(NAMESPACE, name, {
      kubernetesVersion: "1.31",
      cpu: "2",
      memory: "4Gi",
      labels: { app: "lifecycle-demo" },
      wait: true, // resolves once it is RUNNING
    });
    show(vc);
    console.log(`  API server: ${vc.status?.apiServerEndpoint}`);

    console.log("Scaling up ...");
    show(await client.scaleVCluster(NAMESPACE, name, { cpu: "4", memory: "8Gi", wait: true }));

    console.log("Suspending (power off) ...");
    show(await client.suspendVCluster(NAMESPACE, name, { wait: true }));

    console.log("Resuming (power on) ...");
    show(await client.resumeVCluster(NAMESPACE, name, { wait: true }));

    console.log("Taking a snapshot ...");
    const snapshot = await client.snapshotVCluster(NAMESPACE, name, {
      description: "before the experiment",
      wait: true,
    });
    console.log(`  snapshot ${snapshot.name}: ${snapshotPhaseName(snapshot.phase)}, ${snapshot.sizeBytes} bytes`);

    console.log("Restoring it as a new vcluster ...");
    const copy = await client.restoreVCluster(NAMESPACE, snapshot.name, { targetName: `${name}-copy`, wait: true });
    show(copy);

    console.log(`Vclusters in ${NAMESPACE}:`);
    for await (const listed of client.listVClusters(NAMESPACE)) {
      // pages are fetched as needed
      if (listed.name.startsWith(name)) show(listed);
    }

    console.log("Deleting both ...");
    await client.deleteVCluster(NAMESPACE, copy.name, { wait: true });
    await client.deleteVCluster(NAMESPACE, name, { deleteSnapshots: true, wait: true });
    try {
      await client.getVCluster(NAMESPACE, name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      console.log("  gone.");
    }
  } finally {
    client.close();
  }
}

main().catch((error: unknown) => {
  if (!(error instanceof OpenVClusterError)) throw error;
  console.error(`lifecycle demo failed: ${error.message}`);
  process.exitCode = 1;
});
