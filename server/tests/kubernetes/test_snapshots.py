"""Snapshots and restores on the host cluster, read where vcluster's own tools would look.

The conformance cases see the API's side of snapshots (phases, errors);
these tests check what the backend leaves on the host: the snapshot request
(ConfigMap + options Secret) a running vcluster serves, the pod that takes a
paused vcluster's snapshot, the archive the stand-in stored, the paused
control plane and restore pod of a restore, the ``vcluster-restore`` quota of
a restore to a new name, and the failure paths the stand-in plays on request.

Every Kubernetes-backed server reconciles every vcluster and snapshot of the
cluster (nothing elects a leader), so the module runs one server at a time
(``Servers``): the one with a short phase timeout, or the one storing
``container://`` snapshots, never reaches the vclusters of the other tests.
Objects that live only briefly (a snapshot pod, the restore quota) are read
from a watch started at a resource version taken before the call, so none
is missed however fast the stand-in is.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
from lightkube import ALL_NS, ApiError, AsyncClient, KubeConfig
from lightkube.core.client import FieldSelector, LabelSelector
from lightkube.core.resource import NamespacedResource
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.core_v1 import Container, SecretKeySelector
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import StatefulSet
from lightkube.resources.core_v1 import ConfigMap, Namespace, Pod, ResourceQuota, Secret

import openvcluster
from k8s_testenv.fixtures import WAIT_SECONDS, KubeEnv, wait_for, wait_gone
from openvcluster import Phase, SnapshotPhase
from openvcluster_server.kube import snapshot_host
from openvcluster_server.kube.conventions import (
    APP_SNAPSHOT_POD,
    LABEL_APP,
    LABEL_REQUEST_NAMESPACE,
    LABEL_REQUEST_VCLUSTER,
    LABEL_SNAPSHOT_REQUEST,
    OPTIONS_KEY,
    PAUSED_REPLICAS,
    REQUEST_KEY,
    RESTORE_QUOTA,
    RESTORING,
    STORAGE_OPTIONS_ENV,
    host_namespace,
)
from openvcluster_server.testing import running_server

from .conftest import kubernetes_settings

R = TypeVar("R", bound=NamespacedResource)
ServerKind = Literal["default", "short", "container"]
HostObject = ConfigMap | Secret | Pod | StatefulSet

SnapshotResource = create_namespaced_resource(
    "openvcluster.io", "v1alpha1", "Snapshot", "snapshots"
)
VClusterResource = create_namespaced_resource(
    "openvcluster.io", "v1alpha1", "VCluster", "vclusters"
)

S3_STORE = "s3://kube-tests/snapshots"
CONTAINER_STORE = "container://var/lib/vcluster/snapshots"
# The phase timeout of the server the held snapshot runs on; short, so the
# test waits little, and on a server of its own, so no other transition is cut.
SHORT_TIMEOUT = 8.0
# A hold that outlasts every test: only a timeout or a deletion ends it.
HOLD = (("ovc-test-transition-delay-ms", "3600000"),)
NAMESPACE = f"snap-{uuid.uuid4().hex[:8]}"
SHARED = "shared"
# The store's credentials, in a namespace of their own as an operator keeps them.
CREDENTIALS_NAMESPACE = f"{NAMESPACE}-store"
CREDENTIALS = {"access-key-id": "AKIATESTKEY", "secret-access-key": "not-a-real-secret"}


def fail_with(message: str) -> tuple[tuple[str, str], ...]:
    """Metadata that makes the call's transition fail with ``message`` (test hooks)."""
    return (("ovc-test-fail-transition", message),)


# --- servers ------------------------------------------------------------------------------


