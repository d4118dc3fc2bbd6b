"""How much a ListVClusters page costs with 100 and with 100,000 vclusters stored.

The contract says a page costs the same however many vclusters exist. This
prints, for each store, the median time of a first page and of a page deep in
the listing at both sizes, and their ratio (about 1.0 is the goal). Ratios are
measured in one run on one machine, so they stay meaningful on a noisy one.

    python bench/list_page_cost.py [--pages 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server.auth import ANONYMOUS
from openvcluster_server.config import ServerConfig
from openvcluster_server.engine import Engine
from openvcluster_server.resources import new_vcluster, set_phase
from openvcluster_server.store import Store, open_store

SIZES = (100, 100_000)
PAGE_SIZE = 50


def seed(store: Store, count: int) -> None:
    spec = VClusterSpec(replicas=1)
    spec.resources.cpu, spec.resources.memory = "1", "2Gi"
    with store.transaction():
        for index in range(count):
            vcluster = new_vcluster(
                f"ns-{index % 100:03d}", f"vc-{index:06d}", spec, {"app": "bench"}
            )
            set_phase(vcluster, VCluster.Phase.PHASE_RUNNING)
            store.put_vcluster(vcluster)


def median_page_seconds(engine: Engine, pages: int, token: str) -> float:
    request = api.ListVClustersRequest(
        page_size=PAGE_SIZE, page_token=token, label_selector="app=bench"
    )
    for _ in range(pages // 5):  # warm caches before timing
        engine.vclusters.list_vclusters(ANONYMOUS, request)
    samples = []
    for _ in range(pages):
        started = time.perf_counter()
        engine.vclusters.list_vclusters(ANONYMOUS, request)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def deep_token(engine: Engine, hops: int) -> str:
    """The page token after ``hops`` pages: a page from the middle of the listing."""
    token = ""
    for _ in range(hops):
        token = engine.vclusters.list_vclusters(
            ANONYMOUS,
            api.ListVClustersRequest(
                page_size=PAGE_SIZE, page_token=token, label_selector="app=bench"
            ),
        ).next_page_token
    return token


def measure(kind: str, pages: int) -> dict[int, tuple[float, float]]:
    results = {}
    for size in SIZES:
        with tempfile.TemporaryDirectory() as data_dir:
            store = open_store(kind, Path(data_dir))
            seed(store, size)
            engine = Engine(store, ServerConfig())
            first = median_page_seconds(engine, pages, "")
            deep = median_page_seconds(engine, pages, deep_token(engine, 1))
            results[size] = (first, deep)
            store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="pages timed per measurement")
    args = parser.parse_args()
    print(f"ListVClusters, page size {PAGE_SIZE}, median of {args.pages} pages")
    for kind in ("memory", "sqlite"):
        results = measure(kind, args.pages)
        small, large = (results[size] for size in SIZES)
        for label, index in (("first page", 0), ("later page", 1)):
            ratio = large[index] / small[index]
            print(
                f"  {kind:6} {label}: {small[index] * 1e3:7.3f} ms at {SIZES[0]:>7,}, "
                f"{large[index] * 1e3:7.3f} ms at {SIZES[1]:>7,}  ratio {ratio:4.2f}"
            )


if __name__ == "__main__":
    main()
