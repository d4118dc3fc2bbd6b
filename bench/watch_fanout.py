"""Part 4: watch fan-out: many WatchVClusters streams while mutations happen.

The Go load generator opens the watchers on a fresh reference server (memory
store, transition delay 0), waits until each has its SYNCED event, then
applies the mutations one at a time round-robin over vclusters (create, then
scale, suspend, resume, ...; each makes two events: its intermediate phase
and the end of the transition). It checks that every watcher got every
event, in order per vcluster, and measures the lag from the send time of the
mutation that caused each event to its arrival.
"""

from __future__ import annotations

from pathlib import Path

from bench.loadgen import LoadGenerator
from bench.profiles import Profile
from bench.report import PartResult, Ratio, Table, Target, fmt
from bench.servers import reference_command, serve

TITLE = "4. Watch fan-out"
TARGET = Target(1.0, at_least=True)
VCLUSTER_MUTATIONS = 10  # mutations per vcluster


def run(profile: Profile, workdir: Path, loadgen: LoadGenerator) -> PartResult:
    """One fan-out run of the profile's watchers and mutations."""
    part = PartResult("watch", TITLE)
    vclusters = max(1, profile.mutations // VCLUSTER_MUTATIONS)
    with serve("reference-watch", reference_command(), workdir) as server:
        flags: dict[str, object] = {
            "address": server.address,
            "namespace": "watch-bench",
            "watchers": profile.watchers,
            "mutations": profile.mutations,
            "vclusters": vclusters,
            "timeout": "10m",
        }
        result = loadgen.run("watch", flags, timeout=900)
    complete = result["complete_watchers"] / result["watchers"]
    part.ratios.append(
        Ratio(
            f"watch: watchers that got every event in order ({profile.watchers} watchers, "
            f"{profile.mutations:,} mutations)",
            complete,
            TARGET,
        )
    )
    part.ratios.append(
        Ratio(
            "watch: events delivered / expected",
            result["delivered_events"] / max(1, result["expected_events"]),
        )
    )
    lag, direct, transition = result["lag"], result["lag_direct"], result["lag_transition"]
    table = Table(
        f"{profile.watchers} watchers, {profile.mutations:,} mutations over {vclusters} vclusters",
        [
            "events delivered",
            "complete watchers",
            "lag p50 ms",
            "lag p99 ms",
            "lag max ms",
            "lag p99 direct / transition-end ms",
            "mutations/s",
        ],
    )
    rate = result["mutations"] / result["mutation_seconds"] if result["mutation_seconds"] else 0
    table.rows.append(
        [
            f"{result['delivered_events']:,} / {result['expected_events']:,}",
            f"{result['complete_watchers']} / {result['watchers']}",
            fmt(lag["p50_ms"]),
            fmt(lag["p99_ms"]),
            fmt(lag["max_ms"]),
            f"{fmt(direct['p99_ms'])} / {fmt(transition['p99_ms'])}",
            fmt(rate, 0),
        ]
    )
    part.tables.append(table)
    part.data = result
    part.notes.append(
        "Lag: arrival at the watcher minus the send time of the mutation that caused the "
        "event; 'direct' events come from the mutation itself, 'transition-end' ones from "
        "the server's timer ending the phase. Mutations are sequential (each waits for its "
        "answer)."
    )
    for key in ("first_mutation_error", "first_stream_error"):
        if result.get(key):
            part.notes.append(f"**{key.replace('_', ' ')}:** {result[key]}")
    return part