class Servers:
    """The module's servers, one running at a time, each with an SDK client.

    ``default`` stores snapshots under s3://kube-tests/snapshots; ``short``
    does too, with a phase timeout of SHORT_TIMEOUT; ``container`` stores them
    in the vclusters' own volumes. All honour the test hooks.
    """

    def __init__(self, kube: KubeEnv) -> None:
        s3_store = {
            "snapshot_url": S3_STORE,
            "snapshot_credentials_secret": f"{CREDENTIALS_NAMESPACE}/store",
        }
        self._settings: dict[ServerKind, dict[str, Any]] = {
            "default": kubernetes_settings(kube, **s3_store, enable_test_hooks=True),
            "short": kubernetes_settings(
                kube, **s3_store, enable_test_hooks=True, phase_timeout=SHORT_TIMEOUT
            ),
            "container": kubernetes_settings(
                kube, snapshot_url=CONTAINER_STORE, enable_test_hooks=True
            ),
        }
        self._running = ExitStack()
        self._current: tuple[ServerKind, openvcluster.Client] | None = None

    def client(self, kind: ServerKind = "default") -> openvcluster.Client:
        """A client of the ``kind`` server, stopping any other first."""
        if self._current is not None and self._current[0] == kind:
            return self._current[1]
        self.close()
        with ExitStack() as starting:
            server = starting.enter_context(running_server(**self._settings[kind]))
            client = starting.enter_context(openvcluster.Client(server.address, wait_timeout=60))
            self._running = starting.pop_all()
        self._current = (kind, client)
        return client

    def running(self) -> openvcluster.Client:
        """The client of whichever server runs (the default one when none does)."""
        return self._current[1] if self._current is not None else self.client()

    def close(self) -> None:
        """Stops the running server."""
        self._current = None
        self._running.close()


@pytest.fixture(scope="module")
def servers(kube: KubeEnv) -> Iterator[Servers]:
    """The module's servers; at the end its vclusters and snapshots are deleted (and
    waited for, together), so no other suite's server inherits them half-done."""
    kube.client.create(Namespace(metadata=ObjectMeta(name=CREDENTIALS_NAMESPACE)))
    kube.client.create(
        Secret(metadata=ObjectMeta(name="store"), stringData=CREDENTIALS),
        namespace=CREDENTIALS_NAMESPACE,
    )
    running = Servers(kube)
    try:
        yield running
        client = running.running()
        vclusters = list(client.list_vclusters(NAMESPACE))
        for vcluster in vclusters:
            if vcluster.status.phase != Phase.PHASE_DELETING:
                client.delete_vcluster(NAMESPACE, vcluster.name, delete_snapshots=True)
        for snapshot in client.list_snapshots(NAMESPACE):
            client.delete_snapshot(NAMESPACE, snapshot.name)
        for vcluster in vclusters:
            client.wait_for_deletion(NAMESPACE, vcluster.name)
        for resource in kube.client.list(SnapshotResource, namespace=NAMESPACE):
            assert resource.metadata is not None and resource.metadata.name is not None
            wait_gone(kube, SnapshotResource, resource.metadata.name, NAMESPACE)
    finally:
        running.close()
        kube.client.delete(Namespace, CREDENTIALS_NAMESPACE)


@pytest.fixture
def shared(servers: Servers) -> str:
    """The name of a RUNNING vcluster that tests snapshot without harming it: made
    once (on the default server), resumed when a test left it suspended."""
    client = servers.client()
    try:
        vcluster = client.get_vcluster(NAMESPACE, SHARED)
    except openvcluster.NotFoundError:
        client.create_vcluster(NAMESPACE, SHARED, wait=True)
        return SHARED
    if vcluster.status.phase != Phase.PHASE_RUNNING:
        client.resume_vcluster(NAMESPACE, SHARED, wait=True)
    return SHARED


# --- reading the host ---------------------------------------------------------------------


def resource_version(kube: KubeEnv, resource: type[R], namespace: str) -> str:
    """The version to watch from to see every later change (an empty listing's)."""
    listing = kube.client.list(resource, namespace=namespace, fields={"metadata.name": "-"})
    assert list(listing) == []
    return listing.resourceVersion


def seen_since(
    kube: KubeEnv,
    resource: type[R],
    namespace: str,
    since: str,
    name: str,
    condition: Callable[[R], bool] = lambda obj: True,
    field: FieldSelector | None = None,
) -> R:
    """The first state of an object, among its changes after ``since``, for which
    ``condition`` holds, even when it has been deleted since (replayed by a watch)."""

    async def follow() -> R:
        client = AsyncClient(KubeConfig.from_file(kube.kubeconfig))
        fields: FieldSelector = {"metadata.name": name, **(field or {})}
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                events = client.watch(
                    resource, namespace=namespace, fields=fields, resource_version=since
                )
                async for _, obj in events:
                    if condition(obj):
                        return obj
        except TimeoutError:
            pass
        finally:
            await client.close()
        raise AssertionError(f"{resource.__name__} {namespace}/{name}: not seen")

    return asyncio.run(follow())


