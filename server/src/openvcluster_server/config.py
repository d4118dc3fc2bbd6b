"""Server configuration: defaults, the optional YAML file, and command-line overrides."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from openvcluster_server.logformat import LOG_FORMATS
from openvcluster_server.quantity import parse_quantity
from openvcluster_server.request_caps import RequestCaps
from openvcluster_server.selector import SelectorLimits
from openvcluster_server.watch import WatchLimits

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_HTTP_ADDRESS = "127.0.0.1:8080"
# The value of --http-address that turns the HTTP port off.
HTTP_OFF = "off"
DEFAULT_KUBERNETES_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")
# What the pinned vcluster chart (0.36) ships images for.
CHART_KUBERNETES_VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36")
BACKENDS = ("simulated", "kubernetes")
# Snapshot stores the Kubernetes backend can name (as vcluster snapshot URLs).
SNAPSHOT_SCHEMES = ("oci", "s3", "container")


class ConfigError(ValueError):
    """A configuration that the server cannot start with; the message says why."""


@dataclass(frozen=True)
class Quota:
    """Limits of one namespace. ``None`` means unlimited.

    Checked when made, so that a limit no request could ever be compared
    with stops the server at start instead of failing every later Create.
    """

    max_vclusters: int | None = None
    max_snapshots: int | None = None
    # Kubernetes quantities, summed over the namespace's vclusters.
    cpu: str | None = None
    memory: str | None = None

    def __post_init__(self) -> None:
        for name in ("max_vclusters", "max_snapshots"):
            count = getattr(self, name)
            if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
                raise ConfigError(f"{name} must be a whole number, not {count!r}")
            if count is not None and count < 0:
                raise ConfigError(f"{name} must not be negative")
        for name in ("cpu", "memory"):
            text = getattr(self, name)
            if text is None:
                continue
            try:
                amount = parse_quantity(text)
            except ValueError as exc:
                raise ConfigError(f"{name} {text!r} {exc}") from None
            if amount < 0:
                raise ConfigError(f"{name} {text!r} must not be negative")


@dataclass(frozen=True)
class ServerConfig:
    """Everything the server can be told. Every field has a working default."""

    address: str = DEFAULT_ADDRESS
    # host:port of the HTTP port (Connect, gRPC-Web, /openapi.yaml); None: no HTTP port.
    http_address: str | None = DEFAULT_HTTP_ADDRESS
    # Web origins (scheme://host[:port]) whose pages may call the HTTP port (CORS).
    http_allowed_origins: tuple[str, ...] = ()
    # host:port of /metrics (Prometheus); None: no metrics. Loopback unless insecure.
    metrics_address: str | None = None
    # Label vclusters metrics with their namespace (as many series as namespaces).
    metrics_namespace_labels: bool = False
    # "simulated" (vclusters simulated with timers, in `store`) or
    # "kubernetes" (real vclusters on a host cluster).
    backend: str = "simulated"
    # "memory" (lost on exit) or "sqlite" (durable, in data_dir); simulated backend only.
    store: str = "memory"
    data_dir: Path | None = None
    # Seconds each intermediate phase lasts. 2 s looks lifelike in a demo; tests use 0.
    transition_delay: float = 2.0
    tokens_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # When set, clients must present a certificate signed by this CA (mutual TLS).
    tls_client_ca_file: Path | None = None
    # Allows listening beyond loopback without tokens.
    insecure: bool = False
    # Minor versions accepted in VClusterSpec.kubernetes_version; the last is the
    # default. Empty means the backend's own (see supported_versions).
    kubernetes_versions: tuple[str, ...] = ()
    # Per-namespace limits; the "*" entry applies to namespaces not listed.
    quotas: Mapping[str, Quota] = field(default_factory=dict)
    # How long a request_id is remembered.
    request_id_ttl: float = 3600.0
    # The operation history: operations kept per vcluster (the oldest ended
    # ones beyond are forgotten), and seconds an ended one is kept (30 days).
    operations_per_vcluster: int = 100
    operation_retention: float = 30 * 24 * 3600.0
    # Events a watcher may lag behind before its stream is ended.
    watch_buffer: int = WatchLimits.buffer
    # Open watches on the server, and of one caller (token).
    max_watches: int = WatchLimits.total
    max_watches_per_caller: int = WatchLimits.per_caller
    # Label selectors: characters (values in "in (...)" count) and requirements.
    max_selector_length: int = SelectorLimits.max_length
    max_selector_requirements: int = SelectorLimits.max_requirements
    max_message_bytes: int = 4 * 1024 * 1024
    # Honour the ovc-test-* request metadata (see testhooks.py). Never in production.
    enable_test_hooks: bool = False
    # Seconds in-flight calls get to finish on SIGTERM.
    shutdown_grace: float = 5.0
    # Remembered request ids kept at most in total and per caller (token);
    # beyond, the one that expires first goes (see idempotency.py).
    request_id_limit: int = RequestCaps.total
    request_id_limit_per_caller: int = RequestCaps.per_caller
    # How log lines are written, one of LOG_FORMATS; the command line sets logging up with it.
    log_format: str = "text"

    # --- the Kubernetes backend ---
    # kubeconfig of the host cluster; None means KUBECONFIG, ~/.kube/config or in-cluster.
    kubeconfig: Path | None = None
    # Install (or update) the VCluster CRD at start instead of requiring it.
    install_crds: bool = False
    # The vcluster chart: a name in chart_repo, a local directory or an oci:// reference.
    vcluster_chart: str = "vcluster"
    chart_repo: str = "https://charts.loft.sh"
    chart_version: str = "0.36.1"
    helm_binary: str = "helm"
    # Seconds a transition may take before the vcluster is FAILED.
    phase_timeout: float = 300.0
    # Seconds reads keep answering from the watch cache while the API server is unreachable.
    max_staleness: float = 5.0
    # Where the server keeps its own records (request ids, the page-token key).
    system_namespace: str = "openvcluster-system"
    # Run the reconciler. Off, this server only answers the API (reads from its
    # watch cache, writes to the VCluster resources) while another one reconciles.
    reconcile: bool = True
    # With several replicas on one cluster: reconcile only while holding the
    # leader Lease in system_namespace (see kube/leader.py). Off, a replica
    # that reconciles assumes it is the only one.
    leader_elect: bool = False
    # Seconds a leader's Lease lasts without renewal before another replica
    # may take it over (it renews every 2/15 of this, steps down after 2/3).
    leader_elect_lease_duration: float = 15.0
    # The replica's name in the Lease; empty: the host name and a random suffix.
    leader_elect_identity: str = ""
    # INGRESS-exposed vclusters are reachable at https://<host namespace>.<ingress_domain>.
    ingress_domain: str = "vcluster.local"
    # Where snapshots are stored: an oci://, s3:// or container:// URL under
    # which each snapshot gets a location of its own. Empty: no snapshots.
    snapshot_url: str = ""
    # NAMESPACE/NAME of a Secret whose keys are the snapshot store's
    # credentials, copied into each snapshot request as the vcluster CLI does.
    snapshot_credentials_secret: str = ""

    def __post_init__(self) -> None:
        for name in ("transition_delay", "request_id_ttl", "shutdown_grace", "operation_retention"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name.replace('_', '-')} must not be negative")
        for name in _COUNT_FIELDS:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name.replace('_', '-')} must be at least 1")
        if self.max_message_bytes < 1024:
            raise ConfigError("max-message-bytes must be at least 1024")
        if self.store not in ("memory", "sqlite"):
            raise ConfigError(f"store must be memory or sqlite, not {self.store!r}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be {' or '.join(BACKENDS)}, not {self.backend!r}")
        for name in ("phase_timeout", "max_staleness"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be positive")
        if self.leader_elect_lease_duration < 1:
            raise ConfigError("leader-elect-lease-duration must be at least 1 second")
        for origin in self.http_allowed_origins:
            if origin != "*" and (
                "://" not in origin or origin.endswith("/") or origin.count("/") != 2
            ):
                raise ConfigError(
                    f"http-allowed-origins: {origin!r} is not an origin such as "
                    "https://console.example.com (scheme, host and port; no path)"
                )
        if self.snapshot_url:
            scheme = self.snapshot_url.partition("://")[0]
            if "://" not in self.snapshot_url or scheme not in SNAPSHOT_SCHEMES:
                raise ConfigError(
                    f"snapshot-url: {self.snapshot_url!r} is not an "
                    f"{', '.join(s + '://' for s in SNAPSHOT_SCHEMES)} URL"
                )
        if self.snapshot_credentials_secret and (
            self.snapshot_credentials_secret.count("/") != 1
            or "" in self.snapshot_credentials_secret.split("/")
        ):
            raise ConfigError("snapshot-credentials-secret must read NAMESPACE/NAME")
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(
                f"log-format must be {' or '.join(LOG_FORMATS)}, not {self.log_format!r}"
            )

    @property
    def watch_limits(self) -> WatchLimits:
        """How many watches may be open, and how far each may fall behind."""
        return WatchLimits(self.watch_buffer, self.max_watches, self.max_watches_per_caller)

    @property
    def request_caps(self) -> RequestCaps:
        """How many remembered request ids are kept."""
        return RequestCaps(self.request_id_limit_per_caller, self.request_id_limit)

    @property
    def selector_limits(self) -> SelectorLimits:
        """How large a label selector may be."""
        return SelectorLimits(self.max_selector_length, self.max_selector_requirements)

    @property
    def supported_versions(self) -> tuple[str, ...]:
        """The Kubernetes minor versions accepted: configured, else the backend's own."""
        if self.kubernetes_versions:
            return self.kubernetes_versions
        if self.backend == "kubernetes":
            return CHART_KUBERNETES_VERSIONS
        return DEFAULT_KUBERNETES_VERSIONS

    def replace(self, **changes: Any) -> ServerConfig:
        """Returns a copy with the given fields changed."""
        return dataclasses.replace(self, **changes)


