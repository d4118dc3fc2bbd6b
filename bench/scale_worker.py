"""One store of one size for the scale part, in a fresh process.

It seeds the store, reports the memory that took, then times ListVClusters
pages in process (no gRPC) on request, so that the parent can interleave the
sizes round by round:

    python -m bench.scale_worker --store memory --size 100000

stdout: one JSON line when ready ({"rss_bytes_before", "rss_bytes_after", ...}),
then one per command read from stdin: {"page": "first"|"deep", "count": N}
answers {"median_s": ...}; {"quit": true} (or end of input) exits.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server.auth import ANONYMOUS
from openvcluster_server.config import ServerConfig
from openvcluster_server.encoded import Encoded
from openvcluster_server.engine import Engine
from openvcluster_server.resources import new_vcluster, set_phase
from openvcluster_server.store import Store, open_store

PAGE_SIZE = 50
SELECTOR = "app=bench"
NAMESPACES = 100
WARMUP_PAGES = 20


def rss_bytes() -> int:
    """This process's resident set size."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def settled_rss_bytes() -> int:
    """The resident set size after a garbage collection and, with glibc, after handing
    freed memory back to the system (without that, memory freed after the imports
    makes small stores look negative)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_bytes()


def stored_vcluster(index: int) -> VCluster:
    """A RUNNING vcluster like one the server creates: full spec, three labels."""
    spec = VClusterSpec(kubernetes_version="1.31", replicas=2)
    spec.resources.cpu, spec.resources.memory, spec.resources.storage = "2", "4Gi", "20Gi"
    labels = {"app": "bench", "team": f"team-{index % 7}", "tier": "gold"}
    vcluster = new_vcluster(f"ns-{index % NAMESPACES:03d}", f"vc-{index:06d}", spec, labels)
    set_phase(vcluster, VCluster.Phase.PHASE_RUNNING)
    return vcluster


def seed(store: Store, count: int) -> int:
    """Stores ``count`` vclusters in one transaction; returns their serialized bytes."""
    total = 0
    with store.transaction():
        for index in range(count):
            vcluster = stored_vcluster(index)
            total += vcluster.ByteSize()
            store.put_vcluster(vcluster)
    return total


def page(engine: Engine, token: str) -> Encoded[api.ListVClustersResponse]:
    """One page of every namespace's vclusters matching the selector, as the server
    answers it (in wire form)."""
    request = api.ListVClustersRequest(
        page_size=PAGE_SIZE, page_token=token, label_selector=SELECTOR
    )
    return engine.reads.list_vclusters(ANONYMOUS, request)


def deep_token(engine: Engine, size: int) -> tuple[str, int]:
    """The token of the page in the middle of the listing, and that page's index."""
    hops = max(1, size // (2 * PAGE_SIZE))
    token = ""
    for _ in range(hops):
        token = page(engine, token).message().next_page_token
    return token, hops


def median_seconds(engine: Engine, token: str, count: int) -> float:
    """The median time of ``count`` identical page requests."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        page(engine, token)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def reply(message: dict[str, Any]) -> None:
    """One JSON line to the parent."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("memory", "sqlite"), required=True)
    parser.add_argument("--size", type=int, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ovc-bench-scale-") as data_dir:
        before = settled_rss_bytes()
        store = open_store(args.store, Path(data_dir))
        started = time.perf_counter()
        message_bytes = seed(store, args.size)
        seed_seconds = time.perf_counter() - started
        after = settled_rss_bytes()
        disk = sum(f.stat().st_size for f in Path(data_dir).iterdir() if f.is_file())
        engine = Engine(store, ServerConfig())
        tokens = {"first": ""}
        tokens["deep"], deep_index = deep_token(engine, args.size)
        for token in tokens.values():
            median_seconds(engine, token, WARMUP_PAGES)
        reply(
            {
                "store": args.store,
                "size": args.size,
                "rss_bytes_before": before,
                "rss_bytes_after": after,
                "disk_bytes": disk,
                "message_bytes": message_bytes,
                "seed_seconds": seed_seconds,
                "deep_page_index": deep_index,
            }
        )
        for line in sys.stdin:
            command = json.loads(line)
            if command.get("quit"):
                break
            seconds = median_seconds(engine, tokens[command["page"]], int(command["count"]))
            reply({"median_s": seconds})
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
