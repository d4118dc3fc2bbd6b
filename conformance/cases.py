"""Reading the case files of ``conformance/cases/*.yaml`` into checked Case objects.

A file holds the cases of one area, written out or as matrices expanded at load
time (``matrices.py``); every mistake in it is a CaseError that names the file,
the case and the step, so authors never debug a client to find a typo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.clock import ClockDay, ClockError
from conformance.matrices import TemplateError, expand
from conformance.protocol import UNARY_RPCS, Step

# What a step may do: an action of Step's `action` oneof (wait_for_phase,
# list_vclusters_page, ...) or any other unary RPC by its snake_case name
# (create_vcluster), which travels as a UnaryCall.
ACTIONS: frozenset[str] = frozenset(
    f.name for f in Step.DESCRIPTOR.oneofs_by_name["action"].fields if f.name != "call"
) | frozenset(UNARY_RPCS)
SERVERS = ("plain", "tls", "mtls")
ROLES = ("viewer", "editor")
# Steps that need snapshots (SnapshotVCluster, RestoreVCluster, SnapshotService).
SNAPSHOT_ACTIONS = frozenset(
    {
        "snapshot_vcluster",
        "restore_vcluster",
        "get_snapshot",
        "list_snapshots",
        "list_snapshots_page",
        "delete_snapshot",
        "wait_for_snapshot",
    }
)
# Steps that read the operation history (OperationService).
OPERATION_ACTIONS = frozenset({"get_operation", "list_operations", "list_operations_page"})
# Distributions current vcluster releases no longer ship.
LEGACY_DISTROS = frozenset({"DISTRO_K3S", "DISTRO_K0S"})
# Step option keys and what they hold.
OPTION_KEYS = frozenset({"timeout_ms", "metadata", "max_attempts", "token", "local", "sdk_checks"})
# Token names a step may use without declaring them.
BUILTIN_TOKENS = frozenset({"admin", "none", "invalid"})
# The top-level keys of a case file (holds and matrices: see matrices.py).
_FILE_KEYS = frozenset({"area", "cases", "holds", "matrices"})
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_CASE_KEYS = frozenset(
    {
        "name",
        "description",
        "server",
        "connection",
        "tokens",
        "quota",
        "requires",
        "clock",
        "steps",
    }
)
# What a case may require by name, beyond what its steps show: settings of
# the reference servers a case depends on (see servers.py).
DECLARABLE_OFFERS = frozenset({"operations_kept_10"})
# The limits a case may give its namespace ${ns} (the server's Quota settings).
QUOTA_KEYS = frozenset({"max_vclusters", "max_snapshots", "cpu", "memory"})
_STEP_KEYS = frozenset({"name", "options", "expect", "expect_error"})
_CONNECTION_KEYS = frozenset({"ca", "client_cert", "server_name"})
# Steps that send no request of their own, so the SDK has none to check
# locally (options.local).
_NOT_LOCAL = frozenset(
    {"wait_for_phase", "wait_for_deletion", "wait_for_snapshot", "watch_collect"}
)


class CaseError(ValueError):
    """A case file that cannot be run; the message says where and why."""


@dataclass(frozen=True)
class TokenGrant:
    """A bearer token a case declares: its role and namespaces (which may use ${ns})."""

    role: str
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class StepSpec:
    """One step as written: the action, its arguments and what to expect."""

    index: int
    name: str
    action: str
    args: Mapping[str, Any]
    options: Mapping[str, Any]
    expect: Mapping[str, Any] | None
    expect_error: Mapping[str, Any] | None


@dataclass(frozen=True)
class Case:
    """One case: a short sequence of SDK-level steps with their expectations."""

    name: str
    area: str
    description: str
    steps: tuple[StepSpec, ...]
    # Which reference server the case runs on: plain, tls (server certificate)
    # or mtls (client certificates required).
    server: str = "plain"
    # TLS client settings: ca (trusted|untrusted), client_cert (bool), server_name.
    connection: Mapping[str, Any] = field(default_factory=dict)
    tokens: Mapping[str, TokenGrant] = field(default_factory=dict)
    # Limits of the case's namespace ${ns}; empty for none.
    quota: Mapping[str, Any] = field(default_factory=dict)
    # Offers of DECLARABLE_OFFERS the case needs.
    declared: frozenset[str] = frozenset()
    # A case that moves the server clock (clock.py): it runs alone.
    clock: ClockDay | None = None
    source: Path = Path()

    @property
    def requires(self) -> frozenset[str]:
        """What the server must offer beyond the core API: test_hooks, tokens, tls, quotas,
        snapshots, operations."""
        needs = set(self.declared)
        if any(s.action in SNAPSHOT_ACTIONS for s in self.steps):
            needs.add("snapshots")
        if any(
            s.action in OPERATION_ACTIONS or "operation_id" in (s.expect or {}) for s in self.steps
        ):
            needs.add("operations")
        if any(
            s.args.get("spec", {}).get("distro") in LEGACY_DISTROS
            for s in self.steps
            if isinstance(s.args.get("spec"), Mapping)
        ):
            needs.add("legacy_distros")
        if self.quota:
            needs.add("quotas")
        if self.server != "plain":
            needs.add("tls")
        if self.tokens or any(s.options.get("token") not in (None, "admin") for s in self.steps):
            needs.add("tokens")
        if any(
            key.startswith("ovc-test-") for s in self.steps for key in s.options.get("metadata", {})
        ):
            needs.add("test_hooks")
        return frozenset(needs)


def load_cases(directory: Path) -> list[Case]:
    """Every case of every ``*.yaml`` file in ``directory``, sorted by name."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        cases.extend(load_file(path))
    seen: set[str] = set()
    for case in cases:
        if case.name in seen:
            raise CaseError(f"{case.source}: case {case.name!r} is defined twice")
        seen.add(case.name)
    return sorted(cases, key=lambda c: c.name)


