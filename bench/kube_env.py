"""The Kubernetes test environment of part 8: whether it is built, starting it for
the part (always stopped), and the settings of servers on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from k8s_testenv.cluster import Cluster, start, stop
from k8s_testenv.server_settings import server_settings
from k8s_testenv.versions import cache_dir

# What `scripts/k8s-testenv build` leaves in the cache and the part runs.
_BINARIES = ("etcd", "kube-apiserver", "kwok", "vcluster-standin", "helm")
# A hundred vclusters created at once queue up behind the reconciler's Helm
# runs; under the server's default of 300 s the last would end FAILED on a
# busy two-core machine, which measures the machine rather than the backend.
PHASE_TIMEOUT = 1800.0


def missing_build() -> str:
    """Why the environment cannot start, or "" when it is built."""
    binaries = cache_dir() / "bin"
    missing = [b for b in _BINARIES if not (binaries / b).exists()]
    if not missing:
        return ""
    return (
        f"the Kubernetes test environment is not built ({', '.join(missing)} missing in "
        f"{binaries}); run `scripts/k8s-testenv build`"
    )


@contextmanager
def environment(workdir: Path) -> Iterator[Cluster]:
    """A test environment in ``workdir/k8s`` for the block, always stopped.

    ``start`` stops what it had started when a component fails to come up;
    ``tied`` has the kernel end every component should this process die
    before the ``finally`` runs. Each component is a process group of its
    own, and ``stop`` ends the groups.
    """
    state = workdir / "k8s"
    cluster = start(state, tied=True)
    try:
        yield cluster
    finally:
        stop(state)


def reconciling_settings(cluster: Cluster) -> dict[str, Any]:
    """A reconciling server as deployed: replicas that elect the one reconciling
    (``--leader-elect``), so that its Lease renewals are part of what the idle
    measurement sees; and a phase timeout for a queue of creates."""
    return server_settings(cluster, phase_timeout=PHASE_TIMEOUT, leader_elect=True)
