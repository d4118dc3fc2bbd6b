"""The idempotency levels the proto declares: reads may be cached, credentials may not."""

from __future__ import annotations

from google.protobuf.descriptor_pb2 import MethodOptions

from openvcluster.v1 import snapshot_service_pb2, vcluster_service_pb2


def test_exactly_the_reads_without_credentials_are_free_of_side_effects() -> None:
    marked = {
        f"{service.name}.{method.name}"
        for module in (vcluster_service_pb2, snapshot_service_pb2)
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
        if method.GetOptions().idempotency_level == MethodOptions.NO_SIDE_EFFECTS
    }
    # GetVClusterKubeconfig reads too, but a kubeconfig must never be cached.
    assert marked == {
        "VClusterService.GetVCluster",
        "VClusterService.ListVClusters",
        "SnapshotService.GetSnapshot",
        "SnapshotService.ListSnapshots",
    }
