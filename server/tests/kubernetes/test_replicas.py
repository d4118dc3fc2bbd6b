"""Several replicas on one host cluster: any of them serves, the Lease holder reconciles.

Each replica is a real ``openvcluster-server`` process (in a process group
of its own, so a SIGKILL also ends its helm, as a pod's end would), with
leader election on a short Lease so a takeover costs seconds.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Secret

import openvcluster
from k8s_testenv.fixtures import KubeEnv, wait_for
from k8s_testenv.server_settings import STANDIN_CHART
from openvcluster_server.kube.conventions import host_namespace
from openvcluster_server.kube.leader import LEASE_NAME
from openvcluster_server.testing import ServerProcess

LEASE_SECONDS = 3
# A takeover waits out the Lease; the transition itself then runs again.
WAIT_SECONDS = 90
Phase = openvcluster.Phase


@dataclass
class Replicas:
    """Replicas sharing one system namespace (Lease, records, page-token key)."""

    kube: KubeEnv
    system: str
    stack: ExitStack
    workdir: Path
    running: dict[str, ServerProcess] = field(default_factory=dict)
    started: int = 0

    def start(self, reconcile: bool = True) -> str:
        """Starts one more replica; returns its identity. One started with
        ``reconcile=False`` only serves, so it can watch through every takeover."""
        self.started += 1
        identity = f"replica-{self.started}"
        settings = self.workdir / f"{identity}.yaml"
        settings.write_text(f"reconcile: {str(reconcile).lower()}\n")
        command = [
            sys.executable,
            "-m",
            "openvcluster_server",
            "serve",
            "--backend",
            "kubernetes",
            "--kubeconfig",
            str(self.kube.kubeconfig),
            "--install-crds",
            "--vcluster-chart",
            str(STANDIN_CHART),
            "--helm-binary",
            str(self.kube.cluster.bin / "helm"),
            "--system-namespace",
            self.system,
            "--address",
            "127.0.0.1:0",
            "--http-address",
            "off",
            "--leader-elect",
            "--leader-elect-lease-duration",
            str(LEASE_SECONDS),
            "--leader-elect-identity",
            identity,
            "--config",
            str(settings),
        ]
        self.running[identity] = self.stack.enter_context(ServerProcess(command))
        return identity

    def client(self, identity: str) -> openvcluster.Client:
        """A client of one replica (closed with the replicas)."""
        address = self.running[identity].address
        return self.stack.enter_context(openvcluster.Client(address, wait_timeout=WAIT_SECONDS))

    def leader(self, among: set[str] | None = None) -> str:
        """The replica holding the Lease, once one of ``among`` (default: any running) does."""
        candidates = among or set(self.running)
        lease = wait_for(
            self.kube,
            Lease,
            LEASE_NAME,
            self.system,
            lambda lease: _holder(lease) in candidates,
            timeout=WAIT_SECONDS,
        )
        return _holder(lease)

    def kill(self, identity: str) -> None:
        """SIGKILL to the replica and what it started."""
        self.running.pop(identity).kill()


def _holder(lease: Lease) -> str:
    return (lease.spec.holderIdentity if lease.spec else None) or ""


@pytest.fixture
def replicas(kube: KubeEnv, tmp_path: Path) -> Iterator[Replicas]:
    """Two replicas; the first holds the Lease."""
    with ExitStack() as stack:
        group = Replicas(kube, f"sys-{uuid.uuid4().hex[:8]}", stack, tmp_path)
        first = group.start()
        assert group.leader() == first
        group.start()
        yield group


def _release_started(kube: KubeEnv, namespace: str, name: str) -> None:
    """Returns once Helm has begun the vcluster's first release (its record is written first)."""
    wait_for(
        kube,
        Secret,
        f"sh.helm.release.v1.{name}.v1",
        host_namespace(namespace, name),
        lambda secret: True,
        timeout=WAIT_SECONDS,
    )


def _api_namespace() -> str:
    return f"rep-{uuid.uuid4().hex[:8]}"


def test_a_write_on_one_replica_is_seen_on_the_other(replicas: Replicas) -> None:
    one, other = replicas.running
    namespace = _api_namespace()
    writer, reader = replicas.client(one), replicas.client(other)
    with reader.watch_vclusters(namespace) as events:
        assert next(events).type == openvcluster.EventType.EVENT_TYPE_SYNCED
        created = writer.create_vcluster(namespace, "vc")
        acknowledged = time.monotonic()
        event = next(events)
        lag = time.monotonic() - acknowledged
    assert event.type == openvcluster.EventType.EVENT_TYPE_ADDED
    assert event.vcluster.uid == created.uid
    # Once the other replica's watch has it, so do its reads.
    assert reader.get_vcluster(namespace, "vc").uid == created.uid
    print(f"cross-replica watch lag: {lag * 1000:.1f} ms")
    writer.wait_for_phase(namespace, "vc", Phase.PHASE_RUNNING)
    reader.delete_vcluster(namespace, "vc")
    writer.wait_for_deletion(namespace, "vc")


