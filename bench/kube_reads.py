"""Part 8, reads: GetVCluster and ListVClusters (a page of 50) through the Kubernetes
backend, answered from its watch cache, against the same calls on a memory-store
server, with the same vclusters stored in both.

Both servers run the same way, in this process on threads of their own
(``openvcluster_server.testing.running_server``), so that neither pays for a
process boundary the other does not. The Kubernetes-backed one runs with
``reconcile=False``: it writes the VCluster resources and reads from its
watch cache, but installs nothing, since 1,000 vclusters through the
reconciler would be 1,000 Helm releases. Calls go through the raw generated
stub, sequentially, the two servers in alternating order round after round.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc

import openvcluster
from bench.profiles import Profile
from bench.report import PartResult, Ratio, Table, Target, fmt, progress
from bench.stats import alternate, median, paired_ratio
from k8s_testenv.cluster import Cluster
from k8s_testenv.server_settings import server_settings
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.testing import running_server

SIDES = ("memory", "kubernetes")
CALLS = ("Get", "List")
TARGET = Target(1.20, at_least=False)
NAMESPACE = "reads"
PAGE_SIZE = 50
SEED_THREADS = 8
SYNC_TIMEOUT = 120.0
# The memory store's transitions last this long, so that its vclusters stay
# PROVISIONING for the whole measurement, as the non-reconciling backend's do:
# both servers then answer with the same vclusters, the same size.
MEMORY_TRANSITION_DELAY = 24 * 3600.0


@dataclass(frozen=True)
class Reads:
    """Per call and server, the p50 of every round's calls, in seconds."""

    p50s: dict[str, dict[str, list[float]]]
    seed_seconds: dict[str, float]
    # Per call and server, the size of a serialized answer.
    answer_bytes: dict[str, dict[str, int]]


def measure(profile: Profile, cluster: Cluster) -> Reads:
    """Seeds both servers, then times the calls in interleaved rounds."""
    size = profile.kube_list_size
    names = [f"vc-{index:04d}" for index in range(size)]
    with (
        running_server(transition_delay=MEMORY_TRANSITION_DELAY) as memory,
        running_server(**server_settings(cluster, reconcile=False)) as kube,
    ):
        addresses = {"memory": memory.address, "kubernetes": kube.address}
        seed_seconds = {side: _seed(addresses[side], names) for side in SIDES}
        _wait_listed(addresses["kubernetes"], size)
        seeding = ", ".join(f"{side} {seed_seconds[side]:.0f} s" for side in SIDES)
        progress(f"  [kube] reads: {size:,} vclusters in each server ({seeding})")
        channels = {side: grpc.insecure_channel(addresses[side]) for side in SIDES}
        try:
            stubs = {side: api_grpc.VClusterServiceStub(channels[side]) for side in SIDES}
            target = names[size // 2]
            calls = {
                "Get": lambda stub: stub.GetVCluster(
                    api.GetVClusterRequest(namespace=NAMESPACE, name=target)
                ),
                "List": lambda stub: stub.ListVClusters(
                    api.ListVClustersRequest(namespace=NAMESPACE, page_size=PAGE_SIZE)
                ),
            }
            answer_bytes = {
                call: {side: calls[call](stubs[side]).ByteSize() for side in SIDES}
                for call in CALLS
            }
            for call in CALLS:
                for side in SIDES:
                    for _ in range(profile.kube_read_warmup):
                        calls[call](stubs[side])
            p50s: dict[str, dict[str, list[float]]] = {c: {s: [] for s in SIDES} for c in CALLS}
            for round_index in range(profile.kube_read_rounds):
                for call in CALLS:
                    for side in alternate(round_index, SIDES):
                        times = []
                        for _ in range(profile.kube_read_calls):
                            started = time.perf_counter()
                            calls[call](stubs[side])
                            times.append(time.perf_counter() - started)
                        p50s[call][side].append(median(times))
        finally:
            for channel in channels.values():
                channel.close()
    return Reads(p50s, seed_seconds, answer_bytes)


def _seed(address: str, names: list[str]) -> float:
    """Creates the vclusters (a few at a time); returns the seconds it took."""
    started = time.perf_counter()
    with (
        openvcluster.Client(address, timeout=60) as client,
        ThreadPoolExecutor(SEED_THREADS) as pool,
    ):
        # list() so that a failed create raises here.
        list(
            pool.map(
                lambda name: client.create_vcluster(
                    NAMESPACE, name, cpu="2", memory="4Gi", labels={"app": "bench"}
                ),
                names,
            )
        )
    return time.perf_counter() - started


def _wait_listed(address: str, size: int) -> None:
    """Waits until the server lists every vcluster (the watch cache has caught up)."""
    deadline = time.monotonic() + SYNC_TIMEOUT
    with openvcluster.Client(address) as client:
        while sum(1 for _ in client.list_vclusters(NAMESPACE, page_size=500)) < size:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the watch cache did not list {size} vclusters in time")
            time.sleep(0.2)


def report(part: PartResult, reads: Reads, profile: Profile) -> None:
    """The p50 table and the two ratios."""
    table = Table(
        "GetVCluster and ListVClusters p50 from the watch cache vs the memory store (ms)",
        [
            "call",
            "memory p50 ms",
            "kubernetes p50 ms",
            "kubernetes/memory",
            "answer bytes (memory / kubernetes)",
        ],
    )
    listing = f"List (page of {PAGE_SIZE} of {profile.kube_list_size:,})"
    for call in CALLS:
        sides = reads.p50s[call]
        relative = paired_ratio(sides["kubernetes"], sides["memory"])
        size = reads.answer_bytes[call]
        table.rows.append(
            [
                call if call == "Get" else listing,
                fmt(median(sides["memory"]) * 1e3, 3),
                fmt(median(sides["kubernetes"]) * 1e3, 3),
                fmt(relative),
                f"{size['memory']:,} / {size['kubernetes']:,}",
            ]
        )
        part.ratios.append(
            Ratio(f"kube {call} p50: Kubernetes backend / memory store", relative, TARGET)
        )
    part.tables.append(table)
    part.data["reads"] = {
        "vclusters": profile.kube_list_size,
        "page_size": PAGE_SIZE,
        "rounds": profile.kube_read_rounds,
        "calls_per_round": profile.kube_read_calls,
        "warmup_calls": profile.kube_read_warmup,
        "seed_seconds": reads.seed_seconds,
        "answer_bytes": reads.answer_bytes,
        "round_p50_s": reads.p50s,
    }
    part.notes.append(
        f"Reads: {profile.kube_list_size:,} vclusters in one namespace of each server, "
        "created through the API. The Kubernetes-backed server runs with `reconcile=False`: "
        "it writes the VCluster resources and answers from its watch cache but installs "
        "nothing (1,000 vclusters through the reconciler would be 1,000 Helm releases), so "
        "its vclusters stay PROVISIONING; the memory store's transitions are made to last a "
        "day, so that its vclusters stay PROVISIONING too and both answer alike. Both servers "
        "run in this process (`running_server`), called through the raw stub, sequentially: "
        f"{profile.kube_read_rounds} interleaved rounds of {profile.kube_read_calls} calls per "
        f"call and server after {profile.kube_read_warmup} warm-up calls each; p50 per round, "
        "the ratio is the median of the rounds' ratios."
    )
