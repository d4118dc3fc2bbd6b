"""The request rules that need more than one field or the server's settings,
and the server defaults of a VClusterSpec. The rules of a single field are in
the proto (checks.proto_rules); these add to what those found.

Each check adds to a ``FieldViolations`` instead of raising, so one answer
names every bad field of a request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from openvcluster.v1.vcluster_pb2 import NetworkSpec, VClusterSpec
from openvcluster_server import schedules
from openvcluster_server.clock import CLOCK
from openvcluster_server.errors import FieldViolations
from openvcluster_server.quantity import is_positive_quantity_problem, parse_quantity
from openvcluster_server.selector import Selector, SelectorError, SelectorLimits, parse_selector

DEFAULT_CPU = "1"
DEFAULT_MEMORY = "2Gi"
DEFAULT_STORAGE = "10Gi"
DEFAULT_VOLUME_SIZE = "5Gi"
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
# Below these a control plane cannot start; smaller values are typos such as "0.5" bytes.
MIN_RESOURCES = {"cpu": "10m", "memory": "64Mi"}
# ASCII digits only (\d also matches other scripts), few enough for int(), and
# no leading zeros, so each version has one spelling ("1.31", never "01.031").
_NUMBER = r"(0|[1-9][0-9]{0,8})"
_VERSION = re.compile(rf"{_NUMBER}\.{_NUMBER}(?:\.{_NUMBER})?")


def check_selector(
    violations: FieldViolations, text: str, limits: SelectorLimits
) -> Selector | None:
    """Parses a label selector, or records why it cannot be parsed."""
    try:
        return parse_selector(text, limits)
    except SelectorError as exc:
        violations.add("label_selector", str(exc))
        return None


def check_resource(violations: FieldViolations, field: str, name: str, value: str) -> None:
    """A quantity of ``cpu``, ``memory`` or ``storage``, at least its minimum (if it has one)."""
    problem = is_positive_quantity_problem(value)
    minimum = MIN_RESOURCES.get(name)
    if problem is None and minimum is not None and parse_quantity(value) < parse_quantity(minimum):
        problem = f"must be at least {minimum}, got {value}"
    if problem:
        violations.add(field, problem)


def resolve_kubernetes_version(
    violations: FieldViolations, field: str, value: str, supported: Sequence[str]
) -> str:
    """The version to apply: the newest supported one when empty."""
    if not value:
        return supported[-1]
    match = _VERSION.fullmatch(value)
    if not match:
        violations.add(field, 'must be a version such as "1.31" or "1.31.2", with no leading zeros')
        return value
    minor = f"{int(match.group(1))}.{int(match.group(2))}"
    if minor not in supported:
        violations.add(
            field,
            f"{minor} is not supported; supported minor versions are {', '.join(supported)}",
        )
    return value


def check_ha(violations: FieldViolations, replicas: int, enable_ha: bool, ha_field: str) -> None:
    """HA needs an odd count of at least 3 control-plane replicas (the proto
    bounds the count itself). ``ha_field`` is blamed: the field the caller changed.
    """
    if enable_ha and (replicas < 3 or replicas % 2 == 0):
        violations.add(
            ha_field,
            f"high availability needs an odd replica count of at least 3, got {replicas}",
        )


def apply_spec_defaults(
    violations: FieldViolations, spec: VClusterSpec, supported_versions: Sequence[str]
) -> VClusterSpec:
    """Validates a requested spec and returns it with every server default applied."""
    applied = VClusterSpec()
    applied.CopyFrom(spec)
    applied.kubernetes_version = resolve_kubernetes_version(
        violations, "spec.kubernetes_version", spec.kubernetes_version, supported_versions
    )
    if spec.distro == VClusterSpec.Distro.DISTRO_UNSPECIFIED:
        applied.distro = VClusterSpec.Distro.DISTRO_K8S
    for name, default in (
        ("cpu", DEFAULT_CPU),
        ("memory", DEFAULT_MEMORY),
        ("storage", DEFAULT_STORAGE),
    ):
        value = getattr(spec.resources, name)
        if value:
            check_resource(violations, f"spec.resources.{name}", name, value)
        else:
            setattr(applied.resources, name, default)
    if spec.replicas == 0:
        applied.replicas = 3 if spec.enable_ha else 1
    check_ha(violations, applied.replicas, spec.enable_ha, "spec.replicas")
    if not spec.network.service_cidr:
        applied.network.service_cidr = DEFAULT_SERVICE_CIDR
    if spec.network.expose_type == NetworkSpec.ExposeType.EXPOSE_TYPE_UNSPECIFIED:
        applied.network.expose_type = NetworkSpec.ExposeType.EXPOSE_TYPE_CLUSTER_IP
    _apply_storage_defaults(violations, spec, applied)
    if spec.HasField("sleep_schedule"):
        schedules.check_schedule(violations, "spec.sleep_schedule", spec.sleep_schedule)
    schedules.apply_schedule_defaults(applied)
    schedules.check_expire_time(violations, "spec.expire_time", spec.expire_time, CLOCK.time())
    return applied


def _apply_storage_defaults(
    violations: FieldViolations, spec: VClusterSpec, applied: VClusterSpec
) -> None:
    storage = spec.storage
    if not storage.HasField("persistence"):
        applied.storage.persistence = True
    if storage.size:
        check_resource(violations, "spec.storage.size", "storage", storage.size)
    elif applied.storage.persistence:
        applied.storage.size = DEFAULT_VOLUME_SIZE
