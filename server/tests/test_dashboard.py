"""The Grafana dashboard in deploy/ queries only metrics the server registers.

The names come from the server's metric registry, not from a scrape, so the
Kubernetes backend's metrics count on the simulated backend too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from openvcluster_server.metrics import ServerMetrics
from openvcluster_server.store.memory import MemoryStore
from openvcluster_server.watch import WatchHub, WatchLimits

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "openvcluster-server.json"
METRIC = re.compile(r"\bopenvcluster_[a-z_]+")
# What a family's samples may be called, by its type.
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
}


def _families() -> dict[str, str]:
    """The server's metric families: name -> type."""
    metrics = ServerMetrics(WatchHub(WatchLimits()), MemoryStore())
    return {family.name: family.type for family in metrics.registry.collect()}


def test_every_metric_the_dashboard_queries_is_registered_and_every_one_is_shown() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in METRIC.findall(target["expr"])
    }
    families = _families()
    samples = {
        name + suffix for name, kind in families.items() for suffix in SUFFIXES.get(kind, ("",))
    }
    assert queried <= samples, f"not registered: {sorted(queried - samples)}"
    shown = {
        name
        for name, kind in families.items()
        for suffix in SUFFIXES.get(kind, ("",))
        if name + suffix in queried
    }
    assert shown == set(families), f"no panel shows {sorted(set(families) - shown)}"
