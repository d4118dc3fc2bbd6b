"""Sleep schedules and expiry in ``ovc``: the flags of create and update, the wide
columns, ``ovc describe`` and the server's clock in ``ovc version``."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

import openvcluster
from openvcluster import SleepSchedule
from openvcluster.cli.base import DURATION, POSITIVE_DURATION
from openvcluster.cli.errors import ExitCode
from openvcluster.cli.output import format_until, schedule_text
from openvcluster.cli.vclusters import describe_vcluster
from openvcluster.v1 import vcluster_pb2
from tests.cli.helpers import Ovc, lines, result_of

WEEKDAYS = ["--sleep-at", "0 19 * * 1-5", "--wake-at", "0 7 * * 1-5"]
BERLIN = SleepSchedule(
    suspend_cron="0 19 * * 1-5", resume_cron="0 7 * * 1-5", time_zone="Europe/Berlin"
)


def _cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def _wide(ovc: Ovc, name: str) -> dict[str, str]:
    """The ``ovc get NAME -o wide`` row, by header."""
    header, row = lines(ovc("get", name, "-o", "wide").stdout)
    return dict(zip(_cells(header), _cells(row), strict=True))


def _seconds_ahead(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp() - time.time()


# Rendering


def test_schedule_text_and_times_to_come() -> None:
    assert schedule_text(BERLIN) == "0 19 * * 1-5 → 0 7 * * 1-5 (Europe/Berlin)"
    assert schedule_text(SleepSchedule(suspend_cron="0 19 * * *", time_zone="UTC")) == (
        "0 19 * * * → - (UTC)"
    )
    assert schedule_text(SleepSchedule(resume_cron="0 7 * * *")) == "- → 0 7 * * *"
    assert schedule_text(SleepSchedule(time_zone="UTC")) == ""

    now = 2_000_000_000.0
    ahead = {90: "in 90s", 7 * 86400 - 2: "in 7d", 30 * 60 - 1: "in 30m", 26 * 3600: "in 26h"}
    for seconds, text in ahead.items():
        assert format_until(Timestamp(seconds=int(now) + seconds), now) == text
    assert format_until(Timestamp(seconds=int(now) - 3 * 3600), now) == "3h ago"
    assert format_until(Timestamp(), now) == ""


def test_describe_text() -> None:
    now = 1_800_000_000.0
    vc = vcluster_pb2.VCluster(
        name="dev",
        namespace="team-a",
        labels={"team": "platform", "app": "web"},
        spec=vcluster_pb2.VClusterSpec(
            kubernetes_version="1.33",
            resources=vcluster_pb2.Resources(cpu="1", memory="2Gi", storage="10Gi"),
            replicas=1,
            deletion_protection=True,
            sleep_schedule=BERLIN,
            expire_time=Timestamp(seconds=int(now) - 600),
        ),
        status=vcluster_pb2.VClusterStatus(
            phase=openvcluster.Phase.PHASE_SUSPENDED,
            next_resume_time=Timestamp(seconds=int(now) + 5 * 3600),
            conditions=[
                vcluster_pb2.Condition(
                    type="Expired",
                    status=vcluster_pb2.Condition.STATUS_TRUE,
                    reason="DeletionProtected",
                    message="expired, but deletion protection is on",
                )
            ],
        ),
        create_time=Timestamp(seconds=int(now) - 3 * 86400),
    )
    text = describe_vcluster(vc, now)
    fields = dict(line.split(":", 1) for line in text.split("\n\n")[0].splitlines())
    shown = {label: value.strip() for label, value in fields.items()}
    assert shown["Name"] == "dev" and shown["Namespace"] == "team-a"
    assert shown["Phase"] == "SUSPENDED" and shown["Message"] == "-"
    assert shown["Labels"] == "app=web,team=platform"
    assert shown["Created"] == "2027-01-12T08:00:00Z (3d ago)"
    assert shown["Deletion protection"] == "yes"
    assert shown["Sleep schedule"] == "0 19 * * 1-5 → 0 7 * * 1-5 (Europe/Berlin)"
    assert shown["Next suspend"] == "-"
    assert shown["Next resume"] == "2027-01-15T13:00:00Z (in 5h)"
    assert shown["Expires"] == "2027-01-15T07:50:00Z (10m ago)"
    assert shown["Delete snapshots on expiry"] == "no"
    conditions = text.split("\n\n")[1].splitlines()
    assert conditions[0] == "Conditions:"
    assert _cells(conditions[1]) == ["TYPE", "STATUS", "REASON", "MESSAGE"]
    assert _cells(conditions[2]) == [
        "Expired",
        "True",
        "DeletionProtected",
        "expired, but deletion protection is on",
    ]


def test_durations_in_days_and_positive_ones() -> None:
    assert [DURATION.convert(v, None, None) for v in ("7d", "1d12h", "30m")] == [
        604800.0,
        129600.0,
        1800.0,
    ]
    assert POSITIVE_DURATION.convert("72h", None, None) == 259200.0


# Against the reference server


def test_create_with_a_schedule_and_an_expiry(ovc: Ovc) -> None:
    created = json.loads(
        ovc(
            "create", "dev", *WEEKDAYS, "--timezone", "Europe/Berlin", "--expire-in", "7d",
            "--delete-snapshots-on-expiry", "--wait", "-o", "json",
        ).stdout
    )  # fmt: skip
    spec = created["spec"]
    assert spec["sleepSchedule"] == {
        "suspendCron": "0 19 * * 1-5",
        "resumeCron": "0 7 * * 1-5",
        "timeZone": "Europe/Berlin",
    }
    # Now plus 7 days, by this machine's clock.
    assert abs(_seconds_ahead(spec["expireTime"]) - 7 * 86400) < 60
    assert spec["deleteSnapshotsOnExpiry"] is True
    assert {"nextSuspendTime", "nextResumeTime"} <= created["status"].keys()

    row = _wide(ovc, "dev")
    assert row["SLEEP SCHEDULE"] == "0 19 * * 1-5 → 0 7 * * 1-5 (Europe/Berlin)"
    assert row["EXPIRES"] == "in 7d"

    described = ovc("describe", "dev").stdout
    assert "Sleep schedule:             0 19 * * 1-5 → 0 7 * * 1-5 (Europe/Berlin)\n" in described
    assert re.search(r"^Next suspend: +\S+Z \(in \w+\)$", described, re.MULTILINE)
    assert re.search(r"^Next resume: +\S+Z \(in \w+\)$", described, re.MULTILINE)
    assert re.search(r"^Expires: +\S+Z \(in 7d\)$", described, re.MULTILINE)
    assert "Delete snapshots on expiry: yes\n" in described
    assert json.loads(ovc("describe", "dev", "-o", "json").stdout)["spec"] == spec
    assert ovc("describe", "dev", "-o", "name").stdout == "vcluster/dev\n"

    # Without: the columns are empty, and so are the fields.
    ovc("create", "plain", "--sleep-at", "30 18 * * *")
    row = _wide(ovc, "plain")
    assert (row["SLEEP SCHEDULE"], row["EXPIRES"]) == ("30 18 * * * → - (UTC)", "-")
    plain = ovc("describe", "plain").stdout
    assert re.search(r"^Next resume: +-$", plain, re.MULTILINE)
    assert re.search(r"^Expires: +-$", plain, re.MULTILINE)


def test_update_merges_the_flags_into_the_schedule(
    ovc: Ovc, client: openvcluster.Client, ns: str
) -> None:
    ovc("create", "dev", *WEEKDAYS, "--wait")

    def schedule() -> SleepSchedule:
        return client.get_vcluster(ns, "dev").spec.sleep_schedule

    # The zone alone: the crons stay.
    updated = ovc("update", "dev", "--timezone", "Europe/Berlin")
    assert result_of(updated.stdout) == "vcluster/dev updated\n"
    assert schedule() == BERLIN
    ovc("update", "dev", "--sleep-at", "0 20 * * 1-5")
    assert (schedule().suspend_cron, schedule().resume_cron) == ("0 20 * * 1-5", "0 7 * * 1-5")
    # An empty cron removes that time only.
    ovc("update", "dev", "--wake-at", "")
    assert schedule() == SleepSchedule(suspend_cron="0 20 * * 1-5", time_zone="Europe/Berlin")
    vc = client.get_vcluster(ns, "dev")
    assert vc.status.HasField("next_suspend_time")
    assert not vc.status.HasField("next_resume_time")

    dry = ovc("update", "dev", "--no-sleep-schedule", "--dry-run")
    assert "dry run" in dry.stdout and schedule().suspend_cron == "0 20 * * 1-5"
    ovc("update", "dev", "--no-sleep-schedule")
    assert not client.get_vcluster(ns, "dev").spec.HasField("sleep_schedule")
    # Nothing for --timezone to change: said, not ignored.
    alone = ovc("update", "dev", "--timezone", "UTC", code=ExitCode.USAGE)
    assert "vcluster/dev has no sleep schedule for --timezone to change" in alone.stderr


def test_update_the_expiry(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "-l", "app=web", "--wait")
    ovc("update", "dev", "--expire-in", "3d", "--delete-snapshots-on-expiry")
    vc = client.get_vcluster(ns, "dev")
    ahead = vc.spec.expire_time.ToSeconds() - time.time()
    assert abs(ahead - 3 * 86400) < 60 and vc.spec.delete_snapshots_on_expiry is True
    assert _wide(ovc, "dev")["EXPIRES"] == "in 3d"

    ovc("update", "dev", "--keep-snapshots-on-expiry")
    vc = client.get_vcluster(ns, "dev")
    assert vc.spec.HasField("expire_time") and vc.spec.delete_snapshots_on_expiry is False

    # --no-expiry with another change: both are made, the rest stays.
    ovc("update", "dev", "--no-expiry", "--delete-snapshots-on-expiry")
    vc = client.get_vcluster(ns, "dev")
    assert not vc.spec.HasField("expire_time") and vc.spec.delete_snapshots_on_expiry is True
    assert dict(vc.labels) == {"app": "web"}
    assert _wide(ovc, "dev")["EXPIRES"] == "-"


def test_a_change_between_the_read_and_the_update_is_not_overwritten(
    ovc: Ovc, client: openvcluster.Client, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ovc("create", "dev", *WEEKDAYS, "--wait")
    read = openvcluster.Client.get_vcluster

    def read_then_change(
        self: openvcluster.Client, *args: Any, **kwargs: Any
    ) -> openvcluster.VCluster:
        vcluster = read(self, *args, **kwargs)
        client.update_vcluster(ns, "dev", sleep_schedule=SleepSchedule(suspend_cron="0 22 * * *"))
        return vcluster

    monkeypatch.setattr(openvcluster.Client, "get_vcluster", read_then_change)
    refused = ovc("update", "dev", "--timezone", "Europe/Berlin", code=ExitCode.CONFLICT)
    assert "changed since the etag was read" in refused.stderr
    assert "run the command again" in refused.stderr
    monkeypatch.undo()
    kept = client.get_vcluster(ns, "dev").spec.sleep_schedule
    assert kept == SleepSchedule(suspend_cron="0 22 * * *", time_zone="UTC")


def test_flags_that_contradict_and_values_refused(ovc: Ovc) -> None:
    ovc("create", "dev")
    for args, said in (
        (["--sleep-at", "0 19 * * *", "--no-sleep-schedule"], "not both"),
        (["--timezone", "UTC", "--no-sleep-schedule"], "not both"),
        (["--expire-in", "1h", "--no-expiry"], "--expire-in or --no-expiry, not both"),
        (["--expire-in", "0"], "'0' is not a positive duration"),
        (["--expire-in", "-5"], "'-5' is not a positive duration"),
        (["--expire-in", "soon"], "'soon' is not a duration"),
    ):
        assert said in ovc("update", "dev", *args, code=ExitCode.USAGE).stderr
    nothing = ovc("update", "dev", code=ExitCode.USAGE).stderr
    assert "--sleep-at" in nothing and "--no-expiry" in nothing
    assert "--timezone needs --sleep-at or --wake-at" in (
        ovc("create", "web", "--timezone", "UTC", code=ExitCode.USAGE).stderr
    )

    # The server's checks, blamed on the flags that set the fields.
    cron = ovc("create", "web", "--sleep-at", "0 19 * *", code=ExitCode.USAGE).stderr
    assert cron.startswith("Error: --sleep-at '0 19 * *': must have 5 fields")
    zone = ovc(
        "update", "dev", "--wake-at", "0 7 * * *", "--timezone", "Mars/Base", code=ExitCode.USAGE
    ).stderr
    assert zone.startswith('Error: --timezone Mars/Base: "Mars/Base" is not a known IANA time zone')


def test_version_shows_the_server_clock(ovc: Ovc) -> None:
    (clock,) = [line for line in lines(ovc("version").stdout) if line.startswith("Server time:")]
    shown = clock.removeprefix("Server time:").strip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown)
    assert datetime.fromisoformat(shown) > datetime.now(UTC) - timedelta(minutes=1)
    as_json = json.loads(ovc("version", "-o", "json").stdout)
    assert datetime.fromisoformat(as_json["serverTime"]) > datetime.now(UTC) - timedelta(minutes=1)
