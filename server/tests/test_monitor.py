"""MonitorService on the simulated backend: a vcluster's usage, with the
figures it cannot know marked unavailable, and the fleet summary against
quotas; bad input; both ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_support import http_api

from openvcluster.v1 import monitor_service_pb2 as mon
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import Resources
from openvcluster_server.config import Quota
from openvcluster_server.testing import RunningServer, running_server
from support import Api, Phase, connect


def _usage(client: Api, namespace: str, name: str) -> mon.VClusterUsage:
    request = mon.GetVClusterUsageRequest(namespace=namespace, name=name)
    return client.monitor.GetVClusterUsage(request).usage


def _summary(client: Api, namespace: str = "") -> mon.FleetSummary:
    request = mon.GetFleetSummaryRequest(namespace=namespace)
    return client.monitor.GetFleetSummary(request).summary


@pytest.fixture(scope="module")
def fleet() -> Iterator[Api]:
    """team-a: dev RUNNING (2 CPUs), idle SUSPENDED (1 CPU); team-b: broken FAILED;
    quiet: nothing, but a quota of its own."""
    quotas = {
        "team-a": Quota(max_vclusters=5, cpu="8", memory="16Gi"),
        "quiet": Quota(max_vclusters=1),
    }
    with running_server(quotas=quotas) as server:
        client = connect(server)
        client.running("team-a", "dev", spec={"resources": {"cpu": "2"}})
        client.running("team-a", "idle", spec={"resources": {"cpu": "1"}})
        client.vclusters.SuspendVCluster(
            api.SuspendVClusterRequest(namespace="team-a", name="idle")
        )
        client.wait_phase("team-a", "idle", Phase.PHASE_SUSPENDED)
        client.running("team-b", "broken")
        client.force_phase("team-b", "broken", Phase.PHASE_FAILED)
        yield client
        client.channel.close()


def test_usage_of_a_running_vcluster(fleet: Api) -> None:
    usage = _usage(fleet, "team-a", "dev")
    assert (usage.namespace, usage.name, usage.phase) == ("team-a", "dev", Phase.PHASE_RUNNING)
    assert usage.requested == Resources(cpu="2", memory="2Gi", storage="10Gi")
    assert usage.replicas == 1
    assert usage.observe_time.seconds > 0
    current = fleet.get("team-a", "dev").status.current_usage
    used = [usage.cpu_used, usage.memory_used, usage.pod_count]
    assert [(f.available, f.value, f.source) for f in used] == [
        (True, current.cpu, "simulated"),
        (True, current.memory, "simulated"),
        (True, str(current.pod_count), "simulated"),
    ]
    for unknown in (usage.cpu_requested_by_pods, usage.memory_requested_by_pods):
        assert not unknown.available and unknown.value == "" and "runs no pods" in unknown.reason


def test_a_suspended_vcluster_uses_nothing_and_says_so(fleet: Api) -> None:
    usage = _usage(fleet, "team-a", "idle")
    assert usage.phase == Phase.PHASE_SUSPENDED
    assert [(f.available, f.value) for f in (usage.cpu_used, usage.pod_count)] == [
        (True, "0"),
        (True, "0"),
    ]


def test_the_fleet_summary(fleet: Api) -> None:
    summary = _summary(fleet)
    assert summary.vcluster_count == 3
    assert [(p.phase, p.count) for p in summary.phases] == [
        (Phase.PHASE_RUNNING, 1),
        (Phase.PHASE_SUSPENDED, 1),
        (Phase.PHASE_FAILED, 1),
    ]
    by_name = {n.namespace: n for n in summary.namespaces}
    assert list(by_name) == ["quiet", "team-a", "team-b"]
    team_a = by_name["team-a"]
    assert (team_a.vcluster_count, team_a.cpu_requested, team_a.memory_requested) == (
        2,
        "3",
        "4Gi",
    )
    assert team_a.quota == mon.NamespaceQuota(max_vclusters=5, cpu="8", memory="16Gi")
    quiet = by_name["quiet"]
    assert (quiet.vcluster_count, quiet.cpu_requested, quiet.quota.max_vclusters) == (0, "0", 1)
    assert not by_name["team-b"].HasField("quota")
    assert [(m.namespace, m.name) for m in summary.oldest_suspended] == [("team-a", "idle")]
    assert summary.oldest_suspended[0].since.seconds > 0
    assert [(m.namespace, m.name) for m in summary.failed] == [("team-b", "broken")]
    assert summary.failed_count == 1


def test_the_summary_of_one_namespace(fleet: Api) -> None:
    summary = _summary(fleet, "team-b")
    assert summary.vcluster_count == 1
    assert [n.namespace for n in summary.namespaces] == ["team-b"]
    assert not summary.oldest_suspended
    assert _summary(fleet, "nobody-here").vcluster_count == 0


def test_both_calls_answer_on_the_http_port(fleet: Api) -> None:
    server: RunningServer = fleet.server
    with http_api(server.http_url) as http:
        usage = http.monitor.get_v_cluster_usage(
            mon.GetVClusterUsageRequest(namespace="team-a", name="dev")
        ).usage
        summary = http.monitor.get_fleet_summary(mon.GetFleetSummaryRequest()).summary
    assert usage.requested.cpu == "2"
    assert summary.vcluster_count == 3
