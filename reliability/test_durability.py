"""Durability: a SQLite server under load, SIGKILLed at random points, restarted.

Four client threads mutate their own vclusters (create, scale, suspend,
resume, snapshot, delete with or without its snapshots, delete snapshot),
each call with a request id, and a ledger records every acknowledged
mutation. Each round kills the server with SIGKILL once a seeded random
number of mutations has been acknowledged (sometimes none), while other calls
are in flight. Then, before anything else touches it, the database file is
read directly, and after a restart on the same directory:

* every acknowledged mutation is present: each vcluster is in the state its
  last acknowledged mutation answered, or the one a transition timer moves it
  to, and every acknowledged snapshot exists with its captured state;
* nothing is half-applied: a call in flight at the kill either took effect
  entirely (its answer is remembered, and a replay returns it) or not at all
  (a replay runs it afresh); a delete took its snapshots with it or left them
  all; no snapshot lacks its captured state; the per-namespace counters match
  the rows; SQLite's integrity check passes; nothing exists that nobody made;
* every acknowledged request id, from every round, still answers exactly the
  acknowledged response;
* after the restart, interrupted transitions finish and change nothing else.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import Resources, VCluster
from openvcluster_server import phases
from openvcluster_server.phases import Phase
from openvcluster_server.store import DATABASE_FILE, SqliteStore
from openvcluster_server.testing import ServerProcess, serve_command
from reliability.history import scaled_spec, step_kinds
from reliability.knobs import scaled, seed
from reliability.rpcs import BY_NAME, Outcome, invoke
from reliability.store_state import StoreState, read_store, snapshot_problems, vcluster_problems

NAMESPACE = "durable"
WORKERS = 4
NAMES_PER_WORKER = 3
SEED = seed(7_340_021)
# Short phases, so that kills often land while a transition is pending.
DELAY = 0.01
# Codes a call may get when the server dies under it.
CUT_OFF = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
}
REFUSALS = {
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
}
CALL_TIMEOUT = 15.0


@dataclass
class Owned:
    """One vcluster name a worker owns, and what its acknowledged mutations left."""

    name: str
    # The last acknowledged (or re-read) state; None while it does not exist.
    known: VCluster | None = None
    # Acknowledged snapshots of this vcluster name, by snapshot name.
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    counter: int = 0


@dataclass
class Call:
    """One mutation: what was sent, and the acknowledged answer if there was one."""

    kind: str
    owned: Owned
    rpc_name: str
    request: Any
    response: Message | None = None

    def describe(self) -> str:
        """A line for failure messages."""
        return f"{self.kind} {self.owned.name} request_id={self.request.request_id}"


@dataclass
class Worker:
    """A client thread's vclusters, its random source, and its call cut off by a kill."""

    index: int
    owned: list[Owned]
    rng: random.Random
    pending: Call | None = None


class Ledger:
    """Acknowledged mutations of every round, and the trigger of this round's kill."""

    def __init__(self) -> None:
        self.acked: list[Call] = []
        self.problems: list[str] = []
        self.kill_now = threading.Event()
        self._lock = threading.Lock()
        self._kill_after = 0
        self._round_acks = 0

    def start_round(self, kill_after: int) -> None:
        """Arms the kill trigger for this many acknowledgements."""
        self._kill_after, self._round_acks = kill_after, 0
        self.kill_now.clear()
        if kill_after == 0:
            self.kill_now.set()

    def ack(self, call: Call) -> None:
        """Records an acknowledged mutation; may pull the trigger."""
        with self._lock:
            self.acked.append(call)
            self._round_acks += 1
            if self._round_acks >= self._kill_after:
                self.kill_now.set()

    def problem(self, text: str) -> None:
        """Records a violation seen by a worker thread."""
        with self._lock:
            self.problems.append(text)
        self.kill_now.set()  # no point in loading the server further


def _key(name: str) -> tuple[str, str]:
    return (NAMESPACE, name)


def _brief(vcluster: VCluster | None) -> str:
    """A vcluster state in one short line, for failure messages."""
    if vcluster is None:
        return "nothing"
    return (
        f"{phases.phase_name(vcluster.status.phase)} etag {vcluster.etag} uid {vcluster.uid[:8]} "
        f"cpu {vcluster.spec.resources.cpu}"
    )


