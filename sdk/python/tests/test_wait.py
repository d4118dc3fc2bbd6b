"""The wait helpers: one watch ended by SYNCED, re-watching, polling fallback,
FAILED, deletion, timeouts."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

import openvcluster
from openvcluster import EventType, Phase, SnapshotPhase, VCluster, VClusterStatus, WatchEvent
from openvcluster._wait import VClusterWaiter, resting_phase
from openvcluster_server.app import ReferenceServer
from openvcluster_server.logformat import record_fields
from openvcluster_server.testing import RunningServer, running_server

FAIL = "ovc-test-fail-transition"
UNAVAILABLE = "ovc-test-unavailable"
WATCH = "/openvcluster.v1.VClusterService/WatchVClusters"
FAST = openvcluster.RetryPolicy(initial_backoff=0.001, max_backoff=0.01)


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


def _server_methods(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The methods of the server's RPC log lines (one per finished call)."""
    return [
        str(record_fields(r)["method"])
        for r in caplog.records
        if r.name == "openvcluster_server.rpc"
    ]


class _Spy:
    """A watch call that shows each event to ``on_event`` before handing it on."""

    def __init__(self, call: Any, on_event: Callable[[WatchEvent], None]) -> None:
        self._call = call
        self._on_event = on_event

    def __iter__(self) -> _Spy:
        return self

    def __next__(self) -> WatchEvent:
        event: WatchEvent = next(self._call)
        self._on_event(event)
        return event

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class _Recorder(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Records every call (each attempt) by method name, and lets a test act
    when watch number ``n`` starts (``on_watch(n)``) or sends an event
    (``on_event(n, event)``)."""

    def __init__(
        self,
        *,
        on_watch: Callable[[int], None] | None = None,
        on_event: Callable[[int, WatchEvent], None] | None = None,
    ) -> None:
        self.methods: list[str] = []
        self._on_watch = on_watch
        self._on_event = on_event

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: Any, request: Any
    ) -> Any:
        self.methods.append(client_call_details.method.rsplit("/", 1)[-1])
        return continuation(client_call_details, request)

    def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: Any, request: Any
    ) -> Any:
        self.methods.append(client_call_details.method.rsplit("/", 1)[-1])
        number = self.methods.count("WatchVClusters")
        if self._on_watch is not None:
            self._on_watch(number)
        call = continuation(client_call_details, request)
        on_event = self._on_event
        if on_event is None:
            return call
        return _Spy(call, lambda event: on_event(number, event))


def _recorded_client(
    server: RunningServer, recorder: _Recorder
) -> tuple[grpc.Channel, openvcluster.Client]:
    channel = grpc.intercept_channel(grpc.insecure_channel(server.address), recorder)
    return channel, openvcluster.Client(channel=channel)


def test_wait_follows_the_watch(slow_server: RunningServer, ns: str) -> None:
    recorder = _Recorder()
    channel, client = _recorded_client(slow_server, recorder)
    with channel, client:
        client.create_vcluster(ns, "dev")
        running = client.wait_for_phase(ns, "dev", "RUNNING")
        assert running.status.phase == Phase.PHASE_RUNNING
        # The watch's initial state stood in for a read: no GetVCluster, no polling.
        assert recorder.methods == ["CreateVCluster", "WatchVClusters"]
        client.delete_vcluster(ns, "dev")
        client.wait_for_deletion(ns, "dev")
        assert recorder.methods[2:] == ["DeleteVCluster", "WatchVClusters"]
        with pytest.raises(openvcluster.NotFoundError):
            client.get_vcluster(ns, "dev")


def test_wait_returns_at_once_when_already_there(client: openvcluster.Client, ns: str) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    assert client.wait_for_phase(ns, "dev", Phase.PHASE_RUNNING, timeout=5).name == "dev"


def test_waiting_for_a_missing_vcluster_ends_with_synced(server: RunningServer, ns: str) -> None:
    recorder = _Recorder()
    channel, client = _recorded_client(server, recorder)
    with channel, client:
        client.wait_for_deletion(ns, "absent")  # no wait_timeout needed: SYNCED settles it
        assert recorder.methods == ["WatchVClusters"]
        with pytest.raises(openvcluster.NotFoundError) as caught:
            client.wait_for_phase(ns, "absent", "RUNNING")
        assert str(caught.value) == (
            f"NOT_FOUND: vcluster {ns}/absent does not exist, so it cannot reach RUNNING"
        )
        assert recorder.methods == ["WatchVClusters", "WatchVClusters"]
        # wait=True on a deletion whose vcluster is already gone by the time the watch starts.
        client.create_vcluster(ns, "dev", wait=True)
        client.delete_vcluster(ns, "dev", wait=True)
        with pytest.raises(openvcluster.NotFoundError):
            client.get_vcluster(ns, "dev")
        assert "GetVCluster" not in recorder.methods[:-1]


@pytest.mark.asyncio
async def test_async_waiting_for_a_missing_vcluster_ends_with_synced(
    aclient: openvcluster.AsyncClient, ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="openvcluster_server.rpc")
    await aclient.wait_for_deletion(ns, "absent")
    with pytest.raises(openvcluster.NotFoundError, match="does not exist"):
        await aclient.wait_for_phase(ns, "absent", "SUSPENDED")
    assert "GetVCluster" not in _server_methods(caplog)
    # The server log does record reads: the one made here is seen.
    with pytest.raises(openvcluster.NotFoundError):
        await aclient.get_vcluster(ns, "absent")
    assert _server_methods(caplog).count("GetVCluster") == 1


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
        with pytest.raises(openvcluster.NotFoundError) as caught:
            client.wait_for_phase(ns, "dev", "RUNNING")
        assert "was deleted while waiting for RUNNING" in str(caught.value)


def test_a_watch_ended_for_falling_behind_is_started_again(
    ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    with running_server(watch_buffer=1) as server, openvcluster.Client(server.address) as admin:
        running = admin.create_vcluster(ns, "dev", wait=True)

        def burst(s: ReferenceServer) -> None:
            # More changes of dev in one turn of the server's loop than the
            # watcher's buffer holds: the server ends that watch.
            for _ in range(20):
                s.backend.hub.publish(running, running)

        def on_event(number: int, event: WatchEvent) -> None:
            if number == 1 and event.type == EventType.EVENT_TYPE_SYNCED:
                server.call(burst)

        def on_watch(number: int) -> None:
            if number == 2:
                admin.suspend_vcluster(ns, "dev")  # only the second watch can see this

        recorder = _Recorder(on_watch=on_watch, on_event=on_event)
        channel, client = _recorded_client(server, recorder)
        with channel, client:
            suspended = client.wait_for_phase(ns, "dev", "SUSPENDED", timeout=30)
        assert suspended.status.phase == Phase.PHASE_SUSPENDED
        assert recorder.methods == ["WatchVClusters", "WatchVClusters"]
        ended = [r.getMessage() for r in caplog.records if "watch ended" in r.getMessage()]
        assert len(ended) == 1 and "ResourceExhaustedError" in ended[0]


def test_an_unavailable_watch_is_retried_then_polled(
    server: RunningServer, ns: str, hook_key: str
) -> None:
    recorder = _Recorder()
    channel, client = _recorded_client(server, recorder)
    with channel, client:
        client.create_vcluster(ns, "dev", wait=True)
        fast = client.with_options(retry=FAST)
        recorder.methods.clear()
        # Two watches fail UNAVAILABLE; the third is followed.
        hook = {UNAVAILABLE: f"{hook_key}-a:2"}
        assert fast.wait_for_phase(ns, "dev", "RUNNING", metadata=hook).name == "dev"
        assert recorder.methods == ["WatchVClusters"] * 3
        recorder.methods.clear()
        # Every attempt the retry policy allows fails: the wait polls instead.
        hook = {UNAVAILABLE: f"{hook_key}-b:{FAST.max_attempts}"}
        assert fast.wait_for_phase(ns, "dev", "RUNNING", metadata=hook).name == "dev"
        assert recorder.methods == ["WatchVClusters"] * FAST.max_attempts + ["GetVCluster"]


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


def _phases(states: list[VCluster]) -> list[str]:
    return [openvcluster.phase_name(state.status.phase) for state in states]


def test_on_change_reports_each_new_state_until_the_wait_returns(
    slow_server: RunningServer, ns: str
) -> None:
    recorder = _Recorder()
    channel, client = _recorded_client(slow_server, recorder)
    with channel, client:
        client.create_vcluster(ns, "dev")
        seen: list[VCluster] = []
        running = client.wait_for_phase(ns, "dev", "RUNNING", on_change=seen.append)
        # From the wait's own watch: no second watch, no reads.
        assert recorder.methods == ["CreateVCluster", "WatchVClusters"]
        assert _phases(seen) == ["PROVISIONING", "RUNNING"]
        assert seen[-1] == running
        # Once returned, it is never called again, whatever happens next.
        client.suspend_vcluster(ns, "dev", wait=True)
        assert len(seen) == 2

        client.delete_vcluster(ns, "dev")
        gone: list[VCluster] = []
        client.wait_for_deletion(ns, "dev", on_change=gone.append)
        assert _phases(gone) == ["DELETING"]


def test_on_change_reports_polled_states_once_each(slow_server: RunningServer, ns: str) -> None:
    channel = grpc.intercept_channel(grpc.insecure_channel(slow_server.address), _BreakWatch())
    with channel, openvcluster.Client(channel=channel) as client:
        client.create_vcluster(ns, "dev")
        seen: list[VCluster] = []
        client.wait_for_phase(ns, "dev", "RUNNING", on_change=seen.append)
        # Many reads of PROVISIONING, one report of it.
        assert _phases(seen) == ["PROVISIONING", "RUNNING"]

        client.snapshot_vcluster(ns, "dev", snapshot_name="s1")
        snapshots: list[openvcluster.Snapshot] = []
        ready = client.wait_for_snapshot(ns, "s1", on_change=snapshots.append)
        phases = [openvcluster.snapshot_phase_name(s.phase) for s in snapshots]
        assert phases[0] == "PENDING" and phases[-1] == "READY"
        assert snapshots[-1] == ready
        assert all(a != b for a, b in itertools.pairwise(snapshots))


@pytest.mark.asyncio
async def test_async_on_change_reports_each_new_state(slow_server: RunningServer, ns: str) -> None:
    async with openvcluster.AsyncClient(slow_server.address) as client:
        await client.create_vcluster(ns, "dev")
        seen: list[VCluster] = []
        await client.wait_for_phase(ns, "dev", "RUNNING", on_change=seen.append)
        assert _phases(seen) == ["PROVISIONING", "RUNNING"]
        await client.suspend_vcluster(ns, "dev", wait=True)
        assert len(seen) == 2
        await client.snapshot_vcluster(ns, "dev", snapshot_name="s1")
        snapshots: list[openvcluster.Snapshot] = []
        await client.wait_for_snapshot(ns, "s1", on_change=snapshots.append)
        assert snapshots[-1].phase == SnapshotPhase.PHASE_READY


def test_waiter_reports_a_state_once_per_etag() -> None:
    seen: list[VCluster] = []
    waiter = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, None, on_change=seen.append)

    def state(phase: Phase.ValueType, etag: str) -> VCluster:
        return VCluster(namespace="ns", name="n", etag=etag, status=VClusterStatus(phase=phase))

    waiter.watch_started()
    assert not waiter.observe_event(WatchEvent(type=ADDED, vcluster=state(PROVISIONING, "a")))
    assert not waiter.observe_event(_event(SYNCED))
    # A new watch replays the same state: not reported again.
    waiter.watch_started()
    assert not waiter.observe_event(WatchEvent(type=ADDED, vcluster=state(PROVISIONING, "a")))
    assert not waiter.observe(state(PROVISIONING, "b"))  # same phase, new etag: a new state
    assert waiter.observe(state(Phase.PHASE_RUNNING, "c"))
    assert [s.etag for s in seen] == ["a", "b", "c"]
    # Reported before the decision: a FAILED state is seen, then raised.
    failing: list[VCluster] = []
    doomed = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, None, on_change=failing.append)
    with pytest.raises(openvcluster.VClusterFailedError):
        doomed.observe(state(Phase.PHASE_FAILED, "f"))
    assert [s.etag for s in failing] == ["f"]


def test_resting_phases() -> None:
    assert resting_phase(Phase.PHASE_SCALING) == Phase.PHASE_RUNNING
    assert resting_phase(Phase.PHASE_SUSPENDING) == Phase.PHASE_SUSPENDED
    assert resting_phase(Phase.PHASE_SUSPENDED) == Phase.PHASE_SUSPENDED
    assert resting_phase(Phase.PHASE_RESTORING) == Phase.PHASE_RUNNING
    assert resting_phase(Phase.PHASE_UPGRADING) == Phase.PHASE_RUNNING
    assert resting_phase(Phase.PHASE_FAILED) == Phase.PHASE_FAILED
    # A phase this SDK does not know (a newer server's) is intermediate.
    assert resting_phase(Phase.ValueType(99)) == Phase.PHASE_RUNNING


def test_upgrading_and_unknown_phases_are_steps_on_the_way() -> None:
    waiter = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, None)
    for phase in (Phase.PHASE_UPGRADING, Phase.ValueType(99)):
        assert not waiter.observe(VCluster(status=VClusterStatus(phase=phase)))
    assert waiter.observe(VCluster(status=VClusterStatus(phase=Phase.PHASE_RUNNING)))
    assert "99" in openvcluster.phase_name(99)


def test_waiter_schedule() -> None:
    now = [0.0]
    waiter = VClusterWaiter("ns", "n", None, 10.0, clock=lambda: now[0])
    assert [waiter.poll_delay() for _ in range(7)] == pytest.approx(
        [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    )
    assert waiter.watch_timeout() == pytest.approx(10.0)  # one watch for the whole wait
    now[0] = 9.5
    assert waiter.watch_timeout() == pytest.approx(0.5)
    assert waiter.call_timeout(30.0) == pytest.approx(0.5)
    now[0] = 10.0
    assert waiter.expired()
    assert waiter.watch_timeout() == pytest.approx(0.001)
    assert (
        str(waiter.timeout_error())
        == "DEADLINE_EXCEEDED: vcluster ns/n was not deleted within 10 s"
    )
    unbounded = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, None)
    assert unbounded.remaining() is None and unbounded.call_timeout(None) is None
    assert unbounded.watch_timeout() is None


def test_a_read_whose_deadline_was_the_time_left_is_the_waits_timeout() -> None:
    now = [0.0]
    waiter = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, 0.3, clock=lambda: now[0])
    read_timeout = waiter.call_timeout(30.0)
    now[0] = 0.2997  # the read's deadline passed a moment before the wait's clock says so
    assert not waiter.expired()
    assert waiter.read_timed_out(read_timeout, 30.0)
    # A read with a shorter deadline of its own is no timeout of the wait.
    now[0] = 0.0
    assert not waiter.read_timed_out(waiter.call_timeout(0.1), 0.1)
    assert not VClusterWaiter("ns", "n", None, None).read_timed_out(None, None)


def _event(
    kind: EventType.ValueType,
    name: str = "n",
    phase: Phase.ValueType = Phase.PHASE_PROVISIONING,
    namespace: str = "ns",
) -> WatchEvent:
    if kind == EventType.EVENT_TYPE_SYNCED:
        return WatchEvent(type=EventType.EVENT_TYPE_SYNCED)
    vcluster = VCluster(namespace=namespace, name=name, status=VClusterStatus(phase=phase))
    return WatchEvent(type=kind, vcluster=vcluster)


PROVISIONING = Phase.PHASE_PROVISIONING
ADDED, MODIFIED, DELETED, SYNCED = (
    EventType.EVENT_TYPE_ADDED,
    EventType.EVENT_TYPE_MODIFIED,
    EventType.EVENT_TYPE_DELETED,
    EventType.EVENT_TYPE_SYNCED,
)


def test_waiter_reads_the_initial_state_from_synced() -> None:
    phase = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, 10.0)
    phase.watch_started()
    assert not phase.observe_event(_event(ADDED, name="other"))
    assert not phase.observe_event(_event(ADDED, namespace="elsewhere"))
    assert not phase.observe_event(_event(ADDED))
    assert not phase.observe_event(_event(SYNCED))  # it exists: wait for changes
    assert not phase.observe_event(
        WatchEvent(type=EventType.ValueType(99))
    )  # a type this SDK does not know
    assert phase.observe_event(_event(MODIFIED, phase=Phase.PHASE_RUNNING))
    assert phase.last_seen is not None and phase.last_seen.status.phase == Phase.PHASE_RUNNING

    # A new watch starts over: SYNCED with nothing before it means gone.
    phase.watch_started()
    with pytest.raises(openvcluster.NotFoundError, match="was deleted while waiting"):
        phase.observe_event(_event(SYNCED))
    missing = VClusterWaiter("ns", "n", Phase.PHASE_RUNNING, 10.0)
    missing.watch_started()
    with pytest.raises(openvcluster.NotFoundError, match="does not exist"):
        missing.observe_event(_event(SYNCED))
    with pytest.raises(openvcluster.VClusterFailedError):
        missing.observe_event(_event(ADDED, phase=Phase.PHASE_FAILED))

    deletion = VClusterWaiter("ns", "n", None, 10.0)
    deletion.watch_started()
    assert deletion.observe_event(_event(SYNCED))
    deletion.watch_started()
    assert not deletion.observe_event(_event(ADDED, phase=Phase.PHASE_DELETING))
    assert not deletion.observe_event(_event(SYNCED))
    assert deletion.observe_event(_event(DELETED, phase=Phase.PHASE_DELETING))


def test_waiter_decides_what_follows_a_watch() -> None:
    now = [0.0]
    policy = openvcluster.RetryPolicy(max_attempts=3, initial_backoff=0.1, total_timeout=None)
    waiter = VClusterWaiter(
        "ns", "n", Phase.PHASE_RUNNING, 10.0, retry=policy, clock=lambda: now[0]
    )
    behind = openvcluster.ResourceExhaustedError("fell behind")
    unavailable = openvcluster.UnavailableError("down")

    # Ended for falling behind after its initial state: watch again at once.
    waiter.watch_started()
    waiter.observe_event(_event(ADDED))
    waiter.observe_event(_event(SYNCED))
    assert waiter.watch_ended(behind) == 0.0
    # Ended before SYNCED: watch again after a growing pause.
    waiter.watch_started()
    assert [waiter.watch_ended(behind) for _ in range(6)] == pytest.approx(
        [0.05, 0.1, 0.2, 0.4, 0.8, 1.0]
    )
    # UNAVAILABLE: retried as the policy says, then polled.
    first, second = waiter.watch_ended(unavailable), waiter.watch_ended(unavailable)
    assert first is not None and 0 <= first <= 0.1
    assert second is not None and 0 <= second <= 0.2
    assert waiter.watch_ended(unavailable) is None
    # A watch that got through its initial state earns a fresh retry budget,
    # however long it ran.
    waiter.watch_started()
    waiter.observe_event(_event(ADDED))
    waiter.observe_event(_event(SYNCED))
    now[0] = 5.0
    assert waiter.watch_ended(unavailable) is not None
    waiter.watch_started()
    assert waiter.watch_ended(unavailable) is not None
    assert waiter.watch_ended(unavailable) is None
    # A stream that just ends, or a watch the server does not offer: poll.
    assert waiter.watch_ended(None) is None
    unimplemented = openvcluster.UnexpectedStatusError("no", code=grpc.StatusCode.UNIMPLEMENTED)
    assert waiter.watch_ended(unimplemented) is None
    assert VClusterWaiter("ns", "n", None, 10.0).watch_ended(unavailable) is None  # retry=None

    # The watch's deadline is the wait's: DEADLINE_EXCEEDED means time is up.
    with pytest.raises(openvcluster.WaitTimeoutError) as caught:
        waiter.watch_ended(openvcluster.DeadlineExceededError("deadline"))
    last_seen = caught.value.last_seen
    assert isinstance(last_seen, VCluster) and last_seen.status.phase == Phase.PHASE_PROVISIONING
    now[0] = 10.0
    with pytest.raises(openvcluster.WaitTimeoutError):
        waiter.watch_ended(behind)
