"""``openvcluster-server``: run the reference server from the command line."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openvcluster_server import __version__, logformat, manifests, tracing
from openvcluster_server.app import ReferenceServer
from openvcluster_server.config import (
    BACKENDS,
    DEFAULT_ADDRESS,
    DEFAULT_HTTP_ADDRESS,
    HTTP_OFF,
    ConfigError,
    ServerConfig,
    config_kwargs,
    load_config_file,
)
from openvcluster_server.kube import crd


def build_parser() -> argparse.ArgumentParser:
    """The command line; flags override the config file, which overrides defaults."""
    parser = argparse.ArgumentParser(
        prog="openvcluster-server",
        description="The open-vcluster-api reference server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the v1 API until interrupted")
    serve.add_argument("--config", type=Path, help="YAML file of settings (see README)")
    serve.add_argument("--address", help=f"host:port to listen on (default {DEFAULT_ADDRESS})")
    serve.add_argument(
        "--http-address",
        help=f"host:port of the HTTP port: Connect, gRPC-Web and /openapi.yaml "
        f"(default {DEFAULT_HTTP_ADDRESS}; {HTTP_OFF} turns it off)",
    )
    serve.add_argument(
        "--http-allowed-origins",
        help="comma-separated web origins whose pages may call the HTTP port (CORS), "
        "such as https://console.example.com",
    )
    serve.add_argument(
        "--metrics-address",
        help="host:port of the Prometheus metrics at /metrics (default off; loopback "
        "unless --insecure: metrics describe every tenant)",
    )
    serve.add_argument(
        "--metrics-namespace-labels",
        action="store_true",
        default=None,
        help="label the vcluster metrics with their namespace (one series per namespace)",
    )
    serve.add_argument(
        "--backend",
        choices=BACKENDS,
        help="simulated (the default: vclusters simulated in --store) or kubernetes "
        "(real vclusters on a host cluster)",
    )
    serve.add_argument(
        "--store", choices=("memory", "sqlite"), help="where simulated vclusters live"
    )
    serve.add_argument("--data-dir", type=Path, help="directory of the sqlite store")
    serve.add_argument(
        "--transition-delay", type=float, help="seconds each intermediate phase lasts (default 2)"
    )
    serve.add_argument("--tokens-file", type=Path, help="YAML file of bearer tokens")
    serve.add_argument("--tls-cert-file", type=Path, help="PEM certificate chain of the server")
    serve.add_argument("--tls-key-file", type=Path, help="PEM private key of the server")
    serve.add_argument(
        "--tls-client-ca-file",
        type=Path,
        help="PEM CA that client certificates must chain to (mutual TLS)",
    )
    serve.add_argument(
        "--kubernetes-versions", help="comma-separated supported minor versions, newest last"
    )
    serve.add_argument("--request-id-ttl", type=float, help="seconds a request_id is remembered")
    serve.add_argument(
        "--operations-per-vcluster",
        type=int,
        help="operations kept per vcluster; the oldest ended ones beyond are forgotten (100)",
    )
    serve.add_argument(
        "--operation-retention",
        type=float,
        help="seconds an operation is kept after it ended (2592000: 30 days)",
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        default=None,
        help="allow listening beyond loopback without tokens",
    )
    serve.add_argument(
        "--enable-test-hooks",
        action="store_true",
        default=None,
        help="honour ovc-test-* metadata (failure injection); never in production",
    )
    serve.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    serve.add_argument(
        "--log-format",
        choices=logformat.LOG_FORMATS,
        help="text (the default: one readable line per record) or json (one object per line)",
    )
    kube = serve.add_argument_group("the kubernetes backend (docs/kubernetes-backend.md)")
    kube.add_argument(
        "--kubeconfig",
        type=Path,
        help="host cluster (default: KUBECONFIG, ~/.kube/config, in-cluster)",
    )
    kube.add_argument(
        "--install-crds",
        action="store_true",
        default=None,
        help="install or update the VCluster and Snapshot CRDs at start (else they must exist)",
    )
    kube.add_argument(
        "--vcluster-chart", help="chart name in --chart-repo, a local directory or oci:// reference"
    )
    kube.add_argument("--chart-repo", help="Helm repository of the chart (https://charts.loft.sh)")
    kube.add_argument("--chart-version", help="version of the vcluster chart (0.36.1)")
    kube.add_argument("--helm-binary", help="the helm command (helm on PATH)")
    kube.add_argument(
        "--phase-timeout", type=float, help="seconds a transition may take before FAILED (300)"
    )
    kube.add_argument(
        "--max-staleness",
        type=float,
        help="seconds reads answer from the cache while the API server is unreachable (5)",
    )
    kube.add_argument(
        "--system-namespace", help="namespace of the server's own records (openvcluster-system)"
    )
    kube.add_argument(
        "--leader-elect",
        action="store_true",
        default=None,
        help="reconcile only while holding the leader Lease (for several replicas)",
    )
    kube.add_argument(
        "--leader-elect-lease-duration",
        type=float,
        help="seconds before another replica may take over a silent leader's Lease (15)",
    )
    kube.add_argument(
        "--leader-elect-identity",
        help="this replica's name in the Lease (default: host name and a random suffix)",
    )
    kube.add_argument(
        "--ingress-domain", help="INGRESS vclusters are https://<host namespace>.<domain>"
    )
    kube.add_argument(
        "--snapshot-url",
        help="where snapshots are stored: oci://REPOSITORY, s3://BUCKET/PREFIX or "
        "container://PATH (in the vcluster's own volume); none: no snapshots",
    )
    kube.add_argument(
        "--snapshot-credentials-secret",
        help="NAMESPACE/NAME of a Secret with the snapshot store's credentials",
    )
    commands.add_parser("crds", help="print the VCluster and Snapshot CRDs (kubectl apply -f -)")
    manifests_command = commands.add_parser(
        "manifests",
        help="print what deploys the server in a cluster: namespace, service account, CRDs, "
        "least-privilege roles, Deployment, Service (kubectl apply -f -)",
    )
    manifests_command.add_argument(
        "--image",
        default=manifests.DEFAULT_IMAGE,
        help=f"the server's container image (default {manifests.DEFAULT_IMAGE})",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Defaults, then the config file, then flags."""
    settings: dict[str, Any] = {}
    if args.config is not None:
        settings.update(load_config_file(args.config))
    flags = {
        name: getattr(args, name)
        for name in (
            "address",
            "http_address",
            "http_allowed_origins",
            "metrics_address",
            "metrics_namespace_labels",
            "backend",
            "store",
            "data_dir",
            "transition_delay",
            "tokens_file",
            "tls_cert_file",
            "tls_key_file",
            "tls_client_ca_file",
            "request_id_ttl",
            "operations_per_vcluster",
            "operation_retention",
            "insecure",
            "enable_test_hooks",
            "kubeconfig",
            "install_crds",
            "vcluster_chart",
            "chart_repo",
            "chart_version",
            "helm_binary",
            "phase_timeout",
            "max_staleness",
            "system_namespace",
            "leader_elect",
            "leader_elect_lease_duration",
            "leader_elect_identity",
            "ingress_domain",
            "snapshot_url",
            "snapshot_credentials_secret",
            "log_format",
        )
        if getattr(args, name) is not None
    }
    if args.kubernetes_versions:
        flags["kubernetes_versions"] = args.kubernetes_versions.split(",")
    settings.update(config_kwargs(flags, source="command line"))
    config = ServerConfig(**settings)
    if config.store == "sqlite" and config.data_dir is None:
        raise ConfigError("--store sqlite needs --data-dir")
    return config


