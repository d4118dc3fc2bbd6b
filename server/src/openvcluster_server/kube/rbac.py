"""The permissions the Kubernetes backend needs on its host cluster, rule by rule.

``openvcluster-server manifests`` grants these to the server's
ServiceAccount: a ClusterRole of ``CLUSTER_RULES`` and ``CHART_RULES``, and a
Role in the system namespace of ``SYSTEM_RULES``. Each rule says who makes
the requests it allows (the server itself, or the ``helm`` binary it runs
with the same credentials), why, and what shows that it is needed:

- ``CONFORMANCE``: every full conformance run on the Kubernetes backend uses
  it; ``conformance/rbac_proof.py`` reads the audit log at the end of the
  run and fails it when a rule grants something nobody used, or someone used
  something no rule grants;
- ``RBAC_TEST``: a code path no conformance case reaches (a NodePort or
  INGRESS vcluster, a control plane without a volume, an adopted vcluster);
  ``server/tests/kubernetes/test_rbac.py`` takes it and fails when unused;
- ``RACE``: taken only when two writes race (a step repeated after a
  restart or a change of leader finds its object already made; an API write
  conflicts with the reconciler's), so a run may or may not use it; without
  it the losing side would fail instead of carrying on.

Helm's rules are measured with Helm 4 (the version the test environment and
the Dockerfile pin), which applies on the server: it reads an object (get),
applies it (patch) and deletes it on uninstall. An apply that makes a new
object needs ``create`` too, which the API server checks without logging it
(the audit log says ``patch``, answered 201 Created). Helm 3 uses the same
verbs, with ``create`` instead of the apply that creates.

``CHART_RULES`` are the exception the proof allows: the real vcluster chart
makes a Role (and a ServiceAccount and RoleBinding) in each host namespace,
which the test environment's stand-in chart does not; Kubernetes lets a
subject create a Role only with every permission the Role grants, so the
server must hold those permissions itself (RBAC escalation prevention).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openvcluster_server.kube import crd, kinds
from openvcluster_server.kube.leader import LEASE_NAME

SERVER = "server"
HELM = "helm"
# How each rule is shown to be needed (see the module's description).
CONFORMANCE = "conformance"
RBAC_TEST = "rbac-test"
RACE = "race"
CHART = "chart"

# The chart version CHART_RULES were read from; the server's default chart
# must be this one (server/tests/test_manifests.py checks it): after a chart
# upgrade, read chart/templates/role.yaml of the new version again.
CHART_VERSION = "0.36.1"


@dataclass(frozen=True)
class Rule:
    """One PolicyRule of the server's roles, and why it is there."""

    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    # Who makes the requests it allows: SERVER or HELM.
    by: str
    why: str
    proof: str = CONFORMANCE
    # When set, only these objects (never for create, whose object has no name yet).
    names: tuple[str, ...] = ()

    def policy_rule(self) -> dict[str, Any]:
        """The rule as a Role or ClusterRole lists it."""
        rule: dict[str, Any] = {"apiGroups": [self.group], "resources": list(self.resources)}
        if self.names:
            rule["resourceNames"] = list(self.names)
        rule["verbs"] = list(self.verbs)
        return rule

    def permissions(self) -> Iterator[tuple[str, str, str]]:
        """Every (API group, resource[/subresource], verb) it grants."""
        for resource in self.resources:
            for verb in self.verbs:
                yield self.group, resource, verb

    def allows(self, group: str, resource: str, verb: str, name: str) -> bool:
        """Whether it grants one request (``resource`` with its /subresource, if any)."""
        return (
            group == self.group
            and resource in self.resources
            and verb in self.verbs
            and (not self.names or name in self.names)
        )


def _server(group: str, resources: str, verbs: str, why: str, **more: Any) -> Rule:
    return Rule(group, tuple(resources.split()), tuple(verbs.split()), SERVER, why, **more)


def _helm(group: str, resources: str, verbs: str, why: str, **more: Any) -> Rule:
    return Rule(group, tuple(resources.split()), tuple(verbs.split()), HELM, why, **more)


_CRD_NAMES = tuple(d["metadata"]["name"] for d in crd.definitions())

