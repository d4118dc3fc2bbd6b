"""MonitorService through both clients: get_vcluster_usage and get_fleet_summary."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import openvcluster
from openvcluster import Phase
from openvcluster_server.config import Quota
from openvcluster_server.testing import RunningServer, running_server
from tests.test_security import EDITOR, TEAM_A, TOKENS, VIEWER

FAST = openvcluster.RetryPolicy(initial_backoff=0.001, max_backoff=0.01)
FAIL = "ovc-test-fail-transition"


@pytest.fixture
def fleet_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server of the test's own, with tokens and quotas, so a summary of every
    namespace holds exactly what the test made."""
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(TOKENS)
    quotas = {
        "team-a": Quota(max_vclusters=5, cpu="8", memory="16Gi"),
        "reserved": Quota(cpu="4"),
    }
    with running_server(tokens_file=tokens, quotas=quotas) as running:
        yield running


def _sibling(ns: str) -> str:
    """A second namespace of the test's own, as long as ``ns``: tests on the shared
    server that list every namespace check that the table fits 80 columns."""
    return "u" + ns[1:]


def _phases(counts: Iterable[openvcluster.PhaseCount]) -> list[tuple[int, int]]:
    return [(c.phase, c.count) for c in counts]


def _mentions(mentions: Iterable[openvcluster.VClusterMention]) -> list[tuple[str, str]]:
    return [(m.name, m.message) for m in mentions]


# get_vcluster_usage


def test_usage_of_a_running_vcluster(client: openvcluster.Client, ns: str) -> None:
    created = client.create_vcluster(ns, "dev", cpu="2", memory="4Gi", replicas=2, wait=True)
    usage = client.get_vcluster_usage(ns, "dev")
    assert isinstance(usage, openvcluster.VClusterUsage)
    assert (usage.namespace, usage.name, usage.phase) == (ns, "dev", Phase.PHASE_RUNNING)
    # Requested is the spec with the server's defaults applied (storage here).
    assert usage.requested == created.spec.resources
    assert (usage.requested.cpu, usage.requested.memory) == ("2", "4Gi")
    assert usage.requested.storage != ""
    assert usage.replicas == 2
    assert usage.observe_time.ToNanoseconds() >= created.create_time.ToNanoseconds()

    # The simulated backend measures what it simulates in status.current_usage.
    current = client.get_vcluster(ns, "dev").status.current_usage
    for figure, value in (
        (usage.cpu_used, current.cpu),
        (usage.memory_used, current.memory),
        (usage.pod_count, str(current.pod_count)),
    ):
        assert isinstance(figure, openvcluster.UsageFigure)
        assert (figure.available, figure.value, figure.source, figure.reason) == (
            True,
            value,
            "simulated",
            "",
        )
    assert current.cpu not in ("", "0") and current.pod_count > 0
    # Figures it has no source for are unknown, never zero.
    for figure in (usage.cpu_requested_by_pods, usage.memory_requested_by_pods):
        assert (figure.available, figure.value, figure.source) == (False, "", "")
        assert "no pods" in figure.reason


def test_usage_of_a_suspended_vcluster_is_a_known_zero(
    client: openvcluster.Client, ns: str
) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    client.suspend_vcluster(ns, "dev", wait=True)
    usage = client.get_vcluster_usage(ns, "dev")
    assert usage.phase == Phase.PHASE_SUSPENDED
    for figure in (usage.cpu_used, usage.memory_used, usage.pod_count):
        assert (figure.available, figure.value, figure.source) == (True, "0", "simulated")
    assert usage.requested.cpu == "1"  # the spec is kept while suspended
    assert not usage.cpu_requested_by_pods.available


def test_usage_errors(client: openvcluster.Client, ns: str) -> None:
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster_usage(ns, "absent")
    with pytest.raises(openvcluster.InvalidArgumentError) as bad_name:
        client.get_vcluster_usage(ns, "Not_A_Name")
    assert [v.field for v in bad_name.value.field_violations] == ["name"]
    with pytest.raises(openvcluster.InvalidArgumentError) as no_namespace:
        client.get_vcluster_usage("", "dev")
    assert [v.field for v in no_namespace.value.field_violations] == ["namespace"]


