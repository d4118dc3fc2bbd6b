"""``openvcluster-server manifests`` and deploy/openvcluster-server.yaml, which is its output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from openvcluster_server import __version__, cli, manifests
from openvcluster_server.config import ServerConfig
from openvcluster_server.kube import crd, rbac

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "openvcluster-server.yaml"


def test_the_committed_file_is_the_commands_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["manifests"]) == 0
    printed = capsys.readouterr().out
    assert DEPLOY.read_text() == printed, (
        "deploy/openvcluster-server.yaml is stale: regenerate it with "
        "`openvcluster-server manifests > deploy/openvcluster-server.yaml`"
    )


def test_the_yaml_holds_exactly_the_objects() -> None:
    documents = list(yaml.safe_load_all(manifests.render()))
    assert documents == manifests.access_objects() + manifests.workload_objects()
    kinds = [d["kind"] for d in documents]
    assert kinds == [
        "Namespace",
        "ServiceAccount",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
    ]
    assert documents[2:5] == crd.definitions()


def test_the_image_is_configurable(capsys: pytest.CaptureFixture[str]) -> None:
    assert manifests.DEFAULT_IMAGE.endswith(f":{__version__}")
    assert cli.main(["manifests", "--image", "registry.example/ovc:dev"]) == 0
    deployment = _one(yaml.safe_load_all(capsys.readouterr().out), "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.example/ovc:dev"
    )


def test_the_deployment_runs_two_replicas_under_leader_election() -> None:
    deployment = _one(manifests.workload_objects(), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = container["args"]
    assert deployment["spec"]["replicas"] == 2
    assert pod["serviceAccountName"] == manifests.NAME
    assert args[:4] == ["serve", "--backend", "kubernetes", "--leader-elect"]
    assert _flag(args, "--address") == "0.0.0.0:50051"
    assert _flag(args, "--http-address") == "0.0.0.0:8080"
    # Beyond loopback the server needs tokens (or --insecure, which it must not have).
    assert _flag(args, "--tokens-file") and "--insecure" not in args
    # Every flag is one the server takes.
    cli.config_from_args(cli.build_parser().parse_args(args))
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"] == {"port": manifests.GRPC_PORT}
    service = _one(manifests.workload_objects(), "Service")
    assert [p["port"] for p in service["spec"]["ports"]] == [50051, 8080]
    budget = _one(manifests.workload_objects(), "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1


def test_the_system_namespace_is_the_servers_default() -> None:
    assert manifests.NAMESPACE == ServerConfig().system_namespace == "openvcluster-system"
    role = _one(manifests.access_objects(), "Role")
    assert role["metadata"]["namespace"] == manifests.NAMESPACE


def test_the_chart_rules_were_read_from_the_default_chart() -> None:
    # After a chart upgrade, read chart/templates/role.yaml again (kube/rbac.py).
    assert ServerConfig().chart_version == rbac.CHART_VERSION
    deployment = _one(manifests.workload_objects(), "Deployment")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert _flag(args, "--chart-version") == rbac.CHART_VERSION


def test_the_roles_are_the_rules_of_kube_rbac() -> None:
    cluster_role = _one(manifests.access_objects(), "ClusterRole")
    role = _one(manifests.access_objects(), "Role")
    every = rbac.CLUSTER_RULES + rbac.CHART_RULES
    assert cluster_role["rules"] == [r.policy_rule() for r in every]
    assert role["rules"] == [r.policy_rule() for r in rbac.SYSTEM_RULES]
    # Every rule says who it is for and how it is shown to be needed.
    for rule in every + rbac.SYSTEM_RULES:
        assert rule.by in (rbac.SERVER, rbac.HELM) and rule.why
        assert rule.proof in (rbac.CONFORMANCE, rbac.RBAC_TEST, rbac.RACE, rbac.CHART)
        assert (rule.proof == rbac.CHART) == (rule in rbac.CHART_RULES)
        # resourceNames cannot limit a create: its object has no name when authorized.
        assert not (rule.names and "create" in rule.verbs)


def test_the_role_holds_only_what_the_system_namespace_alone_needs() -> None:
    # The server's own grants: none is both cluster-wide and in the Role.
    cluster = {p for r in rbac.CLUSTER_RULES for p in r.permissions()}
    assert not cluster & {p for r in rbac.SYSTEM_RULES for p in r.permissions()}
    leases = {p for r in rbac.SYSTEM_RULES for p in r.permissions()}
    assert leases == {
        ("coordination.k8s.io", "leases", verb) for verb in ("get", "create", "update")
    }


def _one(objects: Any, kind: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind]
    return dict(found)


def _flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]
