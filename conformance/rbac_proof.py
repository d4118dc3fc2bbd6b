"""The RBAC proof: the server's roles grant what its requests use, and nothing else.

On the Kubernetes backend every server of a run acts as the deploy
ServiceAccount (``openvcluster-server manifests``), and so does the ``helm``
it runs. At the end of the run the API server's audit log tells every
request that account made, and who made it (the user agent: the server, or
Helm). Compared with the rules of ``openvcluster_server.kube.rbac``:

- every request must be allowed by a rule of whoever made it (a request
  refused with 403 is always a failure); a patch answered 201 Created is an
  apply that made the object, for which the API server checks ``create``
  too without logging it, so it needs both;
- every rule shown by conformance must be used, by whoever it is for, in a
  full run (``--run``/``--skip`` select fewer cases, so there it is only
  reported); and a ClusterRole rule used only in the system namespace
  belongs in the Role.

Rules shown otherwise (by server/tests/kubernetes/test_rbac.py, race paths
and the real chart's Role) may go unused; the summary names them.

A suite run in parts (``--carry-to``/``--carry-from``) carries what each part
used to the next (``save``/``load``), so the part that completes the suite
judges unused grants over all of them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from k8s_testenv.audit import AuditEvent
from openvcluster_server.kube import rbac
from openvcluster_server.kube.api import USER_AGENT

Permission = tuple[str, str, str]


def origin(event: AuditEvent) -> str:
    """Who made a request: rbac.SERVER, rbac.HELM, or its user agent."""
    if event.user_agent.startswith(USER_AGENT.split("/")[0] + "/"):
        return rbac.SERVER
    if event.user_agent.lower().startswith("helm/"):
        return rbac.HELM
    return event.user_agent or "unknown"


def resource_of(event: AuditEvent) -> str:
    """The resource as RBAC names it: ``pods``, or ``pods/status`` for a subresource."""
    return f"{event.resource}/{event.subresource}" if event.subresource else event.resource


def describe(permission: Permission) -> str:
    """``verb group/resource``, as the messages name a permission."""
    group, resource, verb = permission
    return f"{verb} {group + '/' if group else ''}{resource}"


@dataclass
class Usage:
    """What the account's requests used, rule by rule."""

    system_namespace: str
    cluster_rules: Sequence[rbac.Rule] = rbac.CLUSTER_RULES
    system_rules: Sequence[rbac.Rule] = rbac.SYSTEM_RULES
    requests: int = 0
    # (origin, group, resource, verb) -> requests, whether allowed or not.
    counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    # (origin, group, resource, verb) the requests needed, an apply that
    # created an object counting as a create too.
    needed: set[tuple[str, str, str, str]] = field(default_factory=set)
    # What no rule of its maker allows, and what was refused outright.
    ungranted: set[tuple[str, str, str, str, str]] = field(default_factory=set)
    refused: set[tuple[str, str, str, str, str]] = field(default_factory=set)
    # (rule index in cluster_rules + system_rules, permission) -> used at all,
    # and used outside the system namespace (cluster rules only).
    used: set[tuple[int, Permission]] = field(default_factory=set)
    used_elsewhere: set[tuple[int, Permission]] = field(default_factory=set)

    @property
    def rules(self) -> list[rbac.Rule]:
        """The ClusterRole's rules, then the Role's (indices in ``used`` count this way)."""
        return [*self.cluster_rules, *self.system_rules]

    def add(self, events: Iterable[AuditEvent]) -> None:
        """Counts each request against the rules that allow it."""
        for event in events:
            who, resource = origin(event), resource_of(event)
            where = event.namespace or "(cluster)"
            if event.code == 403:
                self.refused.add((who, event.api_group, resource or event.uri, event.verb, where))
            if not event.resource:
                continue  # discovery (/api, /version): every authenticated user may
            self.requests += 1
            self.counts[(who, event.api_group, resource, event.verb)] += 1
            in_system = event.namespace == self.system_namespace and resource != "namespaces"
            # An apply (patch) that makes the object is authorized for create
            # too; the log shows it only by its 201 Created.
            applied = event.verb == "patch" and event.code == 201
            if applied:
                self.counts[(who, event.api_group, resource, "create (by apply)")] += 1
            verbs = [event.verb, "create"] if applied else [event.verb]
            for verb in verbs:
                self.needed.add((who, event.api_group, resource, verb))
                if not self._grant(who, event.api_group, resource, verb, event.name, in_system):
                    self.ungranted.add((who, event.api_group, resource, verb, where))

    def _grant(
        self, who: str, group: str, resource: str, verb: str, name: str, in_system: bool
    ) -> bool:
        """Marks the rules of ``who`` that allow a request as used; whether any does."""
        allowed = False
        for index, rule in enumerate(self.rules):
            scoped = index >= len(self.cluster_rules)
            if rule.by != who or (scoped and not in_system):
                continue
            if rule.allows(group, resource, verb, name):
                allowed = True
                self.used.add((index, (group, resource, verb)))
                if not in_system:
                    self.used_elsewhere.add((index, (group, resource, verb)))
        return allowed

    def unused(self, proof: str) -> list[tuple[rbac.Rule, Permission]]:
        """The permissions of the rules shown by ``proof`` that nobody used."""
        return [
            (rule, permission)
            for index, rule in enumerate(self.rules)
            if rule.proof == proof
            for permission in rule.permissions()
            if (index, permission) not in self.used
        ]

    def only_in_system_namespace(self) -> list[tuple[rbac.Rule, Permission]]:
        """ClusterRole permissions used, but only in the system namespace."""
        return [
            (rule, permission)
            for index, rule in enumerate(self.cluster_rules)
            for permission in rule.permissions()
            if (index, permission) in self.used and (index, permission) not in self.used_elsewhere
        ]