def _next_call(owned: Owned, rng: random.Random) -> Call | None:
    """A mutation that changes the vcluster if accepted, or None to re-read it first.

    Only this worker changes its names, so a resting known state is the stored
    one, and the call chosen is never a no-op: after a kill, its effect shows.
    """
    known, name = owned.known, owned.name
    request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    key: dict[str, Any] = {"namespace": NAMESPACE, "name": name, "request_id": request_id}
    if known is None:
        return Call("create", owned, "CreateVCluster", api.CreateVClusterRequest(**key))
    phase = known.status.phase
    if phase in phases.INTERMEDIATE:
        return None
    choices = ["scale", "snapshot", "snapshot", "delete"]
    choices += ["suspend"] * 2 if phase == Phase.PHASE_RUNNING else ["resume"] * 2
    if owned.snapshots:
        choices.append("delete-snapshot")
    kind = rng.choice(choices)
    if kind == "scale":
        cpu = rng.choice([c for c in ("1", "2", "3") if c != known.spec.resources.cpu])
        request: Message = api.ScaleVClusterRequest(**key, resources=Resources(cpu=cpu))
        return Call(kind, owned, "ScaleVCluster", request)
    if kind == "suspend":
        return Call(kind, owned, "SuspendVCluster", api.SuspendVClusterRequest(**key))
    if kind == "resume":
        return Call(kind, owned, "ResumeVCluster", api.ResumeVClusterRequest(**key))
    if kind == "snapshot":
        owned.counter += 1
        request = api.SnapshotVClusterRequest(**key, snapshot_name=f"{name}-s{owned.counter}")
        return Call(kind, owned, "SnapshotVCluster", request)
    if kind == "delete":
        request = api.DeleteVClusterRequest(**key, delete_snapshots=rng.random() < 0.5)
        return Call(kind, owned, "DeleteVCluster", request)
    target = rng.choice(sorted(owned.snapshots))
    request = snap_api.DeleteSnapshotRequest(
        namespace=NAMESPACE, name=target, request_id=request_id
    )
    return Call(kind, owned, "DeleteSnapshot", request)


def _apply(call: Call) -> None:
    """What an acknowledged answer means for the model."""
    owned, response = call.owned, call.response
    if call.kind == "snapshot":
        snapshot: Snapshot = getattr(response, "snapshot")  # noqa: B009
        owned.snapshots[snapshot.name] = snapshot
    elif call.kind == "delete-snapshot":
        owned.snapshots.pop(call.request.name, None)
    else:
        owned.known = getattr(response, "vcluster")  # noqa: B009
        if call.kind == "delete" and call.request.delete_snapshots:
            owned.snapshots.clear()


def _timer_step(before: VCluster, after: VCluster | None) -> bool:
    """Whether ``after`` is what the transition timer makes of ``before``."""
    if before.status.phase not in phases.INTERMEDIATE:
        return False
    end = phases.TRANSITION_END[before.status.phase]
    if end is None:
        return after is None
    return after is not None and "timer" in step_kinds(before, after)


def _at_rest_or_after(known: VCluster | None, stored: VCluster | None) -> bool:
    """Whether ``stored`` is ``known`` itself or what its timer makes of it."""
    if known is None:
        return stored is None
    return stored == known or _timer_step(known, stored)


def _refresh(stub_call: Callable[..., Outcome], owned: Owned, ledger: Ledger) -> bool:
    """Re-reads a vcluster in an intermediate phase; False once the server is gone."""
    request = api.GetVClusterRequest(namespace=NAMESPACE, name=owned.name)
    outcome = stub_call(BY_NAME["GetVCluster"], request)
    if outcome.ok:
        stored = api.GetVClusterResponse.FromString(outcome.response).vcluster
        if not _at_rest_or_after(owned.known, stored):
            ledger.problem(
                f"{owned.name}: read {_brief(stored)} after acknowledging {_brief(owned.known)}"
            )
        owned.known = stored
        return True
    if outcome.code == grpc.StatusCode.NOT_FOUND:
        if owned.known is None or owned.known.status.phase != Phase.PHASE_DELETING:
            ledger.problem(f"{owned.name}: NOT_FOUND after acknowledging {_brief(owned.known)}")
        owned.known = None
        return True
    return False


