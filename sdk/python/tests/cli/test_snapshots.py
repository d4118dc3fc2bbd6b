"""``ovc snapshot create|list|get|delete`` and ``ovc restore``."""

from __future__ import annotations

import json
import re

import pytest
import yaml

import openvcluster
from openvcluster import Phase, SnapshotPhase
from tests.cli.helpers import Ovc, lines, result_of

HOLD = "ovc-test-transition-delay-ms"


def test_snapshot_create_list_get_delete(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--wait")
    created = ovc("snapshot", "create", "dev").stdout
    match = re.fullmatch(r"snapshot/(dev-[a-z0-9]+) created\n", result_of(created))
    assert match, created  # the generated name is printed, for the next command
    generated = match.group(1)

    named = ovc("snapshot", "create", "dev", "--name", "dev-snap", "--description", "before",
                "-l", "kind=manual", "--wait")  # fmt: skip
    assert result_of(named.stdout) == "snapshot/dev-snap created\n"
    assert lines(named.stderr)[-1].startswith("snapshot/dev-snap READY (")
    client.wait_for_snapshot(ns, generated)

    listed = json.loads(ovc("snapshot", "list", "-o", "json").stdout)
    assert sorted(s["name"] for s in listed) == sorted([generated, "dev-snap"])
    table = lines(ovc("snapshot", "list", "dev").stdout)
    assert table[0].split() == ["NAME", "VCLUSTER", "PHASE", "SIZE", "AGE"]
    assert {row.split()[0] for row in table[1:]} == {generated, "dev-snap"}
    assert ovc("snapshot", "list", "nothing-here").stdout == ""
    assert "snapshot/dev-snap" in ovc("snapshot", "ls", "-A", "-o", "name").stdout.split()
    wide = lines(ovc("snapshot", "list", "-o", "wide").stdout)
    assert wide[0].split()[-3:] == ["VERSION", "DESCRIPTION", "LABELS"]

    shown = yaml.safe_load(ovc("snapshot", "get", "dev-snap", "-o", "yaml").stdout)
    assert (shown["vcluster"], shown["phase"]) == ("dev", "PHASE_READY")
    assert (shown["description"], shown["labels"]) == ("before", {"kind": "manual"})
    described = json.loads(ovc("snapshot", "describe", "snapshot/dev-snap", "-o", "json").stdout)
    assert described == shown

    assert (
        result_of(ovc("snapshot", "delete", generated).stdout) == f"snapshot/{generated} deleted\n"
    )
    ovc("snapshot", "get", generated, code=3)


def test_restore_to_a_new_vcluster_and_in_place(
    ovc: Ovc, client: openvcluster.Client, ns: str
) -> None:
    ovc("create", "dev", "--cpu", "1", "--wait")
    ovc("snapshot", "create", "dev", "--name", "dev-snap", "--wait")

    copy = ovc("restore", "dev-snap", "--to", "dev2", "--wait")
    assert result_of(copy.stdout) == "vcluster/dev2 restored from snapshot/dev-snap\n"
    assert lines(copy.stderr)[-1].startswith("vcluster/dev2 RUNNING (")
    assert client.get_vcluster(ns, "dev2").status.phase == Phase.PHASE_RUNNING

    ovc("scale", "dev", "--cpu", "2", "--wait")
    # `-o name` output feeds back in: snapshot/NAME is accepted.
    in_place = json.loads(ovc("restore", "snapshot/dev-snap", "--wait", "-o", "json").stdout)
    assert in_place["name"] == "dev"
    assert in_place["status"]["phase"] == "PHASE_RUNNING"
    assert in_place["spec"]["resources"]["cpu"] == "1"


def test_restore_waits_for_the_snapshot_to_be_ready(
    ovc: Ovc, client: openvcluster.Client, ns: str
) -> None:
    ovc("create", "dev", "--wait")
    # Held PENDING for a minute: the restore cannot start, with or without --wait.
    held = client.snapshot_vcluster(ns, "dev", snapshot_name="held", metadata={HOLD: "60000"})
    assert held.phase == SnapshotPhase.PHASE_PENDING
    refused = ovc("restore", "held", "--to", "copy", code=4)
    assert "only a READY snapshot can be restored" in refused.stderr
    timed_out = ovc("restore", "held", "--to", "copy", "--timeout", "0.2", code=7)
    assert "snapshot" in timed_out.stderr and "did not reach READY" in timed_out.stderr
    client.delete_snapshot(ns, "held")

    # Briefly PENDING: restore --wait waits for READY, then restores.
    client.snapshot_vcluster(ns, "dev", snapshot_name="brief", metadata={HOLD: "100"})
    restored = ovc("restore", "brief", "--to", "copy", "--wait")
    assert result_of(restored.stdout) == "vcluster/copy restored from snapshot/brief\n"
    assert client.get_vcluster(ns, "copy").status.phase == Phase.PHASE_RUNNING


@pytest.mark.parametrize("args", [["snapshot", "get", "nope"], ["snapshot", "delete", "nope"],
                                  ["restore", "nope", "--to", "x"]])  # fmt: skip
def test_missing_snapshots_exit_3(ovc: Ovc, args: list[str]) -> None:
    result = ovc(*args, code=3)
    assert "not found" in result.stderr
