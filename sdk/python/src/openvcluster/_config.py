"""Where and how to connect: endpoint, token and TLS, from arguments or the environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc

from openvcluster._version import __version__

__all__ = [
    "DEFAULT_ENDPOINT",
    "ENV_CA_FILE",
    "ENV_CLIENT_CERT_FILE",
    "ENV_CLIENT_KEY_FILE",
    "ENV_ENDPOINT",
    "ENV_TLS",
    "ENV_TLS_SERVER_NAME",
    "ENV_TOKEN",
    "USER_AGENT",
    "ConnectionConfig",
    "create_channel",
]

DEFAULT_ENDPOINT = "127.0.0.1:50051"
USER_AGENT = f"open-vcluster-api-python/{__version__}"

ENV_ENDPOINT = "OVC_ENDPOINT"
ENV_TOKEN = "OVC_TOKEN"
ENV_TLS = "OVC_TLS"
ENV_CA_FILE = "OVC_CA_FILE"
ENV_CLIENT_CERT_FILE = "OVC_CLIENT_CERT_FILE"
ENV_CLIENT_KEY_FILE = "OVC_CLIENT_KEY_FILE"
ENV_TLS_SERVER_NAME = "OVC_TLS_SERVER_NAME"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

StrPath = str | os.PathLike[str]


@dataclass(frozen=True)
class ConnectionConfig:
    """The resolved connection settings of a client. The token never shows in ``repr``."""

    endpoint: str
    token: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: Path | None = None
    client_cert_file: Path | None = None
    client_key_file: Path | None = None
    tls_server_name: str | None = None
    channel_options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def resolve(
        cls,
        *,
        endpoint: str | None = None,
        token: str | None = None,
        tls: bool | None = None,
        ca_file: StrPath | None = None,
        client_cert_file: StrPath | None = None,
        client_key_file: StrPath | None = None,
        tls_server_name: str | None = None,
        channel_options: Sequence[tuple[str, Any]] = (),
        environ: Mapping[str, str] | None = None,
    ) -> ConnectionConfig:
        """Arguments win; each one left out is read from its ``OVC_*`` variable.

        TLS is on when asked (``tls=True`` or ``OVC_TLS=true``), when the
        endpoint starts with ``https://``, or when a CA file or client
        certificate is configured; otherwise the channel is plaintext, which
        suits the default local endpoint.
        """
        env = os.environ if environ is None else environ
        endpoint = endpoint or env.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT
        scheme_tls: bool | None = None
        if endpoint.startswith("https://"):
            endpoint, scheme_tls = endpoint.removeprefix("https://"), True
        elif endpoint.startswith("http://"):
            endpoint, scheme_tls = endpoint.removeprefix("http://"), False
        endpoint = endpoint.rstrip("/")

        token = token if token is not None else env.get(ENV_TOKEN) or None
        ca = _path(ca_file, env.get(ENV_CA_FILE))
        cert = _path(client_cert_file, env.get(ENV_CLIENT_CERT_FILE))
        key = _path(client_key_file, env.get(ENV_CLIENT_KEY_FILE))
        if (cert is None) != (key is None):
            raise ValueError("a client certificate needs its key, and a key its certificate")

        if tls is None and env.get(ENV_TLS) is not None:
            tls = _parse_bool(env[ENV_TLS], ENV_TLS)
        if tls is None:
            tls = scheme_tls if scheme_tls is not None else (ca is not None or cert is not None)
        if not tls and (ca is not None or cert is not None):
            raise ValueError("a CA file or client certificate was given but TLS is switched off")
        return cls(
            endpoint=endpoint,
            token=token,
            tls=tls,
            ca_file=ca,
            client_cert_file=cert,
            client_key_file=key,
            tls_server_name=tls_server_name or env.get(ENV_TLS_SERVER_NAME) or None,
            channel_options=tuple(channel_options),
        )

    def credentials(self) -> grpc.ChannelCredentials | None:
        """TLS credentials (reading the certificate files now), or ``None`` for plaintext."""
        if not self.tls:
            return None
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca_file),
            private_key=_read(self.client_key_file),
            certificate_chain=_read(self.client_cert_file),
        )

    def options(self) -> list[tuple[str, Any]]:
        """grpc channel options: the SDK's user agent, the TLS name override, then the caller's."""
        options: list[tuple[str, Any]] = [("grpc.primary_user_agent", USER_AGENT)]
        if self.tls_server_name:
            options.append(("grpc.ssl_target_name_override", self.tls_server_name))
        options.extend(self.channel_options)
        return options

    def auth_metadata(self) -> tuple[tuple[str, str], ...]:
        """The ``authorization`` metadata sent with every call, if a token is set."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


_C = TypeVar("_C")


def open_channel(
    config: ConnectionConfig,
    secure: Callable[..., _C],
    insecure: Callable[..., _C],
    credentials: grpc.ChannelCredentials | None = None,
    **extra: Any,
) -> _C:
    """Opens a sync or ``grpc.aio`` channel (given their factories) for ``config``.

    ``credentials`` are the config's, when already read; otherwise they are read now.
    """
    if credentials is None:
        credentials = config.credentials()
    if credentials is None:
        return insecure(config.endpoint, options=config.options(), **extra)
    return secure(config.endpoint, credentials, options=config.options(), **extra)


def create_channel(
    endpoint: str | None = None,
    *,
    token: str | None = None,
    tls: bool | None = None,
    ca_file: StrPath | None = None,
    client_cert_file: StrPath | None = None,
    client_key_file: StrPath | None = None,
    tls_server_name: str | None = None,
    channel_options: Sequence[tuple[str, Any]] = (),
) -> grpc.Channel:
    """A configured grpcio channel, for generated stubs (such as the betterproto flavour's).

    It applies the same settings and environment variables as :class:`Client`
    and adds the ``authorization`` metadata to every call itself, which stubs
    that take no metadata argument need. Close it (or use ``with``) when done.
    """
    config = ConnectionConfig.resolve(
        endpoint=endpoint,
        token=token,
        tls=tls,
        ca_file=ca_file,
        client_cert_file=client_cert_file,
        client_key_file=client_key_file,
        tls_server_name=tls_server_name,
        channel_options=channel_options,
    )
    channel = open_channel(config, grpc.secure_channel, grpc.insecure_channel)
    metadata = config.auth_metadata()
    if not metadata:
        return channel
    return grpc.intercept_channel(channel, _MetadataInterceptor(metadata))


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, base: grpc.ClientCallDetails, metadata: tuple[tuple[str, str | bytes], ...]):
        self.method = base.method
        self.timeout = base.timeout
        self.metadata = metadata
        self.credentials = base.credentials
        self.wait_for_ready = base.wait_for_ready
        self.compression = base.compression


class _MetadataInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds fixed metadata (the token) to every unary and server-streaming call."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        return _CallDetails(details, (*(details.metadata or ()), *self._metadata))

    def intercept_unary_unary(
        self, continuation: Any, client_call_details: Any, request: Any
    ) -> Any:
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(
        self, continuation: Any, client_call_details: Any, request: Any
    ) -> Any:
        return continuation(self._details(client_call_details), request)


def _path(argument: StrPath | None, env_value: str | None) -> Path | None:
    if argument is not None:
        return Path(argument)
    return Path(env_value) if env_value else None


def _read(path: Path | None) -> bytes | None:
    return path.read_bytes() if path is not None else None


def _parse_bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")
