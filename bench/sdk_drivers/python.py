"""The SDK overhead driver of the Python SDK: ``openvcluster.Client`` (or
``AsyncClient``) against the raw generated stub on a plain grpcio channel.

    python -m bench.sdk_drivers.python --flavour sync|async --address HOST:PORT \\
        --namespace NS --name NAME --calls 200 --rounds 21 --warmup 300

Prints ``{"sdk": [seconds per call, per round], "raw": [...]}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable

import grpc

import openvcluster
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc

MODES = ("sdk", "raw")


def order(round_index: int) -> tuple[str, ...]:
    """Which mode goes first alternates from round to round."""
    return MODES if round_index % 2 == 0 else MODES[::-1]


def measure_sync(args: argparse.Namespace) -> dict[str, list[float]]:
    """Rounds of sequential calls through ``Client`` and through the sync stub."""
    ns, name = args.namespace, args.name
    with openvcluster.Client(args.address) as client, grpc.insecure_channel(args.address) as ch:
        stub = api_grpc.VClusterServiceStub(ch)
        calls: dict[str, Callable[[], object]] = {
            "sdk": lambda: client.get_vcluster(ns, name),
            "raw": lambda: stub.GetVCluster(api.GetVClusterRequest(namespace=ns, name=name)),
        }

        def batch(mode: str, count: int) -> float:
            call = calls[mode]
            started = time.perf_counter()
            for _ in range(count):
                call()
            return (time.perf_counter() - started) / count

        for mode in MODES:
            batch(mode, args.warmup)
        samples: dict[str, list[float]] = {mode: [] for mode in MODES}
        for round_index in range(args.rounds):
            for mode in order(round_index):
                samples[mode].append(batch(mode, args.calls))
    return samples


async def measure_async(args: argparse.Namespace) -> dict[str, list[float]]:
    """Rounds of sequential awaited calls through ``AsyncClient`` and the grpc.aio stub."""
    ns, name = args.namespace, args.name
    async with (
        openvcluster.AsyncClient(args.address) as client,
        grpc.aio.insecure_channel(args.address) as channel,
    ):
        stub = api_grpc.VClusterServiceStub(channel)
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "sdk": lambda: client.get_vcluster(ns, name),
            "raw": lambda: stub.GetVCluster(api.GetVClusterRequest(namespace=ns, name=name)),
        }

        async def batch(mode: str, count: int) -> float:
            call = calls[mode]
            started = time.perf_counter()
            for _ in range(count):
                await call()
            return (time.perf_counter() - started) / count

        for mode in MODES:
            await batch(mode, args.warmup)
        samples: dict[str, list[float]] = {mode: [] for mode in MODES}
        for round_index in range(args.rounds):
            for mode in order(round_index):
                samples[mode].append(await batch(mode, args.calls))
    return samples


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=("sync", "async"), default="sync")
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--calls", type=int, default=200, help="calls per round and mode")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--warmup", type=int, default=300, help="untimed calls per mode first")
    args = parser.parse_args()
    sync = args.flavour == "sync"
    samples = measure_sync(args) if sync else asyncio.run(measure_async(args))
    json.dump(samples, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