def _fingerprint(usage: Usage) -> str:
    """Which roles the rule indices of ``used`` count in."""
    return hashlib.sha256(repr(usage.rules).encode()).hexdigest()


def save(path: Path, usage: Usage, cases: Iterable[str]) -> None:
    """Writes what ``usage`` used, for the cases named, for a later part of the suite."""
    carried = {
        "roles": _fingerprint(usage),
        "cases": sorted(cases),
        "requests": usage.requests,
        "counts": [[*key, count] for key, count in sorted(usage.counts.items())],
        "needed": sorted(usage.needed),
        "used": sorted([index, *permission] for index, permission in usage.used),
        "used_elsewhere": sorted([i, *permission] for i, permission in usage.used_elsewhere),
    }
    path.write_text(json.dumps(carried, indent=1) + "\n", encoding="utf-8")


def load(path: Path, usage: Usage) -> frozenset[str] | None:
    """Adds what an earlier part used to ``usage``; the cases that part covered.

    None when there is no such file or it was written for other roles (rule
    indices would not match): then nothing is added.
    """
    try:
        carried = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if carried.get("roles") != _fingerprint(usage):
        return None
    usage.requests += carried["requests"]
    for *key, count in carried["counts"]:
        usage.counts[(key[0], key[1], key[2], key[3])] += count
    usage.needed.update((w, g, r, v) for w, g, r, v in carried["needed"])
    usage.used.update((index, (g, r, v)) for index, g, r, v in carried["used"])
    usage.used_elsewhere.update((i, (g, r, v)) for i, g, r, v in carried["used_elsewhere"])
    return frozenset(carried["cases"])


def verdict(usage: Usage, user: str, complete: bool) -> tuple[list[str], list[str]]:
    """(problems that fail the run, lines that only inform) of one run's usage."""
    problems = [
        f"RBAC: {who} was refused {describe((g, r, v))} in {where} (403)"
        for who, g, r, v, where in sorted(usage.refused)
    ]
    problems += [
        f"RBAC: no rule of {who} in kube/rbac.py grants {describe((g, r, v))} (in {where})"
        for who, g, r, v, where in sorted(usage.ungranted - usage.refused)
    ]
    unused = usage.unused(rbac.CONFORMANCE)
    misplaced = usage.only_in_system_namespace()
    if complete:
        problems += [
            f"RBAC: the role grants {rule.by} {describe(p)}, which no request of the run used"
            for rule, p in unused
        ]
        problems += [
            f"RBAC: {rule.by} used {describe(p)} only in {usage.system_namespace}: "
            "grant it in the Role, not the ClusterRole"
            for rule, p in misplaced
        ]
    notes = [
        f"RBAC: {usage.requests} requests of {user} needed {len(usage.needed)} "
        f"(maker, resource, verb)s; {len(problems)} problem(s)"
    ]
    if unused and not complete:
        notes.append(
            "RBAC: not used by the cases selected (a full run must): "
            + ", ".join(f"{r.by} {describe(p)}" for r, p in unused)
        )
    for proof, why in (
        (rbac.RBAC_TEST, "shown by server/tests/kubernetes/test_rbac.py instead"),
        (rbac.RACE, "race paths, taken only when two writes race"),
    ):
        left = usage.unused(proof)
        if left:
            notes.append(
                f"RBAC: unused here, {why}: " + ", ".join(f"{r.by} {describe(p)}" for r, p in left)
            )
    return problems, notes


def table(usage: Usage) -> list[str]:
    """Every (maker, API group, resource, verb) used, with its number of requests."""
    return [
        f"  {who:6} {describe((g, r, v)):50} {count:6}"
        for (who, g, r, v), count in sorted(usage.counts.items())
    ]
