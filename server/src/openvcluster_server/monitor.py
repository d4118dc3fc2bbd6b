"""MonitorService: one vcluster's usage and the fleet summary.

Both backends answer from the store their reads use; only the figures of a
vcluster's usage come from a backend-specific ``UsageSource``. A figure a
source cannot know is unavailable, never zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from google.protobuf.timestamp_pb2 import Timestamp

from openvcluster.v1 import monitor_service_pb2 as mon
from openvcluster.v1.vcluster_pb2 import Condition, VCluster
from openvcluster_server import checks
from openvcluster_server.auth import Principal
from openvcluster_server.clock import CLOCK
from openvcluster_server.paging import scan_visible
from openvcluster_server.quantity import format_bytes, format_cpu, parse_quantity
from openvcluster_server.quota import Quotas, quota_message
from openvcluster_server.reads import VClusterReads
from openvcluster_server.store import Store

Phase = VCluster.Phase
OLDEST_SUSPENDED = 10
FAILED_LISTED = 100


@dataclass(frozen=True)
class Figures:
    """The measured figures of one vcluster's usage."""

    cpu_used: mon.UsageFigure
    memory_used: mon.UsageFigure
    cpu_requested_by_pods: mon.UsageFigure
    memory_requested_by_pods: mon.UsageFigure
    pod_count: mon.UsageFigure


class UsageSource(Protocol):
    """Where a backend's usage figures come from."""

    async def measure(self, vcluster: VCluster) -> Figures:
        """The figures of ``vcluster``, observed now."""
        ...


def known(value: str, source: str) -> mon.UsageFigure:
    """A figure the source has."""
    return mon.UsageFigure(available=True, value=value, source=source)


def unknown(reason: str) -> mon.UsageFigure:
    """A figure the source has not: empty, never zero."""
    return mon.UsageFigure(available=False, reason=reason)


class SimulatedUsage:
    """The simulated backend's figures: what it simulates in status.current_usage."""

    SOURCE = "simulated"
    NO_PODS = "the simulated backend runs no pods, so they request nothing it could sum"

    async def measure(self, vcluster: VCluster) -> Figures:
        """The simulated usage; zero, and known to be, while the vcluster is not RUNNING."""
        usage = vcluster.status.current_usage
        return Figures(
            cpu_used=known(usage.cpu or "0", self.SOURCE),
            memory_used=known(usage.memory or "0", self.SOURCE),
            cpu_requested_by_pods=unknown(self.NO_PODS),
            memory_requested_by_pods=unknown(self.NO_PODS),
            pod_count=known(str(usage.pod_count), self.SOURCE),
        )


class Monitor:
    """GetVClusterUsage and GetFleetSummary over a backend's reads and store."""

    def __init__(
        self,
        reads: VClusterReads,
        view: Store,
        quotas: Quotas,
        usage: UsageSource,
        clock: Callable[[], float] = CLOCK.time,
    ) -> None:
        self._reads = reads
        self._view = view
        self._quotas = quotas
        self._usage = usage
        self._clock = clock

    async def get_vcluster_usage(
        self, principal: Principal, request: mon.GetVClusterUsageRequest
    ) -> mon.GetVClusterUsageResponse:
        """GetVClusterUsage: the spec's requests and the source's figures."""
        checks.fields(request)
        vcluster = self._reads.existing(principal, request.namespace, request.name, etag="")
        figures = await self._usage.measure(vcluster)
        usage = mon.VClusterUsage(
            namespace=vcluster.namespace,
            name=vcluster.name,
            observe_time=self._now(),
            phase=vcluster.status.phase,
            requested=vcluster.spec.resources,
            replicas=vcluster.spec.replicas,
            cpu_used=figures.cpu_used,
            memory_used=figures.memory_used,
            cpu_requested_by_pods=figures.cpu_requested_by_pods,
            memory_requested_by_pods=figures.memory_requested_by_pods,
            pod_count=figures.pod_count,
        )
        return mon.GetVClusterUsageResponse(usage=usage)

    def get_fleet_summary(
        self, principal: Principal, request: mon.GetFleetSummaryRequest
    ) -> mon.GetFleetSummaryResponse:
        """GetFleetSummary over every vcluster the caller may see (in the namespace asked)."""
        checks.fields(request)
        self._reads.require_fresh()
        visible = scan_visible(
            principal,
            request.namespace,
            None,
            lambda ns, after: self._view.scan_vclusters(namespace=ns, phase=None, after=after),
        )
        tally = _Tally()
        for vcluster in visible:
            tally.add(vcluster)
        summary = tally.summary(self._quotas, self._quota_namespaces(principal, request.namespace))
        summary.observe_time.CopyFrom(self._now())
        return mon.GetFleetSummaryResponse(summary=summary)

    def _quota_namespaces(self, principal: Principal, namespace: str) -> list[str]:
        """The namespaces with a quota of their own the summary shows even when empty."""
        named = [namespace] if namespace else self._quotas.namespaces()
        return [ns for ns in named if principal.can_see(ns) and self._quotas.of(ns) is not None]

    def _now(self) -> Timestamp:
        stamp = Timestamp()
        stamp.FromNanoseconds(int(self._clock() * 1e9))
        return stamp


