"""Turning a case into the CaseRequest one client under test receives.

Each (client, case) pair gets namespaces, request ids and tokens of its own,
so every client can run every case against the same server, concurrently,
without one run seeing another's vclusters or test-hook counters. Case files
use placeholders for them:

``${ns}``, ``${ns2}``
    the case's two namespaces (requests without a namespace get ``${ns}``)
``${uuid:LABEL}``
    a request id, the same for the same LABEL within the run of a case
``${case}``
    a short unique key, for test-hook keys such as ``${case}-create:2``
``${STEP.PATH}``
    a value from an earlier step's result (``${get.vcluster.etag}``): as a
    whole top-level request field it travels as a Ref for the client to fill
    in; in an expectation the runner looks it up when judging.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from conformance.cases import Case, CaseError, StepSpec
from conformance.clock import CaseClock, ClockError
from conformance.protocol import UNARY_RPCS, CaseRequest, Connection, Step, Tls

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
INVALID_TOKEN = "not-a-token-this-server-issued"


@dataclass(frozen=True)
class Endpoint:
    """How clients reach one server."""

    address: str
    # host:port of the server's HTTP port (Connect, gRPC-Web); "" when unknown.
    http_address: str = ""
    tls: bool = False
    ca_file: str = ""
    # A CA that did not sign the server certificate, for refusal cases.
    untrusted_ca_file: str = ""
    client_cert_file: str = ""
    client_key_file: str = ""
    server_name: str = ""


@dataclass(frozen=True)
class Scope:
    """Which cases a run covers, for a check judged over the whole suite.

    A suite too long for one job runs in parts, one after another: each part
    reads what the parts before it saw (``carry_from``) and writes that plus
    its own (``carry_to``), so the last part judges the whole suite.
    """

    selected: frozenset[str]
    every: frozenset[str]
    carry_from: Path | None = None
    carry_to: Path | None = None


# (scope, verbose) -> (problems, lines to print); see Environment.
Check = Callable[[Scope, bool], tuple[list[str], list[str]]]


@dataclass(frozen=True)
class Environment:
    """The servers of a run and what they offer."""

    endpoints: Mapping[str, Endpoint]
    admin_token: str
    # What the servers offer beyond the API: test_hooks, tokens, tls.
    offers: frozenset[str]
    # Mixed into namespaces, request ids and tokens so that runs against a
    # long-lived server never collide with earlier ones.
    salt: str = ""
    # How long the clients' waits and watch collections may take when a step
    # sets no timeout; 0 is their default (60 s, and 5 s for a collection).
    wait_timeout_ms: int = 0
    # Run once every client is done: given the run's scope and whether to say
    # more, it returns (problems that fail the run, lines to print). The
    # Kubernetes backend's RBAC proof.
    closing_check: Check | None = None
    # Reads the plain server's clock (GetServerInfo.server_time), for clock cases.
    server_time: Callable[[], datetime] | None = None


@dataclass(frozen=True)
class Expectation:
    """What one step must answer, placeholders filled in (references to earlier
    results stay for the judge)."""

    result: Mapping[str, Any] | None
    error: Mapping[str, Any] | None


@dataclass(frozen=True)
class CaseRun:
    """One case prepared for one client."""

    case: Case
    client: str
    variables: Mapping[str, str]
    request: CaseRequest
    expectations: tuple[Expectation, ...]
    # Where a clock case leaves the server clock (as planned); None for other cases.
    clock_end: datetime | None = None


def variables(client: str, case: Case, salt: str) -> dict[str, str]:
    """The placeholder values of one case for one client."""
    slug = re.sub(r"[^a-z0-9]+", "-", case.name.lower()).strip("-")[:40].strip("-")
    digest = _digest(salt, client, case.name)
    return {
        "ns": f"{slug}-{digest[:8]}",
        "ns2": f"{slug}-{digest[8:16]}",
        "case": digest[:16],
    }


def token_value(salt: str, client: str, case: str, token: str) -> str:
    """The secret of a token a case declares, for the server's tokens file."""
    return f"ovc-conformance-{_digest(salt, client, case, token)[:32]}"