def absent(kube: KubeEnv, resource: type[R], name: str, namespace: str) -> bool:
    """Whether the object does not exist now."""
    try:
        kube.client.get(resource, name, namespace=namespace)
    except ApiError as exc:
        if exc.status.code == 404:
            return True
        raise
    return False


def labels_of(obj: HostObject) -> dict[str, str]:
    """An object's labels (none is an empty dict)."""
    assert obj.metadata is not None
    return dict(obj.metadata.labels or {})


def annotations_of(obj: HostObject) -> dict[str, str]:
    """An object's annotations (none is an empty dict)."""
    assert obj.metadata is not None
    return dict(obj.metadata.annotations or {})


def request_of(config_map: ConfigMap) -> dict[str, Any]:
    """The snapshot request a request ConfigMap holds."""
    request: dict[str, Any] = json.loads((config_map.data or {})[REQUEST_KEY])
    return request


def location_of(kube: KubeEnv, snapshot: str) -> str:
    """Where the Snapshot resource says the snapshot is stored (the API does not show it)."""
    return str(kube.client.get(SnapshotResource, snapshot, namespace=NAMESPACE)["spec"]["location"])


def archive(kube: KubeEnv, location: str, vcluster: str) -> Path:
    """The file the stand-in keeps a stored snapshot in (k8s_testenv/README.md)."""
    scheme, _, rest = location.partition("://")
    if scheme == "container":
        host = host_namespace(NAMESPACE, vcluster)
        return kube.cluster.snapshot_dir / "container" / host / vcluster / rest
    return kube.cluster.snapshot_dir / scheme / rest


def restore_pod_name(kube: KubeEnv, vcluster: str) -> str:
    """The restore pod of a vcluster's latest restore (named from its resource's uid and
    the generation that asked for the restore)."""
    resource = kube.client.get(VClusterResource, vcluster, namespace=NAMESPACE)
    assert resource.metadata is not None and resource.metadata.uid is not None
    generation = str(resource["spec"]["restore"]["generation"])
    return snapshot_host.pod_name(resource.metadata.uid, generation)


def options_reference(container: Container) -> SecretKeySelector:
    """Where a snapshot or restore pod's container reads its snapshot options from:
    VCLUSTER_STORAGE_OPTIONS must name a Secret's key, and carry no value of its own."""
    env = next(e for e in container.env or [] if e.name == STORAGE_OPTIONS_ENV)
    assert env.value is None
    assert env.valueFrom is not None and env.valueFrom.secretKeyRef is not None
    return env.valueFrom.secretKeyRef


# --- taking snapshots ---------------------------------------------------------------------


def test_a_running_vclusters_snapshot_is_a_request_it_serves(
    kube: KubeEnv, servers: Servers, shared: str
) -> None:
    """A running vcluster takes its own snapshots: the request must be the ConfigMap and
    Secret pair vcluster's controller looks for, with the store's credentials in its
    options, or no real vcluster would serve it."""
    client = servers.client()
    snapshot = client.snapshot_vcluster(NAMESPACE, shared, snapshot_name="first", wait=True)
    assert snapshot.phase == SnapshotPhase.PHASE_READY
    assert snapshot.size_bytes > 0

    host = host_namespace(NAMESPACE, shared)
    name = snapshot_host.request_name(shared, snapshot.uid)
    location = location_of(kube, "first")
    assert location.startswith(f"{S3_STORE}/")
    config_map = kube.client.get(ConfigMap, name, namespace=host)
    secret = kube.client.get(Secret, name, namespace=host)
    for obj in (config_map, secret):
        labels = labels_of(obj)
        assert LABEL_SNAPSHOT_REQUEST in labels
        assert labels[LABEL_REQUEST_VCLUSTER] == shared
        assert labels[LABEL_REQUEST_NAMESPACE] == host

    request = request_of(config_map)
    assert request["spec"]["url"] == location
    assert request["status"]["phase"] == "Completed"
    assert request["status"]["size"] == snapshot.size_bytes

    options = json.loads(base64.b64decode((secret.data or {})[OPTIONS_KEY]))
    assert options["type"] == "s3"
    assert options["s3"]["bucket"] == "kube-tests"
    # The store's credentials, copied under vcluster's own option names.
    assert {k: options["s3"][k] for k in CREDENTIALS} == CREDENTIALS
    assert f"s3://kube-tests/{options['s3']['key']}" == location
    assert options["release"]["releaseName"] == shared
    assert options["release"]["releaseNamespace"] == host

    stored = archive(kube, location, shared)
    assert stored.is_file()
    assert stored.stat().st_size == snapshot.size_bytes
    assert json.loads(stored.read_text())["vcluster"] == shared


