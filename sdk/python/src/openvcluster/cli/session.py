"""What one ``ovc`` invocation shares: the global options, the settings and the client."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from openvcluster import DEFAULT_ENDPOINT, Client
from openvcluster.cli.config import ConfigFile, Settings, default_path, resolve

__all__ = ["Session", "get_session"]


@dataclass
class Session:
    """The global options of the invocation; settings and client are made on first use."""

    given: dict[str, str] = field(default_factory=dict)
    """The global options given on the command line, by parameter name (``config_path``,
    ``context``, ``endpoint``, ``namespace``, ``output``); the value given last wins."""
    operation_id: str = ""
    """The id of the Operation of the invocation's mutation, once the server has
    answered it (see :meth:`record_operation`); empty before, and for reads."""
    _config: ConfigFile | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, repr=False)
    _client: Client | None = field(default=None, repr=False)

    @property
    def config(self) -> ConfigFile:
        """The contexts file (``--config``, ``$OVC_CONFIG`` or the XDG location)."""
        if self._config is None:
            path = self.given.get("config_path")
            self._config = ConfigFile.load(Path(path) if path else default_path())
        return self._config

    @property
    def settings(self) -> Settings:
        """Flags, environment and context resolved (ConfigError when unusable)."""
        if self._settings is None:
            self._settings = resolve(
                self.config, context=self.given.get("context"), endpoint=self.given.get("endpoint")
            )
        return self._settings

    @property
    def endpoint_shown(self) -> str:
        """The endpoint for messages; never fails, unlike ``settings``."""
        if self._settings is not None and self._settings.endpoint:
            return self._settings.endpoint
        return self.given.get("endpoint") or DEFAULT_ENDPOINT

    def namespace(self, flag: str | None) -> str:
        """``-n``'s value, else ``OVC_NAMESPACE``, else the context's, else ``default``."""
        return flag or self.settings.namespace

    def client(self) -> Client:
        """The SDK client of the settings, closed when the invocation ends."""
        if self._client is None:
            s = self.settings
            self._client = Client(
                s.endpoint,
                token=s.token,
                tls=s.tls,
                ca_file=s.ca_file,
                client_cert_file=s.client_cert_file,
                client_key_file=s.client_key_file,
                tls_server_name=s.tls_server_name,
            )
        return self._client

    def record_operation(self, operation_id: str) -> None:
        """The ``on_operation`` callback of the invocation's mutation: keeps its id."""
        self.operation_id = operation_id

    def close(self) -> None:
        """Closes the client, if one was made."""
        if self._client is not None:
            self._client.close()
            self._client = None


def get_session(ctx: click.Context | None = None) -> Session:
    """The session of the invocation, kept in the root context's ``obj``.

    It is made on first use, which is when the first global option is parsed
    (also when shell completion parses a command line without running it).
    """
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, Session):
        root.obj = Session()
        root.call_on_close(root.obj.close)
    return root.obj
