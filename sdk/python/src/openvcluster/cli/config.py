"""The contexts file of ``ovc`` and how settings are resolved from it.

The file (``$XDG_CONFIG_HOME/ovc/config.yaml``, or ``$OVC_CONFIG``) holds named
contexts, each a server and how to reach it::

    current-context: local
    contexts:
      local:
        endpoint: 127.0.0.1:50051
        namespace: default
      prod:
        endpoint: https://ovc.example.com:443
        token-file: ~/.config/ovc/prod.token
        ca-file: ~/.config/ovc/prod-ca.pem
        namespace: team-a

A setting comes from the command-line flag, else its environment variable,
else the context, else the SDK's default.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_NAMESPACE",
    "ConfigError",
    "ConfigFile",
    "Context",
    "Settings",
    "default_path",
    "resolve",
]

DEFAULT_NAMESPACE = "default"
"""The namespace used when neither ``-n``, ``OVC_NAMESPACE`` nor the context names one."""

ENV_CONFIG = "OVC_CONFIG"
ENV_CONTEXT = "OVC_CONTEXT"
ENV_NAMESPACE = "OVC_NAMESPACE"
ENV_TOKEN_FILE = "OVC_TOKEN_FILE"

# The context keys as written in the file; the environment variable that
# overrides each one (OVC_TOKEN_FILE and OVC_TOKEN override both token keys).
_FIELDS = {
    "endpoint": "OVC_ENDPOINT",
    "token": "OVC_TOKEN",
    "token-file": ENV_TOKEN_FILE,
    "tls": "OVC_TLS",
    "ca-file": "OVC_CA_FILE",
    "client-cert-file": "OVC_CLIENT_CERT_FILE",
    "client-key-file": "OVC_CLIENT_KEY_FILE",
    "tls-server-name": "OVC_TLS_SERVER_NAME",
    "namespace": ENV_NAMESPACE,
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """The contexts file or a setting is unusable; the message says which and why."""


@dataclass
class Context:
    """One named context. ``token`` never shows in ``repr``."""

    name: str
    endpoint: str | None = None
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None
    tls: bool | None = None
    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    tls_server_name: str | None = None
    namespace: str | None = None

    @property
    def auth(self) -> str:
        """How it authenticates, never the secret: ``token``, ``token-file`` or ``none``."""
        if self.token:
            return "token"
        if self.token_file:
            return "token-file"
        return "none"

    def to_file(self) -> dict[str, Any]:
        """The context as written in the file (keys with ``-``, unset keys left out)."""
        out: dict[str, Any] = {}
        for key in _FIELDS:
            value = getattr(self, key.replace("-", "_"))
            if value is not None:
                out[key] = value
        return out

    def public(self) -> dict[str, Any]:
        """The context for ``get-contexts -o json|yaml``: the token replaced by ``auth``."""
        out = {"name": self.name, **self.to_file(), "auth": self.auth}
        out.pop("token", None)
        return out


@dataclass
class ConfigFile:
    """The contexts file: its contexts and which one is current."""

    path: Path
    contexts: dict[str, Context] = field(default_factory=dict)
    current_context: str | None = None

    @classmethod
    def load(cls, path: Path) -> ConfigFile:
        """Reads ``path``; a missing file is an empty configuration."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {_first_line(exc)}") from exc
        if data is None:
            return cls(path)
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a mapping with current-context and contexts")
        unknown = set(data) - {"current-context", "current_context", "contexts"}
        if unknown:
            raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r}")
        raw_contexts = data.get("contexts") or {}
        if not isinstance(raw_contexts, dict):
            raise ConfigError(f"{path}: contexts must be a mapping of name to settings")
        contexts = {
            str(name): _parse_context(path, str(name), values)
            for name, values in raw_contexts.items()
        }
        current = data.get("current-context", data.get("current_context"))
        return cls(path, contexts, str(current) if current else None)

    def save(self) -> None:
        """Writes the file atomically, readable only by its owner (it may hold tokens)."""
        data: dict[str, Any] = {}
        if self.current_context:
            data["current-context"] = self.current_context
        data["contexts"] = {name: ctx.to_file() for name, ctx in sorted(self.contexts.items())}
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".yaml", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> Context:
        """The context ``name``; ConfigError naming the known ones when there is none."""
        found = self.contexts.get(name)
        if found is None:
            known = ", ".join(sorted(self.contexts)) or "none yet"
            raise ConfigError(
                f"no context {name!r} in {self.path} (known: {known}); "
                f"create it with `ovc config set-context {name} --endpoint HOST:PORT`"
            )
        return found


