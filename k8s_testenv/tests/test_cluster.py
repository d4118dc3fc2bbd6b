"""The control plane behaves like a real cluster in what the backend relies on."""

from __future__ import annotations

import asyncio

import pytest
from lightkube import ApiError, AsyncClient, Client, KubeConfig
from lightkube.config.models import Cluster, User
from lightkube.models.apps_v1 import StatefulSetSpec
from lightkube.models.authentication_v1 import TokenRequestSpec
from lightkube.models.autoscaling_v1 import ScaleSpec
from lightkube.models.core_v1 import (
    Container,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PodSpec,
    PodTemplateSpec,
    ServicePort,
    ServiceSpec,
    VolumeResourceRequirements,
)
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import StatefulSet
from lightkube.resources.core_v1 import (
    ConfigMap,
    Pod,
    Secret,
    Service,
    ServiceAccount,
)
from lightkube.resources.core_v1 import (
    PersistentVolumeClaim as Claim,
)

from k8s_testenv.fixtures import KubeEnv, wait_for

LABELS = {"app": "vcluster", "release": "dev"}


def control_plane() -> StatefulSet:
    """A StatefulSet shaped like a vcluster control plane, with a data volume claim."""
    return StatefulSet(
        metadata=ObjectMeta(name="dev", labels=LABELS),
        spec=StatefulSetSpec(
            replicas=1,
            serviceName="dev-headless",
            selector=LabelSelector(matchLabels=LABELS),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels=LABELS),
                spec=PodSpec(
                    containers=[
                        Container(name="syncer", image="ghcr.io/loft-sh/vcluster-pro:0.36.1")
                    ]
                ),
            ),
            volumeClaimTemplates=[
                PersistentVolumeClaim(
                    metadata=ObjectMeta(name="data"),
                    spec=PersistentVolumeClaimSpec(
                        accessModes=["ReadWriteOnce"],
                        resources=VolumeResourceRequirements(requests={"storage": "1Gi"}),
                    ),
                )
            ],
        ),
    )


def ready_replicas(count: int):  # type: ignore[no-untyped-def]
    def condition(set_: StatefulSet) -> bool:
        return set_.status is not None and (set_.status.readyReplicas or 0) == count

    return condition


def test_secrets_and_services(kube: KubeEnv, namespace: str) -> None:
    kube.client.create(
        Secret(metadata=ObjectMeta(name="s"), stringData={"k": "v"}), namespace=namespace
    )
    assert kube.client.get(Secret, "s", namespace=namespace).data == {"k": "dg=="}
    service = kube.client.create(
        Service(
            metadata=ObjectMeta(name="svc"),
            spec=ServiceSpec(selector=LABELS, ports=[ServicePort(port=443, targetPort=8443)]),
        ),
        namespace=namespace,
    )
    assert service.spec is not None and service.spec.clusterIP


def test_control_plane_with_a_volume_claim_becomes_ready_and_scales(
    kube: KubeEnv, namespace: str
) -> None:
    kube.client.create(control_plane(), namespace=namespace)
    wait_for(kube, StatefulSet, "dev", namespace, ready_replicas(1))
    claim = kube.client.get(Claim, "data-dev-0", namespace=namespace)
    assert claim.status is not None and claim.status.phase == "Bound"
    assert claim.spec is not None and claim.spec.storageClassName == "kwok-volume"

    scale = StatefulSet.Scale(metadata=ObjectMeta(name="dev"), spec=ScaleSpec(replicas=0))
    kube.client.replace(scale, "dev", namespace=namespace)
    wait_for(kube, StatefulSet, "dev", namespace, ready_replicas(0))
    assert list(kube.client.list(Pod, namespace=namespace, labels={"release": "dev"})) == []

    scale.spec = ScaleSpec(replicas=1)
    kube.client.replace(scale, "dev", namespace=namespace)
    wait_for(kube, StatefulSet, "dev", namespace, ready_replicas(1))
    assert kube.client.get(StatefulSet.Scale, "dev", namespace=namespace).status.replicas == 1  # type: ignore[union-attr]


