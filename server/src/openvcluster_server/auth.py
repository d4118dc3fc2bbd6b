"""Bearer-token authentication and namespace-scoped authorisation.

A tokens file maps each token to a role (viewer or editor) and a set of
namespaces. Without a tokens file every caller is an anonymous editor of
every namespace, which is what a laptop emulator wants.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from openvcluster_server.config import ConfigError
from openvcluster_server.errors import permission_denied, unauthenticated

VIEWER = "viewer"
EDITOR = "editor"
ALL_NAMESPACES = "*"


@dataclass(frozen=True)
class Principal:
    """Who is calling and what they may do."""

    # Shown in logs; never the token itself.
    name: str
    role: str
    # None means every namespace.
    namespaces: frozenset[str] | None
    # Scopes request ids and page tokens to the caller: a digest of the token,
    # so two tokens never share a scope even when their names are the same.
    scope: str = "anonymous"

    def can_see(self, namespace: str) -> bool:
        """Whether the namespace exists for this caller at all."""
        return self.namespaces is None or namespace in self.namespaces

    def visible_namespaces(self) -> list[str] | None:
        """The namespaces this caller may see, sorted; None for all of them."""
        return None if self.namespaces is None else sorted(self.namespaces)

    def require_editor(self, method: str) -> None:
        """Raises PERMISSION_DENIED unless the caller may change things."""
        if self.role != EDITOR:
            raise permission_denied(
                f"{method} changes state; the token of {self.name} has the {self.role} role"
            )

    def require_create_in(self, namespace: str, method: str) -> None:
        """Raises PERMISSION_DENIED when creating in a namespace the caller may not use."""
        self.require_editor(method)
        if not self.can_see(namespace):
            raise permission_denied(
                f"the token of {self.name} may not create resources in namespace {namespace}"
            )


ANONYMOUS = Principal(name="anonymous", role=EDITOR, namespaces=None)


@dataclass(frozen=True)
class _Grant:
    token: bytes
    principal: Principal


class Authenticator:
    """Maps the ``authorization`` metadata of a call to a Principal."""

    def __init__(self, grants: Sequence[_Grant]) -> None:
        self._grants = tuple(grants)

    @property
    def enabled(self) -> bool:
        """Whether callers must present a token."""
        return bool(self._grants)

    def authenticate(self, metadata: Iterable[tuple[str, str | bytes]]) -> Principal:
        """The caller's principal; UNAUTHENTICATED when tokens are required and missing."""
        if not self._grants:
            return ANONYMOUS
        header = next((str(v) for k, v in metadata if k == "authorization"), None)
        if header is None:
            raise unauthenticated('missing "authorization: Bearer <token>" metadata')
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated('the authorization metadata must read "Bearer <token>"')
        presented = token.strip().encode()
        # Compare against every grant in constant time so timing reveals nothing.
        found: Principal | None = None
        for grant in self._grants:
            if hmac.compare_digest(grant.token, presented):
                found = grant.principal
        if found is None:
            raise unauthenticated("the bearer token is not valid")
        return found


def load_authenticator(tokens_file: Path | None) -> Authenticator:
    """Reads the tokens file; no file means no authentication."""
    if tokens_file is None:
        return Authenticator(())
    try:
        raw = yaml.safe_load(tokens_file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read tokens file {tokens_file}: {exc}") from exc
    entries = raw.get("tokens") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"tokens file {tokens_file} must hold a non-empty list under 'tokens'")
    grants: list[_Grant] = []
    for index, entry in enumerate(entries):
        grants.append(_grant(entry, f"{tokens_file}: tokens[{index}]", index))
    if len({g.token for g in grants}) != len(grants):
        raise ConfigError(f"tokens file {tokens_file} lists the same token twice")
    return Authenticator(grants)


def _grant(entry: object, where: str, index: int) -> _Grant:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a mapping with token, role and namespaces")
    token = entry.get("token")
    role = entry.get("role")
    namespaces = entry.get("namespaces", [ALL_NAMESPACES])
    if not isinstance(token, str) or not token.strip():
        raise ConfigError(f"{where}.token must be a non-empty string")
    if role not in (VIEWER, EDITOR):
        raise ConfigError(f"{where}.role must be {VIEWER!r} or {EDITOR!r}")
    if not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces):
        raise ConfigError(f"{where}.namespaces must be a list of namespaces, or ['*']")
    name = str(entry.get("name") or f"token #{index + 1}")
    visible = None if ALL_NAMESPACES in namespaces else frozenset(namespaces)
    secret = token.strip().encode()
    digest = hashlib.sha256(secret).hexdigest()[:32]
    return _Grant(token=secret, principal=Principal(name, role, visible, scope=digest))