@dataclass(frozen=True)
class Settings:
    """What a command connects with, resolved from flags, environment and context."""

    context: str | None
    namespace: str
    endpoint: str | None = None
    token: str | None = field(default=None, repr=False)
    tls: bool | None = None
    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    tls_server_name: str | None = None


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$OVC_CONFIG``, else ``$XDG_CONFIG_HOME/ovc/config.yaml`` (``~/.config`` by default)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "ovc" / "config.yaml"


def resolve(
    config: ConfigFile,
    *,
    context: str | None = None,
    endpoint: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings of one invocation: flags, then ``OVC_*`` variables, then the context.

    ``context`` and ``endpoint`` are the global flags. The context is the flag's,
    else ``OVC_CONTEXT``'s, else the file's current one (none is fine: the SDK's
    defaults apply). A token comes from ``OVC_TOKEN``, ``OVC_TOKEN_FILE``, the
    context's ``token`` or its ``token-file``, in that order.
    """
    env = os.environ if environ is None else environ
    name = context or env.get(ENV_CONTEXT) or config.current_context
    ctx = config.get(name) if name else Context(name="")

    def pick(key: str) -> str | None:
        return env.get(_FIELDS[key]) or getattr(ctx, key.replace("-", "_"))

    token = env.get("OVC_TOKEN") or None
    if token is None and env.get(ENV_TOKEN_FILE):
        token = _read_token(env[ENV_TOKEN_FILE], ENV_TOKEN_FILE)
    if token is None and ctx.token:
        token = ctx.token
    if token is None and ctx.token_file:
        token = _read_token(ctx.token_file, f"the token-file of context {ctx.name!r}")

    tls: bool | None = ctx.tls
    if env.get("OVC_TLS"):
        tls = _parse_bool(env["OVC_TLS"], "OVC_TLS")
    return Settings(
        context=name or None,
        namespace=pick("namespace") or DEFAULT_NAMESPACE,
        endpoint=endpoint or pick("endpoint"),
        token=token,
        tls=tls,
        ca_file=_expand(pick("ca-file")),
        client_cert_file=_expand(pick("client-cert-file")),
        client_key_file=_expand(pick("client-key-file")),
        tls_server_name=pick("tls-server-name"),
    )


def update_context(context: Context, **changes: Any) -> Context:
    """A copy of ``context`` with the given settings replaced (``None`` keeps one)."""
    kept = {key: value for key, value in changes.items() if value is not None}
    return dataclasses.replace(context, **kept)


def _parse_context(path: Path, name: str, values: Any) -> Context:
    if values is None:
        return Context(name=name)
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: context {name!r} must be a mapping of settings")
    fields: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = str(raw_key).replace("_", "-")
        if key not in _FIELDS:
            known = ", ".join(_FIELDS)
            raise ConfigError(f"{path}: context {name!r} has unknown key {raw_key!r} ({known})")
        if value is None:
            continue
        if key == "tls":
            value = value if isinstance(value, bool) else _parse_bool(str(value), f"{name}.tls")
        else:
            value = str(value)
        fields[key.replace("-", "_")] = value
    return Context(name=name, **fields)


def _read_token(path: str, what: str) -> str:
    file = Path(path).expanduser()
    try:
        token = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {str(file)!r}: {exc.strerror}") from exc
    if not token:
        raise ConfigError(f"{what} {str(file)!r} is empty")
    return token


def _expand(path: str | None) -> str | None:
    return str(Path(path).expanduser()) if path else None


def _parse_bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