def test_a_suspended_vclusters_snapshot_is_taken_by_a_pod(
    kube: KubeEnv, servers: Servers, shared: str
) -> None:
    """A paused vcluster runs no snapshot controller, so a pod on its data volume takes
    the snapshot; its options (credentials, once a store has them) must come from a
    Secret, never the pod spec, and both must go once it is done."""
    client = servers.client()
    client.suspend_vcluster(NAMESPACE, shared, wait=True)
    host = host_namespace(NAMESPACE, shared)
    pods_since = resource_version(kube, Pod, host)
    secrets_since = resource_version(kube, Secret, host)

    taken = client.snapshot_vcluster(NAMESPACE, shared, snapshot_name="asleep")
    assert client.wait_for_snapshot(NAMESPACE, "asleep").phase == SnapshotPhase.PHASE_READY
    pod_name = snapshot_host.pod_name(taken.uid)
    secret_name = snapshot_host.options_secret_name(pod_name)

    pod = seen_since(kube, Pod, host, pods_since, pod_name)
    assert labels_of(pod)[LABEL_APP] == APP_SNAPSHOT_POD
    assert pod.spec is not None
    container = pod.spec.containers[0]
    assert container.command == ["/vcluster", "snapshot"]
    reference = options_reference(container)
    assert (reference.name, reference.key) == (secret_name, STORAGE_OPTIONS_ENV)
    claims = {
        v.name: v.persistentVolumeClaim.claimName
        for v in pod.spec.volumes or []
        if v.persistentVolumeClaim is not None
    }
    assert claims == {"data": f"data-{shared}-0"}
    assert {m.name: m.mountPath for m in container.volumeMounts or []}["data"] == "/data"

    secret = seen_since(kube, Secret, host, secrets_since, secret_name)
    encoded = base64.b64decode((secret.data or {})[STORAGE_OPTIONS_ENV])
    options = json.loads(base64.b64decode(encoded))
    location = location_of(kube, "asleep")
    assert options["type"] == "s3"
    assert f"s3://{options['s3']['bucket']}/{options['s3']['key']}" == location

    wait_gone(kube, Pod, pod_name, host)
    wait_gone(kube, Secret, secret_name, host)
    stored = archive(kube, location, shared)
    assert stored.is_file()

    # No request was made, so deleting the snapshot asks the vcluster for one in
    # phase Deleting, which a paused vcluster serves too.
    client.delete_snapshot(NAMESPACE, "asleep")
    wait_gone(kube, SnapshotResource, "asleep", NAMESPACE)
    assert not stored.exists()


def test_deleting_a_snapshot_removes_what_was_stored(
    kube: KubeEnv, servers: Servers, shared: str
) -> None:
    """DeleteSnapshot must remove the archive too (vcluster deletes it through a request
    in phase Deleting), or a store fills with snapshots nobody can see; and the name
    can be taken again at once (the new snapshot waits for the old one to go)."""
    client = servers.client()
    first = client.snapshot_vcluster(NAMESPACE, shared, snapshot_name="doomed", wait=True)
    location = location_of(kube, "doomed")
    stored = archive(kube, location, shared)
    assert stored.is_file()
    host = host_namespace(NAMESPACE, shared)
    request = snapshot_host.request_name(shared, first.uid)
    since = resource_version(kube, ConfigMap, host)

    client.delete_snapshot(NAMESPACE, "doomed")
    with pytest.raises(openvcluster.NotFoundError):
        client.get_snapshot(NAMESPACE, "doomed")  # gone for the API at once
    # The name can be taken again at once, without a retry: the new snapshot
    # waits for the deleted one's resource (and so its stored copy) to go.
    client.with_options(retry=None).snapshot_vcluster(NAMESPACE, shared, snapshot_name="doomed")
    seen_since(
        kube,
        ConfigMap,
        host,
        since,
        request,
        lambda c: request_of(c)["status"]["phase"] == "Deleting",
    )
    assert not stored.exists()
    # That the request itself is gone too is test_deleted_snapshots_leave_no_request_behind's.

    again = client.wait_for_snapshot(NAMESPACE, "doomed", openvcluster.SnapshotPhase.PHASE_READY)
    assert again.uid != first.uid
    assert location_of(kube, "doomed") != location
    assert archive(kube, location_of(kube, "doomed"), shared).is_file()


