"""Sleep schedules and expiry through both clients: the requests they build, and
what the reference server makes of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

import openvcluster
from openvcluster import SleepSchedule
from tests.request_building import create_request, update_request

WEEKDAYS = SleepSchedule(
    suspend_cron="0 19 * * 1-5", resume_cron="0 7 * * 1-5", time_zone="Europe/Berlin"
)


# Requests


def test_each_argument_given_names_its_path() -> None:
    def paths(**kwargs: Any) -> list[str]:
        return list(update_request(**kwargs).update_mask.paths)

    assert paths(sleep_schedule=WEEKDAYS) == ["spec.sleep_schedule"]
    assert paths(expire_time=datetime(2030, 1, 1, tzinfo=UTC)) == ["spec.expire_time"]
    assert paths(delete_snapshots_on_expiry=False) == ["spec.delete_snapshots_on_expiry"]
    everything = paths(
        labels={},
        deletion_protection=True,
        delete_snapshots_on_expiry=True,
        expire_time=Timestamp(seconds=1),
        sleep_schedule=WEEKDAYS,
    )
    assert everything == [
        "labels",
        "spec.deletion_protection",
        "spec.sleep_schedule",
        "spec.expire_time",
        "spec.delete_snapshots_on_expiry",
    ]


def test_an_update_carries_the_values_given() -> None:
    expire = datetime(2030, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    spec = update_request(
        sleep_schedule=WEEKDAYS, expire_time=expire, delete_snapshots_on_expiry=True
    ).vcluster.spec
    assert spec.sleep_schedule == WEEKDAYS
    assert spec.expire_time.ToJsonString() == "2030-01-01T10:00:00Z"  # in UTC
    assert spec.delete_snapshots_on_expiry is True
    # Nothing given, nothing set.
    assert not update_request(labels={"a": "b"}).vcluster.HasField("spec")


def test_clearing_the_schedule_and_the_expiry() -> None:
    # An empty schedule is a given one: named, and sent set but empty.
    cleared = update_request(sleep_schedule=SleepSchedule())
    assert list(cleared.update_mask.paths) == ["spec.sleep_schedule"]
    assert cleared.vcluster.spec.HasField("sleep_schedule")
    assert cleared.vcluster.spec.sleep_schedule == SleepSchedule()
    # The expiry: its path named without a time.
    no_expiry = update_request(update_mask=["spec.expire_time"])
    assert list(no_expiry.update_mask.paths) == ["spec.expire_time"]
    assert not no_expiry.vcluster.spec.HasField("expire_time")


def test_expire_time_must_be_aware() -> None:
    with pytest.raises(TypeError, match="naive datetime; pass an aware one"):
        update_request(expire_time=datetime(2030, 1, 1))
    with pytest.raises(TypeError, match="expire_time is a naive datetime"):
        create_request(expire_time=datetime(2030, 1, 1))
    with pytest.raises(TypeError, match="not str"):
        update_request(expire_time="2030-01-01T00:00:00Z")
    stamp = Timestamp(seconds=1_900_000_000, nanos=5)
    sent = create_request(expire_time=stamp).spec.expire_time
    assert sent == stamp and sent is not stamp


def test_create_arguments_go_over_the_spec_message() -> None:
    spec = openvcluster.VClusterSpec(
        sleep_schedule=SleepSchedule(suspend_cron="0 18 * * *"),
        expire_time=Timestamp(seconds=1_900_000_000),
        delete_snapshots_on_expiry=True,
    )
    kept = create_request(spec=spec).spec
    assert (kept.sleep_schedule, kept.expire_time) == (spec.sleep_schedule, spec.expire_time)
    assert kept.delete_snapshots_on_expiry is True
    merged = create_request(
        spec=spec, sleep_schedule=WEEKDAYS, delete_snapshots_on_expiry=False
    ).spec
    assert merged.sleep_schedule == WEEKDAYS
    assert merged.expire_time == spec.expire_time
    assert merged.delete_snapshots_on_expiry is False


# Against the reference server


def test_create_update_and_clear(client: openvcluster.Client, ns: str) -> None:
    expire = datetime.now(UTC) + timedelta(days=7)
    created = client.create_vcluster(
        ns, "dev", sleep_schedule=WEEKDAYS, expire_time=expire, delete_snapshots_on_expiry=True
    )
    assert created.spec.sleep_schedule == WEEKDAYS
    assert created.spec.expire_time.ToDatetime(tzinfo=UTC) == expire
    assert created.spec.delete_snapshots_on_expiry is True
    client.wait_for_phase(ns, "dev", "RUNNING")

    # The schedule alone: the expiry stays, and a suspend_cron alone has no
    # next resume.
    evenings = SleepSchedule(suspend_cron="0 19 * * *")
    vc = client.update_vcluster(ns, "dev", sleep_schedule=evenings)
    assert vc.spec.sleep_schedule == SleepSchedule(suspend_cron="0 19 * * *", time_zone="UTC")
    assert vc.status.HasField("next_suspend_time")
    assert not vc.status.HasField("next_resume_time")
    assert vc.spec.HasField("expire_time")

    vc = client.update_vcluster(ns, "dev", sleep_schedule=SleepSchedule())
    assert not vc.spec.HasField("sleep_schedule")
    assert not vc.status.HasField("next_suspend_time")
    vc = client.update_vcluster(ns, "dev", update_mask=["spec.expire_time"])
    assert not vc.spec.HasField("expire_time")
    assert vc.spec.delete_snapshots_on_expiry is True  # not named: kept
    stored = client.get_vcluster(ns, "dev")
    assert not stored.spec.HasField("sleep_schedule") and not stored.spec.HasField("expire_time")


def test_the_server_names_a_bad_schedule(client: openvcluster.Client, ns: str) -> None:
    with pytest.raises(openvcluster.InvalidArgumentError) as bad_cron:
        client.create_vcluster(ns, "dev", sleep_schedule=SleepSchedule(suspend_cron="0 19 * *"))
    fields = [v.field for v in bad_cron.value.field_violations]
    assert fields == ["spec.sleep_schedule.suspend_cron"]
    with pytest.raises(openvcluster.InvalidArgumentError) as past:
        client.create_vcluster(ns, "dev", expire_time=datetime.now(UTC) - timedelta(hours=1))
    assert [v.field for v in past.value.field_violations] == ["spec.expire_time"]

    client.create_vcluster(ns, "dev", wait=True)
    zone = SleepSchedule(suspend_cron="0 19 * * *", time_zone="Mars/Olympus_Mons")
    with pytest.raises(openvcluster.InvalidArgumentError) as bad_zone:
        client.update_vcluster(ns, "dev", sleep_schedule=zone)
    fields = [v.field for v in bad_zone.value.field_violations]
    assert fields == ["vcluster.spec.sleep_schedule.time_zone"]


@pytest.mark.asyncio
async def test_async_create_andupdate_request(aclient: openvcluster.AsyncClient, ns: str) -> None:
    expire = Timestamp()
    expire.FromDatetime(datetime.now(UTC) + timedelta(hours=3))
    created = await aclient.create_vcluster(ns, "dev", sleep_schedule=WEEKDAYS, wait=True)
    assert created.status.HasField("next_suspend_time")
    assert created.status.HasField("next_resume_time")
    vc = await aclient.update_vcluster(
        ns, "dev", expire_time=expire, delete_snapshots_on_expiry=True
    )
    assert (vc.spec.expire_time, vc.spec.delete_snapshots_on_expiry) == (expire, True)
    assert vc.spec.sleep_schedule == WEEKDAYS
    with pytest.raises(TypeError):
        await aclient.update_vcluster(ns, "dev", expire_time=datetime(2030, 1, 1))
