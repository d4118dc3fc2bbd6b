"""Failures as one clear line each, and the exit code of each kind of failure."""

from __future__ import annotations

import enum
import re
import shlex

import click
import grpc

from openvcluster.cli.config import ConfigError
from openvcluster.cli.output import format_duration
from openvcluster.errors import (
    InvalidArgumentError,
    NotFoundError,
    OpenVClusterError,
    ResourceExhaustedError,
    SnapshotFailedError,
    VClusterFailedError,
    WaitError,
    WaitTimeoutError,
)
from openvcluster.v1 import snapshot_pb2, vcluster_pb2

__all__ = ["EXIT_CODES_HELP", "CliError", "ExitCode", "from_exception"]


class ExitCode(enum.IntEnum):
    """The exit codes of ``ovc``; scripts may rely on them."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFLICT = 4
    DENIED = 5
    CONNECTION = 6
    WAIT = 7
    INTERRUPTED = 130


EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  any other error
  2  usage: a bad flag, argument or value (such as --memory 4GB), or a bad config
  3  not found: no such vcluster, snapshot, operation or context
  4  conflict: already exists, wrong phase, stale etag, quota exceeded
  5  unauthenticated or permission denied
  6  the server could not be reached or did not answer in time
  7  --wait gave up (--timeout) or the resource ended FAILED
  130  interrupted (Ctrl-C)"""

_BY_CODE: dict[grpc.StatusCode, ExitCode] = {
    grpc.StatusCode.INVALID_ARGUMENT: ExitCode.USAGE,
    grpc.StatusCode.NOT_FOUND: ExitCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS: ExitCode.CONFLICT,
    grpc.StatusCode.FAILED_PRECONDITION: ExitCode.CONFLICT,
    grpc.StatusCode.ABORTED: ExitCode.CONFLICT,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ExitCode.CONFLICT,
    grpc.StatusCode.UNAUTHENTICATED: ExitCode.DENIED,
    grpc.StatusCode.PERMISSION_DENIED: ExitCode.DENIED,
    grpc.StatusCode.UNAVAILABLE: ExitCode.CONNECTION,
    grpc.StatusCode.DEADLINE_EXCEEDED: ExitCode.CONNECTION,
}

# The last part of a field path the server blames (spec.resources.memory,
# labels[key], ...) -> the name of the click parameter that set it.
_PARAMS = {
    "namespace": "namespace",
    "name": "name",
    "cpu": "cpu",
    "memory": "memory",
    "storage": "storage",
    "kubernetes_version": "kubernetes_version",
    "distro": "distro",
    "expose_type": "expose",
    "replicas": "replicas",
    "enable_ha": "ha",
    "deletion_protection": "deletion_protection",
    "suspend_cron": "sleep_at",
    "resume_cron": "wake_at",
    "time_zone": "timezone",
    "expire_time": "expire_in",
    "delete_snapshots_on_expiry": "delete_snapshots_on_expiry",
    "labels": "labels",
    "label_selector": "selector",
    "phase": "phase",
    "snapshot_name": "snapshot_name",
    "id": "operation_id",
    "target_name": "target",
    "description": "description",
    "vcluster": "vcluster",
}
_QUANTITIES = {"cpu", "memory", "storage"}
# Units people write for bytes that Kubernetes does not know: 4GB, 512mb, 2 GiB.
_BYTE_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtTpPeE])(?:i?[bB])\s*$")


