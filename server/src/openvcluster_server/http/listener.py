"""The HTTP port's socket and its hypercorn server, run as a task of the
server's event loop (HTTP/1.1, and HTTP/2 over TLS or as h2c)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl

from hypercorn.asyncio import serve
from hypercorn.config import Config, Sockets
from hypercorn.typing import ASGIFramework

from openvcluster_server.config import ConfigError, ServerConfig

log = logging.getLogger("openvcluster_server.http")
_MIN_GRACE_SECONDS = 1.0


class _BoundConfig(Config):
    """hypercorn's settings, serving a socket bound beforehand: binding early
    lets a taken address stop the server at start, and port 0 be read back."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._socket = sock

    def create_sockets(self) -> Sockets:
        """The one bound socket, secure when TLS is configured."""
        if self.ssl_enabled:
            return Sockets([self._socket], [], [])
        return Sockets([], [self._socket], [])


class HttpListener:
    """Serves an ASGI application on an address until stopped.

    ``flag`` names the setting of the address in errors; with ``tls`` the
    server's certificate (and client CA) of ``config`` apply.
    """

    def __init__(
        self, address: str, flag: str, app: ASGIFramework, config: ServerConfig, tls: bool
    ) -> None:
        self._app = app
        sock = _bind(address, flag)
        self.port: int = sock.getsockname()[1]
        self._settings = _settings(config, sock, tls)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Starts serving in the running event loop."""
        self._task = asyncio.create_task(
            serve(self._app, self._settings, shutdown_trigger=self._stopping.wait)
        )

    async def stop(self, grace: float) -> None:
        """Stops accepting, lets open requests finish for ``grace`` s, and returns."""
        # Idle keep-alive connections close themselves once told to, which
        # takes a moment: a zero grace would cancel them mid-close instead.
        self._settings.graceful_timeout = max(grace, _MIN_GRACE_SECONDS)
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _bind(address: str, flag: str) -> socket.socket:
    """A listening socket on ``address`` (host:port, [v6]:port); a ConfigError names ``flag``."""
    host, _, port_text = address.rpartition(":")
    host = host.strip("[]")
    try:
        port = int(port_text)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family)
    except ValueError:
        raise ConfigError(f"{flag} {address!r} is not host:port") from None
    except OSError as exc:
        raise ConfigError(
            f"{flag} {address}: cannot listen there: the address is taken (another "
            f"server?) or not this machine's ({exc.strerror or exc})"
        ) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def _settings(config: ServerConfig, sock: socket.socket, tls: bool) -> Config:
    settings = _BoundConfig(sock)
    settings.graceful_timeout = config.shutdown_grace
    settings.accesslog = None
    settings.errorlog = log
    # A server banner helps nobody but an attacker.
    settings.include_server_header = False
    if tls and config.tls_cert_file is not None and config.tls_key_file is not None:
        settings.certfile = str(config.tls_cert_file)
        settings.keyfile = str(config.tls_key_file)
        if config.tls_client_ca_file is not None:
            settings.ca_certs = str(config.tls_client_ca_file)
            settings.verify_mode = ssl.CERT_REQUIRED
    return settings