def test_etags_and_request_ids_hold_across_replicas(replicas: Replicas) -> None:
    one, other = (replicas.client(identity) for identity in replicas.running)
    namespace = _api_namespace()
    request_id = str(uuid.uuid4())
    first = one.create_vcluster(namespace, "vc", request_id=request_id)
    # The retry lands on the other replica: the first answer, not ALREADY_EXISTS.
    again = other.create_vcluster(namespace, "vc", request_id=request_id)
    assert again.uid == first.uid
    running = one.wait_for_phase(namespace, "vc", Phase.PHASE_RUNNING)
    other.wait_for_phase(namespace, "vc", Phase.PHASE_RUNNING)
    other.suspend_vcluster(namespace, "vc", etag=running.etag)
    # The etag the other replica's write made stale is refused here too.
    with pytest.raises(openvcluster.AbortedError):
        one.resume_vcluster(namespace, "vc", etag=running.etag)
    one.wait_for_phase(namespace, "vc", Phase.PHASE_SUSPENDED)
    one.delete_vcluster(namespace, "vc")
    other.wait_for_deletion(namespace, "vc")


def test_the_other_replica_finishes_a_create_and_a_suspend_after_the_leader_dies(
    replicas: Replicas,
) -> None:
    watcher = replicas.start(reconcile=False)
    client = replicas.client(watcher)
    namespace = _api_namespace()
    with client.watch_vclusters(namespace) as events:
        assert next(events).type == openvcluster.EventType.EVENT_TYPE_SYNCED
        client.create_vcluster(namespace, "vc")
        _release_started(replicas.kube, namespace, "vc")
        replicas.kill(replicas.leader())
        running = client.wait_for_phase(namespace, "vc", Phase.PHASE_RUNNING)

        replicas.start()
        client.suspend_vcluster(namespace, "vc", etag=running.etag)
        replicas.kill(replicas.leader(among=set(replicas.running) - {watcher}))
        suspended = client.wait_for_phase(namespace, "vc", Phase.PHASE_SUSPENDED)
        _assert_watch_continues(events, suspended)
    client.delete_vcluster(namespace, "vc")
    client.wait_for_deletion(namespace, "vc")


def test_no_acknowledged_mutation_is_lost_across_ten_leader_kills(replicas: Replicas) -> None:
    watcher = replicas.start(reconcile=False)
    client = replicas.client(watcher)
    namespace = _api_namespace()
    # Each round creates a vcluster and changes the one before (a suspend or,
    # through a Helm upgrade, a scale), then kills the leader at once.
    expected: dict[str, tuple[openvcluster.Phase.ValueType, str]] = {}
    for round_ in range(10):
        name = f"vc{round_}"
        client.create_vcluster(namespace, name)
        expected[name] = (Phase.PHASE_RUNNING, "")
        if round_:
            previous = f"vc{round_ - 1}"
            running = client.wait_for_phase(namespace, previous, Phase.PHASE_RUNNING)
            if round_ % 2:
                client.scale_vcluster(namespace, previous, cpu="3", etag=running.etag)
                expected[previous] = (Phase.PHASE_RUNNING, "3")
            else:
                client.suspend_vcluster(namespace, previous, etag=running.etag)
                expected[previous] = (Phase.PHASE_SUSPENDED, "")
        replicas.kill(replicas.leader(among=set(replicas.running) - {watcher}))
        replicas.start()
    for name, (phase, cpu) in expected.items():
        final = client.wait_for_phase(namespace, name, phase)
        assert final.status.phase == phase
        if cpu:
            assert final.spec.resources.cpu == cpu
    for name in expected:
        client.delete_vcluster(namespace, name)
    for name in expected:
        client.wait_for_deletion(namespace, name)


def _assert_watch_continues(events: openvcluster.Watch, last: openvcluster.VCluster) -> None:
    """The watch (on a replica that lived) went through every phase once, in order,
    to ``last``: no gap, no duplicate."""
    phases: list[int] = []
    etags: list[str] = []
    for event in events:
        assert event.type != openvcluster.EventType.EVENT_TYPE_DELETED
        if event.type == openvcluster.EventType.EVENT_TYPE_SYNCED:
            continue
        assert event.vcluster.etag not in etags, "an event came twice"
        etags.append(event.vcluster.etag)
        if not phases or phases[-1] != event.vcluster.status.phase:
            phases.append(event.vcluster.status.phase)
        if event.vcluster.etag == last.etag:
            break
    assert phases == [
        Phase.PHASE_PROVISIONING,
        Phase.PHASE_RUNNING,
        Phase.PHASE_SUSPENDING,
        Phase.PHASE_SUSPENDED,
    ]


def test_a_leader_that_stops_hands_the_lease_over(replicas: Replicas) -> None:
    leader = replicas.leader()
    (other,) = set(replicas.running) - {leader}
    assert replicas.running.pop(leader).terminate() == 0
    # Released on the way out: nobody waits for it to expire.
    lease = replicas.kube.client.get(Lease, LEASE_NAME, namespace=replicas.system)
    assert _holder(lease) in ("", other)
    assert replicas.leader() == other


def test_only_the_leader_carries_out_an_expiry(replicas: Replicas) -> None:
    leader = replicas.leader()
    (other,) = set(replicas.running) - {leader}
    client = replicas.client(other)
    namespace = _api_namespace()
    # A few seconds ahead by the replicas' clock (real time: no test hooks here).
    expire_time = client.get_server_info().server_time.ToDatetime(UTC) + timedelta(seconds=5)
    client.create_vcluster(namespace, "vc", expire_time=expire_time)
    client.wait_for_deletion(namespace, "vc")
    operations = list(client.list_operations(namespace, vcluster="vc"))
    # Both replicas see the expiry come; one delete shows that only one acted on it.
    assert [(op.method, op.requested_by) for op in operations] == [
        ("DeleteVCluster", "system:scheduler"),
        ("CreateVCluster", "anonymous"),
    ]
