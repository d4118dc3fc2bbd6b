"""Assembles the gRPC server: services, health, reflection, TLS, housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc

from openvcluster_server.api_services import SERVICE_NAMES
from openvcluster_server.auth import load_authenticator
from openvcluster_server.backend import open_backend
from openvcluster_server.calls import CallRunner
from openvcluster_server.config import ConfigError, ServerConfig
from openvcluster_server.decoding import GuardedRegistrar
from openvcluster_server.engine import Engine
from openvcluster_server.handlers import Handlers
from openvcluster_server.http.asgi import HttpApplication, with_cors
from openvcluster_server.http.listener import HttpListener
from openvcluster_server.metrics import (
    KubeStats,
    RpcMeter,
    ServerMetrics,
    StoreStats,
    metrics_application,
)
from openvcluster_server.server_info import ServerInfoReader
from openvcluster_server.services import GrpcCalls, method_handlers
from openvcluster_server.store import Store
from openvcluster_server.testhooks import TestHooks

log = logging.getLogger(__name__)

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
_HOUSEKEEPING_SECONDS = 60.0


def is_loopback(address: str) -> bool:
    """Whether a listen address (host:port) only accepts local connections."""
    host = address.rsplit(":", 1)[0]
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


class ReferenceServer:
    """One running reference server: start it, read its port, stop it."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._authenticator = load_authenticator(config.tokens_file)
        metrics = config.metrics_address
        if metrics is not None and not is_loopback(metrics) and not config.insecure:
            raise ConfigError(
                f"refusing to serve metrics on {config.metrics_address}: they describe "
                "every tenant and need no token. Listen on 127.0.0.1, or pass "
                "--insecure to accept the risk."
            )
        for address in (config.address, config.http_address):
            exposed = address is not None and not is_loopback(address)
            if exposed and not self._authenticator.enabled and not config.insecure:
                raise ConfigError(
                    f"refusing to listen on {address} without tokens: anyone who can "
                    "reach it could change every vcluster. Configure a tokens file, listen on "
                    "127.0.0.1, or pass --insecure to accept the risk."
                )
        self._credentials = _server_credentials(config)
        self.backend = open_backend(config)
        self.metrics = (
            None
            if config.metrics_address is None
            else ServerMetrics(
                self.backend.hub,
                self.backend.view,
                self.backend if isinstance(self.backend, KubeStats) else None,
                config.metrics_namespace_labels,
                self.backend if isinstance(self.backend, StoreStats) else None,
            )
        )
        hooks = TestHooks(config.enable_test_hooks)
        self._grpc_runner = CallRunner(self._authenticator, hooks, self._meter("grpc"), "grpc")
        self._http_runner = CallRunner(self._authenticator, hooks, self._meter("http"), "http")
        self._handlers = Handlers(self.backend, ServerInfoReader(config))
        self._server: grpc.aio.Server | None = None
        self._http: HttpListener | None = None
        self._metrics_port: HttpListener | None = None
        self._background: list[asyncio.Task[None]] = []
        self.port = 0
        # The HTTP port's number; 0 while it is off. The same for the metrics port.
        self.http_port = 0
        self.metrics_port = 0

    def _meter(self, port: str) -> RpcMeter | None:
        """The RPC instruments of ``port``; None when metrics are off (nothing to count)."""
        return None if self.metrics is None else self.metrics.meter(port)

    @property
    def store(self) -> Store:
        """The simulated backend's store (tests reach into it); the Kubernetes one has none."""
        if not isinstance(self.backend, Engine):
            raise AttributeError("only the simulated backend keeps a store")
        return self.backend.core.store

    async def start(self) -> int:
        """Starts serving; returns the bound port (useful with port 0)."""
        limit = self.config.max_message_bytes
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", limit),
                # grpcio binds with SO_REUSEPORT by default: a second server on
                # a taken address would start silently and split the clients
                # between two states. Without it, the second one fails here.
                ("grpc.so_reuseport", 0),
            ],
        )
        calls = GrpcCalls(self._grpc_runner, self._handlers)
        # The generated add_* functions only call the two registration methods.
        registrar: Any = GuardedRegistrar(server, self._meter("grpc"))
        for service, handlers in method_handlers(calls).items():
            registrar.add_registered_method_handlers(service, handlers)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, registrar)
        # What reflection.enable_server_reflection does for an aio server, but
        # through the registrar: no registered method, none per call (decoding.py).
        reflection_pb2_grpc.add_ServerReflectionServicer_to_server(  # type: ignore[no-untyped-call]
            reflection.aio.ReflectionServicer(
                (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME)
            ),
            registrar,
        )
        try:
            if self._credentials is None:
                self.port = server.add_insecure_port(self.config.address)
            else:
                self.port = server.add_secure_port(self.config.address, self._credentials)
        except RuntimeError as exc:
            raise ConfigError(
                f"cannot listen on {self.config.address}: the address is taken (another "
                f"server?) or not this machine's ({exc})"
            ) from None
        if self.config.http_address is not None:
            app = HttpApplication(self._http_runner, self._handlers, limit)
            self._http = HttpListener(
                self.config.http_address,
                "--http-address",
                with_cors(app, self.config.http_allowed_origins),
                self.config,
                tls=True,
            )
            self.http_port = self._http.port
        if self.metrics is not None and self.config.metrics_address is not None:
            self._metrics_port = HttpListener(
                self.config.metrics_address,
                "--metrics-address",
                metrics_application(self.metrics),
                self.config,
                tls=False,
            )
            self.metrics_port = self._metrics_port.port
        await self.backend.start()
        for name in ("", *SERVICE_NAMES):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        await server.start()
        self._server = server
        for listener in (self._http, self._metrics_port):
            if listener is not None:
                listener.start()
        self._background = [
            asyncio.create_task(self._housekeeping()),
            asyncio.create_task(self.backend.follow_health(_health_reporter(health_servicer))),
        ]
        log.info(
            "serving on %s (backend %s, http %s, tls %s, tokens %s, test hooks %s, metrics %s)",
            _with_port(self.config.address, self.port),
            self.config.store if self.config.backend == "simulated" else self.config.backend,
            "off"
            if self.config.http_address is None
            else _with_port(self.config.http_address, self.http_port),
            "on" if self._credentials else "off",
            "on" if self._authenticator.enabled else "off",
            "on" if self.config.enable_test_hooks else "off",
            "off"
            if self.config.metrics_address is None
            else _with_port(self.config.metrics_address, self.metrics_port),
        )
        return self.port

    async def stop(self, grace: float | None = None) -> None:
        """Stops accepting calls, lets in-flight ones finish for ``grace`` s, closes the store."""
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Open watches would hold the grace period to its end; ended now with
        # UNAVAILABLE, their clients watch again elsewhere.
        self.backend.hub.close()
        grace = self.config.shutdown_grace if grace is None else grace
        if self._server is not None:
            await self._server.stop(grace)
        for listener in (self._http, self._metrics_port):
            if listener is not None:
                await listener.stop(grace)
        await self.backend.stop()

    async def wait_for_termination(self) -> None:
        """Returns when the server has stopped."""
        if self._server is not None:
            await self._server.wait_for_termination()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(_HOUSEKEEPING_SECONDS)
            await self.backend.housekeeping()


def _with_port(address: str, port: int) -> str:
    """``address`` with the port actually bound (they differ for port 0)."""
    return f"{address.rsplit(':', 1)[0]}:{port}"


def _health_reporter(servicer: health.aio.HealthServicer) -> Callable[[bool], None]:
    """Sets every service's health (SERVING or NOT_SERVING) as the backend reports it."""

    def report(serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *SERVICE_NAMES):
            asyncio.get_running_loop().create_task(servicer.set(name, status))

    return report


def _server_credentials(config: ServerConfig) -> grpc.ServerCredentials | None:
    if config.tls_cert_file is None and config.tls_key_file is None:
        if config.tls_client_ca_file is not None:
            raise ConfigError("mutual TLS needs a server certificate and key too")
        return None
    if config.tls_cert_file is None or config.tls_key_file is None:
        raise ConfigError("TLS needs both a certificate file and a key file")
    try:
        chain = config.tls_cert_file.read_bytes()
        key = config.tls_key_file.read_bytes()
        client_ca = config.tls_client_ca_file.read_bytes() if config.tls_client_ca_file else None
    except OSError as exc:
        raise ConfigError(f"cannot read a TLS file: {exc}") from exc
    return grpc.ssl_server_credentials(
        [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )
