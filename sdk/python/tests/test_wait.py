"""The wait helpers: watch-based, polling fallback, FAILED, deletion, timeouts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

import openvcluster
from openvcluster import Phase, SnapshotPhase
from openvcluster._wait import VClusterWaiter, resting_phase
from openvcluster_server.testing import RunningServer, running_server

FAIL = "ovc-test-fail-transition"
WATCH = "/openvcluster.v1.VClusterService/WatchVClusters"


@pytest.fixture(scope="module")
def slow_server() -> Iterator[RunningServer]:
    """A server whose intermediate phases last 0.2 s, so waits really wait."""
    with running_server(transition_delay=0.2) as running:
        yield running


def _calls(caplog: pytest.LogCaptureFixture, method: str) -> int:
    return sum(
        1
        for r in caplog.records
        if r.name == "openvcluster" and r.getMessage().startswith(f"{method} attempt")
    )


def test_wait_follows_the_watch(
    slow_server: RunningServer, ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    with openvcluster.Client(slow_server.address) as client:
        client.create_vcluster(ns, "dev")
        running = client.wait_for_phase(ns, "dev", "RUNNING")
        assert running.status.phase == Phase.PHASE_RUNNING
        # One read, then the watch said when: no polling.
        assert _calls(caplog, "GetVCluster") == 1
        client.delete_vcluster(ns, "dev")
        client.wait_for_deletion(ns, "dev")
        with pytest.raises(openvcluster.NotFoundError):
            client.get_vcluster(ns, "dev")


def test_wait_returns_at_once_when_already_there(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    assert client.wait_for_phase(ns, "dev", Phase.PHASE_RUNNING, timeout=5).name == "dev"
    client.wait_for_deletion(ns, "absent")


def test_wait_for_a_missing_vcluster_is_not_found(client: openvcluster.Client, ns: str) -> None:
    with pytest.raises(openvcluster.NotFoundError):
        client.wait_for_phase(ns, "absent", "RUNNING")


def test_failed_while_waiting(client: openvcluster.Client, ns: str) -> None:
    created = client.create_vcluster(ns, "dev", metadata={FAIL: "quota of the host exceeded"})
    assert created.status.phase == Phase.PHASE_PROVISIONING
    with pytest.raises(openvcluster.VClusterFailedError) as caught:
        client.wait_for_phase(ns, "dev", "RUNNING")
    error = caught.value
    assert isinstance(error, openvcluster.WaitError)
    assert error.vcluster.status.phase == Phase.PHASE_FAILED
    assert error.vcluster.status.message == "quota of the host exceeded"
    assert "quota of the host exceeded" in str(error)
    # Waiting for FAILED itself is fine.
    assert client.wait_for_phase(ns, "dev", "FAILED").status.phase == Phase.PHASE_FAILED


def test_failed_scale_with_wait(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.VClusterFailedError) as caught:
        client.scale_vcluster(ns, "dev", cpu="2", metadata={FAIL: "no nodes"}, wait=True)
    assert caught.value.vcluster.status.message == "no nodes"


def test_wait_timeout(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    client.suspend_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.WaitTimeoutError) as caught:
        client.wait_for_phase(ns, "dev", "RUNNING", timeout=0.3)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert isinstance(error.last_seen, openvcluster.VCluster)
    assert error.last_seen.status.phase == Phase.PHASE_SUSPENDED
    assert "RUNNING" in str(error) and "SUSPENDED" in str(error)
    # The client's wait_timeout applies to wait=True.
    patient = client.with_options(wait_timeout=0.2)
    with pytest.raises(openvcluster.WaitTimeoutError):
        patient.wait_for_phase(ns, "dev", "RUNNING")


def test_deleted_while_waiting(slow_server: RunningServer, ns: str) -> None:
    with openvcluster.Client(slow_server.address) as client:
        client.create_vcluster(ns, "dev")
        client.delete_vcluster(ns, "dev")
        with pytest.raises(openvcluster.NotFoundError):
            client.wait_for_phase(ns, "dev", "RUNNING")


def test_snapshot_waits(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    client.snapshot_vcluster(ns, "dev", snapshot_name="s1")
    ready = client.wait_for_snapshot(ns, "s1")
    assert ready.phase == SnapshotPhase.PHASE_READY and ready.size_bytes > 0
    with pytest.raises(openvcluster.WaitTimeoutError) as caught:
        client.wait_for_snapshot(ns, "s1", "PENDING", timeout=0.2)
    assert isinstance(caught.value.last_seen, openvcluster.Snapshot)
    with pytest.raises(openvcluster.NotFoundError):
        client.wait_for_snapshot(ns, "absent")


def test_failed_snapshot(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.SnapshotFailedError) as caught:
        client.snapshot_vcluster(ns, "dev", snapshot_name="bad", metadata={FAIL: "disk"}, wait=True)
    assert caught.value.snapshot.phase == SnapshotPhase.PHASE_FAILED
    assert caught.value.snapshot.message == "disk"


class _BreakWatch(grpc.UnaryStreamClientInterceptor):
    """Sends WatchVClusters to a method the server does not have (UNIMPLEMENTED)."""

    def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: Any, request: Any
    ) -> Any:
        if client_call_details.method == WATCH:
            client_call_details = client_call_details._replace(method=WATCH + "Nope")
        return continuation(client_call_details, request)


def test_polling_fallback_when_the_watch_is_unavailable(
    slow_server: RunningServer, ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    channel = grpc.intercept_channel(grpc.insecure_channel(slow_server.address), _BreakWatch())
    with channel, openvcluster.Client(channel=channel) as client:
        with pytest.raises(openvcluster.UnexpectedStatusError) as caught:
            next(client.watch_vclusters(ns))
        assert caught.value.code == grpc.StatusCode.UNIMPLEMENTED

        vc = client.create_vcluster(ns, "dev", wait=True)
        assert vc.status.phase == Phase.PHASE_RUNNING
        assert _calls(caplog, "GetVCluster") >= 2  # it polled
        client.delete_vcluster(ns, "dev", wait=True)
        with pytest.raises(openvcluster.NotFoundError):
            client.get_vcluster(ns, "dev")


class _AsyncBreakWatch(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: Any, request: Any
    ) -> Any:
        if client_call_details.method == WATCH.encode():
            client_call_details = client_call_details._replace(method=b"%sNope" % WATCH.encode())
        return await continuation(client_call_details, request)


@pytest.mark.asyncio
async def test_async_waits(slow_server: RunningServer, ns: str) -> None:
    async with openvcluster.AsyncClient(slow_server.address) as client:
        vc = await client.create_vcluster(ns, "dev", wait=True)
        assert vc.status.phase == Phase.PHASE_RUNNING
        with pytest.raises(openvcluster.VClusterFailedError):
            await client.suspend_vcluster(ns, "dev", metadata={FAIL: "stuck"}, wait=True)
        await client.delete_vcluster(ns, "dev", wait=True)
        await client.wait_for_deletion(ns, "dev")
        await client.create_vcluster(ns, "dev2", wait=True)
        await client.suspend_vcluster(ns, "dev2", wait=True)
        with pytest.raises(openvcluster.WaitTimeoutError):
            await client.wait_for_phase(ns, "dev2", "RUNNING", timeout=0.3)
        snap = await client.snapshot_vcluster(ns, "dev2", wait=True)
        assert snap.phase == SnapshotPhase.PHASE_READY


@pytest.mark.asyncio
async def test_async_polling_fallback(
    slow_server: RunningServer, ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    channel = grpc.aio.insecure_channel(slow_server.address, interceptors=[_AsyncBreakWatch()])
    async with openvcluster.AsyncClient(channel=channel) as client:
        vc = await client.create_vcluster(ns, "dev", wait=True)
        assert vc.status.phase == Phase.PHASE_RUNNING
        assert _calls(caplog, "GetVCluster") >= 2
    await channel.close()


def test_resting_phases() -> None:
    assert resting_phase(Phase.PHASE_SCALING) == Phase.PHASE_RUNNING
    assert resting_phase(Phase.PHASE_SUSPENDING) == Phase.PHASE_SUSPENDED
    assert resting_phase(Phase.PHASE_SUSPENDED) == Phase.PHASE_SUSPENDED
    assert resting_phase(Phase.PHASE_RESTORING) == Phase.PHASE_RUNNING


def test_waiter_schedule() -> None:
    now = [0.0]
    waiter = VClusterWaiter("ns", "n", None, 10.0, clock=lambda: now[0])
    assert [waiter.poll_delay() for _ in range(7)] == pytest.approx(
        [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    )
    assert [waiter.watch_timeout() for _ in range(6)] == pytest.approx(
        [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    )
    now[0] = 9.5
    assert waiter.watch_timeout() == pytest.approx(0.5)
    assert waiter.call_timeout(30.0) == pytest.approx(0.5)
    now[0] = 10.0
    assert waiter.expired()
    assert (
        str(waiter.timeout_error())
        == "DEADLINE_EXCEEDED: vcluster ns/n was not deleted within 10 s"
    )
    unbounded = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, None)
    assert unbounded.remaining() is None and unbounded.call_timeout(None) is None
    assert unbounded.watch_timeout() == 10.0
