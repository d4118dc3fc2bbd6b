"""The host objects look as vcluster makes them, and the vcluster CLI's own changes are followed.

Read from the host cluster directly, with the names, labels and annotations
of loft-sh/vcluster (its chart, ``vcluster pause`` and ``vcluster resume``).
"""

from __future__ import annotations

import base64

import grpc
import yaml
from lightkube import ApiError
from lightkube.models.core_v1 import Container, PodSpec, ResourceRequirements
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import StatefulSet
from lightkube.resources.core_v1 import Namespace, PersistentVolumeClaim, Pod, Secret, Service

import openvcluster
from k8s_testenv.fixtures import KubeEnv, wait_gone
from k8s_testenv.server_settings import STANDIN_CHART
from openvcluster import Phase
from openvcluster.v1 import monitor_service_pb2 as mon
from openvcluster.v1 import monitor_service_pb2_grpc as mon_grpc
from openvcluster_server.kube.conventions import host_namespace
from openvcluster_server.testing import RunningServer


def synced_pod(
    kube: KubeEnv, namespace: str, vcluster: str, requests: dict[str, str] | None = None
) -> str:
    """A pod as the vcluster's syncer would put a workload on the host."""
    container = Container(
        name="web", image="nginx", resources=ResourceRequirements(requests=requests)
    )
    pod = kube.client.create(
        Pod(
            metadata=ObjectMeta(
                generateName="web-x-",
                labels={"vcluster.loft.sh/managed-by": vcluster},
            ),
            spec=PodSpec(containers=[container]),
        ),
        namespace=namespace,
    )
    assert pod.metadata is not None and pod.metadata.name
    return pod.metadata.name


def gone(kube: KubeEnv, kind: type, name: str, namespace: str | None = None) -> bool:
    try:
        kube.client.get(kind, name, namespace=namespace)
    except ApiError as exc:
        return exc.status.code == 404
    return False


