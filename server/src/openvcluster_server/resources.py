"""Building and updating the stored messages: phases, conditions, usage, etags, times."""

from __future__ import annotations

import secrets
import uuid
import zlib
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import (
    Condition,
    ResourceUsage,
    VCluster,
    VClusterSpec,
)
from openvcluster_server import schedules
from openvcluster_server.clock import CLOCK
from openvcluster_server.kubeconfig import api_server_endpoint
from openvcluster_server.phases import Phase, phase_name
from openvcluster_server.quantity import format_bytes, format_cpu, parse_quantity
from openvcluster_server.store import Key

READY = "Ready"
_MIB = Decimal(1024 * 1024)

_PHASE_MESSAGES: dict[int, str] = {
    Phase.PHASE_PROVISIONING: "creating the control plane",
    Phase.PHASE_RUNNING: "the control plane is serving",
    Phase.PHASE_SCALING: "changing resources and replicas",
    Phase.PHASE_SUSPENDING: "stopping the control plane",
    Phase.PHASE_SUSPENDED: "the control plane is stopped; its state is kept",
    Phase.PHASE_RESUMING: "starting the control plane",
    Phase.PHASE_RESTORING: "replacing the state from a snapshot",
    Phase.PHASE_UPGRADING: "moving the control plane to the new Kubernetes version",
    Phase.PHASE_DELETING: "removing the vcluster",
    Phase.PHASE_FAILED: "the vcluster failed",
}


def now() -> Timestamp:
    """The server clock's time at microsecond precision (clock.py)."""
    return CLOCK.timestamp()


def key_of(resource: VCluster | Snapshot) -> Key:
    """The (namespace, name) a resource is stored under."""
    return (resource.namespace, resource.name)


def copy_vcluster(vcluster: VCluster) -> VCluster:
    """A deep copy, so a published or remembered state cannot change later."""
    copied = VCluster()
    copied.CopyFrom(vcluster)
    return copied


def new_uid() -> str:
    """A server-assigned unique identifier."""
    return str(uuid.uuid4())


def new_etag() -> str:
    """An opaque version token; a new one for every change."""
    return secrets.token_hex(8)


def new_vcluster(namespace: str, name: str, spec: VClusterSpec, labels: dict[str, str]) -> VCluster:
    """A vcluster as created: PROVISIONING, with its uid and times."""
    created = now()
    vcluster = VCluster(
        namespace=namespace,
        name=name,
        uid=new_uid(),
        spec=spec,
        labels=labels,
        create_time=created,
        update_time=created,
    )
    set_phase(vcluster, Phase.PHASE_PROVISIONING)
    schedules.set_next_times(vcluster, CLOCK.datetime())
    vcluster.etag = new_etag()
    return vcluster


def touch(vcluster: VCluster) -> None:
    """Marks a change: new update_time and etag."""
    vcluster.update_time.CopyFrom(now())
    vcluster.etag = new_etag()


def set_phase(vcluster: VCluster, phase: int, message: str = "") -> None:
    """Moves to a phase and keeps the status fields that follow from it consistent."""
    status = vcluster.status
    status.phase = phase  # type: ignore[assignment]
    status.message = message or _PHASE_MESSAGES.get(phase, "")
    # The endpoint appears once provisioning is over, and a failure keeps whatever there was.
    if phase not in (Phase.PHASE_PROVISIONING, Phase.PHASE_FAILED):
        status.api_server_endpoint = api_server_endpoint(vcluster.namespace, vcluster.name)
    status.current_usage.CopyFrom(
        usage_of(vcluster.spec) if phase == Phase.PHASE_RUNNING else ResourceUsage()
    )
    _set_ready_condition(vcluster, phase)


def _set_ready_condition(vcluster: VCluster, phase: int) -> None:
    ready = phase == Phase.PHASE_RUNNING
    wanted = Condition.Status.STATUS_TRUE if ready else Condition.Status.STATUS_FALSE
    reason = phase_name(phase).title().replace("_", "")
    message = _PHASE_MESSAGES.get(phase, "")
    for condition in vcluster.status.conditions:
        if condition.type == READY:
            if condition.status != wanted:
                condition.last_transition_time.CopyFrom(now())
            condition.status = wanted
            condition.reason = reason
            condition.message = message
            return
    vcluster.status.conditions.append(
        Condition(
            type=READY,
            status=wanted,
            reason=reason,
            message=message,
            last_transition_time=now(),
        )
    )


def usage_of(spec: VClusterSpec) -> ResourceUsage:
    """A plausible, deterministic usage of a RUNNING vcluster: a quarter of its CPU,
    three eighths of its memory, and a few pods per control-plane replica."""
    cpu = parse_quantity(spec.resources.cpu) / 4
    memory = (parse_quantity(spec.resources.memory) * 3 / 8 / _MIB).to_integral_value() * _MIB
    return ResourceUsage(
        cpu=format_cpu(cpu), memory=format_bytes(memory), pod_count=4 + 2 * spec.replicas
    )


def new_snapshot(
    source: VCluster, name: str, description: str, labels: dict[str, str]
) -> tuple[Snapshot, bytes]:
    """A PENDING snapshot of a vcluster and the opaque state it captures."""
    snapshot = Snapshot(
        namespace=source.namespace,
        name=name,
        vcluster=source.name,
        uid=new_uid(),
        phase=Snapshot.Phase.PHASE_PENDING,
        source_spec=source.spec,
        description=description,
        labels=labels,
        create_time=now(),
        message="waiting to start",
    )
    captured = VCluster(
        name=source.name, namespace=source.namespace, labels=source.labels, spec=source.spec
    )
    return snapshot, zlib.compress(captured.SerializeToString(deterministic=True))


def captured_vcluster(state: bytes) -> VCluster:
    """The vcluster (spec and labels) a snapshot's state holds."""
    return VCluster.FromString(zlib.decompress(state))


def random_suffix() -> str:
    """Five lower-case letters and digits for server-chosen names."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))
