"""The whole life of a vcluster, the way you would manage a virtual machine.

Create it, scale it, power it off and on, snapshot it, restore the snapshot
as a second vcluster (where the server has snapshots), list them, and delete
them.

    openvcluster-server serve &          # the reference server, 127.0.0.1:50051
    python examples/python/lifecycle.py

The connection comes from the environment: OVC_ENDPOINT (default
127.0.0.1:50051), OVC_TOKEN, and OVC_CA_FILE / OVC_CLIENT_CERT_FILE /
OVC_CLIENT_KEY_FILE for TLS.
"""

from __future__ import annotations

import sys
import uuid

import grpc

import openvcluster
from openvcluster import Phase, SnapshotPhase

NAMESPACE = "team-a"


def show(vc: openvcluster.VCluster) -> None:
    phase = Phase.Name(vc.status.phase).removeprefix("PHASE_")
    resources = vc.spec.resources
    print(
        f"  {vc.namespace}/{vc.name}: {phase}, Kubernetes {vc.spec.kubernetes_version}, "
        f"{resources.cpu} CPU, {resources.memory} memory, {vc.spec.replicas} replica(s)"
    )


def snapshot_and_restore(client: openvcluster.Client, name: str) -> openvcluster.VCluster | None:
    """Snapshots the vcluster and restores it as a new one (None: the server has no snapshots)."""
    try:
        snapshot = client.snapshot_vcluster(
            NAMESPACE, name, description="before the experiment", wait=True
        )
    except openvcluster.OpenVClusterError as error:
        # A server without snapshots, or one not given a place to store them.
        unconfigured = error.reason == "SNAPSHOTS_NOT_CONFIGURED"
        if error.code != grpc.StatusCode.UNIMPLEMENTED and not unconfigured:
            raise
        print(f"  skipped: {error.message}")
        return None
    ready = SnapshotPhase.Name(snapshot.phase).removeprefix("PHASE_")
    print(f"  snapshot {snapshot.name}: {ready}, {snapshot.size_bytes} bytes")

    print("Restoring it as a new vcluster ...")
    copy = client.restore_vcluster(NAMESPACE, snapshot.name, target_name=f"{name}-copy", wait=True)
    show(copy)
    return copy


def main() -> None:
    name = f"demo-{uuid.uuid4().hex[:6]}"  # a fresh name, so the demo can run again

    with openvcluster.Client() as client:
        print(f"Creating {NAMESPACE}/{name} on {client.config.endpoint} ...")
        vc = client.create_vcluster(
            NAMESPACE,
            name,
            kubernetes_version="1.31",
            cpu="2",
            memory="4Gi",
            labels={"app": "lifecycle-demo"},
            wait=True,  # returns once it is RUNNING
        )
        show(vc)
        print(f"  API server: {vc.status.api_server_endpoint}")

        print("Scaling up ...")
        show(client.scale_vcluster(NAMESPACE, name, cpu="4", memory="8Gi", wait=True))

        print("Suspending (power off) ...")
        show(client.suspend_vcluster(NAMESPACE, name, wait=True))

        print("Resuming (power on) ...")
        show(client.resume_vcluster(NAMESPACE, name, wait=True))

        print("Taking a snapshot ...")
        copy = snapshot_and_restore(client, name)

        print(f"Vclusters in {NAMESPACE}:")
        for listed in client.list_vclusters(NAMESPACE):  # pages are fetched as needed
            if listed.name.startswith(name):
                show(listed)

        print("Deleting ...")
        if copy is not None:
            client.delete_vcluster(NAMESPACE, copy.name, wait=True)
        client.delete_vcluster(NAMESPACE, name, delete_snapshots=True, wait=True)
        try:
            client.get_vcluster(NAMESPACE, name)
        except openvcluster.NotFoundError:
            print("  gone.")


if __name__ == "__main__":
    try:
        main()
    except openvcluster.OpenVClusterError as error:
        sys.exit(f"lifecycle demo failed: {error}")
