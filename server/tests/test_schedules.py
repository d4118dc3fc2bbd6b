"""Sleep schedules and expiry: the schedule math, the clock and its test hook,
and a restart on SQLite that finds missed times (conformance/cases/schedules.yaml
holds the contract's cases)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.rpc.error_details_pb2 import BadRequest

from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1 import operation_service_pb2_grpc as op_grpc
from openvcluster.v1 import server_info_service_pb2 as info_api
from openvcluster.v1.vcluster_pb2 import SleepSchedule, VCluster, VClusterSpec
from openvcluster_server import schedules
from openvcluster_server.clock import CLOCK, Clock
from openvcluster_server.errors import ApiError, FieldViolations
from openvcluster_server.testing import running_server
from support import Api, Phase, connect, failure

NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def real_time() -> Iterator[None]:
    """Tests here move the process's clock; the next test starts at real time again."""
    yield
    CLOCK.reset()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def violations_of(schedule: SleepSchedule) -> dict[str, str]:
    found = FieldViolations()
    schedules.check_schedule(found, "spec.sleep_schedule", schedule)
    try:
        found.raise_if_any()
    except ApiError as exc:
        bad = next(d for d in exc.details if isinstance(d, BadRequest))
        return {v.field: v.description for v in bad.field_violations}
    return {}


# --- the schedule math ---------------------------------------------------------------


def test_next_times_keep_local_time_across_spring_forward() -> None:
    schedule = SleepSchedule(suspend_cron="30 2 * * *", resume_cron="0 9 * * *", time_zone=NEW_YORK)
    times = schedules.next_times(schedule, at("2027-03-13T12:00:00-05:00"))
    # 02:30 does not exist on 14 March 2027: the first minute after the skip.
    assert times.suspend == at("2027-03-14T03:00:00-04:00")
    assert times.resume == at("2027-03-14T09:00:00-04:00")


def test_a_repeated_local_time_comes_once_on_fall_back() -> None:
    schedule = SleepSchedule(suspend_cron="30 1 * * *", time_zone=NEW_YORK)
    first = schedules.next_times(schedule, at("2027-11-06T12:00:00-04:00")).suspend
    assert first == at("2027-11-07T01:30:00-04:00")
    assert first is not None
    after = schedules.next_times(schedule, first).suspend
    assert after == at("2027-11-08T01:30:00-05:00")


def test_when_both_times_passed_the_more_recent_one_is_due() -> None:
    vcluster = VCluster(
        spec=VClusterSpec(
            sleep_schedule=SleepSchedule(
                suspend_cron="0 19 * * *", resume_cron="0 7 * * *", time_zone="UTC"
            )
        )
    )
    vcluster.status.next_suspend_time.FromDatetime(at("2027-01-01T19:00:00+00:00"))
    vcluster.status.next_resume_time.FromDatetime(at("2027-01-02T07:00:00+00:00"))
    assert schedules.due_action(vcluster, at("2027-01-01T18:00:00+00:00")) is None
    assert schedules.due_action(vcluster, at("2027-01-04T20:00:00+00:00")) is (
        schedules.Action.SUSPEND
    )
    assert schedules.due_action(vcluster, at("2027-01-05T08:00:00+00:00")) is (
        schedules.Action.RESUME
    )


@pytest.mark.parametrize(
    ("schedule", "field", "says"),
    [
        (SleepSchedule(suspend_cron="0 19 * *"), "suspend_cron", "must have 5 fields"),
        (SleepSchedule(suspend_cron="0 0 19 * * *"), "suspend_cron", "got 6"),
        (SleepSchedule(resume_cron="61 * * * *"), "resume_cron", "bad minute"),
        (SleepSchedule(resume_cron="0 0 30 2 *"), "resume_cron", "day-of-month"),
        (SleepSchedule(resume_cron="@daily"), "resume_cron", "must have 5 fields"),
        (SleepSchedule(suspend_cron="0 1 * * *", time_zone="Mars/Base"), "time_zone", "known"),
        (SleepSchedule(suspend_cron="0 1 * * *", time_zone="../etc/passwd"), "time_zone", "IANA"),
        (SleepSchedule(suspend_cron="0 1 * * *", time_zone="/usr/share"), "time_zone", "IANA"),
    ],
)
def test_bad_crons_and_zones_name_their_field(
    schedule: SleepSchedule, field: str, says: str
) -> None:
    found = violations_of(schedule)
    assert list(found) == [f"spec.sleep_schedule.{field}"]
    assert says in found[f"spec.sleep_schedule.{field}"]


