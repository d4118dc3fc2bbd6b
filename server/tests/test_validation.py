"""INVALID_ARGUMENT: one BadRequest field violation per bad field, and the
server defaults a valid spec takes."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VClusterSpec
from support import Api, Phase, failure


def test_every_bad_field_is_named_at_once(client: Api) -> None:
    # A dict, as protobuf accepts for message fields, keeps the bad values readable.
    spec: Any = {
        "kubernetes_version": "1.20",
        "resources": {"cpu": "lots", "memory": "-1Gi"},
        "replicas": 9,
        "network": {"service_cidr": "10.96.0.1/12"},
        "storage": {"size": "5 GB", "storage_class": "Fast_SSD"},
    }
    result = failure(
        client.vclusters.CreateVCluster,
        api.CreateVClusterRequest(
            namespace="Team_A",
            name="",
            labels={"-bad": "ok", "good": "white space"},
            spec=spec,
            request_id="not-a-uuid",
        ),
    )
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(result.violations) == {
        "namespace",
        "name",
        "labels[-bad]",
        "labels[good]",
        "spec.kubernetes_version",
        "spec.resources.cpu",
        "spec.resources.memory",
        "spec.replicas",
        "spec.network.service_cidr",
        "spec.storage.size",
        "spec.storage.storage_class",
        "request_id",
    }
    assert "1.29, 1.30, 1.31, 1.32, 1.33" in result.violations["spec.kubernetes_version"]
    assert all(description for description in result.violations.values())
    assert "spec.replicas" in result.message


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"replicas": 2, "enable_ha": True}, "spec.replicas"),
        ({"replicas": 6}, "spec.replicas"),
        ({"distro": 42}, "spec.distro"),
        ({"network": {"expose_type": 42}}, "spec.network.expose_type"),
        ({"kubernetes_version": "v1.31"}, "spec.kubernetes_version"),
        ({"resources": {"storage": "0"}}, "spec.resources.storage"),
    ],
)
def test_spec_rules(client: Api, spec: dict[str, Any], field: str) -> None:
    result = failure(client.create, spec=spec)
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(result.violations) == [field]


def test_defaults_are_applied_and_shown(client: Api) -> None:
    spec = client.create().spec
    assert spec.kubernetes_version == "1.33"
    assert spec.distro == VClusterSpec.Distro.DISTRO_K8S
    assert (spec.resources.cpu, spec.resources.memory, spec.resources.storage) == (
        "1",
        "2Gi",
        "10Gi",
    )
    assert spec.replicas == 1
    assert spec.network.service_cidr == "10.96.0.0/12"
    assert spec.network.expose_type == 1
    assert spec.storage.persistence is True
    assert spec.storage.size == "5Gi"


def test_ha_defaults_to_three_replicas_and_values_given_are_kept(client: Api) -> None:
    spec = client.create(
        spec={
            "enable_ha": True,
            "kubernetes_version": "1.31.2",
            "resources": {"cpu": "500m"},
            "distro": 2,
        }
    ).spec
    assert (spec.replicas, spec.kubernetes_version, spec.resources.cpu, spec.distro) == (
        3,
        "1.31.2",
        "500m",
        2,
    )


def test_validate_only_checks_everything_and_creates_nothing(client: Api) -> None:
    planned = client.create(validate_only=True, labels={"app": "x"})
    assert planned.spec.resources.memory == "2Gi"
    assert planned.uid == "" and planned.etag == ""
    assert failure(client.get).code == grpc.StatusCode.NOT_FOUND
    client.create()
    again = failure(
        client.vclusters.CreateVCluster,
        api.CreateVClusterRequest(namespace="team-a", name="dev", validate_only=True),
    )
    assert again.code == grpc.StatusCode.ALREADY_EXISTS


def test_scale_needs_something_to_change(client: Api) -> None:
    client.running()
    result = failure(
        client.vclusters.ScaleVCluster, api.ScaleVClusterRequest(namespace="team-a", name="dev")
    )
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "nothing to change" in result.violations["resources"]


def test_scale_blames_the_field_that_breaks_ha(client: Api) -> None:
    client.running()
    by_ha = failure(
        client.vclusters.ScaleVCluster,
        api.ScaleVClusterRequest(namespace="team-a", name="dev", enable_ha=True),
    )
    assert list(by_ha.violations) == ["enable_ha"]
    client.vclusters.ScaleVCluster(
        api.ScaleVClusterRequest(namespace="team-a", name="dev", enable_ha=True, replicas=3)
    )
    client.wait_phase("team-a", "dev", 2)
    by_replicas = failure(
        client.vclusters.ScaleVCluster,
        api.ScaleVClusterRequest(namespace="team-a", name="dev", replicas=4),
    )
    assert list(by_replicas.violations) == ["replicas"]


def test_restore_to_new_name_refuses_an_etag(client: Api) -> None:
    result = failure(
        client.vclusters.RestoreVCluster,
        api.RestoreVClusterRequest(
            namespace="team-a", snapshot_name="s1", target_name="copy", etag="abc"
        ),
    )
    assert list(result.violations) == ["etag"]


def test_snapshot_fields(client: Api) -> None:
    client.running()
    result = failure(
        client.vclusters.SnapshotVCluster,
        api.SnapshotVClusterRequest(
            namespace="team-a",
            name="dev",
            snapshot_name="Bad Name",
            description="x" * 1025,
            labels={"ok": "-"},
        ),
    )
    assert set(result.violations) == {"snapshot_name", "description", "labels[ok]"}


def test_reads_name_bad_fields_too(client: Api) -> None:
    assert list(failure(client.get, "", "x").violations) == ["namespace"]
    listing = failure(
        client.vclusters.ListVClusters,
        api.ListVClustersRequest(page_size=-1, label_selector="a in b", phase=Phase.ValueType(99)),
    )
    assert set(listing.violations) == {"page_size", "label_selector", "phase"}
    snapshots = failure(
        client.snapshots.ListSnapshots,
        snap_api.ListSnapshotsRequest(vcluster="UPPER", page_size=-5),
    )
    assert set(snapshots.violations) == {"vcluster", "page_size"}
    watch = client.vclusters.WatchVClusters(api.WatchVClustersRequest(label_selector="!"))
    with pytest.raises(grpc.RpcError) as raised:
        next(watch)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_not_found_names_the_resource(client: Api) -> None:
    result = failure(client.get, "team-a", "ghost")
    assert result.code == grpc.StatusCode.NOT_FOUND
    assert "team-a/ghost" in result.message
    info = result.detail(error_details_pb2.ResourceInfo)
    assert (info.resource_type, info.resource_name) == ("vcluster", "team-a/ghost")
    snapshot = failure(
        client.snapshots.GetSnapshot, snap_api.GetSnapshotRequest(namespace="team-a", name="ghost")
    )
    assert snapshot.code == grpc.StatusCode.NOT_FOUND
    deleted = failure(
        client.snapshots.DeleteSnapshot,
        snap_api.DeleteSnapshotRequest(namespace="team-a", name="ghost"),
    )
    assert deleted.code == grpc.StatusCode.NOT_FOUND


def test_already_exists_names_the_resource(client: Api) -> None:
    client.create()
    result = failure(client.create)
    assert result.code == grpc.StatusCode.ALREADY_EXISTS
    info = result.detail(error_details_pb2.ResourceInfo)
    assert (info.resource_type, info.resource_name) == ("vcluster", "team-a/dev")


def test_undecodable_bytes_are_invalid_argument(client: Api) -> None:
    # Field 1 (namespace) as a string whose declared length runs past the end.
    broken = b"\x0a\x05ab"
    unary: Any = client.channel.unary_unary("/openvcluster.v1.VClusterService/GetVCluster")
    stream: Any = client.channel.unary_stream("/openvcluster.v1.VClusterService/WatchVClusters")
    health: Any = client.channel.unary_unary("/grpc.health.v1.Health/Check")
    for result in (
        failure(unary, broken),
        failure(lambda: list(stream(broken))),
        failure(health, broken),
    ):
        assert result.code == grpc.StatusCode.INVALID_ARGUMENT
        assert list(result.violations) == [""]
        assert "does not decode" in result.violations[""]


def test_many_long_bad_fields_still_fit_in_the_trailer(client: Api) -> None:
    labels = {f"bad key {i} " + "x" * 200: "v" for i in range(40)}
    result = failure(
        client.vclusters.CreateVCluster,
        api.CreateVClusterRequest(namespace="team-a", name="dev", labels=labels),
    )
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    fields = list(result.violations)
    assert 1 < len(fields) < 40 and fields[-1] == ""
    assert "more invalid" in result.violations[""]


@pytest.mark.parametrize("version", ["1" * 5000 + ".31", "1.31." + "9" * 30, "\u0661.\u0663\u0661"])
def test_versions_are_short_ascii_numbers(client: Api, version: str) -> None:
    result = failure(
        client.vclusters.CreateVCluster,
        api.CreateVClusterRequest(
            namespace="team-a", name="dev", spec=VClusterSpec(kubernetes_version=version)
        ),
    )
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(result.violations) == ["spec.kubernetes_version"]


def test_huge_numbers_in_selectors_are_not_an_internal_error(client: Api) -> None:
    request = api.ListVClustersRequest(namespace="team-a", label_selector="size>" + "9" * 5000)
    result = failure(client.vclusters.ListVClusters, request)
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(result.violations) == ["label_selector"]
