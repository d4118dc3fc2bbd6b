"""UpdateVCluster on the host cluster: deletion protection as vcluster's
``loft.sh/non-deletable`` annotation, labels on the VCluster resource, and an
upgrade as a Helm upgrade to the new version's image.

Read from the host cluster directly; the API's side of each is in the
conformance cases (conformance/cases/update.yaml), which run on this backend too.
"""

from __future__ import annotations

import pytest
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apps_v1 import StatefulSet

import openvcluster
from k8s_testenv.fixtures import KubeEnv, wait_for
from openvcluster import Phase
from openvcluster_server.kube.conventions import NON_DELETABLE, host_namespace
from openvcluster_server.kube.values import image_tag

VClusterResource = create_namespaced_resource(
    "openvcluster.io", "v1alpha1", "VCluster", "vclusters"
)


def _annotations(obj: object) -> dict[str, str]:
    metadata = getattr(obj, "metadata", None)
    return dict(getattr(metadata, "annotations", None) or {})


def test_protection_is_the_annotation_vcluster_delete_honours(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", deletion_protection=True, wait=True)
    host = host_namespace(api_namespace, "dev")
    resource = kube.client.get(VClusterResource, "dev", namespace=api_namespace)
    assert _annotations(resource)[NON_DELETABLE] == "true"
    assert "deletionProtection" not in resource["spec"]  # metadata: no new generation
    wait_for(kube, StatefulSet, "dev", host, lambda s: _annotations(s).get(NON_DELETABLE) == "true")

    with pytest.raises(openvcluster.FailedPreconditionError) as refused:
        client.delete_vcluster(api_namespace, "dev")
    assert refused.value.reason == "DELETION_PROTECTED"

    updated = client.update_vcluster(api_namespace, "dev", deletion_protection=False)
    assert updated.status.phase == Phase.PHASE_RUNNING
    assert NON_DELETABLE not in _annotations(
        kube.client.get(VClusterResource, "dev", namespace=api_namespace)
    )
    wait_for(kube, StatefulSet, "dev", host, lambda s: NON_DELETABLE not in _annotations(s))
    client.delete_vcluster(api_namespace, "dev", wait=True)


def test_labels_are_the_resources_labels(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", labels={"app": "web", "tier": "gold"}, wait=True)
    updated = client.update_vcluster(api_namespace, "dev", labels={"team": "platform"})
    assert dict(updated.labels) == {"team": "platform"}
    resource = kube.client.get(VClusterResource, "dev", namespace=api_namespace)
    assert resource.metadata is not None
    assert dict(resource.metadata.labels or {}) == {"team": "platform"}
    client.delete_vcluster(api_namespace, "dev", wait=True)


def test_an_upgrade_rolls_out_the_new_versions_image(
    kube: KubeEnv, client: openvcluster.Client, api_namespace: str
) -> None:
    client.create_vcluster(api_namespace, "dev", kubernetes_version="1.32", wait=True)
    host = host_namespace(api_namespace, "dev")
    answer = client.upgrade_vcluster(api_namespace, "dev", "1.33")
    assert answer.status.phase == Phase.PHASE_UPGRADING
    upgraded = client.wait_for_phase(api_namespace, "dev", Phase.PHASE_RUNNING)
    assert upgraded.spec.kubernetes_version == "1.33"
    workload = kube.client.get(StatefulSet, "dev", namespace=host)
    assert workload.spec is not None and workload.spec.template.spec is not None
    pod = workload.spec.template.spec
    images = [c.image for c in [*(pod.initContainers or []), *pod.containers]]
    assert any(image.endswith(f":{image_tag('1.33')}") for image in images if image), images
    resource = kube.client.get(VClusterResource, "dev", namespace=api_namespace)
    assert resource["status"]["kubernetesVersion"] == "1.33"
    client.delete_vcluster(api_namespace, "dev", wait=True)