class CliError(click.ClickException):
    """An error click prints as ``Error: <message>`` and exits with ``exit_code``."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        # click declares exit_code on the class; each CliError carries its own.
        setattr(self, "exit_code", int(exit_code))  # noqa: B010


def from_exception(
    exc: Exception, ctx: click.Context, endpoint: str, operation_id: str = ""
) -> CliError:
    """The message and exit code of a failure of the command of ``ctx``.

    ``endpoint`` is the server the command talked to, named in connection errors;
    ``operation_id`` the Operation of the command's mutation, when the server
    accepted it, named when a ``--wait`` fails.
    """
    if isinstance(exc, ConfigError):
        return CliError(str(exc), ExitCode.USAGE)
    if isinstance(exc, OpenVClusterError):
        message = _describe(exc, ctx, endpoint)
        if isinstance(exc, WaitError) and operation_id:
            message += f" (its operation: `ovc operation get {operation_id}`)"
        return CliError(message, _exit_code(exc))
    if isinstance(exc, ValueError):  # the SDK's checks of settings it was given
        return CliError(str(exc), ExitCode.USAGE)
    if isinstance(exc, OSError):  # TLS files, kubeconfig files, ...
        where = f" {exc.filename!r}" if exc.filename else ""
        return CliError(f"{exc.strerror or exc}{where}", ExitCode.ERROR)
    return CliError(f"{type(exc).__name__}: {exc}")


def _exit_code(exc: OpenVClusterError) -> ExitCode:
    if isinstance(exc, WaitError):
        return ExitCode.WAIT
    return _BY_CODE.get(exc.code, ExitCode.ERROR)


def _describe(exc: OpenVClusterError, ctx: click.Context, endpoint: str) -> str:
    code = exc.code
    if isinstance(exc, InvalidArgumentError) and exc.field_violations:
        lines = [_violation(v.field, v.description, ctx) for v in exc.field_violations]
        return "\nError: ".join(lines)
    if isinstance(exc, WaitTimeoutError):
        seen = exc.last_seen
        follow = "`ovc watch`"
        if isinstance(seen, vcluster_pb2.VCluster):
            follow = f"`ovc watch {seen.name} -n {seen.namespace}`"
        elif isinstance(seen, snapshot_pb2.Snapshot):
            follow = f"`ovc snapshot get {seen.name} -n {seen.namespace}`"
        return f"{exc.message}; it may still get there: see {follow}, or give more --timeout"
    if isinstance(exc, VClusterFailedError):
        vc = exc.vcluster
        fix = f"`ovc delete {vc.name} -n {vc.namespace}`"
        if vc.spec.deletion_protection:
            fix = f"`ovc update {vc.name} -n {vc.namespace} --no-deletion-protection`, then {fix}"
        return f"{exc.message}; a FAILED vcluster can only be deleted: {fix}"
    if isinstance(exc, SnapshotFailedError):
        snap = exc.snapshot
        fix = f"`ovc snapshot delete {snap.name} -n {snap.namespace}`"
        return f"{exc.message}; it can only be deleted: {fix}"
    if isinstance(exc, NotFoundError):
        if exc.message.startswith("snapshot "):
            return f"{exc.message} (`ovc snapshot list -A` lists the snapshots you may see)"
        if exc.message.startswith("vcluster "):
            return f"{exc.message} (`ovc list -A` lists the vclusters you may see)"
        if exc.message.startswith("operation "):
            return f"{exc.message} (`ovc history -A` lists the operations you may see)"
        return exc.message
    if code == grpc.StatusCode.FAILED_PRECONDITION and exc.reason == "DELETION_PROTECTED":
        namespace, _, name = exc.metadata.get("vcluster", "").rpartition("/")
        name = name or str(ctx.params.get("name") or "NAME")
        where = f" -n {namespace}" if namespace else ""
        return f"{exc.message} (`ovc update {name}{where} --no-deletion-protection`)"
    if code == grpc.StatusCode.ABORTED and exc.reason == "ETAG_MISMATCH":
        # ovc sends the etag of its own read (`ovc update` of a schedule).
        return f"{exc.message} (it changed after ovc read it: run the command again)"
    if isinstance(exc, ResourceExhaustedError) and exc.quota_violations:
        quotas = "; ".join(f"{v.subject}: {v.description}" for v in exc.quota_violations)
        return f"{exc.message} ({quotas})"
    if code == grpc.StatusCode.UNAVAILABLE:
        return (
            f"cannot reach the server at {endpoint} ({exc.message}); start one with "
            "`openvcluster-server serve`, or point ovc at yours with --endpoint, "
            "OVC_ENDPOINT or `ovc config set-context`"
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"the server at {endpoint} did not answer in time ({exc.message})"
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return (
            f"the server at {endpoint} did not accept the credentials ({exc.message}); "
            "give a token with OVC_TOKEN, OVC_TOKEN_FILE or "
            "`ovc config set-context NAME --token-file FILE`"
        )
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return f"permission denied ({exc.message}); this needs an editor token for the namespace"
    if code in _BY_CODE:
        return exc.message
    return str(exc)  # unexpected codes keep the code and the request id for a report


def _violation(field: str, description: str, ctx: click.Context) -> str:
    """``--memory 4GB: must be a Kubernetes quantity ...; try --memory 4Gi``."""
    key = field.split("[", 1)[0].rsplit(".", 1)[-1]
    param = _param(ctx, _PARAMS.get(key, key))
    if param is None:
        return f"{field}: {description}"
    flag = _flag(param)
    value = ctx.params.get(param.name or "")
    if key == "labels" and "[" in field:
        shown: object = field.split("[", 1)[1].rstrip("]")
    elif key == "namespace" and value is None:
        return f"{flag} (the namespace came from OVC_NAMESPACE or the context): {description}"
    else:
        shown = _shown(value)
    if shown in (None, ""):
        text = f"{flag}: {description}"
    else:
        text = f"{flag} {shlex.quote(str(shown))}: {description}"
    if key in _QUANTITIES and isinstance(value, str):
        suggestion = _quantity_fix(value)
        if suggestion:
            text += f"; try {flag} {suggestion}"
    return text


def _param(ctx: click.Context, name: str) -> click.Parameter | None:
    for param in ctx.command.params:
        if param.name == name:
            return param
    return None


def _flag(param: click.Parameter) -> str:
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name


def _shown(value: object) -> object:
    if isinstance(value, tuple | list) and not isinstance(value, str):
        return ",".join(_pair(v) for v in value) if value else None
    if isinstance(value, bool):
        return None  # --ha / --no-ha: the flag says it
    if isinstance(value, float):
        return format_duration(value)  # --expire-in, converted to seconds by click
    return value


def _pair(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]}={value[1]}"
    return str(value)


def _quantity_fix(value: str) -> str | None:
    """``4Gi`` for ``4GB``: the binary unit someone writing bytes most likely means."""
    match = _BYTE_UNIT.match(value)
    if match is None:
        return None
    number, unit = match.groups()
    return f"{number}{unit.upper()}i"
