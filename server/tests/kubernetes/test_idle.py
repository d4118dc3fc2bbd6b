"""Nothing polls: idle vclusters cost the API server no requests beyond the open watches."""

from __future__ import annotations

import time
import uuid

import openvcluster
from k8s_testenv.fixtures import KubeEnv
from openvcluster_server.kube.api import USER_AGENT
from openvcluster_server.kube.conventions import host_namespace
from openvcluster_server.testing import RunningServer

IDLE_SECONDS = 60


def test_ten_idle_vclusters_cost_no_requests_for_a_minute(
    kube: KubeEnv, server: RunningServer
) -> None:
    namespace = f"idle-{uuid.uuid4().hex[:8]}"
    names = [f"vc{i}" for i in range(10)]
    with openvcluster.Client(server.address, wait_timeout=60) as client:
        for name in names:
            client.create_vcluster(namespace, name)
        for name in names:
            client.wait_for_phase(namespace, name, openvcluster.Phase.PHASE_RUNNING)
    # The leader writes each create's operation to its end a moment after the
    # vcluster's RUNNING, which is the last write of the transition, not idling.
    kube.kubectl(
        "wait",
        "--for=jsonpath={.spec.state}=STATE_SUCCEEDED",
        "operations.openvcluster.io",
        "--all",
        "-n",
        namespace,
        "--timeout=60s",
    )
    theirs = {namespace, *(host_namespace(namespace, name) for name in names)}
    mark = kube.audit.mark()
    # Absence can only be observed over time: this is the one test that waits.
    time.sleep(IDLE_SECONDS)
    requests = [
        (e.verb, e.resource, e.namespace, e.name)
        for e in kube.audit.events(since=mark)
        if e.user_agent.startswith(USER_AGENT) and not e.is_watch and e.namespace in theirs
    ]
    assert requests == []
