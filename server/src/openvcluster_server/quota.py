"""Per-namespace quotas: vcluster and snapshot counts, total CPU and memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from openvcluster.v1.monitor_service_pb2 import NamespaceQuota
from openvcluster.v1.vcluster_pb2 import VClusterSpec
from openvcluster_server.config import Quota
from openvcluster_server.errors import quota_exceeded
from openvcluster_server.quantity import format_bytes, format_cpu, parse_quantity

ANY_NAMESPACE = "*"


def quota_message(quota: Quota) -> NamespaceQuota:
    """A namespace's limits as the API shows them: 0 or empty where unlimited."""
    return NamespaceQuota(
        max_vclusters=quota.max_vclusters or 0,
        cpu=quota.cpu or "",
        memory=quota.memory or "",
        max_snapshots=quota.max_snapshots or 0,
    )


class Quotas:
    """Checks a planned change against the limits of its namespace."""

    def __init__(self, limits: Mapping[str, Quota]) -> None:
        self._limits = dict(limits)

    def namespaces(self) -> list[str]:
        """The namespaces with limits of their own (not the "*" entry), in order."""
        return sorted(ns for ns in self._limits if ns != ANY_NAMESPACE)

    def of(self, namespace: str) -> Quota | None:
        """The limits of a namespace, falling back to the "*" entry."""
        return self._limits.get(namespace, self._limits.get(ANY_NAMESPACE))

    def check_vclusters(
        self,
        namespace: str,
        current: Iterable[VClusterSpec],
        removed: VClusterSpec | None,
        added: VClusterSpec | None,
    ) -> None:
        """RESOURCE_EXHAUSTED when replacing ``removed`` by ``added`` breaks a limit.

        ``current`` is every spec the namespace holds now, ``removed`` the one
        being replaced (a scale or restore) and ``added`` the new one.
        Only limits the change makes worse are enforced, so a namespace that
        is over a lowered limit can still shrink.
        """
        quota = self.of(namespace)
        if quota is None:
            return
        specs = list(current)
        violations: list[tuple[str, str]] = []
        adds_one = added is not None and removed is None
        if adds_one and quota.max_vclusters is not None and len(specs) >= quota.max_vclusters:
            violations.append(("vclusters", f"at most {quota.max_vclusters} vclusters are allowed"))
        for field, limit, fmt in (
            ("cpu", quota.cpu, format_cpu),
            ("memory", quota.memory, format_bytes),
        ):
            if limit is None:
                continue
            before = sum((_amount(s, field) for s in specs), Decimal(0))
            after = before - _amount(removed, field) + _amount(added, field)
            if after > parse_quantity(limit) and after > before:
                violations.append(
                    (field, f"{field} would total {fmt(after)}; the limit is {limit}")
                )
        if violations:
            raise quota_exceeded(namespace, violations)

    def check_snapshots(self, namespace: str, count: int) -> None:
        """RESOURCE_EXHAUSTED when one more snapshot breaks the namespace's limit."""
        quota = self.of(namespace)
        if quota is not None and quota.max_snapshots is not None and count >= quota.max_snapshots:
            raise quota_exceeded(
                namespace, [("snapshots", f"at most {quota.max_snapshots} snapshots are allowed")]
            )


def _amount(spec: VClusterSpec | None, field: str) -> Decimal:
    if spec is None:
        return Decimal(0)
    return parse_quantity(getattr(spec.resources, field))