# Allocations between two collections of the youngest generation (Python's default: 700).
YOUNG_GENERATION_THRESHOLD = 10_000


async def serve(config: ServerConfig) -> None:
    """Serves until SIGINT or SIGTERM, then shuts down gracefully."""
    tracing.configure_from_environment()
    server = ReferenceServer(config)
    await server.start()
    # What start made (modules, descriptors, the store, the listeners) lives
    # as long as the process: kept out of the collector's generations, it is
    # not scanned again by every collection of the older ones (issue 28).
    gc.freeze()
    # A call leaves a few dozen short-lived objects, nearly all freed by
    # reference counting; collecting the youngest generation every 700
    # allocations (the default) scans calls still in flight again and again,
    # which at 64 concurrent calls cost about 15 µs of CPU per call (issue 28).
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logformat.write_waiting()
    logging.getLogger(__name__).info("shutting down")
    await server.stop()


def configure_logging(log_format: str, level: str) -> None:
    """Sends every record at ``level`` or above to stderr, written in ``log_format``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logformat.formatter(log_format))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # Neither format writes the thread or the process, and looking them up
    # for every record is a good part of what an access-log line costs.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # The Kubernetes backend's HTTP client logs every request at INFO.
    logging.getLogger("httpx2").setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if args.command == "crds":
        print(crd.manifest(), end="")
        return 0
    if args.command == "manifests":
        print(manifests.render(args.image), end="")
        return 0
    try:
        # The settings first: they say how to log.
        config = config_from_args(args)
        configure_logging(config.log_format, args.log_level)
        asyncio.run(serve(config))
    except ConfigError as exc:
        print(f"openvcluster-server: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
