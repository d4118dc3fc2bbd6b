"""Friendly names for the generated enums: ``"RUNNING"`` as well as ``Phase.PHASE_RUNNING``."""

from __future__ import annotations

from typing import TypeAlias

from google.protobuf.descriptor import EnumDescriptor

from openvcluster.v1 import snapshot_pb2, vcluster_pb2

__all__ = [
    "DistroLike",
    "ExposeTypeLike",
    "PhaseLike",
    "SnapshotPhaseLike",
    "phase_name",
    "snapshot_phase_name",
    "to_distro",
    "to_expose_type",
    "to_phase",
    "to_snapshot_phase",
]

Phase = vcluster_pb2.VCluster.Phase
SnapshotPhase = snapshot_pb2.Snapshot.Phase
Distro = vcluster_pb2.VClusterSpec.Distro
ExposeType = vcluster_pb2.NetworkSpec.ExposeType

PhaseLike: TypeAlias = "vcluster_pb2.VCluster.Phase.ValueType | str"
"""A vcluster phase: ``Phase.PHASE_RUNNING``, ``"RUNNING"``, ``"running"``, ``"PHASE_RUNNING"``."""
SnapshotPhaseLike: TypeAlias = "snapshot_pb2.Snapshot.Phase.ValueType | str"
"""A snapshot phase: ``SnapshotPhase.PHASE_READY`` or ``"READY"``."""
DistroLike: TypeAlias = "vcluster_pb2.VClusterSpec.Distro.ValueType | str"
"""A distribution: ``Distro.DISTRO_K3S`` or ``"k3s"``."""
ExposeTypeLike: TypeAlias = "vcluster_pb2.NetworkSpec.ExposeType.ValueType | str"
"""An expose type: ``ExposeType.EXPOSE_TYPE_NODE_PORT`` or ``"NODE_PORT"``."""


def _lookup(descriptor: EnumDescriptor, prefix: str, value: int | str, what: str) -> int:
    if isinstance(value, int):
        if value not in descriptor.values_by_number:
            raise ValueError(f"{value} is not a {what}")
        return value
    key = value.strip().upper().replace("-", "_")
    if not key.startswith(prefix):
        key = prefix + key
    found = descriptor.values_by_name.get(key)
    if found is None or found.number == 0:
        names = [v.name.removeprefix(prefix) for v in descriptor.values if v.number != 0]
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(names)}")
    return found.number


def to_phase(value: PhaseLike) -> vcluster_pb2.VCluster.Phase.ValueType:
    """The generated enum value of a vcluster phase given by value or by name."""
    return Phase.ValueType(_lookup(Phase.DESCRIPTOR, "PHASE_", value, "vcluster phase"))


def to_snapshot_phase(value: SnapshotPhaseLike) -> snapshot_pb2.Snapshot.Phase.ValueType:
    """The generated enum value of a snapshot phase given by value or by name."""
    return SnapshotPhase.ValueType(
        _lookup(SnapshotPhase.DESCRIPTOR, "PHASE_", value, "snapshot phase")
    )


def to_distro(value: DistroLike) -> vcluster_pb2.VClusterSpec.Distro.ValueType:
    """The generated enum value of a distribution given by value or by name."""
    return Distro.ValueType(_lookup(Distro.DESCRIPTOR, "DISTRO_", value, "distro"))


def to_expose_type(value: ExposeTypeLike) -> vcluster_pb2.NetworkSpec.ExposeType.ValueType:
    """The generated enum value of an expose type given by value or by name."""
    return ExposeType.ValueType(
        _lookup(ExposeType.DESCRIPTOR, "EXPOSE_TYPE_", value, "expose type")
    )


def phase_name(value: int) -> str:
    """``"RUNNING"`` for ``Phase.PHASE_RUNNING``: the short name used in messages."""
    try:
        return Phase.Name(Phase.ValueType(value)).removeprefix("PHASE_")
    except ValueError:
        return str(value)


def snapshot_phase_name(value: int) -> str:
    """``"READY"`` for ``SnapshotPhase.PHASE_READY``."""
    try:
        return SnapshotPhase.Name(SnapshotPhase.ValueType(value)).removeprefix("PHASE_")
    except ValueError:
        return str(value)