def _work(worker: Worker, address: str, ledger: Ledger) -> None:
    """One client thread: mutations on its own vclusters until the server dies."""
    with grpc.insecure_channel(address) as channel:

        def send(rpc: Any, request: Message) -> Outcome:
            return invoke(channel, rpc, request, timeout=CALL_TIMEOUT)

        while True:
            owned = worker.rng.choice(worker.owned)
            call = _next_call(owned, worker.rng)
            if call is None:
                if not _refresh(send, owned, ledger):
                    if not ledger.kill_now.is_set():
                        ledger.problem(f"{owned.name}: a read failed with the server up")
                    return
                continue
            outcome = send(BY_NAME[call.rpc_name], call.request)
            if outcome.ok:
                call.response = BY_NAME[call.rpc_name].response.FromString(outcome.response)
                _apply(call)
                ledger.ack(call)
            elif outcome.code in CUT_OFF and ledger.kill_now.is_set():
                worker.pending = call  # in flight at the kill: outcome unknown
                return
            elif outcome.code == grpc.StatusCode.NOT_FOUND and call.kind == "delete-snapshot":
                ledger.problem(f"an acknowledged snapshot is missing: {call.describe()}")
                return
            else:
                ledger.problem(f"{call.describe()} answered {outcome.code.name} {outcome.details}")
                return


@dataclass
class Resolution:
    """How a call cut off by the kill turned out, learned by replaying its request id."""

    call: Call
    replay: Outcome
    # Whether the replay answered a remembered response: the call took effect before the kill.
    remembered: bool


def _applied_at(response: Message) -> float:
    """When the answered change was made (its update or create time)."""
    if isinstance(response, snap_api.DeleteSnapshotResponse):
        return 0.0
    resource: Any = getattr(response, "snapshot", None) or getattr(response, "vcluster")  # noqa: B009
    stamp = resource.update_time if isinstance(resource, VCluster) else resource.create_time
    return float(stamp.seconds) + stamp.nanos / 1e9


def _resolve(
    worker: Worker, channel: grpc.Channel, killed_at: float, database: StoreState
) -> Resolution | None:
    """Replays the cut-off call of a worker on the restarted server."""
    call = worker.pending
    if call is None:
        return None
    replay = invoke(channel, BY_NAME[call.rpc_name], call.request, timeout=CALL_TIMEOUT)
    if call.kind == "delete-snapshot":
        # The answer is empty: the call took effect if the snapshot was gone at the kill.
        gone = database.snapshot(_key(call.request.name)) is None
        return Resolution(call, replay, remembered=gone)
    if not replay.ok:
        return Resolution(call, replay, remembered=False)
    response = BY_NAME[call.rpc_name].response.FromString(replay.response)
    return Resolution(call, replay, remembered=_applied_at(response) < killed_at)


def _made_by(call: Call, before: VCluster | None, after: VCluster) -> bool:
    """Whether ``after`` is what ``call`` makes of ``before`` (or of its timer's result)."""
    if call.kind == "create":
        return before is None and after.status.phase == Phase.PHASE_PROVISIONING
    if before is None:
        return False
    bases = [before]
    if before.status.phase in phases.INTERMEDIATE:
        end = phases.TRANSITION_END[before.status.phase]
        if end is None:
            return False
        rested = VCluster()
        rested.CopyFrom(before)
        rested.status.phase = end  # type: ignore[assignment]
        rested.etag = "timer"
        bases.append(rested)
    for base in bases:
        if call.kind not in step_kinds(base, after):
            continue
        if call.kind == "scale" and after.spec != scaled_spec(
            base.spec, {"cpu": call.request.resources.cpu}
        ):
            continue
        return True
    return False


def check_after_kill(
    workers: list[Worker], database: StoreState, resolutions: dict[int, Resolution]
) -> list[str]:
    """Problems in the database read right after a kill (see the module docstring)."""
    problems: list[str] = []
    owned_names = {o.name for w in workers for o in w.owned}
    for (namespace, name), data in database.vclusters.items():
        vcluster = VCluster.FromString(data)
        if namespace != NAMESPACE or name not in owned_names:
            problems.append(f"a vcluster nobody created: {namespace}/{name}")
        problems += [f"{name}: {p}" for p in vcluster_problems(vcluster)]
    for key, data in database.snapshots.items():
        snapshot = Snapshot.FromString(data)
        if database.snapshot_states.get(key) is None:
            problems.append(f"snapshot {key} has no captured state: half-applied")
        if snapshot.phase not in (
            Snapshot.Phase.PHASE_PENDING,
            Snapshot.Phase.PHASE_IN_PROGRESS,
            Snapshot.Phase.PHASE_READY,
        ):
            problems.append(f"snapshot {key} is {snapshot.phase}")
        problems += [f"snapshot {key}: {p}" for p in snapshot_problems(snapshot)]
    for namespace, (vclusters, snapshots) in database.counts.items():
        rows = (
            sum(key[0] == namespace for key in database.vclusters),
            sum(key[0] == namespace for key in database.snapshots),
        )
        if (vclusters, snapshots) != rows:
            problems.append(f"{namespace} counts {vclusters, snapshots}, holds {rows}")

    for worker in workers:
        resolution = resolutions.get(worker.index)
        for owned in worker.owned:
            mine = resolution if resolution and resolution.call.owned is owned else None
            problems += _check_owned(owned, database, mine)
    return problems


