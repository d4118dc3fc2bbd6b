"""The record of mutations: ``ovc history`` (a vcluster's operations, newest
first) and ``ovc operation get`` (one operation, whole)."""

from __future__ import annotations

from collections.abc import Iterable

import click
from google.protobuf import any_pb2
from google.rpc import error_details_pb2

from openvcluster.cli.base import (
    OvcCommand,
    OvcGroup,
    all_namespaces_option,
    complete_vclusters,
    connection_options,
    namespace_option,
    output_option,
)
from openvcluster.cli.output import (
    Column,
    emit,
    field_lines,
    format_duration,
    format_time,
    operation_columns,
    operation_state_name,
    render_table,
)
from openvcluster.cli.session import get_session
from openvcluster.v1 import operation_pb2

__all__ = ["describe_operation", "history", "operation"]

_GET_FORMATS = ("table", "json", "yaml")

_PROGRESS_COLUMNS: list[Column] = [
    ("TIME", lambda p: format_time(p.time)),
    ("PHASE", lambda p: p.phase),
    ("MESSAGE", lambda p: p.message),
]


def _strip_kind(value: str) -> str:
    # `-o name` prints operation/ID; accept it back so output can feed input.
    return value.removeprefix("operation/")


@click.command(cls=OvcCommand)
@click.argument("vcluster", required=False, metavar="[NAME]", shell_complete=complete_vclusters)
@namespace_option
@all_namespaces_option
@output_option()
@connection_options
def history(vcluster: str | None, namespace: str | None, all_namespaces: bool, output: str) -> None:
    """List the operations of the vcluster NAME, or of every vcluster, newest first.

    Each accepted mutation (create, update, upgrade, scale, suspend, resume,
    snapshot, restore, delete, snapshot delete) is an operation: who asked,
    when, how long it took, whether it SUCCEEDED or FAILED, and what the
    server said last. The operations of a deleted vcluster are kept for a
    while. `ovc operation get ID` shows one whole.
    """
    session = get_session()
    ns = "" if all_namespaces else session.namespace(namespace)
    operations = list(session.client().list_operations(ns, vcluster=vcluster or ""))
    if not operations and output in ("table", "wide"):
        where = "any namespace" if all_namespaces else f"namespace {ns}"
        of = f" of vcluster/{vcluster}" if vcluster else ""
        click.echo(f"No operations{of} in {where}.", err=True)
        return
    columns = operation_columns(
        wide=output == "wide", all_namespaces=all_namespaces, vcluster=not vcluster
    )
    if output in ("table", "wide"):
        click.echo(render_table(columns, operations, whole=True), nl=False)
    else:
        emit(operations, output, columns)


@click.group(cls=OvcGroup, aliases={"describe": "get"})
def operation() -> None:
    """Show an operation: the record of one mutation (list them with `ovc history`)."""


@operation.command("get")
@click.argument("operation_id", metavar="ID")
@output_option(formats=_GET_FORMATS)
@connection_options
def operation_get(operation_id: str, output: str) -> None:
    """Show the operation ID whole: what it did, who asked, its progress and error.

    ID is printed by every mutation (`operation: ID`) and listed by `ovc
    history`. Alias: describe.
    """
    found = get_session().client().get_operation(_strip_kind(operation_id))
    if output != "table":
        emit([found], output, (), single=True)
        return
    click.echo(describe_operation(found), nl=False)


def describe_operation(op: operation_pb2.Operation) -> str:
    """The text of ``ovc operation get``: one field a line, then the progress table."""
    fields: list[tuple[str, str]] = [
        ("ID", op.id),
        ("Method", op.method),
        ("VCluster", f"{op.namespace}/{op.vcluster}" if op.vcluster else ""),
    ]
    if op.snapshot:
        fields.append(("Snapshot", f"{op.namespace}/{op.snapshot}"))
    fields += [
        ("State", operation_state_name(op.state)),
        ("Requested by", op.requested_by),
        ("Request ID", op.request_id),
        ("Started", format_time(op.start_time)),
        ("Ended", _ended(op)),
    ]
    if op.HasField("error"):
        fields.append(("Error", _error_text(op.error.message, op.error.details)))
    text = field_lines(fields)
    if op.progress:
        text += "\nProgress:\n" + render_table(_PROGRESS_COLUMNS, list(op.progress))
    return text


def _ended(op: operation_pb2.Operation) -> str:
    if not op.HasField("end_time"):
        return ""
    ended = format_time(op.end_time)
    if op.HasField("start_time"):
        nanos = op.end_time.ToNanoseconds() - op.start_time.ToNanoseconds()
        ended += f" (took {format_duration(nanos / 1e9)})"
    return ended


def _error_text(message: str, details: Iterable[any_pb2.Any]) -> str:
    """``the control plane did not start (TRANSITION_FAILED, phase=PROVISIONING)``."""
    info = error_details_pb2.ErrorInfo()
    for detail in details:
        if detail.Unpack(info):
            extra = ", ".join(f"{key}={value}" for key, value in sorted(info.metadata.items()))
            reason = f"{info.reason}, {extra}" if extra else info.reason
            return f"{message} ({reason})" if message else reason
    return message


# The ovc commands of this module (cli/app.py adds every module's).
COMMANDS: tuple[click.Command, ...] = (history, operation)