def plan(
    case: Case,
    client: str,
    environment: Environment,
    port: str = "grpc",
    server_now: datetime | None = None,
) -> CaseRun:
    """The CaseRequest of ``case`` for ``client``, which calls the server's
    ``port`` ("grpc" or "http"); CaseError when a step cannot be built.

    A clock case (clock.py) needs ``server_now``, the server's time when it starts.
    """
    values = variables(client, case, environment.salt)
    clock = None
    if case.clock is not None:
        if server_now is None:
            raise CaseError(f"{case.name}: a clock case is planned with the server's time")
        clock = CaseClock(case.clock, server_now)
    endpoint = environment.endpoints.get(case.server)
    if endpoint is None:
        raise CaseError(f"{case.name}: no {case.server} server in this run")
    address = endpoint.address if port == "grpc" else endpoint.http_address
    if not address:
        raise CaseError(f"{case.name}: the {case.server} server's {port} address is not known")
    request = CaseRequest(
        case_name=case.name,
        connection=_connection(case, address, endpoint, environment),
    )
    watches: set[str] = set()
    expectations = []
    for spec in case.steps:
        try:
            step = _step(spec, case, client, values, environment, clock)
            earlier = {s.name for s in case.steps[: spec.index]}
            expectations.append(
                Expectation(
                    substitute(spec.expect, values, earlier, "expect", clock),
                    substitute(spec.expect_error, values, earlier, "expect_error", clock),
                )
            )
        except (json_format.ParseError, CaseError, KeyError, TypeError, ValueError) as exc:
            raise CaseError(f"{case.source}: case {case.name!r} step {spec.name!r}: {exc}") from exc
        if spec.action == "watch_start":
            watches.add(spec.name)
        if spec.action == "watch_collect" and step.watch_collect.watch not in watches:
            raise CaseError(
                f"{case.name}: step {spec.name!r} collects from {step.watch_collect.watch!r}, "
                "which is no earlier watch_start step"
            )
        if spec.action == "watch_collect" and not step.watch_collect.timeout_ms:
            # Events take as long to come as the transitions behind them.
            step.watch_collect.timeout_ms = environment.wait_timeout_ms
        if spec.options.get("local"):
            # The same call, first through a client with no server behind it:
            # the SDK must give the same answer from the proto's field rules.
            offline = Step()
            offline.CopyFrom(step)
            offline.name = f"{spec.name}-offline"
            offline.options.offline = True
            request.steps.append(offline)
            expectations.append(expectations[-1])
        request.steps.append(step)
    return CaseRun(
        case, client, values, request, tuple(expectations), clock.planned if clock else None
    )


def _connection(
    case: Case, address: str, endpoint: Endpoint, environment: Environment
) -> Connection:
    connection = Connection(
        address=address,
        token=environment.admin_token,
        wait_timeout_ms=environment.wait_timeout_ms,
    )
    if endpoint.tls:
        settings = case.connection
        ca = settings.get("ca", "trusted")
        if ca not in ("trusted", "untrusted"):
            raise CaseError(f"{case.name}: connection.ca must be trusted or untrusted")
        tls = Tls(
            ca_file=endpoint.ca_file if ca == "trusted" else endpoint.untrusted_ca_file,
            server_name=str(settings.get("server_name", endpoint.server_name)),
        )
        if settings.get("client_cert", case.server == "mtls"):
            tls.client_cert_file = endpoint.client_cert_file
            tls.client_key_file = endpoint.client_key_file
        connection.tls.CopyFrom(tls)
    return connection