@dataclass
class _Namespace:
    count: int = 0
    phases: Counter[int] = field(default_factory=Counter)
    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)


class _Tally:
    """Counts vclusters as they are scanned."""

    def __init__(self) -> None:
        self.namespaces: dict[str, _Namespace] = {}
        self.suspended: list[mon.VClusterMention] = []
        self.failed: list[mon.VClusterMention] = []

    def add(self, vcluster: VCluster) -> None:
        entry = self.namespaces.setdefault(vcluster.namespace, _Namespace())
        entry.count += 1
        entry.phases[vcluster.status.phase] += 1
        entry.cpu += parse_quantity(vcluster.spec.resources.cpu)
        entry.memory += parse_quantity(vcluster.spec.resources.memory)
        if vcluster.status.phase == Phase.PHASE_SUSPENDED:
            self.suspended.append(_mention(vcluster))
        elif vcluster.status.phase == Phase.PHASE_FAILED:
            self.failed.append(_mention(vcluster))

    def summary(self, quotas: Quotas, quota_namespaces: Iterable[str]) -> mon.FleetSummary:
        for namespace in quota_namespaces:
            self.namespaces.setdefault(namespace, _Namespace())
        fleet_phases: Counter[int] = Counter()
        namespaces = []
        for name in sorted(self.namespaces):
            entry = self.namespaces[name]
            fleet_phases.update(entry.phases)
            summary = mon.NamespaceSummary(
                namespace=name,
                vcluster_count=entry.count,
                phases=_phase_counts(entry.phases),
                cpu_requested=format_cpu(entry.cpu),
                memory_requested=format_bytes(entry.memory),
            )
            quota = quotas.of(name)
            if quota is not None:
                summary.quota.CopyFrom(quota_message(quota))
            namespaces.append(summary)
        # Longest suspended first; most recently failed first; names break ties.
        self.suspended.sort(key=lambda m: (_nanos(m), m.namespace, m.name))
        self.failed.sort(key=lambda m: (-_nanos(m), m.namespace, m.name))
        return mon.FleetSummary(
            vcluster_count=sum(entry.count for entry in self.namespaces.values()),
            phases=_phase_counts(fleet_phases),
            namespaces=namespaces,
            oldest_suspended=self.suspended[:OLDEST_SUSPENDED],
            failed=self.failed[:FAILED_LISTED],
            failed_count=len(self.failed),
        )


def _phase_counts(phases: Counter[int]) -> list[mon.PhaseCount]:
    return [
        mon.PhaseCount(phase=phase, count=count)  # type: ignore[arg-type]
        for phase, count in sorted(phases.items())
    ]


def _mention(vcluster: VCluster) -> mon.VClusterMention:
    mention = mon.VClusterMention(
        namespace=vcluster.namespace, name=vcluster.name, message=vcluster.status.message
    )
    for condition in vcluster.status.conditions:
        if condition.type == "Ready" and condition.status != Condition.Status.STATUS_UNSPECIFIED:
            mention.since.CopyFrom(condition.last_transition_time)
    return mention


def _nanos(mention: mon.VClusterMention) -> int:
    return mention.since.ToNanoseconds()