def test_reads_retry_like_the_other_calls(
    client: openvcluster.Client, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    client.create_vcluster(ns, "dev", wait=True)
    usage_hook = {"ovc-test-unavailable": f"{hook_key}-usage:2"}
    assert client.get_vcluster_usage(ns, "dev", metadata=usage_hook, retry=FAST).name == "dev"
    summary_hook = {"ovc-test-unavailable": f"{hook_key}-summary:1"}
    assert client.get_fleet_summary(ns, metadata=summary_hook, retry=FAST).vcluster_count == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "openvcluster"]
    assert [m.split(" request_id")[0] for m in messages if m.startswith("GetVClusterUsage")] == [
        "GetVClusterUsage attempt 1",
        "GetVClusterUsage attempt 2",
        "GetVClusterUsage attempt 3",
    ]
    assert sum(m.startswith("GetFleetSummary attempt") for m in messages) == 2
    # retry=None: the first UNAVAILABLE is the answer.
    once = {"ovc-test-unavailable": f"{hook_key}-once:1"}
    with pytest.raises(openvcluster.UnavailableError):
        client.get_fleet_summary(ns, metadata=once, retry=None)


# get_fleet_summary


def test_summary_of_a_namespace(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "a", cpu="2", memory="4Gi", wait=True)
    client.create_vcluster(ns, "b", wait=True)  # defaults: 1 CPU, 2Gi
    for name in ("c", "e"):
        client.create_vcluster(ns, name, wait=True)
        client.suspend_vcluster(ns, name, wait=True)
    for name, message in (("d", "disk full"), ("f", "no quorum")):
        client.create_vcluster(ns, name, metadata={FAIL: message})
        client.wait_for_phase(ns, name, "FAILED")

    summary = client.get_fleet_summary(ns)
    assert isinstance(summary, openvcluster.FleetSummary)
    assert summary.observe_time.seconds > 0
    assert summary.vcluster_count == 6
    # In the order of the Phase enum, phases with none left out.
    assert _phases(summary.phases) == [
        (Phase.PHASE_RUNNING, 2),
        (Phase.PHASE_SUSPENDED, 2),
        (Phase.PHASE_FAILED, 2),
    ]
    [entry] = summary.namespaces
    assert isinstance(entry, openvcluster.NamespaceSummary)
    assert (entry.namespace, entry.vcluster_count) == (ns, 6)
    assert _phases(entry.phases) == _phases(summary.phases)
    assert (entry.cpu_requested, entry.memory_requested) == ("7", "14Gi")
    assert not entry.HasField("quota")  # the shared server has none
    # Suspended longest first; failed most recently first.
    assert [m.name for m in summary.oldest_suspended] == ["c", "e"]
    assert all(isinstance(m, openvcluster.VClusterMention) for m in summary.oldest_suspended)
    assert _mentions(summary.failed) == [("f", "no quorum"), ("d", "disk full")]
    assert summary.failed_count == 2
    assert all(m.namespace == ns and m.since.seconds > 0 for m in summary.failed)


def test_summary_of_an_empty_or_invalid_namespace(client: openvcluster.Client, ns: str) -> None:
    empty = client.get_fleet_summary(ns)
    assert (empty.vcluster_count, list(empty.namespaces), empty.failed_count) == (0, [], 0)
    assert list(empty.phases) == [] and list(empty.oldest_suspended) == []
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        client.get_fleet_summary("Not_A_Namespace")
    assert [v.field for v in caught.value.field_violations] == ["namespace"]


def test_summary_of_every_namespace_on_the_shared_server(
    client: openvcluster.Client, ns: str
) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    client.create_vcluster(_sibling(ns), "dev", cpu="3", wait=True)
    summary = client.get_fleet_summary()  # other tests' namespaces are in it too
    names = [n.namespace for n in summary.namespaces]
    assert names == sorted(names)
    mine = {n.namespace: n for n in summary.namespaces if n.namespace in (ns, _sibling(ns))}
    assert {name: n.cpu_requested for name, n in mine.items()} == {ns: "1", _sibling(ns): "3"}
    assert summary.vcluster_count == sum(n.vcluster_count for n in summary.namespaces)