# Cluster-wide: vclusters live in any namespace, and so do their host namespaces.
CLUSTER_RULES: tuple[Rule, ...] = (
    _server(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "get",
        "checks at start that the VCluster and Snapshot CRDs are served (crd.py); the "
        "manifests install them, so --install-crds (create, update) stays off",
        names=_CRD_NAMES,
    ),
    _server(
        "",
        "namespaces",
        "create delete list watch",
        "makes each vcluster's host namespace and deletes it with the vcluster, makes API "
        "namespaces on first use and the system namespace if missing (lifecycle.py, "
        "reconciler.py, operations.py); watches those it made (world.py)",
    ),
    _server(
        kinds.GROUP,
        "vclusters",
        "list watch create patch delete",
        "the API's vclusters: watched (world.py), written by the API calls (operations.py), "
        "finalizer and power state set by the reconciler",
    ),
    _server(
        kinds.GROUP,
        "vclusters",
        "get",
        "re-reads a vcluster whose write lost a race (409) before trying again (mutations.py): "
        "one or two requests in each full conformance run so far, so not every run",
        proof=RACE,
    ),
    _server(
        kinds.GROUP,
        "vclusters/status",
        "patch",
        "the reconciler records what it observed (reconciler.py)",
    ),
    _server(
        kinds.GROUP,
        "snapshots",
        "list watch create patch delete",
        "the API's snapshots: watched, written by the API calls (snapshot_operations.py), "
        "finalizer released by the snapshot reconciler",
    ),
    _server(
        kinds.GROUP,
        "snapshots/status",
        "patch",
        "the snapshot reconciler records a snapshot's progress (snapshot_reconciler.py)",
    ),
    _server(
        kinds.GROUP,
        "operations",
        "list watch create patch",
        "the operation history: watched (world.py), written by the API calls and moved "
        "along by the reconcilers (kube/history.py)",
    ),
    _server(
        kinds.GROUP,
        "operations",
        "delete",
        "the oldest operations of a vcluster beyond --operations-per-vcluster, and those "
        "past --operation-retention (kube/history.py); test_rbac.py keeps two per vcluster",
        proof=RBAC_TEST,
    ),
    _server(
        "apps",
        "statefulsets",
        "list watch patch",
        "control planes: watched (world.py); paused, resumed and marked deletion-protected "
        "as the vcluster CLI does (lifecycle.py, reconciler.py)",
    ),
    _server(
        "apps",
        "deployments",
        "list watch",
        "control planes without a volume (a Deployment): watched (world.py)",
    ),
    _server(
        "apps",
        "deployments",
        "patch",
        "paused, resumed and marked like a StatefulSet control plane (lifecycle.py)",
        proof=RBAC_TEST,
    ),
    _server(
        "",
        "pods",
        "list watch create delete deletecollection patch",
        "control-plane, synced, snapshot and restore pods: watched (world.py), usage "
        "counted (usage.py); snapshot and restore pods made and removed (snapshot_host.py); "
        "synced pods deleted on suspend and restore (lifecycle.py, restores.py); patch only "
        "with --enable-test-hooks, which annotates pods to slow them (hooks.py)",
    ),
    _server(
        "",
        "pods",
        "get",
        "reads the snapshot or restore pod a repeated step finds already made (snapshot_host.py)",
        proof=RACE,
    ),
    _server(
        "",
        "services",
        "list watch",
        "control-plane Services: watched for the vcluster's endpoint (world.py)",
    ),
    _server(
        "",
        "configmaps",
        "list watch create patch delete",
        "snapshot requests in host namespaces (snapshot_host.py) and remembered request ids "
        "in the system namespace (records.py): watched, made, moved on, removed",
    ),
    _server(
        "",
        "configmaps",
        "get",
        "reads the snapshot request a repeated step finds already made (snapshot_host.py)",
        proof=RACE,
    ),
    _server(
        "",
        "secrets",
        "get create delete deletecollection",
        "the kubeconfig vcluster writes (vc-<name>, lifecycle.py), snapshot options "
        "(snapshot_host.py, restores.py), the store's credentials and the page-token key "
        "(records.py)",
    ),
    _server(
        "",
        "persistentvolumeclaims",
        "create get",
        "a restore makes the data volume's claim when missing, or reads it (snapshot_host.py)",
    ),
    _server(
        "",
        "persistentvolumeclaims",
        "deletecollection",
        "deleting a vcluster found in its API namespace (adopted) removes its claims "
        "(lifecycle.py)",
        proof=RBAC_TEST,
    ),
    _server(
        "",
        "resourcequotas",
        "create delete",
        "the quota that holds back a vcluster restored to a new name (restores.py)",
    ),
    _server(
        "",
        "nodes",
        "list",
        "a NodePort vcluster's endpoint is a node's address (reconciler.py)",
        proof=RBAC_TEST,
    ),
    _server(
        "metrics.k8s.io",
        "pods",
        "list",
        "GetVClusterUsage asks metrics-server what the synced pods use (usage.py)",
    ),
    _helm(
        "",
        "secrets",
        "get list create update patch delete",
        "Helm's release records (sh.helm.release.v1.<name>.v<n>) and the chart's vc-config-<name>",
    ),
    _helm("", "services", "get create patch delete", "the chart's Services"),
    _helm("apps", "statefulsets", "get create patch delete", "the chart's control plane"),
    _helm(
        "apps",
        "deployments",
        "get create patch delete",
        "the chart's control plane without a volume",
        proof=RBAC_TEST,
    ),
    _helm(
        "networking.k8s.io",
        "ingresses",
        "get create patch delete",
        "the chart's Ingress of an INGRESS vcluster",
        proof=RBAC_TEST,
    ),
)