def test_create_makes_what_vcluster_create_makes(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    vcluster = client.create_vcluster(api_namespace, "dev", cpu="2", memory="3Gi", wait=True)
    host = host_namespace(api_namespace, "dev")
    namespace = kube.client.get(Namespace, host)
    assert namespace.metadata and namespace.metadata.annotations
    assert namespace.metadata.annotations["vcluster.loft.sh/created"] == "true"
    workload = kube.client.get(StatefulSet, "dev", namespace=host)
    assert workload.metadata and workload.metadata.labels
    assert {"app": "vcluster", "release": "dev"}.items() <= workload.metadata.labels.items()
    requests = workload.spec.template.spec.containers[0].resources.requests  # type: ignore[union-attr]
    assert requests == {"cpu": "2", "memory": "3Gi", "ephemeral-storage": "10Gi"}
    for service in ("dev", "dev-headless"):
        kube.client.get(Service, service, namespace=host)
    kube.client.get(Secret, "vc-config-dev", namespace=host)
    kube.client.get(Secret, "sh.helm.release.v1.dev.v1", namespace=host)
    kube.client.get(Secret, "vc-dev", namespace=host)
    kube.client.get(PersistentVolumeClaim, "data-dev-0", namespace=host)
    assert vcluster.status.api_server_endpoint == f"https://dev.{host}.svc:443"
    kubeconfig = yaml.safe_load(client.get_kubeconfig(api_namespace, "dev"))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://dev.{host}.svc:443"


def test_suspend_pauses_as_vcluster_pause_does(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", wait=True)
    host = host_namespace(api_namespace, "dev")
    workload_pod = synced_pod(kube, host, "dev")
    client.suspend_vcluster(api_namespace, "dev", wait=True)
    workload = kube.client.get(StatefulSet, "dev", namespace=host)
    assert workload.metadata and workload.metadata.annotations and workload.spec
    annotations = workload.metadata.annotations
    assert annotations["loft.sh/paused"] == "true"
    assert annotations["loft.sh/paused-replicas"] == "1"
    assert annotations["loft.sh/paused-date"].endswith("Z")
    assert workload.spec.replicas == 0
    # Deleted as vcluster pause deletes them: gracefully, so gone a moment later.
    wait_gone(kube, Pod, workload_pod, host)

    client.resume_vcluster(api_namespace, "dev", wait=True)
    resumed = kube.client.get(StatefulSet, "dev", namespace=host)
    assert resumed.metadata and resumed.spec and resumed.spec.replicas == 1
    assert "loft.sh/paused" not in (resumed.metadata.annotations or {})


def test_a_pause_by_the_vcluster_cli_reads_suspended_and_resumes(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", wait=True)
    host = host_namespace(api_namespace, "dev")
    pause = {
        "metadata": {
            "annotations": {
                "loft.sh/paused": "true",
                "loft.sh/paused-replicas": "1",
                "loft.sh/paused-date": "2026-12-05T10:00:00.000Z",
            }
        },
        "spec": {"replicas": 0},
    }
    kube.client.patch(StatefulSet, "dev", pause, namespace=host)
    assert client.wait_for_phase(api_namespace, "dev", Phase.PHASE_SUSPENDED).status.phase == (
        Phase.PHASE_SUSPENDED
    )
    client.resume_vcluster(api_namespace, "dev", wait=True)

    # ... and one suspended here resumes with the vcluster CLI's resume.
    client.suspend_vcluster(api_namespace, "dev", wait=True)
    resume = {
        "metadata": {
            "annotations": {
                "loft.sh/paused": None,
                "loft.sh/paused-replicas": None,
                "loft.sh/paused-date": None,
            }
        },
        "spec": {"replicas": 1},
    }
    kube.client.patch(StatefulSet, "dev", resume, namespace=host)
    assert client.wait_for_phase(api_namespace, "dev", Phase.PHASE_RUNNING).status.phase == (
        Phase.PHASE_RUNNING
    )


def test_a_release_installed_like_vcluster_create_is_adopted(
    kube: KubeEnv, client: openvcluster.Client, namespace: str
) -> None:
    kube.helm(
        "install",
        "legacy",
        str(STANDIN_CHART),
        "-n",
        namespace,
        "--wait",
        "--timeout",
        "60s",
        "--set",
        "controlPlane.statefulSet.resources.requests.cpu=3",
    )
    found = client.wait_for_phase(namespace, "legacy", Phase.PHASE_RUNNING)
    workload = kube.client.get(StatefulSet, "legacy", namespace=namespace)
    assert workload.metadata is not None
    assert found.uid == workload.metadata.uid
    assert found.spec.resources.cpu == "3"
    assert [vc.name for vc in client.list_vclusters(namespace)] == ["legacy"]

    suspended = client.suspend_vcluster(namespace, "legacy", wait=True)
    assert suspended.uid == found.uid  # recorded with a VCluster resource, same identity
    client.resume_vcluster(namespace, "legacy", wait=True)
    client.delete_vcluster(namespace, "legacy", wait=True)
    assert gone(kube, StatefulSet, "legacy", namespace)
    assert not gone(kube, Namespace, namespace)  # it did not make the namespace


def test_delete_removes_the_release_the_volumes_and_the_namespace(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", wait=True)
    client.create_vcluster(api_namespace, "kept", wait=True)
    host, kept_host = host_namespace(api_namespace, "dev"), host_namespace(api_namespace, "kept")
    client.delete_vcluster(api_namespace, "dev", wait=True)
    assert gone(kube, Namespace, host)
    client.delete_vcluster(api_namespace, "kept", keep_data=True, wait=True)
    assert gone(kube, Secret, "sh.helm.release.v1.kept.v1", kept_host)
    claim = kube.client.get(PersistentVolumeClaim, "data-kept-0", namespace=kept_host)
    assert claim.status and claim.status.phase == "Bound"


def test_a_load_balancer_vcluster_is_reached_at_its_address(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    vcluster = client.create_vcluster(
        api_namespace,
        "lb",
        expose_type=openvcluster.ExposeType.EXPOSE_TYPE_LOAD_BALANCER,
        wait=True,
    )
    host = host_namespace(api_namespace, "lb")
    service = kube.client.get(Service, "lb", namespace=host)
    assert service.spec and service.spec.type == "LoadBalancer"
    address = service.status.loadBalancer.ingress[0].ip  # type: ignore[union-attr,index]
    assert vcluster.status.api_server_endpoint == f"https://{address}:443"
    secret = kube.client.get(Secret, "vc-lb", namespace=host)
    written = yaml.safe_load(base64.b64decode((secret.data or {})["config"]))
    assert written["clusters"][0]["cluster"]["server"] == "https://localhost:8443"
    served = yaml.safe_load(client.get_kubeconfig(api_namespace, "lb"))
    assert served["clusters"][0]["cluster"]["server"] == f"https://{address}:443"


def test_usage_counts_the_synced_pods(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", wait=True)
    host = host_namespace(api_namespace, "dev")
    for _ in range(2):
        synced_pod(kube, host, "dev")
    watch = client.watch_vclusters(api_namespace, name="dev")
    try:
        counts = (event.vcluster.status.current_usage.pod_count for event in watch)
        assert next(count for count in counts if count == 2) == 2
    finally:
        watch.cancel()
    assert client.get_vcluster(api_namespace, "dev").status.current_usage.pod_count == 2


def test_usage_sums_the_synced_pods_requests_and_says_what_it_cannot_know(
    kube: KubeEnv, server: RunningServer, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", cpu="2", wait=True)
    host = host_namespace(api_namespace, "dev")
    for cpu in ("250m", "500m"):
        synced_pod(kube, host, "dev", {"cpu": cpu, "memory": "64Mi"})
    with grpc.insecure_channel(server.address) as channel:
        monitor = mon_grpc.MonitorServiceStub(channel)
        request = mon.GetVClusterUsageRequest(namespace=api_namespace, name="dev")
        usage = monitor.GetVClusterUsage(request).usage
        summary = monitor.GetFleetSummary(
            mon.GetFleetSummaryRequest(namespace=api_namespace)
        ).summary
    assert (usage.requested.cpu, usage.phase) == ("2", Phase.PHASE_RUNNING)
    measured = [usage.pod_count, usage.cpu_requested_by_pods, usage.memory_requested_by_pods]
    assert [(f.available, f.value, f.source) for f in measured] == [
        (True, "2", "pods"),
        (True, "750m", "pods"),
        (True, "128Mi", "pods"),
    ]
    # The test cluster runs no metrics-server: what the pods use is unknown, not zero.
    for used in (usage.cpu_used, usage.memory_used):
        assert (used.available, used.value) == (False, "")
        assert "metrics.k8s.io" in used.reason
    assert summary.vcluster_count == 1
    assert [(n.namespace, n.cpu_requested) for n in summary.namespaces] == [(api_namespace, "2")]
