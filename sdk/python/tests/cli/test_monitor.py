"""``ovc top`` and ``ovc summary``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

import openvcluster
from openvcluster_server.config import Quota
from openvcluster_server.testing import RunningServer, running_server
from tests.cli.helpers import Ovc, lines

FAIL = "ovc-test-fail-transition"


@pytest.fixture
def quota_server() -> Iterator[RunningServer]:
    """A server of the test's own with quotas, so ``summary -A`` shows only what it made."""
    quotas = {
        "team-a": Quota(max_vclusters=5, cpu="8", memory="16Gi"),
        "reserved": Quota(cpu="4"),
    }
    with running_server(quotas=quotas) as running:
        yield running


def _sibling(ns: str) -> str:
    """A second namespace of the test's own, as long as ``ns``: tests on the shared
    server that list every namespace check that the table fits 80 columns."""
    return "u" + ns[1:]


def _cells(line: str) -> list[str]:
    # Columns are two or more spaces apart; values hold single spaces at most.
    return re.split(r"\s{2,}", line.strip())


def _rows(table: list[str]) -> dict[str, list[str]]:
    """A table's rows by their first cell (its header row left out)."""
    return {cells[0]: cells[1:] for cells in map(_cells, table[1:])}


def _without_time(message: Message) -> dict[str, Any]:
    # Each call observes anew, so only the time differs between two reads.
    data = MessageToDict(message)
    del data["observeTime"]
    return data


# ovc top


def test_top_shows_requested_and_measured_figures(
    ovc: Ovc, client: openvcluster.Client, ns: str
) -> None:
    ovc("create", "dev", "--cpu", "2", "--memory", "4Gi", "--replicas", "3", "--ha", "--wait")
    out = lines(ovc("top", "dev").stdout)
    assert re.fullmatch(
        rf"vcluster/dev in namespace {ns}: RUNNING, observed \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        out[0],
    )
    assert _cells(out[1]) == ["FIGURE", "VALUE", "SOURCE"]
    rows = _rows(out[1:])
    current = client.get_vcluster(ns, "dev").status.current_usage
    assert rows["replicas"] == ["3", "spec"]
    assert rows["cpu requested"] == ["2", "spec"]
    assert rows["memory requested"] == ["4Gi", "spec"]
    assert rows["storage requested"] == ["10Gi", "spec"]
    assert rows["cpu used"] == [current.cpu, "simulated"]
    assert rows["memory used"] == [current.memory, "simulated"]
    assert rows["pods"] == [str(current.pod_count), "simulated"]
    # What the backend has no source for says so, and why; never 0.
    reason = client.get_vcluster_usage(ns, "dev").cpu_requested_by_pods.reason
    assert reason
    assert rows["cpu requested by pods"] == [f"unavailable ({reason})", "-"]
    assert rows["memory requested by pods"] == [f"unavailable ({reason})", "-"]


def test_top_of_a_suspended_vcluster_shows_a_known_zero(ovc: Ovc) -> None:
    ovc("create", "dev", "--wait")
    ovc("suspend", "dev", "--wait")
    out = lines(ovc("top", "dev").stdout)
    assert out[0].startswith("vcluster/dev in namespace ") and ": SUSPENDED, observed" in out[0]
    rows = _rows(out[1:])
    assert rows["cpu used"] == ["0", "simulated"]
    assert rows["pods"] == ["0", "simulated"]
    assert rows["cpu requested by pods"][0].startswith("unavailable (")


