"""Python SDK for open-vcluster-api: virtual Kubernetes clusters with a VM-like lifecycle.

Start with :class:`Client` (or :class:`AsyncClient` for ``asyncio``)::

    import openvcluster

    with openvcluster.Client() as client:
        vc = client.create_vcluster("team-a", "dev", cpu="2", memory="4Gi", wait=True)
        print(vc.status.phase == openvcluster.Phase.PHASE_RUNNING)

Results are the generated protobuf messages of :mod:`openvcluster.v1`,
re-exported here (``VCluster``, ``SleepSchedule``, ``Snapshot``, ``Operation``,
``VClusterUsage``, ``FleetSummary``, ``ServerInfo``, ...); failures raise the typed errors of
:mod:`openvcluster.errors`. The betterproto2 dataclass flavour lives in
:mod:`openvcluster.betterproto`.
"""

import warnings
from typing import TYPE_CHECKING, Any

from openvcluster._async.client import AsyncClient
from openvcluster._config import (
    DEFAULT_ENDPOINT,
    ENV_CA_FILE,
    ENV_CLIENT_CERT_FILE,
    ENV_CLIENT_KEY_FILE,
    ENV_ENDPOINT,
    ENV_TLS,
    ENV_TLS_SERVER_NAME,
    ENV_TOKEN,
    USER_AGENT,
    ConnectionConfig,
    create_channel,
)
from openvcluster._enums import (
    DistroLike,
    ExposeTypeLike,
    PhaseLike,
    SnapshotPhaseLike,
    phase_name,
    snapshot_phase_name,
    to_distro,
    to_expose_type,
    to_phase,
    to_snapshot_phase,
)
from openvcluster._options import (
    DEFAULT,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    CallSettings,
    Default,
    Metadata,
)
from openvcluster._pagination import AsyncPager, Page, Pager
from openvcluster._requests import new_request_id
from openvcluster._retry import RetryPolicy
from openvcluster._sync.client import Client
from openvcluster._version import __version__
from openvcluster._wait import resting_phase
from openvcluster._watch import AsyncWatch, Watch
from openvcluster.errors import (
    AbortedError,
    AlreadyExistsError,
    CancelledError,
    DeadlineExceededError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    OpenVClusterError,
    PermissionDeniedError,
    ResourceExhaustedError,
    SnapshotFailedError,
    UnauthenticatedError,
    UnavailableError,
    UnexpectedStatusError,
    VClusterFailedError,
    WaitError,
    WaitTimeoutError,
)
from openvcluster.v1.monitor_service_pb2 import (
    FleetSummary,
    NamespaceQuota,
    NamespaceSummary,
    PhaseCount,
    UsageFigure,
    VClusterMention,
    VClusterUsage,
)
from openvcluster.v1.operation_pb2 import Operation
from openvcluster.v1.server_info_service_pb2 import Caller, ServerInfo, ServerLimits
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import (
    Condition,
    NetworkSpec,
    Resources,
    ResourceUsage,
    SleepSchedule,
    StorageSpec,
    VCluster,
    VClusterSpec,
    VClusterStatus,
)
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse

Phase = VCluster.Phase
"""Vcluster phases: ``Phase.PHASE_RUNNING``, ... (``VCluster.Phase``)."""
SnapshotPhase = Snapshot.Phase
"""Snapshot phases: ``SnapshotPhase.PHASE_READY``, ... (``Snapshot.Phase``)."""
OperationState = Operation.State
"""Operation states: ``OperationState.STATE_RUNNING``, ``..._SUCCEEDED``,
``..._FAILED`` (``Operation.State``)."""
Distro = VClusterSpec.Distro
"""Control-plane distributions: ``Distro.DISTRO_K8S``, ... (``VClusterSpec.Distro``)."""
ExposeType = NetworkSpec.ExposeType
"""How the API server is exposed (``NetworkSpec.ExposeType``)."""
WatchEvent = WatchVClustersResponse
"""One event of ``watch_vclusters``: ``.type`` and ``.vcluster`` (unset for SYNCED)."""
EventType = WatchVClustersResponse.EventType
"""Watch event types: ``EventType.EVENT_TYPE_ADDED``, ``..._MODIFIED``, ``..._DELETED``,
and ``..._SYNCED`` (the initial state is complete)."""

# Deprecated names, kept for one release (see CHANGELOG.md, 0.2.0): each
# warns when used and goes in the next release.
_DEPRECATED: dict[str, tuple[str, Any]] = {"CallOptions": ("CallSettings", CallSettings)}

if TYPE_CHECKING:
    CallOptions = CallSettings
    """Deprecated: use :class:`CallSettings`."""
else:

    def __getattr__(name: str) -> Any:
        if name in _DEPRECATED:
            new, value = _DEPRECATED[name]
            warnings.warn(
                f"openvcluster.{name} is deprecated; use openvcluster.{new}",
                DeprecationWarning,
                stacklevel=2,
            )
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT",
    "DEFAULT_ENDPOINT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "ENV_CA_FILE",
    "ENV_CLIENT_CERT_FILE",
    "ENV_CLIENT_KEY_FILE",
    "ENV_ENDPOINT",
    "ENV_TLS",
    "ENV_TLS_SERVER_NAME",
    "ENV_TOKEN",
    "USER_AGENT",
    "AbortedError",
    "AlreadyExistsError",
    "AsyncClient",
    "AsyncPager",
    "AsyncWatch",
    "CallSettings",
    "Caller",
    "CancelledError",
    "Client",
    "Condition",
    "ConnectionConfig",
    "DeadlineExceededError",
    "Default",
    "Distro",
    "DistroLike",
    "EventType",
    "ExposeType",
    "ExposeTypeLike",
    "FailedPreconditionError",
    "FleetSummary",
    "InvalidArgumentError",
    "Metadata",
    "NamespaceQuota",
    "NamespaceSummary",
    "NetworkSpec",
    "NotFoundError",
    "OpenVClusterError",
    "Operation",
    "OperationState",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "Phase",
    "PhaseCount",
    "PhaseLike",
    "ResourceExhaustedError",
    "ResourceUsage",
    "Resources",
    "RetryPolicy",
    "ServerInfo",
    "ServerLimits",
    "SleepSchedule",
    "Snapshot",
    "SnapshotFailedError",
    "SnapshotPhase",
    "SnapshotPhaseLike",
    "StorageSpec",
    "UnauthenticatedError",
    "UnavailableError",
    "UnexpectedStatusError",
    "UsageFigure",
    "VCluster",
    "VClusterFailedError",
    "VClusterMention",
    "VClusterSpec",
    "VClusterStatus",
    "VClusterUsage",
    "WaitError",
    "WaitTimeoutError",
    "Watch",
    "WatchEvent",
    "__version__",
    "create_channel",
    "new_request_id",
    "phase_name",
    "resting_phase",
    "snapshot_phase_name",
    "to_distro",
    "to_expose_type",
    "to_phase",
    "to_snapshot_phase",
]
