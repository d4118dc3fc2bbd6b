"""INVALID_ARGUMENT and the other rich errors, as the server writes them.

Which field each bad value is blamed on is conformance/cases/validation.yaml's;
these tests hold what the server adds: its own check of malformed versions
(an SDK's field-rule check stops those first), the status message, resource
details, undecodable bytes, and violations that must fit in a trailer.
"""

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


def test_scale_needs_something_to_change(client: Api) -> None:
    client.running()
    result = failure(
        client.vclusters.ScaleVCluster, api.ScaleVClusterRequest(namespace="team-a", name="dev")
    )
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "nothing to change" in result.violations["resources"]


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