def _check_owned(owned: Owned, database: StoreState, resolution: Resolution | None) -> list[str]:
    problems: list[str] = []
    name = owned.name
    stored = database.vcluster(_key(name))
    call = resolution.call if resolution else None
    applied = resolution is not None and resolution.remembered
    if call is not None and call.kind not in ("snapshot", "delete-snapshot") and applied:
        assert resolution is not None
        answer: VCluster = getattr(  # noqa: B009
            BY_NAME[call.rpc_name].response.FromString(resolution.replay.response), "vcluster"
        )
        if not _made_by(call, owned.known, answer):
            problems.append(f"{name}: the remembered answer of {call.describe()} is not its effect")
        if not _at_rest_or_after(answer, stored):
            problems.append(
                f"{name}: {call.describe()} took effect (its answer is remembered) but the "
                f"database holds {_brief(stored)} instead of {_brief(answer)}: half-applied"
            )
    elif not _at_rest_or_after(owned.known, stored):
        cut = f" ({call.describe()} was cut off; its replay ran afresh)" if call else ""
        problems.append(
            f"{name}: acknowledged {_brief(owned.known)}, the database holds {_brief(stored)}{cut}"
        )

    expected = {s.name: s.uid for s in owned.snapshots.values()}
    if call is not None and applied and call.kind == "snapshot":
        assert resolution is not None
        taken = api.SnapshotVClusterResponse.FromString(resolution.replay.response).snapshot
        expected[taken.name] = taken.uid
    if call is not None and call.kind == "delete-snapshot" and applied:
        assert resolution is not None
        expected.pop(call.request.name, None)
        if not resolution.replay.ok:
            # Gone from the database, yet its request id is not remembered.
            problems.append(f"{call.describe()}: the snapshot is gone, the answer is not kept")
    if call is not None and call.kind == "delete" and applied and call.request.delete_snapshots:
        expected = {}
    held = {
        s.name: s.uid
        for key, data in database.snapshots.items()
        if (s := Snapshot.FromString(data)).vcluster == name and key[0] == NAMESPACE
    }
    if held != expected:
        problems.append(
            f"{name}: snapshots {sorted(held)} in the database, {sorted(expected)} acknowledged"
            + (f" ({call.describe()} cut off)" if call else "")
        )
    return problems


def _replay_acknowledged(channel: grpc.Channel, ledger: Ledger) -> list[str]:
    """Every acknowledged request id answers its acknowledged response, exactly."""
    problems = []
    for call in ledger.acked:
        replay = invoke(channel, BY_NAME[call.rpc_name], call.request, timeout=CALL_TIMEOUT)
        assert call.response is not None
        if not replay.ok or replay.response != call.response.SerializeToString(deterministic=True):
            problems.append(f"replay of acknowledged {call.describe()}: {replay.code.name}")
    return problems


def _reload(
    workers: list[Worker],
    channel: grpc.Channel,
    resolutions: dict[int, Resolution],
    database: StoreState,
) -> list[str]:
    """Takes the restarted server's state as the model, after checking that the restart
    only finished transitions (and the fresh replays did their part)."""
    problems = []
    for worker in workers:
        resolution = resolutions.get(worker.index)
        worker.pending = None
        for owned in worker.owned:
            request = api.GetVClusterRequest(namespace=NAMESPACE, name=owned.name)
            outcome = invoke(channel, BY_NAME["GetVCluster"], request)
            now = (
                api.GetVClusterResponse.FromString(outcome.response).vcluster
                if outcome.ok
                else None
            )
            was = database.vcluster(_key(owned.name))
            fresh = (
                resolution is not None
                and resolution.call.owned is owned
                and resolution.replay.ok
                and not resolution.remembered
                and resolution.call.kind not in ("snapshot", "delete-snapshot")
            )
            if fresh:
                assert resolution is not None
                was = getattr(  # noqa: B009
                    BY_NAME[resolution.call.rpc_name].response.FromString(
                        resolution.replay.response
                    ),
                    "vcluster",
                )
            if not _at_rest_or_after(was, now):
                problems.append(
                    f"{owned.name}: the restart turned {_brief(was)} into {_brief(now)}"
                )
            owned.known = now
            listed = invoke(
                channel,
                BY_NAME["ListSnapshots"],
                snap_api.ListSnapshotsRequest(
                    namespace=NAMESPACE, vcluster=owned.name, page_size=1000
                ),
            )
            snapshots = snap_api.ListSnapshotsResponse.FromString(listed.response).snapshots
            owned.snapshots = {s.name: s for s in snapshots}
    return problems


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The server's data directory, kept across kills and restarts."""
    return tmp_path / "data"