def load_file(path: Path) -> list[Case]:
    """The cases of one file, its matrices expanded; its ``area`` prefixes every case name."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{path}: cannot read: {exc}") from exc
    if (
        not isinstance(raw, dict)
        or "area" not in raw
        or not set(raw) <= _FILE_KEYS
        or not {"cases", "matrices"} & set(raw)
    ):
        raise CaseError(
            f"{path}: must hold the key 'area' and 'cases' or 'matrices' (or both),"
            " and may hold 'holds'"
        )
    area = raw["area"]
    if not isinstance(area, str) or not _NAME.match(area):
        raise CaseError(f"{path}: area must be a lowercase name such as 'lifecycle'")
    for key in ("cases", "matrices"):
        if key in raw and (not isinstance(raw[key], list) or not raw[key]):
            raise CaseError(f"{path}: {key} must be a non-empty list")
    try:
        entries = expand(raw)
    except TemplateError as exc:
        raise CaseError(f"{path}: {exc}") from None
    cases: list[Case] = []
    names: set[str] = set()
    for entry in entries:
        try:
            case = _case(path, area, entry.raw)
        except CaseError as exc:
            if entry.matrix is None:
                raise
            raise CaseError(f"{exc} (expanded from {entry.matrix})") from None
        if case.name in names:
            origin = f" (expanded from {entry.matrix})" if entry.matrix else ""
            raise CaseError(f"{path}: case {case.name!r} is defined twice{origin}")
        names.add(case.name)
        cases.append(case)
    return cases


def _case(path: Path, area: str, entry: Any) -> Case:
    where = f"{path}: a case of area {area}"
    if not isinstance(entry, dict) or "name" not in entry:
        raise CaseError(f"{where} is not a mapping with a name")
    name = entry["name"]
    where = f"{path}: case {name!r}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise CaseError(f"{where}: name must be lowercase letters, digits and '-'")
    _only(entry, _CASE_KEYS, where)
    server = entry.get("server", "plain")
    if server not in SERVERS:
        raise CaseError(f"{where}: server must be one of {', '.join(SERVERS)}")
    connection = entry.get("connection", {})
    if not isinstance(connection, dict):
        raise CaseError(f"{where}: connection must be a mapping")
    _only(connection, _CONNECTION_KEYS, f"{where}: connection")
    if connection and server == "plain":
        raise CaseError(f"{where}: connection settings need server tls or mtls")
    tokens = _tokens(entry.get("tokens", {}), where)
    quota = entry.get("quota", {})
    if not isinstance(quota, dict):
        raise CaseError(f"{where}: quota must map limits to values")
    _only(quota, QUOTA_KEYS, f"{where}: quota")
    declared = entry.get("requires", [])
    if not isinstance(declared, list) or not set(declared) <= DECLARABLE_OFFERS:
        raise CaseError(
            f"{where}: requires must list some of {', '.join(sorted(DECLARABLE_OFFERS))}"
        )
    clock = None
    if "clock" in entry:
        if server != "plain":
            raise CaseError(f"{where}: a clock case runs on the plain server")
        try:
            clock = ClockDay.parse(entry["clock"], where)
        except ClockError as exc:
            raise CaseError(str(exc)) from None
    raw_steps = entry.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise CaseError(f"{where}: steps must be a non-empty list")
    steps = tuple(_step(index, raw, where) for index, raw in enumerate(raw_steps))
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise CaseError(f"{where}: step names must be unique")
    for step in steps:
        token = step.options.get("token")
        if token is not None and token not in tokens and token not in BUILTIN_TOKENS:
            raise CaseError(f"{where}: step {step.name!r} uses undeclared token {token!r}")
    return Case(
        name=f"{area}/{name}",
        area=area,
        description=str(entry.get("description", "")),
        steps=steps,
        server=server,
        connection=connection,
        tokens=tokens,
        quota=quota,
        declared=frozenset(declared),
        clock=clock,
        source=path,
    )


def _tokens(raw: Any, where: str) -> dict[str, TokenGrant]:
    if not isinstance(raw, dict):
        raise CaseError(f"{where}: tokens must map token names to role and namespaces")
    tokens: dict[str, TokenGrant] = {}
    for name, grant in raw.items():
        if name in BUILTIN_TOKENS or not _NAME.match(str(name)):
            raise CaseError(f"{where}: {name!r} cannot name a token")
        if not isinstance(grant, dict) or grant.get("role") not in ROLES:
            raise CaseError(f"{where}: token {name!r} needs role viewer or editor")
        namespaces = grant.get("namespaces", ["*"])
        if not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces):
            raise CaseError(f"{where}: token {name!r} namespaces must be a list of strings")
        tokens[str(name)] = TokenGrant(grant["role"], tuple(namespaces))
    return tokens


def _step(index: int, raw: Any, where: str) -> StepSpec:
    if not isinstance(raw, dict):
        raise CaseError(f"{where}: step {index} is not a mapping")
    actions = [key for key in raw if key in ACTIONS]
    if len(actions) != 1:
        raise CaseError(
            f"{where}: step {index} must name exactly one action of: {', '.join(sorted(ACTIONS))}"
        )
    action = actions[0]
    _only(raw, _STEP_KEYS | {action}, f"{where}: step {index}")
    name = raw.get("name", f"s{index}")
    if not isinstance(name, str) or not _NAME.match(name) or name in ("ns", "ns2", "case"):
        raise CaseError(f"{where}: step {index} name {name!r} must be a lowercase name")
    args = raw[action] if raw[action] is not None else {}
    if not isinstance(args, dict):
        raise CaseError(f"{where}: step {name!r}: {action} takes a mapping of arguments")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise CaseError(f"{where}: step {name!r}: options must be a mapping")
    _only(options, OPTION_KEYS, f"{where}: step {name!r} options")
    expect, expect_error = raw.get("expect"), raw.get("expect_error")
    if expect is not None and expect_error is not None:
        raise CaseError(f"{where}: step {name!r} has both expect and expect_error")
    for label, value in (("expect", expect), ("expect_error", expect_error)):
        if value is not None and not isinstance(value, dict):
            raise CaseError(f"{where}: step {name!r}: {label} must be a mapping")
    if options.get("local") and (expect_error is None or action in _NOT_LOCAL):
        raise CaseError(f"{where}: step {name!r}: options.local needs expect_error and a call")
    return StepSpec(index, name, action, args, options, expect, expect_error)


def _only(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise CaseError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")


def select(cases: Sequence[Case], run: Sequence[str], skip: Sequence[str]) -> list[Case]:
    """The cases whose names match a --run pattern (all without any) and no --skip pattern.

    Patterns are regular expressions searched in the case name, like ``go test -run``.
    """
    runs = [re.compile(p) for p in run]
    skips = [re.compile(p) for p in skip]
    return [
        c
        for c in cases
        if (not runs or any(p.search(c.name) for p in runs))
        and not any(p.search(c.name) for p in skips)
    ]