def test_deleted_snapshots_leave_no_request_behind(
    kube: KubeEnv, servers: Servers, shared: str
) -> None:
    """A request's Secret holds the store's options, credentials included for a real store:
    one left after its snapshot was deleted keeps them in the vcluster's namespace for
    good. Several snapshots are deleted at once because what leaves them is a race that
    a busy reconciler loses almost always, and a lone deletion only now and then."""
    client = servers.client()
    names = [f"batch-{i}" for i in range(8)]
    taken = [client.snapshot_vcluster(NAMESPACE, shared, snapshot_name=n) for n in names]
    for name in names:
        client.wait_for_snapshot(NAMESPACE, name)
    for name in names:
        client.delete_snapshot(NAMESPACE, name)
    for name in names:
        wait_gone(kube, SnapshotResource, name, NAMESPACE)

    host = host_namespace(NAMESPACE, shared)
    requests = {snapshot_host.request_name(shared, snapshot.uid) for snapshot in taken}
    selector: LabelSelector = {LABEL_SNAPSHOT_REQUEST: None}
    config_maps = kube.client.list(ConfigMap, namespace=host, labels=selector)
    secrets = kube.client.list(Secret, namespace=host, labels=selector)
    left = [
        f"{type(obj).__name__} {obj.metadata.name}"
        for obj in [*config_maps, *secrets]
        if isinstance(obj, ConfigMap | Secret)
        and obj.metadata is not None
        and obj.metadata.name in requests
    ]
    assert left == []


# --- failures -----------------------------------------------------------------------------


def test_a_failed_snapshot_request_fails_the_snapshot_with_its_message(
    kube: KubeEnv, servers: Servers, shared: str
) -> None:
    """The message a failed request carries is the only explanation a caller gets."""
    client = servers.client()
    message = "etcd said no, as the test asked"
    taken = client.snapshot_vcluster(
        NAMESPACE, shared, snapshot_name="refused", metadata=fail_with(message)
    )
    with pytest.raises(openvcluster.SnapshotFailedError) as failed:
        client.wait_for_snapshot(NAMESPACE, "refused")
    assert failed.value.snapshot.message == message
    name = snapshot_host.request_name(shared, taken.uid)
    request = request_of(
        kube.client.get(ConfigMap, name, namespace=host_namespace(NAMESPACE, shared))
    )
    assert request["status"]["phase"] == "Failed"
    assert client.get_vcluster(NAMESPACE, shared).status.phase == Phase.PHASE_RUNNING


def test_a_failed_restore_fails_the_vcluster_and_resumes_its_control_plane(
    kube: KubeEnv, servers: Servers
) -> None:
    """vcluster resumes the control plane after a failed restore: a vcluster left paused
    with loft.sh/restoring would look restoring to the vcluster CLI forever."""
    client = servers.client()
    client.create_vcluster(NAMESPACE, "broken", wait=True)
    client.snapshot_vcluster(NAMESPACE, "broken", snapshot_name="before-break", wait=True)
    message = "the archive is corrupt, as the test asked"
    client.restore_vcluster(NAMESPACE, "before-break", metadata=fail_with(message))
    failed = client.wait_for_phase(NAMESPACE, "broken", Phase.PHASE_FAILED)
    assert message in failed.status.message
    conditions = {c.type: c for c in failed.status.conditions}
    assert conditions["Restored"].reason == "RestoreError"
    host = host_namespace(NAMESPACE, "broken")
    wait_gone(kube, Pod, restore_pod_name(kube, "broken"), host)
    workload = kube.client.get(StatefulSet, "broken", namespace=host)
    assert RESTORING not in annotations_of(workload)
    assert PAUSED_REPLICAS not in annotations_of(workload)
    assert workload.spec is not None and workload.spec.replicas == 1


# --- restoring ----------------------------------------------------------------------------


