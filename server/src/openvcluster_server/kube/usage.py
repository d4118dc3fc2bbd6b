"""A vcluster's usage on the host: its synced pods, and the metrics API when served.

vcluster's syncer copies each pod of the virtual cluster into the host
namespace with the label ``vcluster.loft.sh/managed-by: <vcluster>``; those
pods are what the vcluster runs. Their count and the sum of their
containers' requests come from the host's pods. What they use comes from
``metrics.k8s.io`` (metrics-server) when the host serves it; otherwise those
figures are unavailable, never zero.
"""

from __future__ import annotations

from decimal import Decimal

from openvcluster.v1 import monitor_service_pb2 as mon
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import Kind, KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import MANAGED_BY
from openvcluster_server.kube.world import World
from openvcluster_server.monitor import Figures, known, unknown
from openvcluster_server.quantity import format_bytes, format_cpu, parse_quantity

POD_METRICS = Kind("metrics.k8s.io", "v1beta1", "pods", "PodMetrics")
PODS_SOURCE = "pods"
METRICS_SOURCE = "metrics.k8s.io"
_TERMINAL = ("Succeeded", "Failed")


class KubeUsage:
    """Measures a vcluster from its synced pods on the host."""

    def __init__(self, api: KubeApi, world: World) -> None:
        self._api = api
        self._world = world

    async def measure(self, vcluster: VCluster) -> Figures:
        """Counts and sums the synced pods, and asks the metrics API what they use."""
        host_namespace, release = self._world.host_of((vcluster.namespace, vcluster.name))
        selector = f"{MANAGED_BY}={release}"
        try:
            pods, _ = await self._api.list_all(kinds.PODS, host_namespace, labels=selector)
        except KubeError as exc:
            reason = f"the host's pods could not be listed: {exc}"
            return Figures(*(unknown(reason) for _ in range(5)))
        live = [pod for pod in pods if pod.get("status", {}).get("phase") not in _TERMINAL]
        cpu_used, memory_used = await self._used(host_namespace, selector)
        return Figures(
            cpu_used=cpu_used,
            memory_used=memory_used,
            cpu_requested_by_pods=known(format_cpu(_requests(live, "cpu")), PODS_SOURCE),
            memory_requested_by_pods=known(format_bytes(_requests(live, "memory")), PODS_SOURCE),
            pod_count=known(str(len(live)), PODS_SOURCE),
        )

    async def _used(self, namespace: str, selector: str) -> tuple[mon.UsageFigure, mon.UsageFigure]:
        """CPU and memory in use from metrics.k8s.io; unavailable when it is not served."""
        try:
            metrics, _ = await self._api.list_all(POD_METRICS, namespace, labels=selector)
        except KubeError as exc:
            reason = (
                "the host cluster serves no metrics.k8s.io API (install metrics-server)"
                if exc.not_found
                else f"the host's metrics API answered: {exc}"
            )
            return unknown(reason), unknown(reason)
        containers = [c for pod in metrics for c in pod.get("containers") or []]
        cpu = sum((_quantity(c, "usage", "cpu") for c in containers), Decimal(0))
        memory = sum((_quantity(c, "usage", "memory") for c in containers), Decimal(0))
        return known(format_cpu(cpu), METRICS_SOURCE), known(format_bytes(memory), METRICS_SOURCE)


def _requests(pods: list[Obj], resource: str) -> Decimal:
    """The sum of the containers' requests of ``resource`` (init containers aside)."""
    containers = [c for pod in pods for c in pod.get("spec", {}).get("containers") or []]
    return sum(
        (_quantity(c.get("resources") or {}, "requests", resource) for c in containers),
        Decimal(0),
    )


def _quantity(holder: Obj, section: str, resource: str) -> Decimal:
    """``holder[section][resource]`` as an exact amount; 0 when absent."""
    text = (holder.get(section) or {}).get(resource)
    return parse_quantity(str(text)) if text else Decimal(0)