def test_a_good_schedule_has_no_violations() -> None:
    schedule = SleepSchedule(
        suspend_cron="0 19 * * MON-FRI", resume_cron="0 7 L * *", time_zone="Asia/Kolkata"
    )
    assert violations_of(schedule) == {}


def test_schedule_defaults() -> None:
    spec = VClusterSpec(sleep_schedule=SleepSchedule(suspend_cron="0 19 * * *"))
    schedules.apply_schedule_defaults(spec)
    assert spec.sleep_schedule.time_zone == "UTC"
    empty = VClusterSpec(sleep_schedule=SleepSchedule(time_zone="UTC"))
    schedules.apply_schedule_defaults(empty)
    assert not empty.HasField("sleep_schedule")


# --- the clock --------------------------------------------------------------------------


def test_the_clock_only_moves_forward_and_waits_for_its_listeners() -> None:
    clock = Clock(lambda: 1000.0)
    heard: list[float] = []

    async def scenario() -> None:
        async def listener() -> None:
            heard.append(clock.time())

        remove = clock.on_advance(listener)
        await clock.advance(-50)
        await clock.advance(30)
        remove()
        await clock.advance(5)

    asyncio.run(scenario())
    assert heard == [1030.0]
    assert clock.time() == 1035.0


def test_listeners_on_another_event_loop_run_there() -> None:
    clock = Clock(lambda: 0.0)
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()
    ran_on: list[asyncio.AbstractEventLoop] = []

    async def listener() -> None:
        ran_on.append(asyncio.get_running_loop())

    async def register() -> None:
        clock.on_advance(listener)

    try:
        asyncio.run_coroutine_threadsafe(register(), other).result(timeout=10)
        asyncio.run(clock.advance(1))
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join(timeout=10)
        other.close()
    assert ran_on == [other]


def _server_time(client: Api, advance: str | None = None) -> datetime:
    metadata = (("ovc-test-clock-advance-seconds", advance),) if advance else ()
    info = client.info.GetServerInfo(info_api.GetServerInfoRequest(), metadata=metadata).info
    return info.server_time.ToDatetime(UTC)


def test_the_test_hook_moves_server_time(client: Api) -> None:
    before = _server_time(client)
    after = _server_time(client, "86400")
    assert after - before >= timedelta(days=1)


@pytest.mark.parametrize("value", ["-1", "soon", "999999999999"])
def test_a_bad_clock_advance_names_the_hook(client: Api, value: str) -> None:
    found = failure(
        client.info.GetServerInfo,
        info_api.GetServerInfoRequest(),
        metadata=(("ovc-test-clock-advance-seconds", value),),
    )
    assert found.code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(found.violations) == ["metadata.ovc-test-clock-advance-seconds"]


def test_without_test_hooks_the_clock_stays_real() -> None:
    with running_server(enable_test_hooks=False) as server:
        client = connect(server)
        try:
            before = _server_time(client)
            after = _server_time(client, "864000")
        finally:
            client.channel.close()
    assert after - before < timedelta(days=1)


# --- a restart on SQLite ------------------------------------------------------------------


def test_times_missed_while_down_fire_once_at_start(tmp_path: Path) -> None:
    hourly = VClusterSpec(sleep_schedule=SleepSchedule(suspend_cron="0 * * * *"))
    with running_server(store="sqlite", data_dir=tmp_path) as server:
        client = connect(server)
        try:
            client.running(spec=hourly)
        finally:
            client.channel.close()

    # Three days pass while no server runs: 72 suspend times are missed.
    asyncio.run(CLOCK.advance(3 * 86_400))
    with running_server(store="sqlite", data_dir=tmp_path) as server:
        client = connect(server)
        try:
            vcluster = client.wait_phase("team-a", "dev", Phase.PHASE_SUSPENDED)
            listed = op_grpc.OperationServiceStub(client.channel).ListOperations(
                op_api.ListOperationsRequest(namespace="team-a", vcluster="dev")
            )
        finally:
            client.channel.close()
    assert [(op.method, op.requested_by) for op in listed.operations] == [
        ("SuspendVCluster", "system:scheduler"),
        ("CreateVCluster", "anonymous"),
    ]
    assert vcluster.status.next_suspend_time.ToDatetime(UTC) > CLOCK.datetime() - timedelta(
        minutes=1
    )