def test_summary_quotas_and_what_a_token_may_see(fleet_server: RunningServer) -> None:
    with openvcluster.Client(fleet_server.address, token=EDITOR) as editor:
        editor.create_vcluster("team-a", "dev", cpu="2", memory="4Gi", wait=True)
        editor.create_vcluster("team-b", "hidden", wait=True)
        everything = editor.get_fleet_summary()
    # A namespace with a quota of its own shows even when it holds nothing.
    assert [n.namespace for n in everything.namespaces] == ["reserved", "team-a", "team-b"]
    reserved, team_a, team_b = everything.namespaces
    assert (reserved.vcluster_count, reserved.cpu_requested, reserved.memory_requested) == (
        0,
        "0",
        "0",
    )
    assert reserved.quota == openvcluster.NamespaceQuota(cpu="4")
    assert (team_a.cpu_requested, team_a.memory_requested) == ("2", "4Gi")
    assert team_a.quota == openvcluster.NamespaceQuota(max_vclusters=5, cpu="8", memory="16Gi")
    assert not team_b.HasField("quota")
    assert everything.vcluster_count == 2

    with openvcluster.Client(fleet_server.address, token=TEAM_A) as team_a_client:
        visible = team_a_client.get_fleet_summary()
        assert [n.namespace for n in visible.namespaces] == ["team-a"]
        assert visible.vcluster_count == 1
        # Another team's namespace is an empty summary, and its vclusters do not exist.
        hidden = team_a_client.get_fleet_summary("team-b")
        assert (hidden.vcluster_count, list(hidden.namespaces)) == (0, [])
        with pytest.raises(openvcluster.NotFoundError):
            team_a_client.get_vcluster_usage("team-b", "hidden")
        assert team_a_client.get_vcluster_usage("team-a", "dev").requested.cpu == "2"
    # Both calls are reads: a viewer may make them; no token may not.
    with openvcluster.Client(fleet_server.address, token=VIEWER) as viewer:
        assert viewer.get_vcluster_usage("team-b", "hidden").phase == Phase.PHASE_RUNNING
        assert viewer.get_fleet_summary("team-b").vcluster_count == 1
    with openvcluster.Client(fleet_server.address) as anonymous:
        with pytest.raises(openvcluster.UnauthenticatedError):
            anonymous.get_fleet_summary()
        with pytest.raises(openvcluster.UnauthenticatedError):
            anonymous.get_vcluster_usage("team-a", "dev")


# The async client


@pytest.mark.asyncio
async def test_async_usage(aclient: openvcluster.AsyncClient, ns: str) -> None:
    await aclient.create_vcluster(ns, "dev", cpu="2", wait=True)
    usage = await aclient.get_vcluster_usage(ns, "dev", timeout=10)
    assert isinstance(usage, openvcluster.VClusterUsage)
    assert (usage.name, usage.phase, usage.requested.cpu, usage.replicas) == (
        "dev",
        Phase.PHASE_RUNNING,
        "2",
        1,
    )
    current = (await aclient.get_vcluster(ns, "dev")).status.current_usage
    assert (usage.cpu_used.value, usage.cpu_used.source) == (current.cpu, "simulated")
    assert usage.pod_count.value == str(current.pod_count)
    assert not usage.memory_requested_by_pods.available
    assert usage.memory_requested_by_pods.reason != ""
    with pytest.raises(openvcluster.NotFoundError):
        await aclient.get_vcluster_usage(ns, "absent")
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        await aclient.get_vcluster_usage(ns, "Not_A_Name")
    assert [v.field for v in caught.value.field_violations] == ["name"]


@pytest.mark.asyncio
async def test_async_summary(aclient: openvcluster.AsyncClient, ns: str) -> None:
    await aclient.create_vcluster(ns, "up", memory="3Gi", wait=True)
    await aclient.create_vcluster(ns, "down", metadata={FAIL: "disk on fire"})
    await aclient.wait_for_phase(ns, "down", "FAILED")
    summary = await aclient.get_fleet_summary(ns)
    assert isinstance(summary, openvcluster.FleetSummary)
    assert _phases(summary.phases) == [(Phase.PHASE_RUNNING, 1), (Phase.PHASE_FAILED, 1)]
    assert [(n.namespace, n.cpu_requested, n.memory_requested) for n in summary.namespaces] == [
        (ns, "2", "5Gi")
    ]
    assert _mentions(summary.failed) == [("down", "disk on fire")]
    assert (summary.failed_count, list(summary.oldest_suspended)) == (1, [])
    assert (await aclient.get_fleet_summary(f"{ns}-empty")).vcluster_count == 0


@pytest.mark.asyncio
async def test_async_token_scoping(fleet_server: RunningServer) -> None:
    async with openvcluster.AsyncClient(fleet_server.address, token=EDITOR) as editor:
        await editor.create_vcluster("team-b", "hidden", wait=True)
    async with openvcluster.AsyncClient(fleet_server.address, token=TEAM_A) as team_a:
        with pytest.raises(openvcluster.NotFoundError):
            await team_a.get_vcluster_usage("team-b", "hidden")
        assert (await team_a.get_fleet_summary("team-b")).vcluster_count == 0
        visible = await team_a.get_fleet_summary()
        # Its own quota'd namespace shows, empty; the others do not.
        assert [(n.namespace, n.vcluster_count) for n in visible.namespaces] == [("team-a", 0)]
    async with openvcluster.AsyncClient(fleet_server.address) as anonymous:
        with pytest.raises(openvcluster.UnauthenticatedError):
            await anonymous.get_fleet_summary()