def test_a_restore_in_place_pauses_the_control_plane_for_a_restore_pod(
    kube: KubeEnv, servers: Servers
) -> None:
    """A restore in place is vcluster's: the control plane paused and marked
    loft.sh/restoring while a pod runs ``/vcluster restore`` on its data volume, resumed
    after. A deletion must be able to interrupt a restore that hangs."""
    client = servers.client()
    client.create_vcluster(NAMESPACE, "rewind", wait=True)
    snapshot = client.snapshot_vcluster(NAMESPACE, "rewind", snapshot_name="checkpoint", wait=True)
    host = host_namespace(NAMESPACE, "rewind")
    pods_since = resource_version(kube, Pod, host)
    workloads_since = resource_version(kube, StatefulSet, host)

    restored = client.restore_vcluster(NAMESPACE, "checkpoint", wait=True)
    assert restored.status.phase == Phase.PHASE_RUNNING
    assert restored.spec == snapshot.source_spec
    seen_since(
        kube,
        StatefulSet,
        host,
        workloads_since,
        "rewind",
        lambda s: annotations_of(s).get(RESTORING) == "true",
    )
    ran = seen_since(
        kube,
        Pod,
        host,
        pods_since,
        restore_pod_name(kube, "rewind"),
        lambda p: p.status is not None and p.status.phase == "Succeeded",
    )
    assert ran.spec is not None and ran.spec.containers[0].command == ["/vcluster", "restore"]
    workload = kube.client.get(StatefulSet, "rewind", namespace=host)
    assert RESTORING not in annotations_of(workload)
    assert PAUSED_REPLICAS not in annotations_of(workload)
    assert workload.spec is not None and workload.spec.replicas == 1

    held = client.restore_vcluster(NAMESPACE, "checkpoint", metadata=HOLD)
    assert held.status.phase == Phase.PHASE_RESTORING
    paused = wait_for(
        kube,
        StatefulSet,
        "rewind",
        host,
        lambda s: (
            annotations_of(s).get(RESTORING) == "true"
            and s.spec is not None
            and s.spec.replicas == 0
        ),
    )
    assert annotations_of(paused)[PAUSED_REPLICAS] == "1"
    pod_name = restore_pod_name(kube, "rewind")
    pod = wait_for(kube, Pod, pod_name, host, lambda p: True)
    assert labels_of(pod)[LABEL_APP] == APP_SNAPSHOT_POD
    assert pod.spec is not None
    container = pod.spec.containers[0]
    assert container.command == ["/vcluster", "restore"]
    assert options_reference(container).key == STORAGE_OPTIONS_ENV
    volumes = {v.name: v for v in pod.spec.volumes or []}
    mounts = {m.name: m.mountPath for m in container.volumeMounts or []}
    claim = volumes["data"].persistentVolumeClaim
    assert claim is not None and claim.claimName == "data-rewind-0"
    assert mounts["data"] == "/data"
    assert client.get_vcluster(NAMESPACE, "rewind").status.phase == Phase.PHASE_RESTORING

    deleting = client.delete_vcluster(NAMESPACE, "rewind")
    assert deleting.status.phase == Phase.PHASE_DELETING
    client.wait_for_deletion(NAMESPACE, "rewind")
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(NAMESPACE, "rewind")
    wait_gone(kube, Pod, pod_name, host)


def test_a_restore_to_a_new_name_outlives_its_source(kube: KubeEnv, servers: Servers) -> None:
    """An s3 snapshot outlives its vcluster, so it can become a new one: installed behind
    the vcluster-restore quota, so its control plane never starts on empty state, with
    the source's spec and labels."""
    client = servers.client()
    client.create_vcluster(
        NAMESPACE, "origin", cpu="2", memory="3Gi", labels={"tier": "gold"}, wait=True
    )
    snapshot = client.snapshot_vcluster(NAMESPACE, "origin", snapshot_name="seed", wait=True)
    client.delete_vcluster(NAMESPACE, "origin", delete_snapshots=False, wait=True)
    with pytest.raises(openvcluster.NotFoundError):
        client.get_vcluster(NAMESPACE, "origin")
    assert client.get_snapshot(NAMESPACE, "seed").phase == SnapshotPhase.PHASE_READY
    assert archive(kube, location_of(kube, "seed"), "origin").is_file()

    host = host_namespace(NAMESPACE, "phoenix")
    since = resource_version(kube, ResourceQuota, ALL_NS)
    mark = kube.audit.mark()
    answer = client.restore_vcluster(NAMESPACE, "seed", target_name="phoenix")
    assert answer.status.phase == Phase.PHASE_PROVISIONING
    restored = client.wait_for_phase(NAMESPACE, "phoenix", Phase.PHASE_RUNNING)
    assert restored.spec == snapshot.source_spec
    assert dict(restored.labels) == {"tier": "gold"}

    quota = seen_since(
        kube, ResourceQuota, ALL_NS, since, RESTORE_QUOTA, field={"metadata.namespace": host}
    )
    assert quota.spec is not None and quota.spec.hard == {"pods": "0"}
    assert absent(kube, ResourceQuota, RESTORE_QUOTA, host)
    # In the order the API server answered: the quota was made before Helm applied
    # the control plane, and went only just before the restore pod was made, so
    # no control-plane pod was admitted before (its creations were refused).
    writes = [
        (e.verb, e.resource, e.name)
        for e in kube.audit.events(since=mark)
        if e.namespace == host and e.subresource == "" and 200 <= e.code < 300
    ]
    made = writes.index(("create", "resourcequotas", RESTORE_QUOTA))
    applied = min(i for i, w in enumerate(writes) if w[1:] == ("statefulsets", "phoenix"))
    removed = writes.index(("delete", "resourcequotas", RESTORE_QUOTA))
    restore_pod = min(
        i for i, w in enumerate(writes) if w[:2] == ("create", "pods") and w[2] != "phoenix-0"
    )
    control_plane = writes.index(("create", "pods", "phoenix-0"))
    assert made < applied < removed < restore_pod < control_plane