def _step(
    spec: StepSpec,
    case: Case,
    client: str,
    values: Mapping[str, str],
    env: Environment,
    clock: CaseClock | None,
) -> Step:
    step = Step(name=spec.name)
    request = _request(step, spec.action)
    fields = request.DESCRIPTOR.fields_by_name
    earlier = {s.name for s in case.steps[: spec.index]}
    args: dict[str, Any] = {}
    for key, value in spec.args.items():
        reference = _whole_reference(value, earlier)
        if reference is None:
            # Only a whole top-level field can travel as a Ref.
            args[key] = substitute(value, values, set(), f"argument {key}", clock)
            continue
        descriptor = fields.get(key)
        if descriptor is None or descriptor.type != FieldDescriptor.TYPE_STRING:
            raise CaseError(f"{key} is not a string field of {spec.action}, so it cannot be a ref")
        source, path = reference
        step.refs.add(field=descriptor.json_name, step=source, path=_camel_path(path))
    if "namespace" in fields and "namespace" not in args:
        args["namespace"] = values["ns"]
    # UpdateVCluster names its vcluster inside the resource it sends.
    resource = fields.get("vcluster")
    if resource is not None and resource.message_type is not None:
        args.setdefault("vcluster", {}).setdefault("namespace", values["ns"])
    json_format.ParseDict(args, request)
    if step.WhichOneof("action") is None:
        step.call.method = UNARY_RPCS[spec.action].name
        step.call.request.Pack(request)
    options = spec.options
    step.options.timeout_ms = int(options.get("timeout_ms", 0))
    step.options.max_attempts = int(options.get("max_attempts", 0))
    for key, value in options.get("metadata", {}).items():
        step.options.metadata[str(key)] = substitute(str(value), values, set(), "metadata", clock)
    if "token" in options:
        step.options.token = _token(options["token"], case, client, env)
    step.options.no_sdk_checks = options.get("sdk_checks", True) is False
    return step


def _request(step: Step, action: str) -> Message:
    """The request message a step's arguments fill: its action's own, or for
    a UnaryCall (action "call") a new request of the RPC, packed into the
    step once filled."""
    if action in Step.DESCRIPTOR.fields_by_name:
        request: Message = getattr(step, action)
        request.SetInParent()
        return request
    return message_factory.GetMessageClass(UNARY_RPCS[action].input_type)()


def _token(name: str, case: Case, client: str, env: Environment) -> str:
    if name == "admin":
        return env.admin_token
    if name == "none":
        return ""
    if name == "invalid":
        return INVALID_TOKEN
    return token_value(env.salt, client, case.name, name)


def substitute(
    value: Any,
    values: Mapping[str, str],
    earlier: set[str],
    where: str,
    clock: CaseClock | None = None,
) -> Any:
    """``value`` with every variable placeholder replaced, recursively (a clock
    case's ``at:`` and ``advance:`` ones by its ``clock``).

    References to earlier steps stay in place for the judge; anything else
    unknown is a CaseError.
    """
    if isinstance(value, dict):
        return {k: substitute(v, values, earlier, where, clock) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values, earlier, where, clock) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values:
            return values[key]
        if clock is not None:
            try:
                resolved = clock.resolve(key)
            except ClockError as exc:
                raise CaseError(f"{where}: {exc}") from None
            if resolved is not None:
                return resolved
        if key.startswith("uuid:"):
            return str(uuid.UUID(_digest(values["case"], key)[:32], version=4))
        if key.split(".", 1)[0] in earlier and "." in key:
            return match.group(0)
        if "." in key:
            raise CaseError(
                f"{where}: ${{{key}}} must be the whole value of a top-level request field "
                "naming an earlier step (or an expectation)"
            )
        raise CaseError(f"{where}: unknown placeholder ${{{key}}}")

    return _PLACEHOLDER.sub(replace, value)


def _whole_reference(value: Any, earlier: set[str]) -> tuple[str, str] | None:
    """(step, path) when ``value`` is exactly one ``${step.path}`` of an earlier step."""
    if not isinstance(value, str):
        return None
    match = _PLACEHOLDER.fullmatch(value)
    if match is None or "." not in match.group(1):
        return None
    source, path = match.group(1).split(".", 1)
    if source not in earlier:
        raise CaseError(f"${{{match.group(1)}}} names no earlier step")
    return source, path


def _camel_path(path: str) -> str:
    """A dotted path of declared field names in proto3 JSON names (lowerCamelCase)."""
    return ".".join(_camel(part) for part in path.split("."))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
