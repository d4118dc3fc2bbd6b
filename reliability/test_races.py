"""Races: 32 SDK clients mutate the same few vclusters at once.

Each client runs a seeded random mix of scale, suspend, resume, snapshot,
delete and create on four shared vclusters, mostly with the etag it last saw
(often stale by then) and always with a request id; some calls lose their
answer (the ``ovc-test-unavailable-after`` hook) so the SDK retries them
with the same request id. Watchers join at random moments. Then the test
proves, from what was recorded (``history.py``):

* the reference watch's timeline is a serial history of the acknowledged
  mutations and the server's timers: no lost update, no impossible phase,
  every etag precondition honoured, a lost answer's retry applied once;
* the final state (ListVClusters) is the end of that history;
* every other watch stream shows a contiguous slice of it;
* every snapshot the server acknowledged exists at the end, READY, unless a
  delete with delete_snapshots removed it; no other snapshot exists;
* replaying every acknowledged request id answers the same and changes nothing.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

import openvcluster
from openvcluster import Client, RetryPolicy
from openvcluster.errors import OpenVClusterError
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import snapshot_service_pb2_grpc as snap_grpc
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server import phases
from openvcluster_server.testhooks import UNAVAILABLE_AFTER
from openvcluster_server.testing import RunningServer, running_server
from reliability.history import (
    Mutation,
    check_history,
    check_refusals,
    check_stream,
    lives,
    timeline,
)
from reliability.knobs import scaled, seed

CLIENTS = 32
NAMESPACE = "race"
NAMES = [f"vc-{i}" for i in range(4)]
# Labels never change, so label-selector watchers see fixed subsets.
LABELS = {name: {"group": "even" if i % 2 == 0 else "odd"} for i, name in enumerate(NAMES)}
SEED = seed(20_260_509)
# Bounds every wait, so a broken server fails the test instead of hanging it;
# pytest's own timeout usually ends such a test first. Long enough for runs
# widened with RELIABILITY_SCALE (given a larger pytest --timeout).
DEADLINE = 600.0
# Refusals a race legitimately produces; anything else is a failure.
EXPECTED_REFUSALS = {
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
}
# Quick retries: a lost answer is retried at once rather than after 100 ms.
RETRY = RetryPolicy(max_attempts=5, initial_backoff=0.005, max_backoff=0.05)


class StreamRecorder:
    """Reads one watch stream on a thread: every event, and the current view per name."""

    def __init__(self, channel: grpc.Channel, request: api.WatchVClustersRequest) -> None:
        self.request = request
        self.events: list[api.WatchVClustersResponse] = []
        self.view: dict[str, VCluster] = {}
        self.synced = False
        self.done = False
        self.error: grpc.RpcError | None = None
        self._until: Callable[[dict[str, VCluster]], bool] | None = None
        self._stopped = False
        self._changed = threading.Condition()
        stub = api_grpc.VClusterServiceStub(channel)
        self._stream = stub.WatchVClusters(request, timeout=DEADLINE)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                with self._changed:
                    self.events.append(event)
                    if event.type == api.WatchVClustersResponse.EVENT_TYPE_SYNCED:
                        self.synced = True
                    elif event.type == api.WatchVClustersResponse.EVENT_TYPE_DELETED:
                        self.view.pop(event.vcluster.name, None)
                    else:
                        self.view[event.vcluster.name] = event.vcluster
                    self._changed.notify_all()
                    if self._until is not None and self.synced and self._until(self.view):
                        self._stopped = True
                        self._stream.cancel()
        except grpc.RpcError as error:
            if not self._stopped:
                self.error = error
        finally:
            with self._changed:
                self.done = True
                self._changed.notify_all()

    def wait_until(self, condition: Callable[[StreamRecorder], bool]) -> bool:
        """Blocks until ``condition`` holds or the stream ends; whether it holds."""
        with self._changed:
            self._changed.wait_for(lambda: self.done or condition(self), timeout=DEADLINE)
            return condition(self)

    def stop_when(self, until: Callable[[dict[str, VCluster]], bool]) -> None:
        """Ends the stream once its view satisfies ``until`` (now, or after more events)."""
        with self._changed:
            self._until = until
            if self.synced and until(self.view):
                self._stopped = True
                self._stream.cancel()

    def join(self) -> None:
        """Waits for the reading thread."""
        self._thread.join(timeout=DEADLINE)
        assert not self._thread.is_alive(), f"the watch {self.request} never caught up"


@dataclass
class Race:
    """Everything the clients recorded."""

    mutations: list[Mutation]
    watchers: list[StreamRecorder]
    lock: threading.Lock


def _request_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _scale_args(rng: random.Random) -> dict[str, Any]:
    args: dict[str, Any] = {
        "cpu": rng.choice([None, "1", "2", "3"]),
        "memory": rng.choice([None, "1Gi", "2Gi"]),
        "replicas": rng.choice([None, 1, 3]),
    }
    if not any(args.values()):
        args["cpu"] = "500m"
    return {key: value for key, value in args.items() if value is not None}


def _call(
    client: Client, mutation: Mutation, metadata: tuple[tuple[str, str], ...]
) -> VCluster | openvcluster.Snapshot:
    """Sends one recorded mutation through the SDK (also used to replay it)."""
    common: dict[str, Any] = {"request_id": mutation.request_id, "metadata": metadata}
    name, kind, args = mutation.name, mutation.kind, mutation.args
    if kind == "create":
        return client.create_vcluster(NAMESPACE, name, labels=LABELS[name], **common)
    if kind == "snapshot":
        return client.snapshot_vcluster(
            NAMESPACE, name, snapshot_name=args["snapshot_name"], **common
        )
    common["etag"] = mutation.etag
    if kind == "scale":
        return client.scale_vcluster(NAMESPACE, name, **args, **common)
    if kind == "suspend":
        return client.suspend_vcluster(NAMESPACE, name, **common)
    if kind == "resume":
        return client.resume_vcluster(NAMESPACE, name, **common)
    assert kind == "delete", kind
    return client.delete_vcluster(
        NAMESPACE, name, delete_snapshots=args["delete_snapshots"], **common
    )


# Weights of the mutation kinds: deletes are rare so that the vclusters live long
# enough to be fought over, and creates bring deleted ones back.
KINDS = (
    ["scale"] * 5
    + ["suspend"] * 4
    + ["resume"] * 4
    + ["snapshot"] * 3
    + ["delete"]
    + ["create"] * 2
)


def _client(index: int, server: RunningServer, race: Race, operations: int) -> None:
    """One racing client: a seeded sequence of mutations on the shared vclusters."""
    rng = random.Random(SEED * 1000 + index)
    known: dict[str, str] = {}  # name -> the etag this client last saw
    watch_at = rng.randrange(operations) if index % 5 == 0 else -1
    with Client(server.address, retry=RETRY, timeout=30) as client:
        for number in range(operations):
            if number == watch_at:
                _start_watcher(server, race, rng)
            name = rng.choice(NAMES)
            if rng.random() < 0.15:
                try:
                    known[name] = client.get_vcluster(NAMESPACE, name).etag
                except openvcluster.NotFoundError:
                    known.pop(name, None)
            kind = rng.choice(KINDS)
            args: dict[str, Any] = {}
            if kind == "scale":
                args = _scale_args(rng)
            elif kind == "snapshot":
                args = {"snapshot_name": f"s-{index}-{number}"}
            elif kind == "delete":
                args = {"delete_snapshots": rng.random() < 0.5}
            conditional = kind not in ("create", "snapshot") and rng.random() < 0.7
            mutation = Mutation(
                client=index,
                kind=kind,
                name=name,
                request_id=_request_id(rng),
                etag=known.get(name, "") if conditional else "",
                args=args,
            )
            # One call in ten loses its answer after being carried out: the SDK
            # retries with the same request id and must get the first answer.
            lose = rng.random() < 0.1
            metadata = ((UNAVAILABLE_AFTER, f"{mutation.request_id}:1"),) if lose else ()
            mutation.started = time.monotonic()
            try:
                answer = _call(client, mutation, metadata)
            except OpenVClusterError as error:
                mutation.code = error.code
                mutation.refused_in = error.metadata.get("phase", "")
                if error.code == grpc.StatusCode.NOT_FOUND:
                    known.pop(name, None)
            else:
                if isinstance(answer, VCluster):
                    mutation.vcluster = answer
                    known[name] = answer.etag
                else:
                    mutation.snapshot = answer
            mutation.ended = time.monotonic()
            with race.lock:
                race.mutations.append(mutation)


def _start_watcher(server: RunningServer, race: Race, rng: random.Random) -> None:
    """A watcher joining mid-race: the namespace, one name, or a label selector."""
    channel = grpc.insecure_channel(server.address)
    request = rng.choice(
        [
            api.WatchVClustersRequest(namespace=NAMESPACE),
            api.WatchVClustersRequest(namespace=NAMESPACE, name=rng.choice(NAMES)),
            api.WatchVClustersRequest(namespace=NAMESPACE, label_selector="group=odd"),
        ]
    )
    recorder = StreamRecorder(channel, request)
    with race.lock:
        race.watchers.append(recorder)


def _matches(watcher: StreamRecorder, vcluster: VCluster) -> bool:
    """Whether the watcher's filter (one of _start_watcher's) selects the vcluster."""
    request = watcher.request
    if request.name and vcluster.name != request.name:
        return False
    return not request.label_selector or vcluster.labels.get("group") == "odd"


def _showing(wanted: dict[str, VCluster]) -> Callable[[dict[str, VCluster]], bool]:
    """A stop condition: the view is exactly ``wanted``."""
    return lambda view: view == wanted


@pytest.fixture
def race_server() -> Iterator[RunningServer]:
    """A server whose phases last a few milliseconds, so calls land mid-transition,
    and whose watchers may lag far behind without being ended."""
    with running_server(transition_delay=0.005, watch_buffer=1_000_000) as server:
        yield server


def test_racing_clients_leave_a_serial_history(race_server: RunningServer) -> None:
    """32 clients, shared vclusters, etags and request ids: one explainable history."""
    context = f"(seed {SEED}; rerun with RELIABILITY_SEED={SEED})"
    channel = grpc.insecure_channel(race_server.address)
    stub = api_grpc.VClusterServiceStub(channel)
    reference = StreamRecorder(channel, api.WatchVClustersRequest(namespace=NAMESPACE))
    assert reference.wait_until(lambda r: r.synced), context
    race = Race([], [], threading.Lock())
    with Client(race_server.address, retry=RETRY) as setup:
        for index, name in enumerate(NAMES):
            created = Mutation(-1, "create", name, str(uuid.UUID(int=SEED + index, version=4)))
            answer = _call(setup, created, ())
            assert isinstance(answer, VCluster)
            created.vcluster = answer
            race.mutations.append(created)
    running = VCluster.Phase.PHASE_RUNNING
    assert reference.wait_until(
        lambda r: all(r.view.get(n, VCluster()).status.phase == running for n in NAMES)
    ), context

    operations = scaled(25)
    threads = [
        threading.Thread(target=_client, args=(index, race_server, race, operations))
        for index in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE)
        assert not thread.is_alive(), f"a client never finished {context}"

    # Settle: list until every vcluster rests. Timers end phases on their own
    # and each call gives them a turn; nothing changes a resting vcluster now.
    final: dict[str, VCluster] = {}
    for _ in range(10_000):
        listed = stub.ListVClusters(api.ListVClustersRequest(namespace=NAMESPACE, page_size=1000))
        final = {vc.name: vc for vc in listed.vclusters}
        if all(vc.status.phase not in phases.INTERMEDIATE for vc in final.values()):
            break
    assert all(vc.status.phase not in phases.INTERMEDIATE for vc in final.values()), context
    # The reference watch catches up with exactly the listed state.
    assert reference.wait_until(lambda r: r.view == final), (
        f"the final state is not the end of the history {context}"
    )

    unexpected = [
        m.describe()
        for m in race.mutations
        if m.code not in EXPECTED_REFUSALS | {grpc.StatusCode.OK}
    ]
    assert not unexpected, f"unexpected answers {context}: {unexpected}"
    problems = check_history(reference.events, race.mutations) + check_refusals(race.mutations)
    assert not problems, f"{context}\n" + "\n".join(problems[:30])

    outcomes = {
        code.name: sum(m.code == code for m in race.mutations)
        for code in EXPECTED_REFUSALS | {grpc.StatusCode.OK}
    }
    # A race with no conflicts would prove nothing: every kind of refusal happened.
    assert all(outcomes.values()), f"the race produced too little contention: {outcomes} {context}"

    timelines = {name: timeline(name_lives) for name, name_lives in lives(reference.events).items()}
    for watcher in race.watchers:
        # Each watcher ends once it has caught up with the final state it can see.
        watcher.stop_when(_showing({n: vc for n, vc in final.items() if _matches(watcher, vc)}))
    for watcher in race.watchers:
        watcher.join()
        assert watcher.error is None, f"{watcher.request}: {watcher.error} {context}"
        stream_problems = check_stream(timelines, watcher.events)
        assert not stream_problems, f"{watcher.request} {context}\n" + "\n".join(stream_problems)
    assert race.watchers, "no watcher joined the race"

    _check_snapshots(channel, race.mutations, context)
    _check_replays(race_server, reference, race.mutations, context)
    reference.stop_when(lambda view: True)
    reference.join()
    channel.close()


def _check_snapshots(channel: grpc.Channel, mutations: list[Mutation], context: str) -> None:
    """Every acknowledged snapshot exists and is READY, unless a delete_snapshots delete
    that could have followed it removed it; no other snapshot exists."""
    stub = snap_grpc.SnapshotServiceStub(channel)
    request = snap_api.ListSnapshotsRequest(namespace=NAMESPACE, page_size=1000)
    listed = stub.ListSnapshots(request).snapshots
    # Snapshots finish on their own; each list gives the timers a turn.
    for _ in range(10_000):
        if all(s.phase == s.PHASE_READY for s in listed):
            break
        listed = stub.ListSnapshots(request).snapshots
    stored = {s.name: s for s in listed}
    assert all(s.phase == s.PHASE_READY for s in listed), f"snapshots never got READY {context}"
    taken = {m.args["snapshot_name"]: m for m in mutations if m.kind == "snapshot" and m.snapshot}
    assert set(stored) <= set(taken), f"snapshots nobody took: {set(stored) - set(taken)} {context}"
    for name, mutation in taken.items():
        assert mutation.snapshot is not None
        if name in stored:
            assert stored[name].uid == mutation.snapshot.uid, f"{name} {context}"
            assert stored[name].source_spec == mutation.snapshot.source_spec, f"{name} {context}"
            continue
        removers = [
            m
            for m in mutations
            if m.kind == "delete"
            and m.code == grpc.StatusCode.OK
            and m.name == mutation.name
            and m.args["delete_snapshots"]
            and m.ended >= mutation.started
        ]
        assert removers, f"acknowledged snapshot {name} vanished: {mutation.describe()} {context}"


def _check_replays(
    server: RunningServer, reference: StreamRecorder, mutations: list[Mutation], context: str
) -> None:
    """Replaying every acknowledged request id answers the first answer and changes nothing."""
    events_before = len(reference.events)
    with Client(server.address, retry=None) as client:
        for mutation in mutations:
            if mutation.code != grpc.StatusCode.OK:
                continue
            answer = _call(client, mutation, ())
            first = mutation.vcluster if mutation.vcluster is not None else mutation.snapshot
            assert answer == first, f"a replay answered otherwise: {mutation.describe()} {context}"
        # A marker change: the first event after the replays must be the marker's.
        client.create_vcluster(NAMESPACE, "zz-marker", request_id=str(uuid.uuid4()))
    assert reference.wait_until(lambda r: "zz-marker" in r.view), context
    after = reference.events[events_before:]
    assert [e.vcluster.name for e in after[:1]] == ["zz-marker"], (
        f"replays changed something: {[e.vcluster.name for e in after]} {context}"
    )