# The system namespace only: the leader Lease (leader.py). The request
# records and the page-token Secret need nothing beyond CLUSTER_RULES, which
# grant those verbs on ConfigMaps and Secrets everywhere already.
SYSTEM_RULES: tuple[Rule, ...] = (
    _server("coordination.k8s.io", "leases", "create", "takes the leader Lease when there is none"),
    _server(
        "coordination.k8s.io",
        "leases",
        "get update",
        "reads, takes over, renews and hands back the leader Lease",
        names=(LEASE_NAME,),
    ),
)

_ALL = "create delete patch update get list watch"
# What the real vcluster chart needs beyond the stand-in, read from
# loft-sh/vcluster v0.36.1, chart/templates/role.yaml (and the templates of the
# objects only it makes), for the chart's default values and those the backend
# sets: (API group, resources, verbs, why).
_CHART: tuple[tuple[str, str, str, str], ...] = (
    ("", "serviceaccounts", "get create patch delete", "Helm applies its two ServiceAccounts"),
    (
        "rbac.authorization.k8s.io",
        "roles rolebindings",
        "get create patch delete",
        "Helm applies its Role and RoleBinding",
    ),
    (
        "",
        "configmaps secrets services pods pods/attach pods/portforward pods/exec "
        "persistentvolumeclaims",
        _ALL,
        "its Role grants it",
    ),
    ("", "pods/status pods/ephemeralcontainers", "patch update", "its Role grants it"),
    ("", "pods/resize", "patch update", "its Role grants it on hosts of Kubernetes 1.35 or later"),
    (
        "apps",
        "statefulsets replicasets deployments",
        "get list watch patch update",
        "its Role grants it",
    ),
    ("", "endpoints pods/log", "get list watch", "its Role grants it"),
    ("", "events", "create get list watch", "its Role grants it"),
    ("events.k8s.io", "events", "create get list watch", "its Role grants it"),
    (
        "",
        "endpoints",
        "create delete patch update",
        "its Role grants it (sync.toHost.endpoints is on)",
    ),
    (
        "discovery.k8s.io",
        "endpointslices",
        "create list get delete patch update watch",
        "its Role grants it (sync.toHost.endpointSlices is on)",
    ),
    (
        "coordination.k8s.io",
        "leases",
        _ALL,
        "its Role grants it for more than one replica or embedded etcd (replicas, enable_ha)",
    ),
)
CHART_RULES: tuple[Rule, ...] = tuple(
    Rule(group, tuple(resources.split()), tuple(verbs.split()), HELM, why, proof=CHART)
    for group, resources, verbs, why in _CHART
)