def test_top_json_and_yaml(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--wait")
    as_json = json.loads(ovc("top", "dev", "-o", "json").stdout)
    as_yaml = yaml.safe_load(ovc("top", "dev", "-o", "yaml").stdout)
    expected = _without_time(client.get_vcluster_usage(ns, "dev"))
    assert expected["phase"] == "PHASE_RUNNING"
    assert expected["cpuRequestedByPods"]["reason"]
    for shown in (as_json, as_yaml):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", shown.pop("observeTime"))
        assert shown == expected


def test_top_errors(ovc: Ovc, ns: str) -> None:
    missing = ovc("top", "ghost", code=3)
    assert f"vcluster {ns}/ghost not found" in missing.stderr
    assert missing.stdout == ""
    bad = ovc("top", "Not_A_Name", code=2)
    assert bad.stderr.startswith("Error: NAME Not_A_Name: must be a DNS-1123 label")
    ovc("create", "dev", "--wait")
    # A table, JSON or YAML: the list formats make no sense for one usage.
    assert "'wide' is not one of" in ovc("top", "dev", "-o", "wide", code=2).stderr
    ovc("top", "dev", "-o", "name", code=2)


# ovc summary


def test_summary_of_every_namespace_against_quotas(quota_server: RunningServer) -> None:
    with openvcluster.Client(quota_server.address) as c:
        c.create_vcluster("team-a", "web", cpu="2", memory="4Gi", wait=True)
        c.create_vcluster("team-a", "old", cpu="2", memory="4Gi", wait=True)
        c.suspend_vcluster("team-a", "old", wait=True)
        c.create_vcluster("team-b", "broken", metadata={FAIL: "disk full"})
        c.wait_for_phase("team-b", "broken", "FAILED")
    ovc = Ovc(CliRunner(), quota_server.address, None)
    out = lines(ovc("summary", "-A").stdout)
    assert out[0] == (
        "3 vclusters in every namespace you may see: 1 RUNNING, 1 SUSPENDED, 1 FAILED"
    )
    assert _cells(out[1]) == ["NAMESPACE", "VCLUSTERS", "PHASES", "CPU", "MEMORY"]
    # Requested totals against the quota; the bare total where there is none.
    assert [_cells(line) for line in out[2:5]] == [
        ["reserved", "0", "-", "0 / 4", "0"],
        ["team-a", "2 / 5", "1 RUNNING, 1 SUSPENDED", "4 / 8", "8Gi / 16Gi"],
        ["team-b", "1", "1 FAILED", "1", "2Gi"],
    ]
    assert out[5] == "Suspended longest:"
    assert _cells(out[6]) == ["NAMESPACE", "NAME", "SUSPENDED FOR"]
    assert re.fullmatch(r"team-a\s+old\s+\d+s", out[7])
    assert out[8] == "Failed (1):"
    assert _cells(out[9]) == ["NAMESPACE", "NAME", "FAILED FOR", "MESSAGE"]
    assert re.fullmatch(r"team-b\s+broken\s+\d+s\s+disk full", out[10])
    assert len(out) == 11


def test_summary_of_one_namespace(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "a", "--cpu", "2", "--wait")
    ovc("create", "b", "--wait")
    client.create_vcluster(ns, "c", metadata={FAIL: "etcd lost quorum"})
    client.wait_for_phase(ns, "c", "FAILED")
    client.create_vcluster(_sibling(ns), "elsewhere", wait=True)
    out = lines(ovc("summary").stdout)
    assert out[0] == f"3 vclusters in namespace {ns}: 2 RUNNING, 1 FAILED"
    assert [_cells(line) for line in out[1:3]] == [
        ["NAMESPACE", "VCLUSTERS", "PHASES", "CPU", "MEMORY"],
        [ns, "3", "2 RUNNING, 1 FAILED", "4", "6Gi"],
    ]
    # Nothing suspended: no such section.
    assert out[3] == "Failed (1):"
    assert _cells(out[5])[-1] == "etcd lost quorum"
    assert len(out) == 6
    # -n picks another namespace, as everywhere.
    other = lines(ovc("summary", "-n", _sibling(ns)).stdout)
    assert other[0] == f"1 vcluster in namespace {_sibling(ns)}: 1 RUNNING"


def test_summary_of_an_empty_namespace(ovc: Ovc, ns: str) -> None:
    result = ovc("summary")
    assert result.stdout == ""
    assert result.stderr == f"No vclusters in namespace {ns}.\n"


def test_summary_json_and_yaml(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--wait")
    ovc("suspend", "dev", "--wait")
    as_json = json.loads(ovc("summary", "-o", "json").stdout)
    as_yaml = yaml.safe_load(ovc("summary", "-o", "yaml").stdout)
    expected = _without_time(client.get_fleet_summary(ns))
    assert expected["oldestSuspended"][0]["name"] == "dev"
    for shown in (as_json, as_yaml):
        shown.pop("observeTime")
        assert shown == expected
    # An empty summary is still an object for a program to read.
    assert json.loads(ovc("summary", "-n", f"{ns}-none", "-o", "json").stdout).keys() == {
        "observeTime"
    }
