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
from rich.console import Console
from rich.table import Table
from rich.text import Text

from openvcluster import phase_name, snapshot_phase_name
from openvcluster.v1 import snapshot_pb2, vcluster_pb2

__all__ = [
    "FORMATS",
    "Column",
    "emit",
    "format_age",
    "format_bytes",
    "kind_name",
    "render_table",
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


def to_dict(message: Message) -> dict[str, Any]:
    """The message as proto JSON (lowerCamelCase names, enum names, RFC 3339 times)."""
    return json_format.MessageToDict(message)


def kind_name(message: Message) -> str:
    """``vcluster/dev`` or ``snapshot/dev-snap``."""
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


def render_table(columns: Sequence[Column], rows: Sequence[Any]) -> str:
    """A plain, borderless table like kubectl's (as text, lines without trailing spaces).

    On a terminal it fits the terminal's width, with phases coloured; otherwise
    (a pipe, a file) it keeps its natural width so nothing is cut.
    """
    probe = Console()  # stdout, as it is now (click's test runner swaps it)
    terminal = probe.is_terminal
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), show_edge=False)
    for header, _ in columns:
        table.add_column(header, header_style="bold" if terminal else "", no_wrap=True)
    for row in rows:
        table.add_row(*(_cell(header, getter(row)) for header, getter in columns))
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=probe.width if terminal else 1000,
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
    style = _PHASE_STYLES.get(value, "yellow") if header == "PHASE" else ""
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
        ]
    columns.append(("AGE", lambda v: format_age(v.create_time.seconds)))
    if wide:
        columns.append(("LABELS", lambda v: _labels(v.labels)))
    return columns


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


def format_age(created: int, now: float | None = None) -> str:
    """How long ago, the way kubectl says it: ``45s``, ``3m20s``, ``2h``, ``12d``."""
    if created <= 0:
        return ""
    seconds = max(int((time.time() if now is None else now) - created), 0)
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
