"""What the sync and async clients share: connection settings, call defaults and metadata."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Self, TypedDict

from openvcluster._config import ConnectionConfig, StrPath
from openvcluster._options import DEFAULT, CallSettings, Default, Metadata, WireMetadata
from openvcluster._retry import RetryPolicy
from openvcluster._trace_context import trace_metadata

__all__ = ["ClientBase", "ClientSettings", "report_operation"]


def report_operation(on_operation: Callable[[str], None] | None, operation_id: str) -> None:
    """Calls a mutation's ``on_operation`` with the ``operation_id`` of its response,
    once the server has answered, when there is one (a ``validate_only`` call
    has none). Both clients call it before any ``wait=`` wait begins."""
    if on_operation is not None and operation_id:
        on_operation(operation_id)


class ClientSettings(TypedDict, total=False):
    """The keyword settings of :class:`openvcluster.Client` and
    :class:`openvcluster.AsyncClient` besides ``endpoint`` and ``channel`` (the
    Client's docstring says what each does). Written once, here, so the two
    constructors cannot drift; a setting left out takes its default."""

    token: str | None
    tls: bool | None
    ca_file: StrPath | None
    client_cert_file: StrPath | None
    client_key_file: StrPath | None
    tls_server_name: str | None
    timeout: float | Default | None
    retry: RetryPolicy | Default | None
    metadata: Metadata | None
    wait_timeout: float | Default | None
    validate_requests: bool | Default
    channel_options: Sequence[tuple[str, Any]]


class ClientBase:
    """Settings of a client; see :class:`openvcluster.Client` for the arguments."""

    def __init__(self, endpoint: str | None, settings: ClientSettings) -> None:
        unknown = sorted(set(settings) - set(ClientSettings.__annotations__))
        if unknown:
            # What Python says of any unknown keyword, for callers without a type checker.
            name = type(self).__name__
            raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}")
        self._config = ConnectionConfig.resolve(
            endpoint=endpoint,
            token=settings.get("token"),
            tls=settings.get("tls"),
            ca_file=settings.get("ca_file"),
            client_cert_file=settings.get("client_cert_file"),
            client_key_file=settings.get("client_key_file"),
            tls_server_name=settings.get("tls_server_name"),
            channel_options=settings.get("channel_options", ()),
        )
        self._defaults = CallSettings().merged(
            timeout=settings.get("timeout", DEFAULT),
            retry=settings.get("retry", DEFAULT),
            metadata=settings.get("metadata"),
            wait_timeout=settings.get("wait_timeout", DEFAULT),
            validate_requests=settings.get("validate_requests", DEFAULT),
        )
        self._owns_channel = True

    @property
    def config(self) -> ConnectionConfig:
        """The resolved connection settings (endpoint, TLS; the token is not shown)."""
        return self._config

    @property
    def defaults(self) -> CallSettings:
        """The defaults of every call: timeout, retry policy, metadata, wait
        timeout. A call's own options (``timeout=``, ...) override them."""
        return self._defaults

    @property
    def options(self) -> CallSettings:
        """Deprecated: the same as :attr:`defaults`; goes in the next release."""
        warnings.warn(
            f"{type(self).__name__}.options is deprecated; use .defaults",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._defaults

    def with_options(
        self,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
        wait_timeout: float | Default | None = DEFAULT,
        validate_requests: bool | Default = DEFAULT,
    ) -> Self:
        """A client with other defaults that shares this one's connection.

        ``metadata`` is added to this client's. Closing the derived client does
        not close the connection; close the original when done.
        """
        clone = copy.copy(self)
        clone._defaults = self._defaults.merged(
            timeout=timeout,
            retry=retry,
            metadata=metadata,
            wait_timeout=wait_timeout,
            validate_requests=validate_requests,
        )
        clone._owns_channel = False
        return clone

    def _prepare(
        self,
        timeout: float | Default | None,
        retry: RetryPolicy | Default | None,
        metadata: Metadata | None,
        wait_timeout: float | Default | None = DEFAULT,
    ) -> tuple[CallSettings, WireMetadata]:
        options = self._defaults.merged(
            timeout=timeout, retry=retry, metadata=metadata, wait_timeout=wait_timeout
        )
        wire = options.metadata
        if not any(key.lower() == "authorization" for key, _ in wire):
            wire += self._config.auth_metadata()
        wire += trace_metadata()
        return options, wire

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self._config.endpoint!r}, tls={self._config.tls})"
