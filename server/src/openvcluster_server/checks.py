"""What each request must satisfy by itself, before any state is read: one
entry per RPC, run after the permission check and before the action.

Each entry starts with the field rules written in the proto (protovalidate,
through the SDK's ``openvcluster.field_rules``, which also checks requests
before they are sent) and adds the rules that need the server's settings or
several fields. Every backend (the simulated stores and the Kubernetes one)
runs these, so a request is refused with the same INVALID_ARGUMENT, naming the
same fields, whatever serves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

from openvcluster import field_rules
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import schedules, validation
from openvcluster_server.auth import Principal
from openvcluster_server.clock import CLOCK
from openvcluster_server.errors import FieldViolations
from openvcluster_server.phases import Phase
from openvcluster_server.selector import Selector, SelectorLimits


def proto_rules(request: Message) -> FieldViolations:
    """The fields of ``request`` that break the proto's field rules; the code's
    rules add to these (a field already named keeps its first violation)."""
    violations = FieldViolations()
    for field, description in field_rules.violations(request):
        violations.add(field, description)
    return violations


def fields(request: Message) -> None:
    """INVALID_ARGUMENT unless ``request`` keeps the proto's field rules: the
    whole check of a request that no other rule applies to (a Get, a Delete)."""
    # Most requests keep every rule: then no FieldViolations to make and ask.
    if field_rules.violations(request):
        proto_rules(request).raise_if_any()


def create(request: api.CreateVClusterRequest, versions: Sequence[str]) -> VClusterSpec:
    """The spec to create, with every server default applied."""
    violations = proto_rules(request)
    spec = validation.apply_spec_defaults(violations, request.spec, versions)
    violations.raise_if_any()
    return spec


def list_filters(request: api.ListVClustersRequest, limits: SelectorLimits) -> Selector:
    """The parsed label selector of a well-formed ListVClusters request."""
    violations = proto_rules(request)
    selector = validation.check_selector(violations, request.label_selector, limits)
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
    violations = proto_rules(request)
    changes = request.HasField("resources") and any(
        (request.resources.cpu, request.resources.memory, request.resources.storage)
    )
    if not (changes or request.replicas or request.HasField("enable_ha")):
        violations.add("resources", "nothing to change: set resources, replicas or enable_ha")
    for name in ("cpu", "memory", "storage"):
        value = getattr(request.resources, name)
        if value:
            validation.check_resource(violations, f"resources.{name}", name, value)
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
    validation.check_ha(violations, spec.replicas, spec.enable_ha, ha_field)
    violations.raise_if_any()
    return spec


# The fields UpdateVCluster may change, by their update_mask path.
UPDATABLE = (
    "labels",
    "spec.kubernetes_version",
    "spec.deletion_protection",
    "spec.sleep_schedule",
    "spec.expire_time",
    "spec.delete_snapshots_on_expiry",
)
# The spec fields an update sets as they are, without a transition.
SET_AT_ONCE = (
    "spec.deletion_protection",
    "spec.sleep_schedule",
    "spec.expire_time",
    "spec.delete_snapshots_on_expiry",
)


@dataclass(frozen=True)
class Update:
    """What a well-formed UpdateVCluster request changes; None leaves a field alone."""

    labels: dict[str, str] | None
    kubernetes_version: str | None
    # The spec fields of SET_AT_ONCE the mask names (a message left unset clears
    # its field), with their values in ``spec``.
    set_at_once: frozenset[str]
    spec: VClusterSpec


def update(request: api.UpdateVClusterRequest, versions: Sequence[str]) -> Update:
    """The changes of an UpdateVCluster request; INVALID_ARGUMENT naming every bad field."""
    violations = proto_rules(request)
    vcluster = request.vcluster
    if not request.HasField("vcluster"):
        violations.add(
            "vcluster", "must be set: its namespace and name say which vcluster to update"
        )
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
    version = None
    if "spec.kubernetes_version" in paths:
        field = "vcluster.spec.kubernetes_version"
        version = vcluster.spec.kubernetes_version
        if not version:
            violations.add(field, 'must name the version to upgrade to, such as "1.31"')
        else:
            validation.resolve_kubernetes_version(violations, field, version, versions)
    if "spec.expire_time" in paths:
        schedules.check_expire_time(
            violations, "vcluster.spec.expire_time", vcluster.spec.expire_time, None
        )
    if "spec.sleep_schedule" in paths and vcluster.spec.HasField("sleep_schedule"):
        schedules.check_schedule(
            violations, "vcluster.spec.sleep_schedule", vcluster.spec.sleep_schedule
        )
    violations.raise_if_any()
    named = frozenset(path for path in paths if path in SET_AT_ONCE)
    return Update(labels, version, named, vcluster.spec)


def restore(request: api.RestoreVClusterRequest) -> None:
    """INVALID_ARGUMENT for bad names, or an etag with a restore to a new name."""
    violations = proto_rules(request)
    if request.target_name and request.etag:
        violations.add("etag", "must be empty when restoring to a new name (target_name)")
    violations.raise_if_any()


def watch_filters(request: api.WatchVClustersRequest, limits: SelectorLimits) -> Selector:
    """The parsed label selector of a well-formed WatchVClusters request."""
    violations = proto_rules(request)
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
    schedules.set_next_times(vcluster, CLOCK.datetime())
    return vcluster
