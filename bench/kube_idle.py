"""Part 8, idle cost: the backend's requests per minute while many vclusters are RUNNING
and nothing happens to them. Nothing should poll: every change the reconciler
waits for comes as a watch event, so the target is zero, apart from the watches
themselves and leader election's Lease renewals (counted apart)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import openvcluster
from bench.kube_audit import Tally, tally, wait_quiet
from bench.report import PartResult, Ratio, Table, Target, fmt, progress
from k8s_testenv.audit import AuditLog

TARGET = Target(0.0, at_least=False)
NAMESPACE = "idle"
# Quiet for this long after the creates: the reconciler has finished its work.
QUIET = 5.0
QUIET_LIMIT = 120.0


@dataclass(frozen=True)
class Idle:
    """What one idle window saw."""

    running: int
    created: int
    create_seconds: float
    settle_seconds: float
    settled: bool
    window_seconds: float
    requests: Tally

    def per_minute(self, count: int) -> float:
        """``count`` over the window, per minute."""
        return count * 60.0 / self.window_seconds


def measure(
    client: openvcluster.Client,
    audit: AuditLog,
    vclusters: int,
    window: float,
) -> Idle:
    """Brings the RUNNING vclusters up to ``vclusters`` (creating them all at once, then
    waiting for each), waits until the backend is quiet, then counts over ``window``."""
    running = _running(client)
    missing = max(0, vclusters - running)
    started = time.perf_counter()
    names = [f"vc-{index:03d}" for index in range(missing)]
    for name in names:
        client.create_vcluster(NAMESPACE, name)
    for name in names:
        client.wait_for_phase(NAMESPACE, name, openvcluster.Phase.PHASE_RUNNING)
    create_seconds = time.perf_counter() - started
    progress(f"  [kube] idle: {missing} vclusters created and RUNNING in {create_seconds:.0f} s")
    settle_seconds, settled = wait_quiet(audit, QUIET, QUIET_LIMIT)
    mark = audit.mark()
    begun = time.monotonic()
    time.sleep(window)
    requests = tally(audit.events(since=mark))
    measured = time.monotonic() - begun
    progress(f"  [kube] idle: {requests.total} request(s) in {measured:.0f} s")
    return Idle(
        running=_running(client),
        created=missing,
        create_seconds=create_seconds,
        settle_seconds=settle_seconds,
        settled=settled,
        window_seconds=measured,
        requests=requests,
    )


def _running(client: openvcluster.Client) -> int:
    """RUNNING vclusters in every namespace."""
    listing = client.list_vclusters(phase=openvcluster.Phase.PHASE_RUNNING, page_size=500)
    return sum(1 for _ in listing)


def report(part: PartResult, idle: Idle) -> None:
    """The idle table, its ratio row and what was sent while idle, if anything."""
    requests = idle.requests
    rate = idle.per_minute(requests.total)
    table = Table(
        "Requests per minute with idle RUNNING vclusters (server with reconciler, stand-in chart)",
        [
            "RUNNING vclusters",
            "window s",
            "requests / min (not watches or Leases)",
            "watch requests / min",
            "Lease requests / min",
            "creating them s",
        ],
    )
    table.rows.append(
        [
            str(idle.running),
            fmt(idle.window_seconds, 0),
            fmt(rate),
            fmt(idle.per_minute(requests.watches)),
            fmt(idle.per_minute(requests.lease_total)),
            fmt(idle.create_seconds, 0),
        ]
    )
    part.tables.append(table)
    sent = Table(
        "What the backend sent in the idle window, watches apart", ["sender", "request", "count"]
    )
    for who, counter in (
        ("server", requests.server),
        ("helm", requests.helm),
        ("server (leader election)", requests.leases),
    ):
        sent.rows += [[who, k, str(n)] for k, n in sorted(counter.items())]
    if sent.rows:
        part.tables.append(sent)
    part.ratios.append(
        Ratio(
            f"kube requests per minute with {idle.running} idle vclusters",
            rate,
            TARGET,
            "apart from watches and Lease renewals",
        )
    )
    part.data["idle"] = {
        "running": idle.running,
        "created": idle.created,
        "create_seconds": idle.create_seconds,
        "settle_seconds": idle.settle_seconds,
        "settled": idle.settled,
        "window_seconds": idle.window_seconds,
        "requests_per_minute": rate,
        **requests.as_json(),
    }
    quiet = (
        f"after the backend had been quiet for {QUIET:g} s ({idle.settle_seconds:.0f} s after "
        "the last was RUNNING)"
        if idle.settled
        else f"the backend was never quiet for {QUIET:g} s within {QUIET_LIMIT:g} s"
    )
    part.notes.append(
        f"Idle: RUNNING vclusters brought up to {idle.running} ({idle.created} created at once "
        "through the reconciler with the stand-in chart, the others left by the steps before) "
        "and waited for until RUNNING, then the audit log counted over "
        f"{idle.window_seconds:.0f} s, {quiet}. Watch requests are the reflectors' re-watches "
        "(the API server ends each watch after a while)."
    )