def test_acknowledged_mutations_survive_repeated_sigkill(data_dir: Path) -> None:
    """Several SIGKILLs at random points under load: acknowledged means durable,
    and nothing is ever half-applied."""
    rng = random.Random(SEED)
    context = f"(seed {SEED}; rerun with RELIABILITY_SEED={SEED})"
    workers = [
        Worker(
            index,
            [Owned(f"w{index}-{k}") for k in range(NAMES_PER_WORKER)],
            random.Random(SEED * 100 + index),
        )
        for index in range(WORKERS)
    ]
    ledger = Ledger()
    server = ServerProcess(serve_command(data_dir, DELAY))
    try:
        for round_number in range(scaled(4)):
            kill_after = rng.choice([0, *range(3, 40)])
            where = f"round {round_number}, killed after {kill_after} acknowledgements {context}"
            ledger.start_round(kill_after)
            threads = [
                threading.Thread(target=_work, args=(worker, server.address, ledger))
                for worker in workers
            ]
            for thread in threads:
                thread.start()
            ledger.kill_now.wait(timeout=120)
            server.kill()
            # Taken once the process is dead: whatever it committed is older.
            killed_at = time.time()
            for thread in threads:
                thread.join(timeout=60)
                assert not thread.is_alive(), f"a client hung after the kill, {where}"
            assert not ledger.problems, f"{where}:\n" + "\n".join(ledger.problems)

            database = _read_database(data_dir)
            server = ServerProcess(serve_command(data_dir, DELAY))
            with grpc.insecure_channel(server.address) as channel:
                resolutions = {
                    w.index: r
                    for w in workers
                    if (r := _resolve(w, channel, killed_at, database)) is not None
                }
                problems = check_after_kill(workers, database, resolutions)
                problems += _replay_acknowledged(channel, ledger)
                problems += _reload(workers, channel, resolutions, database)
            assert not problems, f"{where}:\n" + "\n".join(problems[:30]) + "\n" + server.log_tail()
        _check_transitions_finish(server, workers, context)
        assert server.terminate() == 0, server.log_tail()
    finally:
        server.kill()


def _read_database(data_dir: Path) -> StoreState:
    """The database as the kill left it, through the store's own reader, and checked by
    SQLite itself."""
    path = data_dir / DATABASE_FILE
    connection = sqlite3.connect(path)
    try:
        (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    assert verdict == "ok", f"the database is corrupt: {verdict}"
    store = SqliteStore(path)
    try:
        return read_store(store)
    finally:
        store.close()


def _check_transitions_finish(server: ServerProcess, workers: list[Worker], context: str) -> None:
    """After the last restart every vcluster comes to rest, each as the model says, and
    every snapshot becomes READY."""
    vclusters: list[VCluster] = []
    with grpc.insecure_channel(server.address) as channel:
        for _ in range(10_000):
            # The server's timers end the phases; listing only looks until they have.
            listed = invoke(
                channel,
                BY_NAME["ListVClusters"],
                api.ListVClustersRequest(namespace=NAMESPACE, page_size=1000),
            )
            snapshots = invoke(
                channel,
                BY_NAME["ListSnapshots"],
                snap_api.ListSnapshotsRequest(namespace=NAMESPACE, page_size=1000),
            )
            vclusters = list(api.ListVClustersResponse.FromString(listed.response).vclusters)
            taken = snap_api.ListSnapshotsResponse.FromString(snapshots.response).snapshots
            if all(v.status.phase not in phases.INTERMEDIATE for v in vclusters) and all(
                s.phase == Snapshot.Phase.PHASE_READY for s in taken
            ):
                break
        else:
            raise AssertionError(f"transitions never finished after the restart {context}")
    by_name = {v.name: v for v in vclusters}
    for worker in workers:
        for owned in worker.owned:
            final = by_name.get(owned.name)
            assert _at_rest_or_after(owned.known, final), (
                f"{owned.name}: {_brief(owned.known)} came to rest as {_brief(final)} {context}"
            )