def test_annotations_and_label_selectors(kube: KubeEnv, namespace: str) -> None:
    for name, labels in (("a", {"app": "vcluster", "release": "a"}), ("b", {"app": "other"})):
        kube.client.create(
            ConfigMap(metadata=ObjectMeta(name=name, labels=labels)), namespace=namespace
        )
    kube.client.patch(
        ConfigMap,
        "a",
        {"metadata": {"annotations": {"loft.sh/paused": "true"}}},
        namespace=namespace,
    )

    selected = list(kube.client.list(ConfigMap, namespace=namespace, labels={"app": "vcluster"}))
    assert [c.metadata.name for c in selected if c.metadata] == ["a"]
    assert selected[0].metadata and selected[0].metadata.annotations == {"loft.sh/paused": "true"}


def test_a_watch_sees_added_modified_deleted(kube: KubeEnv, namespace: str) -> None:
    async def watch_three() -> list[tuple[str, str]]:
        client = AsyncClient(KubeConfig.from_file(kube.kubeconfig))
        seen: list[tuple[str, str]] = []
        try:
            listing = client.list(ConfigMap, namespace=namespace)
            async for _ in listing:
                pass
            version = listing.resourceVersion
            await client.create(
                ConfigMap(metadata=ObjectMeta(name="w", namespace=namespace), data={"n": "1"})
            )
            await client.patch(ConfigMap, "w", {"data": {"n": "2"}}, namespace=namespace)
            await client.delete(ConfigMap, "w", namespace=namespace)
            async with asyncio.timeout(30):
                async for kind, obj in client.watch(
                    ConfigMap, namespace=namespace, resource_version=version
                ):
                    if obj.metadata and obj.metadata.name == "w":
                        seen.append((kind, (obj.data or {}).get("n", "")))
                    if len(seen) == 3:
                        break
        finally:
            await client.close()
        return seen

    assert asyncio.run(watch_three()) == [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")]


def test_rbac_refuses_a_service_account_without_rights(kube: KubeEnv, namespace: str) -> None:
    kube.client.create(ServiceAccount(metadata=ObjectMeta(name="nobody")), namespace=namespace)
    request = kube.client.create(
        ServiceAccount.Token(
            metadata=ObjectMeta(name="nobody"),
            spec=TokenRequestSpec(audiences=[], expirationSeconds=600),
        ),
        "nobody",
        namespace=namespace,
    )
    assert request.status is not None
    config = KubeConfig.from_one(
        cluster=Cluster(server=kube.url, certificate_auth=str(kube.cluster.ca_file)),
        user=User(token=request.status.token),
    )
    with pytest.raises(ApiError) as refused:
        list(Client(config).list(Secret, namespace=namespace))
    assert refused.value.status.code == 403


def test_a_load_balancer_service_gets_an_address(kube: KubeEnv, namespace: str) -> None:
    kube.client.create(
        Service(
            metadata=ObjectMeta(name="lb"),
            spec=ServiceSpec(type="LoadBalancer", selector=LABELS, ports=[ServicePort(port=443)]),
        ),
        namespace=namespace,
    )
    service = wait_for(
        kube,
        Service,
        "lb",
        namespace,
        lambda s: bool(s.status and s.status.loadBalancer and s.status.loadBalancer.ingress),
    )
    assert service.status.loadBalancer.ingress[0].ip.startswith("10.240.")  # type: ignore[union-attr,index]


def test_the_audit_log_records_each_request(kube: KubeEnv, namespace: str) -> None:
    mark = kube.audit.mark()
    kube.client.create(ConfigMap(metadata=ObjectMeta(name="audited")), namespace=namespace)
    kube.client.get(ConfigMap, "audited", namespace=namespace)
    mine = [e for e in kube.audit.events(since=mark, user="admin") if e.resource == "configmaps"]
    assert [(e.verb, e.namespace, e.name, e.code) for e in mine] == [
        ("create", namespace, "audited", 201),
        ("get", namespace, "audited", 200),
    ]