# --- past the phase timeout (a server of its own) -----------------------------------------


def test_a_snapshot_that_never_finishes_fails_after_the_phase_timeout(
    kube: KubeEnv, servers: Servers, shared: str
) -> None:
    """A request the vcluster never finishes must not leave a snapshot PENDING forever;
    deleting it then cancels the request."""
    client = servers.client("short")
    taken = client.snapshot_vcluster(NAMESPACE, shared, snapshot_name="stuck", metadata=HOLD)
    with pytest.raises(openvcluster.SnapshotFailedError) as failed:
        client.wait_for_snapshot(NAMESPACE, "stuck")
    assert (
        failed.value.snapshot.message == f"the snapshot did not finish within {SHORT_TIMEOUT:g} s"
    )
    host = host_namespace(NAMESPACE, shared)
    name = snapshot_host.request_name(shared, taken.uid)
    since = resource_version(kube, ConfigMap, host)
    request = request_of(kube.client.get(ConfigMap, name, namespace=host))
    assert request["status"]["phase"] == "CreatingEtcdBackup"  # held, not failed

    client.delete_snapshot(NAMESPACE, "stuck")
    wait_gone(kube, SnapshotResource, "stuck", NAMESPACE)
    seen_since(
        kube, ConfigMap, host, since, name, lambda c: request_of(c)["status"]["phase"] == "Canceled"
    )
    assert absent(kube, ConfigMap, name, host)


# --- in the vcluster's own volume (a server of its own) -----------------------------------


def test_container_snapshots_go_with_their_vcluster(kube: KubeEnv, servers: Servers) -> None:
    """A container:// snapshot lives in its vcluster's data volume: deleting the vcluster
    would silently lose it unless the caller says so, and no other vcluster can read it."""
    client = servers.client("container")
    client.create_vcluster(NAMESPACE, "boxed", wait=True)
    client.snapshot_vcluster(NAMESPACE, "boxed", snapshot_name="inbox", wait=True)
    location = location_of(kube, "inbox")
    assert location.startswith(f"{CONTAINER_STORE}/")
    assert archive(kube, location, "boxed").is_file()

    with pytest.raises(openvcluster.FailedPreconditionError) as elsewhere:
        client.restore_vcluster(NAMESPACE, "inbox", target_name="unboxed")
    assert elsewhere.value.error_info is not None
    assert elsewhere.value.error_info.domain == "openvcluster.io"
    assert elsewhere.value.reason == "SNAPSHOT_IN_VOLUME"
    assert elsewhere.value.metadata["location"] == location

    with pytest.raises(openvcluster.FailedPreconditionError) as refused:
        client.delete_vcluster(NAMESPACE, "boxed")
    assert refused.value.reason == "SNAPSHOTS_IN_VOLUME"
    assert refused.value.metadata["snapshots"] == "inbox"
    assert client.get_vcluster(NAMESPACE, "boxed").status.phase == Phase.PHASE_RUNNING

    deleting = client.delete_vcluster(NAMESPACE, "boxed", delete_snapshots=True)
    assert deleting.status.phase == Phase.PHASE_DELETING
    with pytest.raises(openvcluster.NotFoundError):
        client.get_snapshot(NAMESPACE, "inbox")
    wait_gone(kube, SnapshotResource, "inbox", NAMESPACE)
