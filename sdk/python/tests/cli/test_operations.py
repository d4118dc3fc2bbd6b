"""``ovc history``, ``ovc operation get``, and the operation line of every mutation."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from google.protobuf.json_format import MessageToDict

import openvcluster
from openvcluster.cli.errors import ExitCode
from openvcluster.cli.output import format_duration
from tests.cli.helpers import Ovc, client_options, lines, operation_of

FAIL = "ovc-test-fail-transition"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_every_mutation_prints_its_operation(ovc: Ovc, client: openvcluster.Client) -> None:
    printed = [
        operation_of(ovc(*args).stdout)
        for args in (
            ["create", "dev", "--wait"],
            ["update", "dev", "-l", "team=platform"],
            ["upgrade", "dev", "--to", "1.33"],  # the version it has: a no-op, recorded too
            ["scale", "dev", "--cpu", "2", "--wait"],
            ["suspend", "dev", "--wait"],
            ["resume", "dev", "--wait"],
            ["snapshot", "create", "dev", "--name", "s1", "--wait"],
            ["restore", "s1", "--to", "copy", "--wait"],
            ["snapshot", "delete", "s1"],
            ["delete", "dev", "--wait"],
        )
    ]
    assert len(set(printed)) == len(printed)
    methods = [client.get_operation(operation_id).method for operation_id in printed]
    assert methods == [
        "CreateVCluster",
        "UpdateVCluster",
        "UpdateVCluster",
        "ScaleVCluster",
        "SuspendVCluster",
        "ResumeVCluster",
        "SnapshotVCluster",
        "RestoreVCluster",
        "DeleteSnapshot",
        "DeleteVCluster",
    ]


def test_dry_runs_and_other_formats_print_no_operation(ovc: Ovc) -> None:
    assert ovc("create", "dev", "--dry-run").stdout == (
        "vcluster/dev is valid (dry run: nothing created)\n"
    )
    ovc("create", "dev", "--wait")
    assert ovc("update", "dev", "-l", "a=b", "--dry-run").stdout == (
        "vcluster/dev is valid (dry run: nothing changed)\n"
    )
    assert ovc("scale", "dev", "--cpu", "2", "-o", "name").stdout == "vcluster/dev\n"
    scaled = json.loads(ovc("scale", "dev", "--cpu", "3", "--wait", "-o", "json").stdout)
    assert scaled["name"] == "dev" and "operation" not in json.dumps(scaled).lower()


def test_history_of_a_vcluster_newest_first(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    created = operation_of(ovc("create", "dev", "--wait").stdout)
    suspended = operation_of(ovc("suspend", "dev", "--wait").stdout)
    resumed = operation_of(ovc("resume", "dev", "--wait").stdout)
    ovc("create", "other", "--wait")

    table = lines(ovc("history", "dev").stdout)
    assert table[0].split() == [
        "ID", "METHOD", "STATE", "REQUESTED", "BY", "STARTED", "DURATION", "MESSAGE",
    ]  # fmt: skip
    rows = [row.split() for row in table[1:]]
    assert [row[:5] for row in rows] == [
        [resumed, "ResumeVCluster", "SUCCEEDED", "anonymous", rows[0][4]],
        [suspended, "SuspendVCluster", "SUCCEEDED", "anonymous", rows[1][4]],
        [created, "CreateVCluster", "SUCCEEDED", "anonymous", rows[2][4]],
    ]
    assert all(row[5] == "ago" for row in rows)  # STARTED: "3s ago"
    # The last thing the server said about the create: its RUNNING message.
    last = client.get_operation(created).progress[-1].message
    assert last and table[3].endswith(last)

    # Without NAME: every vcluster of the namespace, with a VCLUSTER column.
    everything = lines(ovc("history").stdout)
    assert everything[0].split()[:3] == ["ID", "VCLUSTER", "METHOD"]
    assert [row.split()[1] for row in everything[1:]] == ["other", "dev", "dev", "dev"]
    everywhere = lines(ovc("history", "-A").stdout)
    assert everywhere[0].split()[:4] == ["NAMESPACE", "ID", "VCLUSTER", "METHOD"]
    assert [ns, created, "dev"] in [row.split()[:3] for row in everywhere[1:]]

    wide = lines(ovc("history", "dev", "-o", "wide").stdout)
    assert wide[0].split()[-8:] == [
        "SNAPSHOT", "REQUEST", "ID", "START", "TIME", "END", "TIME", "MESSAGE",
    ]  # fmt: skip


def test_history_formats(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    created = operation_of(ovc("create", "dev", "--wait").stdout)
    deleted = operation_of(ovc("delete", "dev", "--wait").stdout)
    canonical = [MessageToDict(op) for op in client.list_operations(ns, vcluster="dev")]
    as_json = json.loads(ovc("history", "dev", "-o", "json").stdout)
    assert as_json == canonical
    assert [op["id"] for op in as_json] == [deleted, created]
    assert as_json[0]["method"] == "DeleteVCluster" and as_json[0]["state"] == "STATE_SUCCEEDED"
    assert yaml.safe_load(ovc("history", "dev", "-o", "yaml").stdout) == canonical
    named = ovc("history", "dev", "-o", "name").stdout
    assert named == f"operation/{deleted}\noperation/{created}\n"
    # The vcluster is gone; its history is kept.
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(ns, "dev")

    empty = ovc("history", "ghost")
    assert empty.stdout == ""
    assert f"No operations of vcluster/ghost in namespace {ns}." in empty.stderr
    assert json.loads(ovc("history", "ghost", "-o", "json").stdout) == []


def test_history_keeps_ids_whole_on_a_narrow_terminal(ovc: Ovc) -> None:
    created = operation_of(ovc("create", "dev", "--wait").stdout)

    def on_terminal(columns: int) -> list[str]:
        terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": str(columns), "NO_COLOR": "1"}
        return _ANSI.sub("", ovc("history", "dev", env=terminal).stdout).splitlines()

    natural = lines(ovc("history", "dev").stdout)  # not a terminal: nothing is cut
    assert natural[1].split()[0] == created and natural[1].endswith("the control plane is serving")
    # A little narrower than the table: only the message is cut.
    narrower = on_terminal(len(natural[1]) - 10)
    assert all(len(line) <= len(natural[1]) - 10 for line in narrower)
    assert narrower[1].split()[:3] == natural[1].split()[:3] and narrower[1].endswith("…")
    # Much narrower: the ids stay whole, and the terminal wraps the lines.
    assert on_terminal(40)[1].split()[0] == created


def test_operation_get(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    created = operation_of(ovc("create", "dev", "--wait").stdout)
    operation = client.get_operation(created)
    text = ovc("operation", "get", created).stdout
    fields = dict(line.split(":", 1) for line in text.split("\n\n")[0].splitlines())
    assert {key: value.strip() for key, value in fields.items()} == {
        "ID": created,
        "Method": "CreateVCluster",
        "VCluster": f"{ns}/dev",
        "State": "SUCCEEDED",
        "Requested by": "anonymous",
        "Request ID": operation.request_id,
        "Started": operation.start_time.ToDatetime().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Ended": fields["Ended"].strip(),
    }
    nanos = operation.end_time.ToNanoseconds() - operation.start_time.ToNanoseconds()
    assert fields["Ended"].strip().endswith(f"(took {format_duration(nanos / 1e9)})")
    progress = lines(text.split("Progress:\n", 1)[1])
    assert progress[0].split() == ["TIME", "PHASE", "MESSAGE"]
    assert [row.split()[1] for row in progress[1:]] == ["PROVISIONING", "RUNNING"]

    canonical = MessageToDict(operation)
    assert json.loads(ovc("operation", "get", created, "-o", "json").stdout) == canonical
    # `-o name` output feeds back in, and describe is get.
    described = ovc("operation", "describe", f"operation/{created}", "-o", "yaml").stdout
    assert yaml.safe_load(described) == canonical


def test_a_failed_operation_shows_its_error(
    ovc: Ovc, client: openvcluster.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_options(monkeypatch, metadata={FAIL: "disk on fire"})
    failed = ovc("create", "dev", "--wait", code=ExitCode.WAIT)
    # The wait failed, and the error names the operation to look at.
    match = re.search(r"`ovc operation get ([0-9a-f-]{36})`", failed.stderr)
    assert match, failed.stderr
    operation = client.get_operation(match.group(1))
    assert operation.state == openvcluster.OperationState.STATE_FAILED

    text = ovc("operation", "get", match.group(1)).stdout
    assert "State:        FAILED" in text
    error = next(line for line in text.splitlines() if line.startswith("Error:"))
    assert error.startswith(f"Error:        {operation.error.message} (TRANSITION_FAILED")
    assert lines(text)[-1].split()[1] == "FAILED"
    row = lines(ovc("history", "dev").stdout)[1]
    assert row.split()[2] == "FAILED" and row.endswith(operation.error.message)


def test_operation_get_errors(ovc: Ovc) -> None:
    invalid = ovc("operation", "get", "not-an-id", code=ExitCode.USAGE)
    assert "Error: ID not-an-id: must be an operation id" in invalid.stderr
    missing = ovc("operation", "get", "0f8fad5b-d9cb-469f-a165-70867728950e", code=3)
    assert "not found" in missing.stderr
