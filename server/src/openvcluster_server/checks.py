"""What each VClusterService request must satisfy by itself, before any state is read.

Every backend (the simulated stores and the Kubernetes one) runs these, so a
request is refused with the same INVALID_ARGUMENT, naming the same fields,
whatever serves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import validation
from openvcluster_server.auth import Principal
from openvcluster_server.errors import FieldViolations
from openvcluster_server.k8s_names import is_dns1123_label
from openvcluster_server.phases import Phase
from openvcluster_server.selector import Selector, SelectorLimits


def key(namespace: str, name: str, request_id: str = "") -> None:
    """INVALID_ARGUMENT unless namespace, name and request_id are well formed."""
    if not request_id and is_dns1123_label(namespace) and is_dns1123_label(name):
        return  # every read asks this: the usual answer without collecting violations
    violations = FieldViolations()
    validation.check_name(violations, "namespace", namespace)
    validation.check_name(violations, "name", name)
    validation.check_request_id(violations, request_id)
    violations.raise_if_any()


def create(request: api.CreateVClusterRequest, versions: Sequence[str]) -> VClusterSpec:
    """The spec to create, with every server default applied."""
    violations = FieldViolations()
    validation.check_name(violations, "namespace", request.namespace)
    validation.check_name(violations, "name", request.name)
    validation.check_labels(violations, "labels", request.labels)
    spec = validation.apply_spec_defaults(violations, request.spec, versions)
    validation.check_request_id(violations, request.request_id)
    violations.raise_if_any()
    return spec


def list_filters(request: api.ListVClustersRequest, limits: SelectorLimits) -> Selector:
    """The parsed label selector of a well-formed ListVClusters request."""
    violations = FieldViolations()
    validation.check_optional_name(violations, "namespace", request.namespace)
    validation.check_page_size(violations, request.page_size)
    selector = validation.check_selector(violations, request.label_selector, limits)
    if request.phase not in Phase.values():
        violations.add("phase", f"unknown phase {request.phase}")
    violations.raise_if_any()
    assert selector is not None
    return selector


def list_scope(principal: Principal, request: api.ListVClustersRequest, selector: Selector) -> str:
    """What a ListVClusters page token is bound to: the caller and every filter."""
    return (
        f"ListVClusters\x00{principal.scope}\x00{request.namespace}\x00{selector}"
        f"\x00{request.phase}"
    )


def scale(request: api.ScaleVClusterRequest) -> None:
    """INVALID_ARGUMENT for bad values or a scale that changes nothing."""
    violations = FieldViolations()
    validation.check_name(violations, "namespace", request.namespace)
    validation.check_name(violations, "name", request.name)
    validation.check_request_id(violations, request.request_id)
    changes = request.HasField("resources") and any(
        (request.resources.cpu, request.resources.memory, request.resources.storage)
    )
    if not (changes or request.replicas or request.HasField("enable_ha")):
        violations.add("resources", "nothing to change: set resources, replicas or enable_ha")
    for name in ("cpu", "memory", "storage"):
        value = getattr(request.resources, name)
        if value:
            validation.check_resource(violations, f"resources.{name}", name, value)
    if request.replicas and not 1 <= request.replicas <= validation.MAX_REPLICAS:
        violations.add(
            "replicas",
            f"must be between 1 and {validation.MAX_REPLICAS}, got {request.replicas}",
        )
    violations.raise_if_any()


def scaled_spec(current: VClusterSpec, request: api.ScaleVClusterRequest) -> VClusterSpec:
    """The spec after the scale; INVALID_ARGUMENT when the result breaks the HA rule."""
    spec = VClusterSpec()
    spec.CopyFrom(current)
    for name in ("cpu", "memory", "storage"):
        value = getattr(request.resources, name)
        if value:
            setattr(spec.resources, name, value)
    if request.replicas:
        spec.replicas = request.replicas
    if request.HasField("enable_ha"):
        spec.enable_ha = request.enable_ha
    violations = FieldViolations()
    ha_field = "replicas" if request.replicas else "enable_ha"
    validation.check_replicas(violations, spec.replicas, spec.enable_ha, "replicas", ha_field)
    violations.raise_if_any()
    return spec


# The fields UpdateVCluster may change, by their update_mask path.
UPDATABLE = ("labels", "spec.kubernetes_version", "spec.deletion_protection")


@dataclass(frozen=True)
class Update:
    """What a well-formed UpdateVCluster request changes; None leaves a field alone."""

    labels: dict[str, str] | None
    kubernetes_version: str | None
    deletion_protection: bool | None


def update(request: api.UpdateVClusterRequest, versions: Sequence[str]) -> Update:
    """The changes of an UpdateVCluster request; INVALID_ARGUMENT naming every bad field."""
    violations = FieldViolations()
    vcluster = request.vcluster
    validation.check_name(violations, "vcluster.namespace", vcluster.namespace)
    validation.check_name(violations, "vcluster.name", vcluster.name)
    paths = list(dict.fromkeys(request.update_mask.paths))
    unknown = [path for path in paths if path not in UPDATABLE]
    if not paths:
        violations.add(
            "update_mask", f"must name at least one field to change: {', '.join(UPDATABLE)}"
        )
    elif unknown:
        quoted = ", ".join(f'"{path}"' for path in unknown)
        violations.add(
            "update_mask.paths",
            f"{quoted} cannot be updated; the fields UpdateVCluster changes are "
            f"{', '.join(UPDATABLE)}",
        )
    labels = dict(vcluster.labels) if "labels" in paths else None
    if labels is not None:
        validation.check_labels(violations, "vcluster.labels", labels)
    version = None
    if "spec.kubernetes_version" in paths:
        field = "vcluster.spec.kubernetes_version"
        version = vcluster.spec.kubernetes_version
        if not version:
            violations.add(field, 'must name the version to upgrade to, such as "1.31"')
        else:
            validation.resolve_kubernetes_version(violations, field, version, versions)
    validation.check_request_id(violations, request.request_id)
    violations.raise_if_any()
    protection = vcluster.spec.deletion_protection if "spec.deletion_protection" in paths else None
    return Update(labels, version, protection)


def snapshot(request: api.SnapshotVClusterRequest) -> None:
    """INVALID_ARGUMENT for bad names, description, labels or request id."""
    violations = FieldViolations()
    validation.check_name(violations, "namespace", request.namespace)
    validation.check_name(violations, "name", request.name)
    validation.check_optional_name(violations, "snapshot_name", request.snapshot_name)
    validation.check_description(violations, request.description)
    validation.check_labels(violations, "labels", request.labels)
    validation.check_request_id(violations, request.request_id)
    violations.raise_if_any()


def restore(request: api.RestoreVClusterRequest) -> None:
    """INVALID_ARGUMENT for bad names, or an etag with a restore to a new name."""
    violations = FieldViolations()
    validation.check_name(violations, "namespace", request.namespace)
    validation.check_name(violations, "snapshot_name", request.snapshot_name)
    validation.check_optional_name(violations, "target_name", request.target_name)
    validation.check_request_id(violations, request.request_id)
    if request.target_name and request.etag:
        violations.add("etag", "must be empty when restoring to a new name (target_name)")
    violations.raise_if_any()


def watch_filters(request: api.WatchVClustersRequest, limits: SelectorLimits) -> Selector:
    """The parsed label selector of a well-formed WatchVClusters request."""
    violations = FieldViolations()
    validation.check_optional_name(violations, "namespace", request.namespace)
    validation.check_optional_name(violations, "name", request.name)
    selector = validation.check_selector(violations, request.label_selector, limits)
    violations.raise_if_any()
    assert selector is not None
    return selector


def watch_matcher(
    principal: Principal, request: api.WatchVClustersRequest, selector: Selector
) -> Callable[[VCluster], bool]:
    """Whether a vcluster belongs in the watch's stream."""

    def matches(vcluster: VCluster) -> bool:
        return (
            principal.can_see(vcluster.namespace)
            and (not request.namespace or vcluster.namespace == request.namespace)
            and (not request.name or vcluster.name == request.name)
            and selector.matches(vcluster.labels)
        )

    return matches


def planned(namespace: str, name: str, spec: VClusterSpec, labels: dict[str, str]) -> VCluster:
    """What validate_only answers: the vcluster as it would be created, nothing server-made."""
    vcluster = VCluster(namespace=namespace, name=name, labels=labels, spec=spec)
    vcluster.status.phase = Phase.PHASE_PROVISIONING
    return vcluster
