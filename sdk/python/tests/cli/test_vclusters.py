"""The vcluster commands through the CLI runner, against the shared reference server."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

import openvcluster
from openvcluster import Phase
from openvcluster.cli.errors import ExitCode
from openvcluster.cli.vclusters import outcome
from tests.cli.helpers import Ovc, client_options, lines, result_of

HOLD = "ovc-test-transition-delay-ms"


def test_create_wait_get_list_delete(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    created = ovc("create", "dev", "--wait")
    assert result_of(created.stdout) == "vcluster/dev created\n"
    progress = lines(created.stderr)  # not a terminal: one plain line per phase
    assert progress[0].startswith("vcluster/dev PROVISIONING (")
    assert progress[-1].startswith("vcluster/dev RUNNING (")
    assert client.get_vcluster(ns, "dev").status.phase == Phase.PHASE_RUNNING

    as_json = json.loads(ovc("get", "dev", "-o", "json").stdout)
    assert as_json["name"] == "dev" and as_json["namespace"] == ns
    assert as_json["status"]["phase"] == "PHASE_RUNNING"
    assert as_json["spec"]["resources"] == {"cpu": "1", "memory": "2Gi", "storage": "10Gi"}
    as_yaml = yaml.safe_load(ovc("describe", "dev", "-o", "yaml").stdout)
    assert as_yaml == as_json

    table = lines(ovc("get", "dev").stdout)
    assert table[0].split() == ["NAME", "PHASE", "VERSION", "CPU", "MEMORY", "AGE"]
    assert table[1].split()[:5] == ["dev", "RUNNING", "1.33", "1", "2Gi"]

    listed = lines(ovc("list").stdout)
    assert "NAMESPACE" not in listed[0]
    assert [row.split()[0] for row in listed[1:]] == ["dev"]
    assert ovc("list", "-o", "name").stdout == "vcluster/dev\n"
    assert [vc["name"] for vc in json.loads(ovc("list", "-o", "json").stdout)] == ["dev"]
    assert [vc["name"] for vc in yaml.safe_load(ovc("ls", "-o", "yaml").stdout)] == ["dev"]
    everywhere = lines(ovc("list", "-A").stdout)
    assert everywhere[0].split()[:3] == ["NAMESPACE", "NAME", "PHASE"]
    assert [ns, "dev"] in [row.split()[:2] for row in everywhere[1:]]

    deleted = ovc("delete", "dev", "--wait")
    assert result_of(deleted.stdout) == "vcluster/dev deleted\n"
    assert lines(deleted.stderr)[-1].startswith("vcluster/dev deleted (")
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(ns, "dev")
    empty = ovc("list")
    assert empty.stdout == "" and f"No vclusters in namespace {ns}." in empty.stderr
    assert json.loads(ovc("list", "-o", "json").stdout) == []


def test_wait_progress_comes_from_the_wait_itself(
    ovc: Ovc, monkeypatch: pytest.MonkeyPatch
) -> None:
    watches: list[tuple[object, ...]] = []
    watch = openvcluster.Client.watch_vclusters

    def second_watch(self: openvcluster.Client, *args: Any, **kwargs: Any) -> openvcluster.Watch:
        watches.append(args)
        return watch(self, *args, **kwargs)

    monkeypatch.setattr(openvcluster.Client, "watch_vclusters", second_watch)
    client_options(monkeypatch, metadata={HOLD: "300"})  # PROVISIONING for 0.3 s
    created = ovc("create", "dev", "--wait")
    progress = lines(created.stderr)
    assert [line.split()[:2] for line in progress] == [
        ["vcluster/dev", "PROVISIONING"],
        ["vcluster/dev", "RUNNING"],
    ]
    deleted = ovc("delete", "dev", "--wait")
    assert [line.split()[1] for line in lines(deleted.stderr)] == ["DELETING", "deleted"]
    assert watches == []  # the wait's own watch fed the display


def test_create_with_every_setting(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    out = ovc(
        "create", "web", "--kubernetes-version", "1.31", "--distro", "k3s",
        "--cpu", "2", "--memory", "4Gi", "--storage", "20Gi", "--replicas", "3", "--ha",
        "--expose", "node-port", "-l", "app=web", "--label", "tier=gold", "-o", "json",
    ).stdout  # fmt: skip
    vc = json.loads(out)
    assert vc["status"]["phase"] == "PHASE_PROVISIONING"  # no --wait: returned at once
    assert vc["labels"] == {"app": "web", "tier": "gold"}
    spec = vc["spec"]
    assert (spec["kubernetesVersion"], spec["distro"]) == ("1.31", "DISTRO_K3S")
    assert spec["resources"] == {"cpu": "2", "memory": "4Gi", "storage": "20Gi"}
    assert (spec["replicas"], spec["enableHa"]) == (3, True)
    assert spec["network"]["exposeType"] == "EXPOSE_TYPE_NODE_PORT"

    client.wait_for_phase(ns, "web", "RUNNING")
    ovc("create", "other", "--wait")
    assert ovc("list", "-l", "app=web", "-o", "name").stdout == "vcluster/web\n"
    assert ovc("list", "--phase", "RUNNING", "-o", "name").stdout.split() == [
        "vcluster/other",
        "vcluster/web",
    ]
    wide = lines(ovc("list", "-o", "wide").stdout)
    header = wide[0].split()
    assert header == [
        "NAME", "PHASE", "VERSION", "CPU", "MEMORY", "STORAGE", "REPLICAS", "HA", "PROTECTED",
        "DISTRO", "ENDPOINT", "SLEEP", "SCHEDULE", "EXPIRES", "AGE", "LABELS",
    ]  # fmt: skip
    web = next(row.split() for row in wide[1:] if row.startswith("web "))
    assert web[5:10] == ["20Gi", "3", "yes", "no", "k3s"]
    assert web[-1] == "app=web,tier=gold"


def test_update_labels_and_deletion_protection(
    ovc: Ovc, client: openvcluster.Client, ns: str
) -> None:
    created = json.loads(
        ovc("create", "dev", "-l", "app=web", "--deletion-protection", "-o", "json").stdout
    )
    assert created["spec"]["deletionProtection"] is True
    client.wait_for_phase(ns, "dev", "RUNNING")
    wide = lines(ovc("get", "dev", "-o", "wide").stdout)
    protected = wide[0].split().index("PROTECTED")
    assert wide[1].split()[protected] == "yes"

    refused = ovc("delete", "dev", code=ExitCode.CONFLICT)
    assert "protected against deletion" in refused.stderr
    assert f"`ovc update dev -n {ns} --no-deletion-protection`" in refused.stderr

    # The labels given replace them all; protection is left alone.
    assert result_of(ovc("update", "dev", "-l", "team=platform").stdout) == "vcluster/dev updated\n"
    vc = client.get_vcluster(ns, "dev")
    assert (dict(vc.labels), vc.spec.deletion_protection) == ({"team": "platform"}, True)

    # Protection off, labels left alone; printed in the format asked for.
    updated = json.loads(ovc("update", "dev", "--no-deletion-protection", "-o", "json").stdout)
    assert updated["labels"] == {"team": "platform"}
    assert "deletionProtection" not in updated["spec"]
    assert updated["status"]["phase"] == "PHASE_RUNNING"

    dry = ovc("update", "dev", "--clear-labels", "--dry-run")
    assert "dry run" in dry.stdout
    assert dict(client.get_vcluster(ns, "dev").labels) == {"team": "platform"}
    ovc("update", "dev", "--clear-labels", "--deletion-protection")
    vc = client.get_vcluster(ns, "dev")
    assert (dict(vc.labels), vc.spec.deletion_protection) == ({}, True)

    nothing = ovc("update", "dev", code=ExitCode.USAGE)
    assert "nothing to change" in nothing.stderr
    both = ovc("update", "dev", "-l", "a=b", "--clear-labels", code=ExitCode.USAGE)
    assert "not both" in both.stderr
    bad = ovc("update", "dev", "-l", "app=no spaces", code=ExitCode.USAGE)
    assert "--label app:" in bad.stderr


def test_upgrade(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--kubernetes-version", "1.31", "--wait")
    upgraded = ovc("upgrade", "dev", "--to", "1.32", "--wait")
    assert result_of(upgraded.stdout) == "vcluster/dev upgraded to 1.32\n"
    progress = lines(upgraded.stderr)
    assert progress[0].startswith("vcluster/dev UPGRADING (")
    assert progress[-1].startswith("vcluster/dev RUNNING (")
    vc = client.get_vcluster(ns, "dev")
    assert (vc.status.phase, vc.spec.kubernetes_version) == (Phase.PHASE_RUNNING, "1.32")

    assert (
        result_of(ovc("upgrade", "dev", "--to", "1.32").stdout) == "vcluster/dev already at 1.32\n"
    )
    dry = ovc("upgrade", "dev", "--to", "1.33", "--dry-run")
    assert "dry run" in dry.stdout
    assert client.get_vcluster(ns, "dev").spec.kubernetes_version == "1.32"

    down = ovc("upgrade", "dev", "--to", "1.31", code=ExitCode.CONFLICT)
    assert "downgrade" in down.stderr
    unsupported = ovc("upgrade", "dev", "--to", "1.99", code=ExitCode.USAGE)
    assert "--to 1.99:" in unsupported.stderr
    assert "--to" in ovc("upgrade", "dev", code=ExitCode.USAGE).stderr

    # Without --wait it returns at once, UPGRADING.
    begun = yaml.safe_load(ovc("upgrade", "dev", "--to", "1.33", "-o", "yaml").stdout)
    assert begun["status"]["phase"] == "PHASE_UPGRADING"
    assert begun["spec"]["kubernetesVersion"] == "1.33"
    client.wait_for_phase(ns, "dev", "RUNNING")


def test_dry_run_creates_nothing(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    assert "dry run" in ovc("create", "dev", "--dry-run").stdout
    assert list(client.list_vclusters(ns)) == []


def test_scale_suspend_resume(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--wait")
    scaled = json.loads(
        ovc("scale", "dev", "--cpu", "2", "--memory", "4Gi", "--wait", "-o", "json").stdout
    )
    assert scaled["spec"]["resources"]["cpu"] == "2"
    assert scaled["status"]["phase"] == "PHASE_RUNNING"

    suspended = ovc("suspend", "dev", "--wait")
    assert result_of(suspended.stdout) == "vcluster/dev suspended\n"
    assert lines(suspended.stderr)[-1].startswith("vcluster/dev SUSPENDED (")
    assert client.get_vcluster(ns, "dev").status.phase == Phase.PHASE_SUSPENDED

    # Scaling a suspended vcluster keeps the settings for later; it stays SUSPENDED.
    ovc("scale", "dev", "--replicas", "3", "--timeout", "30s")
    assert client.get_vcluster(ns, "dev").status.phase == Phase.PHASE_SUSPENDED

    resumed = ovc("resume", "dev", "--timeout", "1m")  # --timeout implies --wait
    assert result_of(resumed.stdout) == "vcluster/dev resumed\n"
    assert lines(resumed.stderr)[-1].startswith("vcluster/dev RUNNING (")
    vc = client.get_vcluster(ns, "dev")
    assert (vc.status.phase, vc.spec.replicas) == (Phase.PHASE_RUNNING, 3)


def test_no_ops_say_so(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--wait")
    assert result_of(ovc("resume", "dev").stdout) == "vcluster/dev already RUNNING\n"
    assert result_of(ovc("resume", "dev", "--wait").stdout) == "vcluster/dev already RUNNING\n"
    ovc("suspend", "dev", "--wait")
    assert result_of(ovc("suspend", "dev").stdout) == "vcluster/dev already SUSPENDED\n"
    # With -o the resource is printed as it is, as for any mutation.
    unchanged = json.loads(ovc("suspend", "dev", "-o", "json").stdout)
    assert unchanged["status"]["phase"] == "PHASE_SUSPENDED"

    # Held in the intermediate phase a real call would also answer with.
    client.resume_vcluster(ns, "dev", metadata={HOLD: "60000"})
    assert result_of(ovc("resume", "dev").stdout) == "vcluster/dev already RESUMING\n"
    ovc("create", "web", "--wait")
    client.suspend_vcluster(ns, "web", metadata={HOLD: "60000"})
    assert result_of(ovc("suspend", "web").stdout) == "vcluster/web already SUSPENDING\n"
    client.delete_vcluster(ns, "web", metadata={HOLD: "60000"})
    assert result_of(ovc("delete", "web").stdout) == "vcluster/web already DELETING\n"
    assert result_of(ovc("delete", "dev").stdout) == "vcluster/dev deleting\n"  # RESUMING: a change


def test_a_no_op_is_told_by_the_phases() -> None:
    def answer(phase: Phase.ValueType) -> openvcluster.VCluster:
        return openvcluster.VCluster(status=openvcluster.VClusterStatus(phase=phase))

    cases = [
        (Phase.PHASE_SUSPENDED, Phase.PHASE_RESUMING, "resumed"),
        (Phase.PHASE_RUNNING, Phase.PHASE_RUNNING, "already RUNNING"),
        (Phase.PHASE_RESUMING, Phase.PHASE_RESUMING, "already RESUMING"),
        # RESUMING ended between the read and the call: no change answers RUNNING.
        (Phase.PHASE_RESUMING, Phase.PHASE_RUNNING, "already RUNNING"),
        (Phase.PHASE_RUNNING, Phase.PHASE_SUSPENDING, "suspended"),
        (Phase.PHASE_SUSPENDING, Phase.PHASE_SUSPENDED, "already SUSPENDED"),
        (Phase.PHASE_FAILED, Phase.PHASE_DELETING, "deleting"),
        (Phase.PHASE_DELETING, Phase.PHASE_DELETING, "already DELETING"),
    ]
    for before, after, said in cases:
        verb = said if not said.startswith("already") else "changed"
        assert outcome(before, answer(after), verb) == said


def test_mutations_print_in_every_format(ovc: Ovc, ns: str) -> None:
    assert ovc("create", "dev", "--wait", "-o", "name").stdout == "vcluster/dev\n"
    suspended = yaml.safe_load(ovc("suspend", "dev", "--wait", "-o", "yaml").stdout)
    assert suspended["status"]["phase"] == "PHASE_SUSPENDED"
    table = lines(ovc("resume", "dev", "--wait", "-o", "table").stdout)
    assert table[1].split()[:2] == ["dev", "RUNNING"]
    deleting = json.loads(ovc("delete", "dev", "-o", "json").stdout)
    assert deleting["status"]["phase"] == "PHASE_DELETING"


def test_kubeconfig_to_stdout_and_to_a_private_file(ovc: Ovc, tmp_path: Path) -> None:
    ovc("create", "dev", "--wait")
    printed = ovc("kubeconfig", "dev").stdout
    config = yaml.safe_load(printed)
    assert config["kind"] == "Config"
    token = config["users"][0]["user"]["token"]

    target = tmp_path / "dev.kubeconfig"
    target.write_text("old")
    target.chmod(0o644)  # an existing, readable file becomes private too
    written = ovc("kubeconfig", "dev", "--write", str(target))
    assert str(target) in written.stdout
    assert token not in written.stdout + written.stderr
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert target.read_text() == printed

    fresh = tmp_path / "fresh.kubeconfig"
    ovc("kubeconfig", "dev", "--write", str(fresh))
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o600


def test_watch_prints_the_state_then_stops_at_the_timeout(ovc: Ovc, ns: str) -> None:
    ovc("create", "dev", "--wait")
    ovc("create", "web", "--wait")
    events = [
        json.loads(line) for line in lines(ovc("watch", "-o", "json", "--timeout", "0.2").stdout)
    ]
    assert [(e["type"], e.get("vcluster", {}).get("name")) for e in events] == [
        ("EVENT_TYPE_ADDED", "dev"),
        ("EVENT_TYPE_ADDED", "web"),
        ("EVENT_TYPE_SYNCED", None),
    ]
    assert events[0]["vcluster"]["status"]["phase"] == "PHASE_RUNNING"

    table = ovc("watch", "dev", "--timeout", "0.2")
    rows = lines(table.stdout)
    assert rows[0].split() == ["EVENT", "NAME", "PHASE", "MESSAGE"]
    assert rows[1].split()[:3] == ["ADDED", "dev", "RUNNING"]
    assert len(rows) == 2 and "initial state complete" in table.stderr

    docs = list(yaml.safe_load_all(ovc("watch", "web", "-o", "yaml", "--timeout", "0.2").stdout))
    assert [d["type"] for d in docs] == ["EVENT_TYPE_ADDED", "EVENT_TYPE_SYNCED"]
    assert ovc("watch", "-o", "name", "--timeout", "0.2").stdout.split() == [
        "vcluster/dev",
        "vcluster/web",
    ]
    ovc("watch", "dev", "-A", code=2)


def test_tables_fit_80_columns(ovc: Ovc, ns: str) -> None:
    for name in ("analytics-staging-01", "payments-eu-west-blue", "dev"):
        ovc("create", name, "--cpu", "1500m", "--memory", "12Gi")
    ovc("snapshot", "create", "analytics-staging-01", "--name", "analytics-nightly")
    for args in (["list", "-A"], ["list"], ["snapshot", "list", "-A"], ["get", "dev"]):
        text = ovc(*args).stdout
        assert ns in text or args[-1] != "-A"
        assert max(len(line) for line in text.splitlines()) <= 80, text


def test_live_display_on_a_terminal(ovc: Ovc) -> None:
    # Rich reads these to treat click's captured stderr as an interactive terminal.
    result = ovc("create", "dev", "--wait", env={"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"})
    assert result_of(result.stdout).endswith("vcluster/dev created\n")
    assert "\x1b[" in result.stderr  # cursor control: a live display, not plain lines
    assert "vcluster/dev" in result.stderr and "PROVISIONING" in result.stderr
    assert "✓" in result.stderr and "RUNNING (" in result.stderr
