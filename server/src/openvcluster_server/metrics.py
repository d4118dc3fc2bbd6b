"""Prometheus metrics of the server, served on --metrics-address (never on an
API port: they describe every tenant).

Names and labels follow Prometheus conventions: ``_total`` counters, base
units (seconds), and labels of bounded cardinality: the port, service,
method and code of a call, a phase. Namespaces become a label only when the
operator asks for it (``metrics_namespace_labels``), since their number is
the users' to choose.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, cast, runtime_checkable

from hypercorn.typing import ASGIFramework
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.api_services import SERVICES
from openvcluster_server.store import Store
from openvcluster_server.watch import WatchHub

# Latencies of the simulated backend are well under a millisecond; the
# Kubernetes backend's writes take round trips to the API server.
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Transitions take seconds to minutes; resting phases last up to days.
PHASE_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 86400.0)
# Each method's service, by the method's name (unique across both services).
SERVICE_OF = {method.name: service.full_name for service in SERVICES for method in service.methods}


@runtime_checkable
class KubeStats(Protocol):
    """What the Kubernetes backend tells the metrics."""

    @property
    def queue_depth(self) -> int:
        """Vclusters waiting for the reconciler."""
        ...

    @property
    def api_requests(self) -> Mapping[tuple[str, int], int]:
        """Kubernetes API requests made, by (HTTP method or WATCH, status code)."""
        ...

    def observe_reconciles(self, observe: Callable[[float], None]) -> None:
        """Has ``observe`` told the duration of every reconcile, in seconds."""
        ...

    @property
    def leading(self) -> bool:
        """Whether this replica reconciles now (holds the leader Lease, if elected)."""
        ...

    @property
    def remembered_requests(self) -> int:
        """Request ids whose answers the cluster keeps (not in the view's store)."""
        ...


@runtime_checkable
class StoreStats(Protocol):
    """What a backend with a store of its own (the simulated one) tells the metrics."""

    def observe_store_transactions(self, observe: Callable[[float], None]) -> None:
        """Has ``observe`` told the duration of every store transaction, in seconds."""
        ...


class ServerMetrics:
    """Every instrument of one server, in a registry of its own.

    The Kubernetes backend's metrics are registered on every backend (without
    samples elsewhere), so that dashboards and their checks see one set.
    """

    def __init__(
        self,
        hub: WatchHub,
        view: Store,
        kube: KubeStats | None = None,
        namespace_labels: bool = False,
        store: StoreStats | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.rpcs = Counter(
            "openvcluster_rpcs",
            "RPCs answered, by port (grpc or http), service, method and status code.",
            ["port", "service", "method", "code"],
            registry=self.registry,
        )
        self.rpc_duration = Histogram(
            "openvcluster_rpc_duration_seconds",
            "Time from receiving an RPC to its answer (a stream: to its end).",
            ["port", "service", "method"],
            buckets=RPC_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "openvcluster_rpcs_in_flight",
            "RPCs being answered now (open watches included).",
            ["port", "service", "method"],
            registry=self.registry,
        )
        self.store_transaction_duration = Histogram(
            "openvcluster_store_transaction_duration_seconds",
            "Time one store transaction took, from its start to its commit or rollback "
            "(the simulated backend's store: memory or sqlite).",
            buckets=RPC_BUCKETS,
            registry=self.registry,
        )
        if store is not None:
            store.observe_store_transactions(self.store_transaction_duration.observe)
        self.reconcile_duration = Histogram(
            "openvcluster_kube_reconcile_duration_seconds",
            "Time one step of the Kubernetes backend's reconciler took for a vcluster.",
            buckets=RPC_BUCKETS,
            registry=self.registry,
        )
        if kube is not None:
            kube.observe_reconciles(self.reconcile_duration.observe)
        self.phase_duration = Histogram(
            "openvcluster_phase_duration_seconds",
            "Time a vcluster spent in a phase, observed when it leaves it (the transitions' "
            "durations are those of the intermediate phases).",
            ["phase"],
            buckets=PHASE_BUCKETS,
            registry=self.registry,
        )
        hub.observers.append(PhaseClock(self.phase_duration).observe)
        self.registry.register(_Watches(hub))
        remembered = (
            (lambda: view.count_requests(None))
            if kube is None
            else (lambda: kube.remembered_requests)
        )
        self.registry.register(_Inventory(view, namespace_labels, remembered))
        self.registry.register(_Kube(kube))

    def meter(self, port: str) -> RpcMeter:
        """The instruments of one port's calls."""
        return RpcMeter(self, port)


class RpcMeter:
    """Counts one port's calls. The labelled children are looked up once per
    method and code and kept, since this runs for every call."""

    def __init__(self, metrics: ServerMetrics, port: str) -> None:
        self._metrics = metrics
        self._port = port
        self._in_flight: dict[str, Gauge] = {}
        self._durations: dict[str, Histogram] = {}
        self._answered: dict[tuple[str, str], Counter] = {}

    def started(self, method: str) -> None:
        """A call of ``method`` arrived."""
        gauge = self._in_flight.get(method)
        if gauge is None:
            gauge = self._metrics.in_flight.labels(self._port, _service(method), method)
            self._in_flight[method] = gauge
        gauge.inc()

    def finished(self, method: str, code: str, seconds: float) -> None:
        """The call of ``method`` started last was answered with ``code`` after ``seconds``."""
        self._in_flight[method].dec()
        counter = self._answered.get((method, code))
        if counter is None:
            counter = self._metrics.rpcs.labels(self._port, _service(method), method, code)
            self._answered[(method, code)] = counter
        counter.inc()
        histogram = self._durations.get(method)
        if histogram is None:
            histogram = self._metrics.rpc_duration.labels(self._port, _service(method), method)
            self._durations[method] = histogram
        histogram.observe(seconds)


class PhaseClock:
    """Times each vcluster's phases from the changes the watch hub publishes.

    A phase is timed from the change that entered it, so one already under
    way when the server started is not observed: its start is unknown.
    """

    def __init__(self, histogram: Histogram, clock: Callable[[], float] = time.monotonic) -> None:
        self._histogram = histogram
        self._clock = clock
        # (namespace, name) -> (the phase, when this server saw it begin).
        self._since: dict[tuple[str, str], tuple[VCluster.Phase.ValueType, float]] = {}

    def observe(self, before: VCluster | None, after: VCluster | None) -> None:
        """Takes one published change."""
        now = self._clock()
        current = after or before
        if current is None:
            return
        key = (current.namespace, current.name)
        entered = self._since.get(key)
        if after is not None and entered is not None and entered[0] == after.status.phase:
            return
        if entered is not None:
            phase = VCluster.Phase.Name(entered[0]).removeprefix("PHASE_")
            self._histogram.labels(phase).observe(now - entered[1])
        if after is None:
            self._since.pop(key, None)
        elif before is None or before.status.phase != after.status.phase:
            self._since[key] = (after.status.phase, now)
        else:
            self._since.pop(key, None)


def _service(method: str) -> str:
    return SERVICE_OF.get(method, "unknown")


class _Watches(Collector):
    """The watch hub's open and dropped watches, read when scraped."""

    def __init__(self, hub: WatchHub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "openvcluster_watches_open", "Watches open now.", value=self._hub.open_watches
        )
        yield CounterMetricFamily(
            "openvcluster_watches_dropped",
            "Watches ended because their client fell too far behind.",
            value=self._hub.dropped,
        )


class _Kube(Collector):
    """The Kubernetes backend's queue and API requests, read when scraped."""

    def __init__(self, kube: KubeStats | None) -> None:
        self._kube = kube

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "openvcluster_kube_reconcile_queue_depth", "Vclusters waiting for the reconciler."
        )
        requests = CounterMetricFamily(
            "openvcluster_kube_api_requests",
            "Requests to the Kubernetes API, by HTTP method (WATCH for watches) and status "
            "code (0: no answer).",
            labels=["method", "code"],
        )
        leader = GaugeMetricFamily(
            "openvcluster_kube_leader",
            "1 while this replica reconciles (holds the leader Lease with --leader-elect).",
        )
        if self._kube is not None:
            leader.add_metric([], int(self._kube.leading))
            depth.add_metric([], self._kube.queue_depth)
            for (method, code), count in sorted(self._kube.api_requests.items()):
                requests.add_metric([method, str(code)], count)
        yield leader
        yield depth
        yield requests


class _Inventory(Collector):
    """What the server holds, counted when scraped (a scan of the store the
    reads come from): vclusters by phase (and namespace, if asked),
    snapshots by phase, remembered request ids (counted by ``remembered``)."""

    def __init__(self, view: Store, namespace_labels: bool, remembered: Callable[[], int]) -> None:
        self._view = view
        self._namespace_labels = namespace_labels
        self._remembered = remembered

    def collect(self) -> Iterator[Metric]:
        store = self._view
        labels = ["phase", "namespace"] if self._namespace_labels else ["phase"]
        vclusters = GaugeMetricFamily(
            "openvcluster_vclusters", "VClusters by phase.", labels=labels
        )
        snapshots = GaugeMetricFamily(
            "openvcluster_snapshots", "Snapshots by phase.", labels=["phase"]
        )
        by_phase: Tally[tuple[str, ...]] = Tally()
        for vcluster in store.scan_vclusters(namespace=None, phase=None, after=None):
            phase = VCluster.Phase.Name(vcluster.status.phase).removeprefix("PHASE_")
            key = (phase, vcluster.namespace) if self._namespace_labels else (phase,)
            by_phase[key] += 1
        for values, count in sorted(by_phase.items()):
            vclusters.add_metric(list(values), count)
        snapshot_phases = Tally(
            Snapshot.Phase.Name(snapshot.phase).removeprefix("PHASE_")
            for snapshot in store.scan_snapshots(namespace=None, vcluster=None, after=None)
        )
        for phase, count in sorted(snapshot_phases.items()):
            snapshots.add_metric([phase], count)
        yield vclusters
        yield snapshots
        yield GaugeMetricFamily(
            "openvcluster_request_ids_remembered",
            "request_ids whose first answer the server keeps, for retries.",
            value=self._remembered(),
        )


def metrics_application(metrics: ServerMetrics) -> ASGIFramework:
    """The ASGI application of the metrics port: /metrics in the text format."""
    app = make_asgi_app(metrics.registry)

    async def serve(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] != "/metrics":
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not found\n"})
            return
        await app(scope, receive, send)

    return cast(ASGIFramework, serve)
