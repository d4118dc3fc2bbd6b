"""Request validation and the server defaults of a VClusterSpec.

Each check adds to a ``FieldViolations`` instead of raising, so one answer
names every bad field of a request.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence

from openvcluster.v1.vcluster_pb2 import NetworkSpec, VClusterSpec
from openvcluster_server.errors import FieldViolations
from openvcluster_server.k8s_names import (
    dns1123_label_problem,
    dns1123_subdomain_problem,
    labels_problems,
)
from openvcluster_server.quantity import is_positive_quantity_problem, parse_quantity
from openvcluster_server.selector import Selector, SelectorError, SelectorLimits, parse_selector

DEFAULT_CPU = "1"
DEFAULT_MEMORY = "2Gi"
DEFAULT_STORAGE = "10Gi"
DEFAULT_VOLUME_SIZE = "5Gi"
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
MAX_REPLICAS = 5
# Below these a control plane cannot start; smaller values are typos such as "0.5" bytes.
MIN_RESOURCES = {"cpu": "10m", "memory": "64Mi"}
MAX_DESCRIPTION = 1024

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# ASCII digits only (\d also matches other scripts), few enough for int(), and
# no leading zeros, so each version has one spelling ("1.31", never "01.031").
_NUMBER = r"(0|[1-9][0-9]{0,8})"
_VERSION = re.compile(rf"{_NUMBER}\.{_NUMBER}(?:\.{_NUMBER})?")


def check_name(violations: FieldViolations, field: str, value: str) -> None:
    """A required DNS-1123 label, such as a namespace or a vcluster name."""
    problem = dns1123_label_problem(value)
    if problem:
        violations.add(field, problem)


def check_optional_name(violations: FieldViolations, field: str, value: str) -> None:
    """A DNS-1123 label that may be left empty."""
    if value:
        check_name(violations, field, value)


def check_labels(violations: FieldViolations, field: str, labels: Mapping[str, str]) -> None:
    """Kubernetes label keys and values."""
    for key, problem in labels_problems(labels):
        violations.add(f"{field}[{key}]" if key else field, problem)


def check_request_id(violations: FieldViolations, request_id: str) -> None:
    """Empty, or a UUID in canonical text form."""
    if request_id and not _UUID.fullmatch(request_id):
        violations.add(
            "request_id",
            "must be a UUID in canonical form such as 0f8fad5b-d9cb-469f-a165-70867728950e",
        )


def check_description(violations: FieldViolations, description: str) -> None:
    """Free text of bounded length."""
    if len(description) > MAX_DESCRIPTION:
        violations.add(
            "description",
            f"is {len(description)} characters; at most {MAX_DESCRIPTION} are allowed",
        )


def check_page_size(violations: FieldViolations, page_size: int) -> None:
    """Non-negative; clamping and the default happen in paging."""
    if page_size < 0:
        violations.add("page_size", "must not be negative; use 0 for the default page size")


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


def check_replicas(
    violations: FieldViolations, replicas: int, enable_ha: bool, range_field: str, ha_field: str
) -> None:
    """1..5 control-plane replicas; HA needs an odd count of at least 3.

    ``ha_field`` is blamed for the HA rule: the field the caller changed.
    """
    if not 1 <= replicas <= MAX_REPLICAS:
        violations.add(range_field, f"must be between 1 and {MAX_REPLICAS}, got {replicas}")
    elif enable_ha and (replicas < 3 or replicas % 2 == 0):
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
    if spec.distro not in VClusterSpec.Distro.values():
        violations.add("spec.distro", f"unknown distro {spec.distro}; use K8S, K3S or K0S")
    elif spec.distro == VClusterSpec.Distro.DISTRO_UNSPECIFIED:
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
    check_replicas(violations, applied.replicas, spec.enable_ha, "spec.replicas", "spec.replicas")
    _apply_network_defaults(violations, spec, applied)
    _apply_storage_defaults(violations, spec, applied)
    return applied


def _apply_network_defaults(
    violations: FieldViolations, spec: VClusterSpec, applied: VClusterSpec
) -> None:
    cidr = spec.network.service_cidr
    if not cidr:
        applied.network.service_cidr = DEFAULT_SERVICE_CIDR
    else:
        try:
            # A zone ("fe80::%eth0/64") names an interface of one host, never a network.
            if "%" in cidr:
                raise ValueError(cidr)
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            violations.add(
                "spec.network.service_cidr",
                "must be an IPv4 or IPv6 network in CIDR notation with no host bits set "
                'and no zone, such as "10.96.0.0/12"',
            )
    expose = spec.network.expose_type
    if expose not in NetworkSpec.ExposeType.values():
        violations.add(
            "spec.network.expose_type",
            f"unknown expose type {expose}; use CLUSTER_IP, NODE_PORT, LOAD_BALANCER or INGRESS",
        )
    elif expose == NetworkSpec.ExposeType.EXPOSE_TYPE_UNSPECIFIED:
        applied.network.expose_type = NetworkSpec.ExposeType.EXPOSE_TYPE_CLUSTER_IP


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
    if storage.storage_class:
        problem = dns1123_subdomain_problem(storage.storage_class)
        if problem:
            violations.add("spec.storage.storage_class", problem)
