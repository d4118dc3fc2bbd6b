"""The monitoring commands: ``ovc top`` (one vcluster's usage) and ``ovc summary`` (the fleet)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import click
from google.protobuf.timestamp_pb2 import Timestamp

from openvcluster import phase_name
from openvcluster.cli.base import (
    OvcCommand,
    complete_vclusters,
    connection_options,
    namespace_option,
    output_option,
)
from openvcluster.cli.output import Column, emit, format_age, render_table
from openvcluster.cli.session import get_session
from openvcluster.v1 import monitor_service_pb2 as ms

__all__ = ["summary", "top"]

_FORMATS = ("table", "json", "yaml")

Row = tuple[str, str, str]
"""One line of ``ovc top``: figure, value, source."""

_ROW_COLUMNS: list[Column] = [
    ("FIGURE", lambda row: row[0]),
    ("VALUE", lambda row: row[1]),
    ("SOURCE", lambda row: row[2]),
]


def figure_text(figure: ms.UsageFigure) -> str:
    """The value of a figure, or ``unavailable (reason)``: an unknown figure is never 0."""
    if figure.available:
        return figure.value
    return f"unavailable ({figure.reason})" if figure.reason else "unavailable"


def usage_rows(usage: ms.VClusterUsage) -> list[Row]:
    """The lines of ``ovc top``: what the spec requests, then what is measured."""
    rows: list[Row] = [
        ("replicas", str(usage.replicas), "spec"),
        ("cpu requested", usage.requested.cpu, "spec"),
        ("memory requested", usage.requested.memory, "spec"),
        ("storage requested", usage.requested.storage, "spec"),
    ]
    measured = (
        ("cpu used", usage.cpu_used),
        ("memory used", usage.memory_used),
        ("pods", usage.pod_count),
        ("cpu requested by pods", usage.cpu_requested_by_pods),
        ("memory requested by pods", usage.memory_requested_by_pods),
    )
    for label, figure in measured:
        # A source only means something for a figure that has one.
        rows.append((label, figure_text(figure), figure.source if figure.available else ""))
    return rows


def phase_counts_text(counts: Iterable[ms.PhaseCount]) -> str:
    """``3 RUNNING, 1 FAILED``: the counts in the server's (Phase enum) order."""
    return ", ".join(f"{c.count} {phase_name(c.phase)}" for c in counts)


def with_limit(used: str, limit: str) -> str:
    """``4 / 8`` against a limit; the bare figure when there is none (unlimited)."""
    return f"{used} / {limit}" if limit else used


def _time_text(stamp: Timestamp) -> str:
    # An unset Timestamp is the epoch; showing 1970 would be misleading.
    if stamp.seconds == 0 and stamp.nanos == 0:
        return "-"
    return stamp.ToDatetime().strftime("%Y-%m-%dT%H:%M:%SZ")


@click.command(cls=OvcCommand)
@click.argument("name", metavar="NAME", shell_complete=complete_vclusters)
@namespace_option
@output_option(formats=_FORMATS)
@connection_options
def top(name: str, namespace: str | None, output: str) -> None:
    """Show what the vcluster NAME requests and uses, observed now.

    A figure the server has no source for shows as "unavailable (why)",
    never as 0.
    """
    session = get_session()
    usage = session.client().get_vcluster_usage(session.namespace(namespace), name)
    if output != "table":
        emit([usage], output, (), single=True)
        return
    click.echo(
        f"vcluster/{usage.name} in namespace {usage.namespace}: "
        f"{phase_name(usage.phase)}, observed {_time_text(usage.observe_time)}"
    )
    click.echo(render_table(_ROW_COLUMNS, usage_rows(usage)), nl=False)


def _namespace_columns() -> list[Column]:
    """NAMESPACE, VCLUSTERS, PHASES, CPU, MEMORY: requested totals against the quota."""
    return [
        ("NAMESPACE", lambda n: n.namespace),
        ("VCLUSTERS", lambda n: with_limit(str(n.vcluster_count), _max_text(n.quota))),
        ("PHASES", lambda n: phase_counts_text(n.phases)),
        ("CPU", lambda n: with_limit(n.cpu_requested, n.quota.cpu)),
        ("MEMORY", lambda n: with_limit(n.memory_requested, n.quota.memory)),
    ]


def _max_text(quota: ms.NamespaceQuota) -> str:
    # 0 means no limit on the count.
    return str(quota.max_vclusters) if quota.max_vclusters else ""


def _mention_columns(since: str, *, message: bool) -> list[Column]:
    columns: list[Column] = [
        ("NAMESPACE", lambda m: m.namespace),
        ("NAME", lambda m: m.name),
        (since, lambda m: format_age(m.since.seconds)),
    ]
    if message:
        columns.append(("MESSAGE", lambda m: m.message))
    return columns


def _section(title: str, columns: Sequence[Column], rows: Sequence[ms.VClusterMention]) -> None:
    click.echo()
    click.echo(title)
    click.echo(render_table(columns, rows), nl=False)


@click.command(cls=OvcCommand)
@namespace_option
# Not all_namespaces_option: its help promises a NAMESPACE column, which this
# command's table always has.
@click.option("-A", "--all-namespaces", is_flag=True, help="Every namespace you may see.")
@output_option(formats=_FORMATS)
@connection_options
def summary(namespace: str | None, all_namespaces: bool, output: str) -> None:
    """Summarise the vclusters of one namespace, or all with -A.

    Counts by phase; per namespace, the CPU and memory the vclusters request
    against its quota (4 / 8); the vclusters suspended longest; the failed
    ones with their messages.
    """
    session = get_session()
    ns = "" if all_namespaces else session.namespace(namespace)
    fleet = session.client().get_fleet_summary(ns)
    if output != "table":
        emit([fleet], output, (), single=True)
        return
    where = "every namespace you may see" if all_namespaces else f"namespace {ns}"
    if fleet.vcluster_count == 0 and not fleet.namespaces:
        click.echo(f"No vclusters in {where}.", err=True)
        return
    noun = "vcluster" if fleet.vcluster_count == 1 else "vclusters"
    counts = phase_counts_text(fleet.phases)
    click.echo(f"{fleet.vcluster_count} {noun} in {where}" + (f": {counts}" if counts else ""))
    click.echo()
    click.echo(render_table(_namespace_columns(), fleet.namespaces), nl=False)
    if fleet.oldest_suspended:
        columns = _mention_columns("SUSPENDED FOR", message=False)
        _section("Suspended longest:", columns, fleet.oldest_suspended)
    if fleet.failed_count:
        shown = len(fleet.failed)
        more = f", {shown} most recent shown" if shown < fleet.failed_count else ""
        columns = _mention_columns("FAILED FOR", message=True)
        _section(f"Failed ({fleet.failed_count}{more}):", columns, fleet.failed)


# The ovc commands of this module (cli/app.py adds every module's).
COMMANDS: tuple[click.Command, ...] = (top, summary)
