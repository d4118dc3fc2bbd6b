"""The stand-in chart and the stand-in for what runs inside a vcluster."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from lightkube.models.core_v1 import Container, EnvVar, PodSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import StatefulSet
from lightkube.resources.core_v1 import ConfigMap, PersistentVolumeClaim, Pod, Secret, Service

from k8s_testenv.fixtures import KubeEnv, wait_for, wait_gone

CHART = str(Path(__file__).resolve().parents[1] / "charts" / "vcluster")
CONTROL_PLANE_BEHAVIOUR = "standin.openvcluster.io/control-plane"


def install(kube: KubeEnv, namespace: str, *values: str, wait: bool = True) -> None:
    kube.helm(
        "install",
        "dev",
        CHART,
        "-n",
        namespace,
        *values,
        *(("--wait", "--timeout", "60s") if wait else ()),
    )


def request_phase(configmap: ConfigMap) -> str:
    return str(
        json.loads((configmap.data or {})["snapshotRequest"]).get("status", {}).get("phase", "")
    )


def snapshot_request(
    kube: KubeEnv, namespace: str, url: str, annotations: dict[str, str] | None = None
) -> str:
    """Creates the Secret + ConfigMap pair `vcluster snapshot create` makes; returns their name."""
    labels = {
        "vcluster.loft.sh/snapshot-request": "",
        "vcluster.loft.sh/vcluster-name": "dev",
        "vcluster.loft.sh/vcluster-namespace": namespace,
    }
    bucket, key = url.removeprefix("s3://").split("/", 1)
    options = {
        "type": "s3",
        "s3": {"bucket": bucket, "key": key},
        "release": {"releaseName": "dev"},
    }
    secret = kube.client.create(
        Secret(
            metadata=ObjectMeta(generateName="dev-snapshot-request-", labels=labels),
            stringData={"snapshotOptions": json.dumps(options)},
        ),
        namespace=namespace,
    )
    assert secret.metadata is not None and secret.metadata.name
    request = {"metadata": {"name": secret.metadata.name}, "spec": {"url": url}}
    kube.client.create(
        ConfigMap(
            metadata=ObjectMeta(name=secret.metadata.name, labels=labels, annotations=annotations),
            data={"snapshotRequest": json.dumps(request)},
        ),
        namespace=namespace,
    )
    return secret.metadata.name


def restore_pod(
    kube: KubeEnv, namespace: str, url: str, annotations: dict[str, str] | None = None
) -> str:
    """A pod like the one `vcluster restore` runs on the data volume."""
    bucket, key = url.removeprefix("s3://").split("/", 1)
    options = base64.b64encode(
        json.dumps({"type": "s3", "s3": {"bucket": bucket, "key": key}}).encode()
    ).decode()
    pod = kube.client.create(
        Pod(
            metadata=ObjectMeta(
                generateName="vcluster-snapshot-",
                labels={"app": "vcluster-snapshot"},
                annotations=annotations,
            ),
            spec=PodSpec(
                restartPolicy="Never",
                containers=[
                    Container(
                        name="snapshot",
                        image="ghcr.io/loft-sh/vcluster-pro:0.36.1",
                        command=["sh", "-c", "/vcluster restore"],
                        env=[
                            EnvVar(name="VCLUSTER_STORAGE_OPTIONS", value=options),
                            EnvVar(name="POD_NAME", value="dev-0"),
                        ],
                    )
                ],
            ),
        ),
        namespace=namespace,
    )
    assert pod.metadata is not None and pod.metadata.name
    return pod.metadata.name


def finished(pod: Pod) -> bool:
    return pod.status is not None and pod.status.phase in ("Succeeded", "Failed")


def test_chart_installs_what_vcluster_makes_and_the_syncer_writes_the_kubeconfig(
    kube: KubeEnv, namespace: str
) -> None:
    install(
        kube,
        namespace,
        "--set",
        "controlPlane.distro.k8s.version=1.33",
        "--set",
        "exportKubeConfig.server=https://dev.example:443",
    )
    workload = kube.client.get(StatefulSet, "dev", namespace=namespace)
    assert workload.metadata and workload.metadata.labels
    assert {"app": "vcluster", "release": "dev"}.items() <= workload.metadata.labels.items()
    assert workload.spec and workload.spec.template.spec
    template = workload.spec.template.spec
    assert [c.name for c in template.containers] == ["syncer"]
    assert (
        template.initContainers
        and template.initContainers[0].image == "ghcr.io/loft-sh/kubernetes:v1.33"
    )
    for service in ("dev", "dev-headless"):
        kube.client.get(Service, service, namespace=namespace)
    assert kube.client.get(PersistentVolumeClaim, "data-dev-0", namespace=namespace)
    assert "config.yaml" in (
        kube.client.get(Secret, "vc-config-dev", namespace=namespace).data or {}
    )

    secret = wait_for(kube, Secret, "vc-dev", namespace, lambda _: True)
    assert set(secret.data or {}) == {
        "config",
        "certificate-authority",
        "client-certificate",
        "client-key",
        "token",
    }
    assert (
        "server: https://dev.example:443"
        in base64.b64decode((secret.data or {})["config"]).decode()
    )


def test_helm_upgrade_and_uninstall(kube: KubeEnv, namespace: str) -> None:
    install(kube, namespace)
    kube.helm(
        "upgrade",
        "dev",
        CHART,
        "-n",
        namespace,
        "--reuse-values",
        "--set",
        "controlPlane.statefulSet.resources.requests.cpu=2",
        "--wait",
        "--timeout",
        "60s",
    )
    workload = kube.client.get(StatefulSet, "dev", namespace=namespace)
    assert workload.spec.template.spec.containers[0].resources.requests["cpu"] == "2"  # type: ignore[union-attr,index]
    kube.helm("uninstall", "dev", "-n", namespace, "--wait")
    assert list(kube.client.list(StatefulSet, namespace=namespace)) == []
    # The data volume claim stays, as with the real chart.
    assert kube.client.get(PersistentVolumeClaim, "data-dev-0", namespace=namespace)


def test_a_pod_annotation_set_empty_is_gone_from_the_pods(
    kube: KubeEnv, namespace: str, tmp_path: Path
) -> None:
    # How the server forgets a test hook under --reuse-values (which keeps a
    # key set to null); an annotation left behind would still select a stage.
    delay = "standin.openvcluster.io/ready-delay"
    values = tmp_path / "values.json"
    for value in ("1ms", ""):
        values.write_text(
            json.dumps({"controlPlane": {"statefulSet": {"pods": {"annotations": {delay: value}}}}})
        )
        kube.helm(
            "upgrade",
            "--install",
            "dev",
            CHART,
            "-n",
            namespace,
            "--reuse-values",
            "-f",
            str(values),
        )
    workload = kube.client.get(StatefulSet, "dev", namespace=namespace)
    assert workload.spec is not None and workload.spec.template.metadata is not None
    assert delay not in (workload.spec.template.metadata.annotations or {})


def test_a_control_plane_can_be_told_to_hang_or_crash(kube: KubeEnv, namespace: str) -> None:
    install(
        kube,
        namespace,
        "--set-json",
        f'controlPlane.statefulSet.pods.annotations={{"{CONTROL_PLANE_BEHAVIOUR}":"hang"}}',
        wait=False,
    )
    pod = wait_for(
        kube, Pod, "dev-0", namespace, lambda p: bool(p.status and p.status.phase == "Running")
    )
    assert pod.status and pod.status.conditions
    assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "False"
    workload = kube.client.get(StatefulSet, "dev", namespace=namespace)
    assert workload.status and not workload.status.readyReplicas

    kube.helm(
        "upgrade",
        "dev",
        CHART,
        "-n",
        namespace,
        "--set-json",
        f'controlPlane.statefulSet.pods.annotations={{"{CONTROL_PLANE_BEHAVIOUR}":"crash"}}',
    )
    # The changed pod template makes the StatefulSet replace dev-0.

    def crash_looping(p: Pod) -> bool:
        statuses = (p.status and p.status.containerStatuses) or []
        return any(
            s.state and s.state.waiting and s.state.waiting.reason == "CrashLoopBackOff"
            for s in statuses
        )

    crashed = wait_for(kube, Pod, "dev-0", namespace, crash_looping)
    assert crashed.status.containerStatuses[0].restartCount == 5  # type: ignore[union-attr,index]
    assert not _secret_exists(kube, namespace, "vc-dev")


def test_snapshot_requests_complete_or_fail_as_told(kube: KubeEnv, namespace: str) -> None:
    install(kube, namespace)
    url = f"s3://bucket/{namespace}/snap"
    done = snapshot_request(kube, namespace, url)
    completed = wait_for(
        kube, ConfigMap, done, namespace, lambda c: request_phase(c) == "Completed"
    )
    assert request_phase(completed) == "Completed"
    stored = json.loads(
        (kube.cluster.snapshot_dir / "s3" / "bucket" / namespace / "snap").read_text()
    )
    assert stored["release"] == {"releaseName": "dev"} and stored["vcluster"] == "dev"

    failing = snapshot_request(
        kube, namespace, url + "-2", {"standin.openvcluster.io/snapshot": "fail"}
    )
    failed = wait_for(kube, ConfigMap, failing, namespace, lambda c: request_phase(c) == "Failed")
    assert (
        "failed" in json.loads((failed.data or {})["snapshotRequest"])["status"]["error"]["message"]
    )


def test_restore_pods_succeed_only_with_a_stored_snapshot(kube: KubeEnv, namespace: str) -> None:
    install(kube, namespace)
    url = f"s3://bucket/{namespace}/restore"
    missing = wait_for(kube, Pod, restore_pod(kube, namespace, url), namespace, finished)
    assert (
        missing.status
        and missing.status.phase == "Failed"
        and "no snapshot stored" in (missing.status.message or "")
    )

    request = snapshot_request(kube, namespace, url)
    wait_for(kube, ConfigMap, request, namespace, lambda c: request_phase(c) == "Completed")
    restored = wait_for(kube, Pod, restore_pod(kube, namespace, url), namespace, finished)
    assert restored.status and restored.status.phase == "Succeeded"

    told = restore_pod(kube, namespace, url, {"standin.openvcluster.io/pod": "fail"})
    assert wait_for(kube, Pod, told, namespace, finished).status.phase == "Failed"  # type: ignore[union-attr]


def _secret_exists(kube: KubeEnv, namespace: str, name: str) -> bool:
    return any(
        s.metadata and s.metadata.name == name
        for s in kube.client.list(Secret, namespace=namespace)
    )


def test_pods_can_be_told_to_be_slow_to_start_and_to_go(kube: KubeEnv, namespace: str) -> None:
    def pod(name: str, annotations: dict[str, str] | None = None) -> None:
        kube.client.create(
            Pod(
                metadata=ObjectMeta(name=name, annotations=annotations),
                spec=PodSpec(containers=[Container(name="c", image="busybox")]),
            ),
            namespace=namespace,
        )

    def running(p: Pod) -> bool:
        return bool(p.status and p.status.phase == "Running")

    pod("slow", {"standin.openvcluster.io/ready-delay": "1h"})
    pod("quick")
    wait_for(kube, Pod, "quick", namespace, running)
    # kwok handled both; only the delayed one is still waiting.
    slow = kube.client.get(Pod, "slow", namespace=namespace)
    assert slow.status is not None and slow.status.phase == "Pending"

    pod("lingering", {"standin.openvcluster.io/delete-delay": "1h"})
    wait_for(kube, Pod, "lingering", namespace, running)
    kube.client.delete(Pod, "lingering", namespace=namespace)
    kube.client.delete(Pod, "quick", namespace=namespace)
    wait_gone(kube, Pod, "quick", namespace)
    lingering = kube.client.get(Pod, "lingering", namespace=namespace)
    assert lingering.metadata is not None and lingering.metadata.deletionTimestamp is not None
