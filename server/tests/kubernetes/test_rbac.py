"""The deploy manifests on a real cluster, and a server with only their ServiceAccount's token.

The conformance run on this backend proves the roles against everything its
cases do (conformance/rbac_proof.py). This suite applies the whole
deploy/openvcluster-server.yaml, then runs a server (and its helm) as the
ServiceAccount through what no conformance case reaches: a control plane
without a volume (a Deployment) on a NodePort, an INGRESS vcluster, and the
deletion of a vcluster found on the host, and operations forgotten beyond
the number kept per vcluster. Nothing may be refused, and every
rule of kube/rbac.py marked RBAC_TEST must have been used.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import yaml

import openvcluster
from conformance import rbac_proof
from k8s_testenv import service_account
from k8s_testenv.cluster import NODE_NAME
from k8s_testenv.fixtures import KubeEnv
from k8s_testenv.server_settings import STANDIN_CHART
from openvcluster import ExposeType, Phase
from openvcluster.v1.vcluster_pb2 import StorageSpec, VClusterSpec
from openvcluster_server import manifests
from openvcluster_server.kube import rbac
from openvcluster_server.testing import running_server

from .conftest import kubernetes_settings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "openvcluster-server.yaml"
_ACCOUNT = f"system:serviceaccount:{manifests.NAMESPACE}:{manifests.NAME}"


def test_the_deploy_manifests_apply_cleanly(kube: KubeEnv) -> None:
    # Server-side, as on a cluster where the servers' own writes made some of
    # these already (the system namespace, the CRDs): a field another manager
    # set differently would be a conflict, and fail.
    applied = kube.kubectl("apply", "--server-side", "-f", str(DEPLOY))
    # Strict field validation is kubectl's default: an unknown field fails the apply.
    assert "Warning" not in applied.stderr, applied.stderr
    assert len(applied.stdout.splitlines()) == 12, applied.stdout
    try:
        # Applied once, they are what the file says: no difference (kubectl diff exits 0).
        kube.kubectl("diff", "--server-side", "-f", str(DEPLOY))
        built = kube.kubectl("kustomize", str(DEPLOY.parent)).stdout  # kubectl apply -k deploy/
        assert len(list(yaml.safe_load_all(built))) == 12
        # A few spot checks of what the account may do, and may not.
        for allowed in (
            ["create", "namespaces"],
            ["patch", "vclusters.openvcluster.io/status", "-n", "anywhere"],
            ["update", "leases/openvcluster-server", "-n", manifests.NAMESPACE],
        ):
            assert _can_i(kube, *allowed), allowed
        for refused in (
            ["update", "vclusters.openvcluster.io", "-n", "anywhere"],  # it patches
            ["delete", "customresourcedefinitions/vclusters.openvcluster.io"],
            ["create", "clusterroles"],
            ["escalate", "roles", "-n", "anywhere"],
            ["bind", "roles", "-n", "anywhere"],
            ["impersonate", "users"],
            ["delete", "nodes"],
        ):
            assert not _can_i(kube, *refused), refused
    finally:
        # The pods would run nothing anyway (kwok); the access objects stay for others.
        for kind in ("deployment", "service", "poddisruptionbudget"):
            kube.kubectl("delete", kind, manifests.NAME, "-n", manifests.NAMESPACE)


def test_a_server_with_only_the_service_account_token_manages_vclusters(
    kube: KubeEnv, namespace: str, tmp_path: Path
) -> None:
    access = service_account.grant(
        kube.cluster, manifests.access_objects(), tmp_path / "service-account.kubeconfig"
    )
    kube.helm("install", "found", str(STANDIN_CHART), "-n", namespace, "--wait", "--timeout", "60s")
    # kwok's node has no address, which a NodePort vcluster's endpoint is made
    # of; give it one, as a real node has.
    kube.kubectl(
        "patch",
        "node",
        NODE_NAME,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status": {"addresses": [{"type": "InternalIP", "address": "192.0.2.10"}]}}',
    )
    mark = kube.audit.mark()
    api = f"rbac-{uuid.uuid4().hex[:8]}"
    # Two operations kept per vcluster: dev's later calls make its first ones go.
    settings = kubernetes_settings(
        kube,
        kubeconfig=access.kubeconfig,
        install_crds=False,
        leader_elect=True,
        operations_per_vcluster=2,
    )
    with (
        running_server(**settings) as server,
        openvcluster.Client(server.address, wait_timeout=90) as client,
    ):
        # No volume: the control plane is a Deployment; reached on a node's port.
        spec = VClusterSpec(storage=StorageSpec(persistence=False))
        created = client.create_vcluster(
            api, "dev", spec=spec, expose_type=ExposeType.EXPOSE_TYPE_NODE_PORT, wait=True
        )
        assert created.status.api_server_endpoint.startswith("https://192.0.2.10:")
        assert client.get_vcluster(api, "dev").uid == created.uid
        client.scale_vcluster(api, "dev", cpu="2", wait=True)
        client.suspend_vcluster(api, "dev", wait=True)
        client.resume_vcluster(api, "dev", wait=True)
        # Pruned as each call is recorded: the create's (long ended) is gone.
        kept = [op.method for op in client.list_operations(api, vcluster="dev")]
        assert kept[0] == "ResumeVCluster" and "CreateVCluster" not in kept, kept
        client.delete_vcluster(api, "dev", wait=True)
        client.create_vcluster(api, "web", expose_type=ExposeType.EXPOSE_TYPE_INGRESS, wait=True)
        client.delete_vcluster(api, "web", wait=True)
        # Made with helm in its own namespace: found, then deleted with its claims.
        assert client.wait_for_phase(namespace, "found", Phase.PHASE_RUNNING)
        client.delete_vcluster(namespace, "found", wait=True)
    usage = rbac_proof.Usage(manifests.NAMESPACE)
    usage.add(kube.audit.events(since=mark, user=access.user))
    problems, _ = rbac_proof.verdict(usage, access.user, complete=False)
    assert not problems, "\n".join(problems)
    unused = usage.unused(rbac.RBAC_TEST)
    assert not unused, "granted for this suite's paths, but unused: " + ", ".join(
        f"{rule.by} {rbac_proof.describe(permission)}" for rule, permission in unused
    )


def _can_i(kube: KubeEnv, *question: str) -> bool:
    """``kubectl auth can-i`` as the deploy ServiceAccount (it exits 1 for "no")."""
    result = subprocess.run(
        [str(kube.cluster.bin / "kubectl"), "auth", "can-i", *question, f"--as={_ACCOUNT}"],
        env={**os.environ, "KUBECONFIG": str(kube.kubeconfig)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip() == "yes"
