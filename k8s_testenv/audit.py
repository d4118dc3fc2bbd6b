"""Reading the API server's audit log: which requests a test made, and who made them.

The environment logs one JSON line per request (``Metadata`` level, at
ResponseComplete, or ResponseStarted for watches), so a test can count the
requests a backend sent and check their verbs and resources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AuditEvent:
    """One request the API server answered."""

    user: str
    user_agent: str
    verb: str
    api_group: str
    resource: str
    subresource: str
    namespace: str
    name: str
    code: int
    stage: str
    uri: str

    @property
    def is_watch(self) -> bool:
        """A long-running watch (its line is written when the stream starts)."""
        return self.verb == "watch"


class AuditLog:
    """The audit log of one environment, read from a position on."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        """The current end of the log: ``events(since=mark)`` reads what follows."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def events(self, since: int = 0, user: str | None = None) -> list[AuditEvent]:
        """Requests logged after ``since``, optionally only those of one user."""
        with self.path.open("rb") as log:
            log.seek(since)
            lines = log.read().splitlines()
        events = [_parse(line) for line in lines if line.strip()]
        return [e for e in events if user is None or e.user == user]


def _parse(line: bytes) -> AuditEvent:
    raw = json.loads(line)
    ref = raw.get("objectRef", {})
    return AuditEvent(
        user=raw.get("user", {}).get("username", ""),
        user_agent=raw.get("userAgent", ""),
        verb=raw.get("verb", ""),
        api_group=ref.get("apiGroup", ""),
        resource=ref.get("resource", ""),
        subresource=ref.get("subresource", ""),
        namespace=ref.get("namespace", ""),
        name=ref.get("name", ""),
        code=int(raw.get("responseStatus", {}).get("code", 0)),
        stage=raw.get("stage", ""),
        uri=raw.get("requestURI", ""),
    )
