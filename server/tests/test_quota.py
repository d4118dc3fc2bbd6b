"""Per-namespace quotas: RESOURCE_EXHAUSTED with a QuotaFailure detail."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import Resources
from openvcluster_server.config import Quota
from openvcluster_server.testing import running_server
from support import Phase, connect, failure


def test_vcluster_count_cpu_and_memory_limits() -> None:
    quotas = {"team-a": Quota(max_vclusters=2, cpu="3", memory="6Gi"), "*": Quota(max_vclusters=1)}
    with running_server(quotas=quotas) as server:
        client = connect(server)
        client.running("team-a", "one", spec={"resources": {"cpu": "2"}})
        too_big = failure(client.create, "team-a", "two", spec={"resources": {"cpu": "1500m"}})
        assert too_big.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        quota = too_big.detail(error_details_pb2.QuotaFailure)
        assert [(v.subject, v.description) for v in quota.violations] == [
            ("namespace:team-a", "cpu would total 3500m; the limit is 3")
        ]
        client.running("team-a", "two", spec={"resources": {"cpu": "1"}})
        third = failure(client.create, "team-a", "three", validate_only=True)
        assert (
            "at most 2 vclusters"
            in third.detail(error_details_pb2.QuotaFailure).violations[0].description
        )
        scale = failure(
            client.vclusters.ScaleVCluster,
            api.ScaleVClusterRequest(
                namespace="team-a", name="two", resources=Resources(memory="5Gi")
            ),
        )
        assert scale.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        # Shrinking is always allowed.
        client.vclusters.ScaleVCluster(
            api.ScaleVClusterRequest(namespace="team-a", name="one", resources=Resources(cpu="1"))
        )
        client.wait_phase("team-a", "one", Phase.PHASE_RUNNING)
        # Other namespaces fall back to the "*" entry.
        client.create("team-b", "one")
        assert failure(client.create, "team-b", "two").code == grpc.StatusCode.RESOURCE_EXHAUSTED
