"""Which of the API server's audited requests the backend made, and how to count them.

The backend is two clients of the API server: the server itself (user agent
``openvcluster_server.kube.api.USER_AGENT``) and the helm it runs to install,
upgrade and uninstall releases (``Helm/VERSION``). Both are counted, as the
vcluster CLI runs helm too. Watches stay open for the server's life and
Lease renewals are leader election's heartbeat, not work on a vcluster, so
they are counted apart.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from k8s_testenv.audit import AuditEvent, AuditLog
from openvcluster_server.kube.api import USER_AGENT

HELM_AGENT = "Helm/"
_LEASES = ("coordination.k8s.io", "leases")


def sender(event: AuditEvent) -> str:
    """``server``, ``helm`` or "" (another client: a controller, kwok, the stand-in)."""
    if event.user_agent.startswith(USER_AGENT):
        return "server"
    if event.user_agent.startswith(HELM_AGENT):
        return "helm"
    return ""


def label(event: AuditEvent) -> str:
    """A request the way the tables list it: ``patch vclusters/status``, ``get /api``
    (discovery), with the status code when it was refused."""
    if event.resource:
        what = event.resource + (f"/{event.subresource}" if event.subresource else "")
    else:
        what = event.uri.split("?", 1)[0]
    return f"{event.verb} {what}" + (f" {event.code}" if event.code >= 300 else "")


@dataclass
class Tally:
    """The backend's requests in a stretch of the audit log."""

    # Requests other than watches and Lease requests, by label, per sender.
    server: Counter[str] = field(default_factory=Counter)
    helm: Counter[str] = field(default_factory=Counter)
    watches: int = 0
    # Lease requests by label (leader election: ``get leases``, ``update leases``).
    leases: Counter[str] = field(default_factory=Counter)

    @property
    def server_total(self) -> int:
        """The server's requests, apart from watches and Leases."""
        return sum(self.server.values())

    @property
    def helm_total(self) -> int:
        """Helm's requests (helm never watches here: it runs without --wait)."""
        return sum(self.helm.values())

    @property
    def lease_total(self) -> int:
        """Leader election's requests."""
        return sum(self.leases.values())

    @property
    def total(self) -> int:
        """Both senders' requests, apart from watches and Leases."""
        return self.server_total + self.helm_total

    def as_json(self) -> dict[str, object]:
        """The tally for latest.json."""
        return {
            "server": self.server_total,
            "helm": self.helm_total,
            "watches": self.watches,
            "leases": self.lease_total,
            "server_requests": dict(sorted(self.server.items())),
            "helm_requests": dict(sorted(self.helm.items())),
            "lease_requests": dict(sorted(self.leases.items())),
        }


def tally(events: Iterable[AuditEvent]) -> Tally:
    """Counts the backend's requests among ``events``."""
    counted = Tally()
    for event in events:
        who = sender(event)
        if not who:
            continue
        if event.is_watch:
            counted.watches += 1
        elif (event.api_group, event.resource) == _LEASES:
            counted.leases[label(event)] += 1
        else:
            (counted.server if who == "server" else counted.helm)[label(event)] += 1
    return counted


def wait_quiet(audit: AuditLog, quiet: float, limit: float) -> tuple[float, bool]:
    """Waits until the backend has sent nothing but watches and Lease requests for
    ``quiet`` seconds, at most ``limit`` seconds; returns the time waited and whether
    it went quiet."""
    started = time.monotonic()
    while True:
        mark = audit.mark()
        time.sleep(quiet)
        if tally(audit.events(since=mark)).total == 0:
            return time.monotonic() - started, True
        if time.monotonic() - started >= limit:
            return time.monotonic() - started, False
