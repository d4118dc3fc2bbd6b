"""The VClusterSpec -> vcluster chart values mapping, one row per field."""

from __future__ import annotations

from typing import Any

import pytest

from openvcluster.v1.vcluster_pb2 import NetworkSpec, VClusterSpec
from openvcluster_server.errors import FieldViolations
from openvcluster_server.kube.values import chart_values, image_tag, merged, spec_of_workload
from openvcluster_server.validation import apply_spec_defaults

ExposeType = NetworkSpec.ExposeType


def defaulted(**fields: Any) -> VClusterSpec:
    """A spec as CreateVCluster stores it: the request's fields with the server defaults."""
    spec = VClusterSpec(**fields)
    violations = FieldViolations()
    applied = apply_spec_defaults(violations, spec, ("1.30", "1.31", "1.32", "1.33", "1.34"))
    violations.raise_if_any()
    return applied


def at(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize(
    ("fields", "path", "expected"),
    [
        ({"kubernetes_version": "1.33"}, "controlPlane/distro/k8s/image/tag", "v1.33.4"),
        ({"kubernetes_version": "1.31.5"}, "controlPlane/distro/k8s/image/tag", "v1.31.5"),
        ({}, "controlPlane/distro/k8s/enabled", True),
        (
            {"resources": {"cpu": "2"}},
            "controlPlane/statefulSet/resources/requests/cpu",
            "2",
        ),
        (
            {"resources": {"memory": "4Gi"}},
            "controlPlane/statefulSet/resources/requests/memory",
            "4Gi",
        ),
        (
            {"resources": {"memory": "4Gi"}},
            "controlPlane/statefulSet/resources/limits/memory",
            "4Gi",
        ),
        (
            {"resources": {"storage": "20Gi"}},
            "controlPlane/statefulSet/resources/requests/ephemeral-storage",
            "20Gi",
        ),
        ({"replicas": 3}, "controlPlane/statefulSet/highAvailability/replicas", 3),
        ({"enable_ha": True}, "controlPlane/backingStore/etcd/embedded/enabled", True),
        ({"enable_ha": True}, "controlPlane/statefulSet/highAvailability/replicas", 3),
        (
            {"network": {"service_cidr": "10.100.0.0/16"}},
            "controlPlane/distro/k8s/apiServer/extraArgs",
            ["--service-cluster-ip-range=10.100.0.0/16"],
        ),
        (
            {"network": {"expose_type": ExposeType.EXPOSE_TYPE_NODE_PORT}},
            "controlPlane/service/spec/type",
            "NodePort",
        ),
        (
            {"network": {"expose_type": ExposeType.EXPOSE_TYPE_LOAD_BALANCER}},
            "controlPlane/service/spec/type",
            "LoadBalancer",
        ),
        (
            {"network": {"expose_type": ExposeType.EXPOSE_TYPE_INGRESS}},
            "controlPlane/ingress/enabled",
            True,
        ),
        ({}, "controlPlane/ingress/enabled", False),
        ({}, "controlPlane/statefulSet/persistence/volumeClaim", {"enabled": True, "size": "5Gi"}),
        (
            {"storage": {"persistence": False}},
            "controlPlane/statefulSet/persistence/volumeClaim",
            {"enabled": False},
        ),
        (
            {"storage": {"size": "8Gi", "storage_class": "fast"}},
            "controlPlane/statefulSet/persistence/volumeClaim",
            {"enabled": True, "size": "8Gi", "storageClass": "fast"},
        ),
    ],
)
def test_each_field_maps_to_its_chart_value(
    fields: dict[str, Any], path: str, expected: Any
) -> None:
    assert at(chart_values(defaulted(**fields)), path) == expected


def test_a_known_endpoint_is_exported_and_a_san() -> None:
    values = chart_values(defaulted(), server="https://dev.vc-x.svc:443")
    assert values["exportKubeConfig"] == {"server": "https://dev.vc-x.svc:443"}
    assert values["controlPlane"]["proxy"] == {"extraSANs": ["dev.vc-x.svc"]}


def test_an_ingress_host_is_set_only_when_given() -> None:
    spec = defaulted(network={"expose_type": ExposeType.EXPOSE_TYPE_INGRESS})
    assert chart_values(spec, ingress_host="vc-x.example")["controlPlane"]["ingress"] == {
        "enabled": True,
        "host": "vc-x.example",
    }


def test_image_tags_of_minor_and_patch_versions() -> None:
    assert image_tag("1.36") == "v1.36.0"
    assert image_tag("1.29") == "v1.29"  # not shipped by the chart: taken as written
    assert image_tag("1.33.9") == "v1.33.9"


def test_merged_lays_mappings_over_each_other() -> None:
    assert merged({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"c": 3}, "e": None}) == {
        "a": {"b": 1, "c": 3},
        "d": 1,
        "e": None,
    }


def test_a_workload_the_chart_made_reads_back_as_its_spec() -> None:
    workload = {
        "metadata": {"annotations": {"loft.sh/paused-replicas": "3"}},
        "spec": {
            "replicas": 0,
            "template": {
                "spec": {
                    "initContainers": [{"image": "ghcr.io/loft-sh/kubernetes:v1.33.4"}],
                    "containers": [
                        {
                            "name": "syncer",
                            "resources": {
                                "requests": {
                                    "cpu": "2",
                                    "memory": "4Gi",
                                    "ephemeral-storage": "10Gi",
                                }
                            },
                        }
                    ],
                }
            },
            "volumeClaimTemplates": [
                {"spec": {"resources": {"requests": {"storage": "5Gi"}}, "storageClassName": "x"}}
            ],
        },
    }
    spec = spec_of_workload(workload, "LoadBalancer")
    assert spec.kubernetes_version == "1.33.4"
    assert (spec.resources.cpu, spec.resources.memory, spec.resources.storage) == (
        "2",
        "4Gi",
        "10Gi",
    )
    assert spec.replicas == 3
    assert (spec.storage.persistence, spec.storage.size, spec.storage.storage_class) == (
        True,
        "5Gi",
        "x",
    )
    assert spec.network.expose_type == ExposeType.EXPOSE_TYPE_LOAD_BALANCER
