"""``openvcluster-server manifests``: what runs the server in its host cluster, as one YAML stream.

The Namespace (the system namespace), the ServiceAccount, the CRDs, the
roles of ``kube/rbac.py`` and their bindings, and a Deployment of two
replicas under leader election with its Service and PodDisruptionBudget.
``deploy/openvcluster-server.yaml`` is this output for the default image
(``server/tests/test_manifests.py`` keeps the two equal).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

import yaml

from openvcluster_server import __version__
from openvcluster_server.config import ServerConfig
from openvcluster_server.kube import crd, rbac

NAME = "openvcluster-server"
NAMESPACE = ServerConfig().system_namespace
DEFAULT_IMAGE = f"ghcr.io/open-vcluster/openvcluster-server:{__version__}"
GRPC_PORT = 50051
HTTP_PORT = 8080
# The bearer tokens (server/README.md): a Secret the operator makes, since
# the server refuses to listen beyond loopback without tokens.
TOKENS_SECRET = "openvcluster-server-tokens"
_TOKENS_DIR = "/etc/openvcluster-server"
_LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "open-vcluster-api"}
_HEADER = """\
# The open-vcluster-api server in its host cluster, printed by
# `openvcluster-server manifests` (server/src/openvcluster_server/manifests.py):
# regenerate it rather than edit it. Before applying, make the tokens Secret:
#   kubectl create namespace openvcluster-system
#   kubectl -n openvcluster-system create secret generic openvcluster-server-tokens \\
#     --from-file=tokens.yaml
# See docs/kubernetes-backend.md, "Deploying in a cluster".
"""


def _meta(name: str = NAME, namespace: str | None = NAMESPACE) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = dict(_LABELS)
    return meta


def _subject() -> list[dict[str, str]]:
    return [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]


def access_objects() -> list[dict[str, Any]]:
    """What the server needs to exist and to be allowed: the Namespace, the
    ServiceAccount, the CRDs and the roles with their bindings."""
    cluster_rules = rbac.CLUSTER_RULES + rbac.CHART_RULES
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(NAMESPACE, None)},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta()},
        *crd.definitions(),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(namespace=None),
            "rules": [r.policy_rule() for r in cluster_rules],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(namespace=None),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": NAME,
            },
            "subjects": _subject(),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(),
            "rules": [r.policy_rule() for r in rbac.SYSTEM_RULES],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
            "subjects": _subject(),
        },
    ]


def _container(image: str) -> dict[str, Any]:
    config = ServerConfig()
    # The gRPC health service: SERVING once the watch cache is filled, and
    # NOT_SERVING while the watches of the host cluster are lost.
    probe = {"grpc": {"port": GRPC_PORT}, "periodSeconds": 10}
    return {
        "name": "server",
        "image": image,
        "args": [
            "serve",
            "--backend",
            "kubernetes",
            "--leader-elect",
            "--address",
            f"0.0.0.0:{GRPC_PORT}",
            "--http-address",
            f"0.0.0.0:{HTTP_PORT}",
            "--tokens-file",
            f"{_TOKENS_DIR}/tokens.yaml",
            # The chart whose Role the ClusterRole was written for (kube/rbac.py).
            "--chart-version",
            config.chart_version,
            "--log-format",
            "json",
        ],
        # Helm keeps its repository cache under HOME; the root file system is read-only.
        "env": [{"name": "HOME", "value": "/tmp"}],
        "ports": [
            {"name": "grpc", "containerPort": GRPC_PORT},
            {"name": "http", "containerPort": HTTP_PORT},
        ],
        # The first listing of the host cluster may take up to a minute.
        "startupProbe": {**probe, "failureThreshold": 12},
        "readinessProbe": {**probe, "periodSeconds": 5, "failureThreshold": 2},
        # Lenient: a lost watch heals by itself, and a restart would not help it.
        "livenessProbe": {**probe, "failureThreshold": 6},
        # Up to four helm processes (each capped at 256 MiB) run beside the server.
        "resources": {
            "requests": {"cpu": "200m", "memory": "512Mi"},
            "limits": {"memory": "2Gi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "tokens", "mountPath": _TOKENS_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def workload_objects(image: str = DEFAULT_IMAGE) -> list[dict[str, Any]]:
    """The Deployment (two replicas, one reconciling at a time), its Service and
    its PodDisruptionBudget."""
    selector = {"app.kubernetes.io/name": NAME}
    pod_spec: dict[str, Any] = {
        "serviceAccountName": NAME,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(image)],
        "volumes": [
            {"name": "tokens", "secret": {"secretName": TOKENS_SECRET}},
            {"name": "tmp", "emptyDir": {}},
        ],
        # Replicas on different nodes when there are several: a node's loss
        # then costs at most a lease duration of reconciling.
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": selector},
                        },
                    }
                ]
            }
        },
    }
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(),
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": selector},
                "template": {"metadata": {"labels": dict(_LABELS)}, "spec": pod_spec},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(),
            "spec": {
                "selector": selector,
                "ports": [
                    {
                        "name": "grpc",
                        "port": GRPC_PORT,
                        "targetPort": "grpc",
                        "appProtocol": "kubernetes.io/h2c",
                    },
                    {"name": "http", "port": HTTP_PORT, "targetPort": "http"},
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": selector}},
        },
    ]


def render(image: str = DEFAULT_IMAGE) -> str:
    """Every object as one YAML stream, each rule of the roles under a comment saying why."""
    documents = [_document(obj) for obj in access_objects() + workload_objects(image)]
    return _HEADER + "---\n" + "---\n".join(documents)


def _document(obj: dict[str, Any]) -> str:
    if obj["kind"] == "ClusterRole":
        return _role(obj, (("", rbac.CLUSTER_RULES), (_CHART_NOTE, rbac.CHART_RULES)))
    if obj["kind"] == "Role":
        return _role(obj, (("", rbac.SYSTEM_RULES),))
    return _dump(obj)


_CHART_NOTE = f"""\
The real vcluster chart ({rbac.CHART_VERSION}) makes a ServiceAccount, Role and
RoleBinding in each host namespace. Kubernetes lets a subject create a Role
only with every permission it grants, so the server holds the chart Role's
permissions itself. Not needed with a chart that makes no Role."""


def _role(obj: dict[str, Any], groups: Iterable[tuple[str, Iterable[rbac.Rule]]]) -> str:
    """A Role or ClusterRole with a comment above each rule (and group of rules)."""
    head = {key: value for key, value in obj.items() if key != "rules"}
    lines = [_dump(head).rstrip("\n"), "rules:"]
    for note, rules in groups:
        lines += [f"  # {line}".rstrip() for line in note.splitlines()]
        for rule in rules:
            comment = textwrap.wrap(f"{_source(rule)}: {rule.why}", 94)
            lines += [f"  # {line}" for line in comment[:1]]
            lines += [f"  #   {line}" for line in comment[1:]]
            # Flow style for the lists keeps each rule to a few lines.
            body = _dump(rule.policy_rule(), flow=True).rstrip("\n").splitlines()
            lines += [("  - " if i == 0 else "    ") + line for i, line in enumerate(body)]
    return "\n".join(lines) + "\n"


def _source(rule: rbac.Rule) -> str:
    """Who uses a rule, and how it is shown to be needed when not by conformance."""
    if rule.proof == rbac.CHART:
        return "vcluster chart"
    return rule.by if rule.proof == rbac.CONFORMANCE else f"{rule.by} [{rule.proof}]"


class _Dumper(yaml.SafeDumper):
    """Writes a mapping used twice (a selector) out twice, never as an alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(obj: Any, *, flow: bool = False) -> str:
    flow_style = None if flow else False
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=flow_style)