_PATH_FIELDS = {
    "data_dir",
    "tokens_file",
    "tls_cert_file",
    "tls_key_file",
    "tls_client_ca_file",
    "kubeconfig",
}
# Whole numbers of at least 1.
_COUNT_FIELDS = (
    "watch_buffer",
    "max_watches",
    "max_watches_per_caller",
    "max_selector_length",
    "max_selector_requirements",
    "request_id_limit",
    "request_id_limit_per_caller",
    "operations_per_vcluster",
)
_FLOAT_FIELDS = {
    "transition_delay",
    "request_id_ttl",
    "operation_retention",
    "shutdown_grace",
    "phase_timeout",
    "max_staleness",
    "leader_elect_lease_duration",
}


def load_config_file(path: Path) -> dict[str, Any]:
    """Reads a YAML config file into ServerConfig keyword arguments.

    Keys are the ServerConfig field names, with '-' or '_' (``transition-delay``).
    """
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings")
    return config_kwargs(raw, source=str(path))


def config_kwargs(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Checks and converts loosely typed settings into ServerConfig keyword arguments."""
    known = {f.name for f in dataclasses.fields(ServerConfig)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).replace("-", "_")
        if name not in known:
            raise ConfigError(f"{source}: unknown setting {key!r}")
        try:
            out[name] = _convert(name, value, source)
        except ConfigError:
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: {key} cannot be {value!r}: {exc}") from None
    return out


def _convert(name: str, value: Any, source: str) -> Any:
    """One setting in the type ServerConfig holds it in."""
    if name in _PATH_FIELDS:
        return Path(value) if value is not None else None
    if name == "kubernetes_versions":
        return tuple(str(v) for v in value)
    if name == "http_allowed_origins":
        items = value.split(",") if isinstance(value, str) else value
        return tuple(str(v).strip() for v in items if str(v).strip())
    if name in ("http_address", "metrics_address"):
        return None if value is None or str(value) == HTTP_OFF else str(value)
    if name == "quotas":
        return _quotas(value, source)
    if name in _FLOAT_FIELDS:
        return float(value)
    if name in _COUNT_FIELDS or name == "max_message_bytes":
        return int(value)
    if name in {
        "insecure",
        "enable_test_hooks",
        "install_crds",
        "reconcile",
        "leader_elect",
        "metrics_namespace_labels",
    }:
        return bool(value)
    return str(value)


def _quotas(value: Any, source: str) -> dict[str, Quota]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: quotas must map namespaces to limits")
    quotas: dict[str, Quota] = {}
    allowed = {f.name for f in dataclasses.fields(Quota)}
    for namespace, limits in value.items():
        if not isinstance(limits, dict) or not set(limits) <= allowed:
            raise ConfigError(
                f"{source}: quota of {namespace!r} may only set {', '.join(sorted(allowed))}"
            )
        try:
            quotas[str(namespace)] = Quota(
                max_vclusters=_opt_int(limits.get("max_vclusters"), "max_vclusters"),
                max_snapshots=_opt_int(limits.get("max_snapshots"), "max_snapshots"),
                cpu=_opt_str(limits.get("cpu")),
                memory=_opt_str(limits.get("memory")),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: quota of {namespace!r}: {exc}") from None
    return quotas


def _opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
