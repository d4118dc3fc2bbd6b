"""Output formats: tables for people, proto JSON and YAML for programs, ``kind/name`` for shells."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import click
import yaml
from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.table import Table
from rich.text import Text

from openvcluster import phase_name, snapshot_phase_name
from openvcluster.v1 import operation_pb2, snapshot_pb2, vcluster_pb2

__all__ = [
    "FORMATS",
    "Column",
    "emit",
    "field_lines",
    "format_age",
    "format_bytes",
    "format_duration",
    "format_time",
    "format_until",
    "kind_name",
    "operation_columns",
    "operation_message",
    "operation_state_name",
    "render_table",
    "schedule_text",
    "snapshot_columns",
    "to_dict",
    "vcluster_columns",
]

FORMATS = ("table", "wide", "json", "yaml", "name")

Column = tuple[str, Callable[[Any], str]]
"""A table column: its header and how to get the cell of a resource."""

_PHASE_STYLES = {
    "RUNNING": "green",
    "READY": "green",
    "SUSPENDED": "blue",
    "FAILED": "bold red",
    "DELETING": "red",
}
# An operation's STATE: RUNNING is on its way there, unlike a vcluster's.
_STATE_STYLES = {"SUCCEEDED": "green", "FAILED": "bold red", "RUNNING": "yellow"}


def to_dict(message: Message) -> dict[str, Any]:
    """The message as proto JSON (lowerCamelCase names, enum names, RFC 3339 times)."""
    return json_format.MessageToDict(message)


def kind_name(message: Message) -> str:
    """``vcluster/dev``, ``snapshot/dev-snap`` or ``operation/<id>``."""
    if isinstance(message, operation_pb2.Operation):
        return f"operation/{message.id}"
    kind = "snapshot" if isinstance(message, snapshot_pb2.Snapshot) else "vcluster"
    return f"{kind}/{getattr(message, 'name', '')}"


def emit(
    resources: Sequence[Message],
    fmt: str,
    columns: Sequence[Column],
    *,
    single: bool = False,
) -> None:
    """Writes resources to stdout in ``fmt``.

    ``single`` writes one resource as an object in JSON and YAML; otherwise
    they are a list. Tables get ``columns``.
    """
    if fmt == "json":
        data: Any = to_dict(resources[0]) if single else [to_dict(r) for r in resources]
        click.echo(json.dumps(data, indent=2))
    elif fmt == "yaml":
        data = to_dict(resources[0]) if single else [to_dict(r) for r in resources]
        click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False), nl=False)
    elif fmt == "name":
        for resource in resources:
            click.echo(kind_name(resource))
    else:
        click.echo(render_table(columns, resources), nl=False)


def render_table(columns: Sequence[Column], rows: Sequence[Any], *, whole: bool = False) -> str:
    """A plain, borderless table like kubectl's (as text, lines without trailing spaces).

    On a terminal it fits the terminal's width, with phases coloured; otherwise
    (a pipe, a file) it keeps its natural width so nothing is cut. ``whole``
    keeps every column but the last (free text) whole, for tables of ids to
    copy: on a narrow terminal only the last column is cut, and lines that
    still do not fit are left to the terminal to wrap.
    """
    probe = Console()  # stdout, as it is now (click's test runner swaps it)
    terminal = probe.is_terminal
    width = probe.width if terminal else 1000
    cells = [[_cell(header, getter(row)) for header, getter in columns] for row in rows]
    last_width: int | None = None
    if whole and terminal and columns:
        widths = [
            max([len(header), *(row[index].cell_len for row in cells)])
            for index, (header, _) in enumerate(columns)
        ]
        natural = sum(widths) + 2 * (len(widths) - 1)  # two spaces between columns
        if natural > width:
            others = natural - widths[-1]
            last_width = max(width - others, min(widths[-1], 12))
            width = max(width, others + last_width)
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), show_edge=False)
    for index, (header, _) in enumerate(columns):
        table.add_column(
            header,
            header_style="bold" if terminal else "",
            no_wrap=True,
            max_width=last_width if index == len(columns) - 1 else None,
        )
    for row in cells:
        table.add_row(*row)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=terminal,
        no_color=probe.no_color,
        color_system="auto" if terminal else None,
        highlight=False,
    )
    console.print(table)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _cell(header: str, value: str) -> Text:
    if not value:
        return Text("<none>" if header == "LABELS" else "-")
    style = ""
    if header == "PHASE":
        style = _PHASE_STYLES.get(value, "yellow")
    elif header == "STATE":
        style = _STATE_STYLES.get(value, "yellow")
    return Text(value, style=style)


def vcluster_columns(*, wide: bool, all_namespaces: bool) -> list[Column]:
    """[NAMESPACE,] NAME, PHASE, VERSION, CPU, MEMORY, AGE; wide adds the rest."""
    columns: list[Column] = [("NAMESPACE", lambda v: v.namespace)] if all_namespaces else []
    columns += [
        ("NAME", lambda v: v.name),
        ("PHASE", lambda v: phase_name(v.status.phase)),
        ("VERSION", lambda v: v.spec.kubernetes_version),
        ("CPU", lambda v: v.spec.resources.cpu),
        ("MEMORY", lambda v: v.spec.resources.memory),
    ]
    if wide:
        columns += [
            ("STORAGE", lambda v: v.spec.resources.storage),
            ("REPLICAS", lambda v: str(v.spec.replicas)),
            ("HA", lambda v: "yes" if v.spec.enable_ha else "no"),
            ("PROTECTED", lambda v: "yes" if v.spec.deletion_protection else "no"),
            ("DISTRO", lambda v: _distro(v.spec.distro)),
            ("ENDPOINT", lambda v: v.status.api_server_endpoint),
            ("SLEEP SCHEDULE", lambda v: schedule_text(v.spec.sleep_schedule)),
            ("EXPIRES", lambda v: _expires(v.spec)),
        ]
    columns.append(("AGE", lambda v: format_age(v.create_time.seconds)))
    if wide:
        columns.append(("LABELS", lambda v: _labels(v.labels)))
    return columns


def schedule_text(schedule: vcluster_pb2.SleepSchedule) -> str:
    """``0 19 * * 1-5 → 0 7 * * 1-5 (Europe/Berlin)``: when it suspends, when it
    resumes (``-``: never) and the zone; ``""`` for no schedule."""
    if not schedule.suspend_cron and not schedule.resume_cron:
        return ""
    text = f"{schedule.suspend_cron or '-'} → {schedule.resume_cron or '-'}"
    return f"{text} ({schedule.time_zone})" if schedule.time_zone else text


def _expires(spec: vcluster_pb2.VClusterSpec) -> str:
    return format_until(spec.expire_time) if spec.HasField("expire_time") else ""


def field_lines(fields: Sequence[tuple[str, str]]) -> str:
    """``Label:  value`` lines, the values aligned, ``-`` for an empty one: the
    text of a command that shows one resource whole."""
    width = max(len(label) for label, _ in fields) + 2
    return "".join(
        f"{label + ':':<{width}}{value or '-'}".rstrip() + "\n" for label, value in fields
    )


def snapshot_columns(*, wide: bool, all_namespaces: bool) -> list[Column]:
    """[NAMESPACE,] NAME, VCLUSTER, PHASE, SIZE, AGE; wide adds the rest."""
    columns: list[Column] = [("NAMESPACE", lambda s: s.namespace)] if all_namespaces else []
    columns += [
        ("NAME", lambda s: s.name),
        ("VCLUSTER", lambda s: s.vcluster),
        ("PHASE", lambda s: snapshot_phase_name(s.phase)),
        ("SIZE", lambda s: format_bytes(s.size_bytes) if s.size_bytes else ""),
        ("AGE", lambda s: format_age(s.create_time.seconds)),
    ]
    if wide:
        columns += [
            ("VERSION", lambda s: s.source_spec.kubernetes_version),
            ("DESCRIPTION", lambda s: s.description),
            ("LABELS", lambda s: _labels(s.labels)),
        ]
    return columns


def operation_columns(*, wide: bool, all_namespaces: bool, vcluster: bool) -> list[Column]:
    """[NAMESPACE,] ID, [VCLUSTER,] METHOD, STATE, REQUESTED BY, STARTED, DURATION,
    MESSAGE; wide adds SNAPSHOT, REQUEST ID and the start and end times.

    ``vcluster``: show which vcluster (a listing of several vclusters').
    """
    columns: list[Column] = [("NAMESPACE", lambda o: o.namespace)] if all_namespaces else []
    columns.append(("ID", lambda o: o.id))
    if vcluster:
        columns.append(("VCLUSTER", lambda o: o.vcluster))
    columns += [
        ("METHOD", lambda o: o.method),
        ("STATE", lambda o: operation_state_name(o.state)),
        ("REQUESTED BY", lambda o: o.requested_by),
        ("STARTED", lambda o: _ago(o.start_time)),
        ("DURATION", lambda o: _duration_of(o)),
    ]
    if wide:
        columns += [
            ("SNAPSHOT", lambda o: o.snapshot),
            ("REQUEST ID", lambda o: o.request_id),
            ("START TIME", lambda o: format_time(o.start_time)),
            ("END TIME", lambda o: format_time(o.end_time)),
        ]
    columns.append(("MESSAGE", operation_message))
    return columns


def operation_state_name(value: int) -> str:
    """``"SUCCEEDED"`` for ``OperationState.STATE_SUCCEEDED``."""
    state = operation_pb2.Operation.State
    try:
        return state.Name(state.ValueType(value)).removeprefix("STATE_")
    except ValueError:
        return str(value)


def operation_message(operation: operation_pb2.Operation) -> str:
    """What the server said last about an operation: its error when FAILED,
    else its last progress message."""
    if operation.HasField("error") and operation.error.message:
        return operation.error.message
    for progress in reversed(operation.progress):
        if progress.message:
            return progress.message
    return ""


def format_time(stamp: Timestamp) -> str:
    """``2026-11-18T08:20:00Z`` (UTC, to the second); ``""`` for an unset time."""
    if stamp.seconds == 0 and stamp.nanos == 0:
        return ""
    return stamp.ToDatetime().strftime("%Y-%m-%dT%H:%M:%SZ")


def format_duration(seconds: float) -> str:
    """``0.4s``, ``12s``, ``3m20s``, ``2h5m``: how long something took."""
    seconds = max(seconds, 0.0)
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    minutes, hours = whole // 60, whole // 3600
    if whole < 60:
        return f"{whole}s"
    if hours < 1:
        return f"{minutes}m{whole % 60}s" if whole % 60 else f"{minutes}m"
    return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"


def _ago(stamp: Timestamp) -> str:
    age = format_age(stamp.seconds)
    return f"{age} ago" if age else ""


def _duration_of(operation: operation_pb2.Operation) -> str:
    # Unset while RUNNING: STARTED says for how long so far.
    if not operation.HasField("end_time") or not operation.HasField("start_time"):
        return ""
    nanos = operation.end_time.ToNanoseconds() - operation.start_time.ToNanoseconds()
    return format_duration(nanos / 1e9)


def format_age(created: int, now: float | None = None) -> str:
    """How long ago, the way kubectl says it: ``45s``, ``3m20s``, ``2h``, ``12d``."""
    if created <= 0:
        return ""
    return _span(int((time.time() if now is None else now) - created))


def format_until(stamp: Timestamp, now: float | None = None) -> str:
    """``in 3d``, or ``2h ago`` once past: a time to come, such as an expiry,
    from ``now``; ``""`` for an unset time."""
    if stamp.seconds == 0 and stamp.nanos == 0:
        return ""
    ahead = stamp.seconds + stamp.nanos / 1e9 - (time.time() if now is None else now)
    if ahead <= 0:
        return f"{_span(int(-ahead))} ago"
    # To the minute beyond two: an expiry set 7d ahead reads "in 7d" a second
    # later, not "in 6d23h".
    return f"in {_span(round(ahead / 60) * 60 if ahead >= 120 else int(ahead))}"


def _span(seconds: int) -> str:
    """``45s``, ``3m20s``, ``2h``, ``12d``: a length of time, as kubectl's ages."""
    seconds = max(seconds, 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if days < 2:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"


def format_bytes(size: int) -> str:
    """``1.5Gi``: a byte count in binary units, as Kubernetes writes them."""
    value = float(size)
    for unit in ("", "Ki", "Mi", "Gi", "Ti", "Pi"):
        if value < 1024 or unit == "Pi":
            return f"{value:.0f}{unit}" if unit == "" or value >= 10 else f"{value:.1f}{unit}"
        value /= 1024
    return str(size)


def _distro(value: int) -> str:
    try:
        return (
            vcluster_pb2.VClusterSpec.Distro.Name(vcluster_pb2.VClusterSpec.Distro.ValueType(value))
            .removeprefix("DISTRO_")
            .lower()
        )
    except ValueError:
        return str(value)


def _labels(labels: Any) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
