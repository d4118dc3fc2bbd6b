"""How much each part measures: the full profile, and --quick for CI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """The sizes, durations and repetitions of one run."""

    name: str
    # 1. throughput: loadgen runs of each server per concurrency, interleaved.
    # Many short rounds rather than a few long ones: a shared machine's load
    # changes within seconds, and the two sides of a round, measured back to
    # back in short windows, see the same machine.
    concurrencies: tuple[int, ...] = (1, 16, 64)
    throughput_rounds: int = 15
    throughput_seconds: float = 1.0
    throughput_warmup: float = 0.5
    # ... and of ListVClusters and ScaleVCluster, reported without a target.
    method_rounds: int = 3
    # 2. SDK overhead: rounds of `sdk_calls` sequential calls per mode.
    sdk_calls: int = 200
    sdk_rounds: int = 21
    sdk_warmup_calls: int = 300
    # 3. scale: stored vclusters; rounds of `scale_pages` timed pages per size.
    scale_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    scale_rounds: int = 7
    scale_pages: int = 40
    # 4. watch fan-out.
    watchers: int = 100
    mutations: int = 1_000
    # 5. tooling: runs of scripts/generate; conformance cases (regex, "" = all).
    generate_runs: int = 3
    conformance_run: str = ""
    # 6. HTTP port: loadgen runs per protocol and server, interleaved (fewer and
    # shorter than part 1's, as each round has four sides).
    http_concurrencies: tuple[int, ...] = (1, 16, 64)
    http_rounds: int = 3
    http_seconds: float = 1.5
    http_warmup: float = 0.5
    # 7. costs: loadgen runs per rung, interleaved, after a warm-up run each.
    ladder_rounds: int = 3
    ladder_seconds: float = 3.0
    ladder_warmup: float = 0.5
    # ... and calls per round of the in-process measure (bench/call_path.py).
    call_path_calls: int = 20_000
    # 8. kube (never in --quick by default): vclusters stored for the Get/List
    # comparison, interleaved rounds of sequential calls per call and server;
    # repetitions of each operation whose requests are counted; idle RUNNING
    # vclusters and the window their requests are counted over; creates timed.
    kube_list_size: int = 1_000
    kube_read_rounds: int = 7
    kube_read_calls: int = 200
    kube_read_warmup: int = 200
    kube_operation_repeats: int = 3
    kube_idle_vclusters: int = 100
    kube_idle_seconds: float = 60.0
    kube_create_samples: int = 10


FULL = Profile("full")
QUICK = Profile(
    "quick",
    throughput_rounds=1,
    throughput_seconds=1.0,
    throughput_warmup=0.5,
    method_rounds=1,
    sdk_calls=100,
    sdk_rounds=5,
    sdk_warmup_calls=100,
    scale_sizes=(1_000, 10_000),
    scale_rounds=3,
    scale_pages=10,
    watchers=20,
    mutations=200,
    generate_runs=1,
    conformance_run="^lifecycle/",
    http_concurrencies=(1, 16),
    http_rounds=1,
    http_seconds=1.0,
    http_warmup=0.3,
    ladder_rounds=1,
    ladder_seconds=1.0,
    ladder_warmup=0.3,
    call_path_calls=2_000,
    # Only for an explicit `--quick --only kube`: a smoke run of the part.
    kube_list_size=200,
    kube_read_rounds=3,
    kube_read_calls=50,
    kube_read_warmup=50,
    kube_operation_repeats=1,
    kube_idle_vclusters=10,
    kube_idle_seconds=10.0,
    kube_create_samples=3,
)
