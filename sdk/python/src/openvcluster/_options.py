"""How calls behave (timeout, retry, metadata, wait timeout): a client's defaults,
and the options each call overrides them with."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from openvcluster._retry import RetryPolicy

__all__ = [
    "DEFAULT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "CallSettings",
    "Default",
    "Metadata",
]

DEFAULT_TIMEOUT = 30.0
DEFAULT_WAIT_TIMEOUT = 600.0


class Default(enum.Enum):
    """The type of :data:`DEFAULT`: marks an argument left out, where ``None``
    has a meaning of its own (``timeout=None`` is no deadline)."""

    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = Default.DEFAULT
"""An argument left out: the client's setting applies."""

Metadata: TypeAlias = Sequence[tuple[str, str | bytes]] | Mapping[str, str | bytes]
"""Extra gRPC metadata: pairs or a mapping. Keys are lower case; ``-bin`` keys take bytes."""

WireMetadata: TypeAlias = tuple[tuple[str, str | bytes], ...]


def normalize_metadata(metadata: Metadata | None) -> WireMetadata:
    """The pairs of metadata given as pairs or as a mapping."""
    if metadata is None:
        return ()
    if isinstance(metadata, Mapping):
        return tuple(metadata.items())
    return tuple((key, value) for key, value in metadata)


@dataclass(frozen=True)
class CallSettings:
    """How calls behave: a client's defaults (:attr:`Client.defaults`), and
    the settings of one call once its options are applied to them.

    The TypeScript SDK's ``CallSettings`` is the same. Called ``CallOptions``
    before 0.2.0; ``openvcluster.CallOptions`` remains a deprecated alias for
    one release.

    Attributes:
        timeout: deadline of each attempt in seconds (``None``: no deadline).
        retry: retry policy for failed attempts (``None``: never retry).
        metadata: extra gRPC metadata sent with every call.
        wait_timeout: how long wait helpers and ``wait=True`` wait, in seconds.
        validate_requests: check each request against the proto's field rules
            before sending it (see :mod:`openvcluster.field_rules`).
    """

    timeout: float | None = DEFAULT_TIMEOUT
    retry: RetryPolicy | None = field(default_factory=RetryPolicy)
    metadata: WireMetadata = ()
    wait_timeout: float | None = DEFAULT_WAIT_TIMEOUT
    validate_requests: bool = True

    def merged(
        self,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
        wait_timeout: float | Default | None = DEFAULT,
        validate_requests: bool | Default = DEFAULT,
    ) -> CallSettings:
        """These settings with the given options applied; metadata is added, not replaced."""
        return CallSettings(
            timeout=self.timeout if timeout is DEFAULT else timeout,
            retry=self.retry if retry is DEFAULT else retry,
            metadata=self.metadata + normalize_metadata(metadata),
            wait_timeout=self.wait_timeout if wait_timeout is DEFAULT else wait_timeout,
            validate_requests=(
                self.validate_requests if validate_requests is DEFAULT else validate_requests
            ),
        )
