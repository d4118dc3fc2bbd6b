"""How an open-vcluster-api server runs on a test environment: the settings the
suites, the conformance runs and the benchmarks share.

The server is told the environment's kubeconfig and helm, and installs the
stand-in vcluster chart (``charts/vcluster``: the real chart's objects,
names and value paths, for nodes that run nothing).
"""

from __future__ import annotations

from typing import Any

from k8s_testenv.cluster import Cluster
from k8s_testenv.versions import HERE

STANDIN_CHART = HERE / "charts" / "vcluster"


def server_settings(cluster: Cluster, **overrides: Any) -> dict[str, Any]:
    """``openvcluster_server.testing.running_server`` settings of a Kubernetes-backed
    server on ``cluster`` (as its admin, installing the CRDs), with ``overrides``."""
    return {
        "backend": "kubernetes",
        "kubeconfig": cluster.kubeconfig,
        "install_crds": True,
        "vcluster_chart": str(STANDIN_CHART),
        "helm_binary": str(cluster.bin / "helm"),
        **overrides,
    }
