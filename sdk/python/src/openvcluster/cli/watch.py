"""``ovc watch``: follow vclusters as they change, one line (or document) per event."""

from __future__ import annotations

import json

import click
import yaml

from openvcluster import phase_name
from openvcluster.cli.base import (
    DURATION,
    OvcCommand,
    all_namespaces_option,
    complete_vclusters,
    connection_options,
    namespace_option,
    output_option,
)
from openvcluster.cli.output import kind_name, to_dict
from openvcluster.cli.session import get_session
from openvcluster.errors import DeadlineExceededError
from openvcluster.v1 import vcluster_pb2
from openvcluster.v1.vcluster_service_pb2 import WatchVClustersResponse

__all__ = ["watch"]

_SYNCED = WatchVClustersResponse.EVENT_TYPE_SYNCED


def _event_name(event: WatchVClustersResponse) -> str:
    return WatchVClustersResponse.EventType.Name(event.type).removeprefix("EVENT_TYPE_")


class _Lines:
    """Fixed-width lines: a stream cannot be measured in advance like a table."""

    def __init__(self, *, wide: bool, all_namespaces: bool) -> None:
        self.columns: list[tuple[str, int]] = [("EVENT", 10)]
        if all_namespaces:
            self.columns.append(("NAMESPACE", 18))
        self.columns.append(("NAME", 22))
        self.columns.append(("PHASE", 14))
        if wide:
            self.columns += [("VERSION", 9), ("CPU", 7), ("MEMORY", 8)]
        self.columns.append(("MESSAGE", 0))

    def line(self, cells: dict[str, str]) -> str:
        parts = []
        for header, width in self.columns:
            text = cells.get(header, "")
            parts.append(text.ljust(width - 1) + " " if width else text)
        return "".join(parts).rstrip()

    def header(self) -> str:
        return self.line({h: h for h, _ in self.columns})

    def row(self, event: WatchVClustersResponse) -> str:
        vc: vcluster_pb2.VCluster = event.vcluster
        return self.line(
            {
                "EVENT": _event_name(event),
                "NAME": vc.name,
                "NAMESPACE": vc.namespace,
                "PHASE": phase_name(vc.status.phase),
                "VERSION": vc.spec.kubernetes_version,
                "CPU": vc.spec.resources.cpu,
                "MEMORY": vc.spec.resources.memory,
                "MESSAGE": vc.status.message,
            }
        )


@click.command(cls=OvcCommand)
@click.argument("name", required=False, metavar="[NAME]", shell_complete=complete_vclusters)
@namespace_option
@all_namespaces_option
@click.option("-l", "--selector", metavar="SELECTOR", default="", help="Label selector: app=web.")
@click.option(
    "--timeout", type=DURATION, metavar="DURATION", help="Stop after this long (e.g. 5m)."
)
@output_option()
@connection_options
def watch(
    name: str | None,
    namespace: str | None,
    all_namespaces: bool,
    selector: str,
    timeout: float | None,
    output: str,
) -> None:
    """Follow vclusters (or just NAME): the current state, then every change, until Ctrl-C.

    JSON output is one event object per line; YAML output one document per event.
    """
    if name and all_namespaces:
        raise click.UsageError("give NAME or --all-namespaces, not both")
    session = get_session()
    ns = "" if all_namespaces else session.namespace(namespace)
    lines = _Lines(wide=output == "wide", all_namespaces=all_namespaces)
    if output in ("table", "wide"):
        click.echo(lines.header())
    stream = session.client().watch_vclusters(
        ns, name=name or "", label_selector=selector, timeout=timeout
    )
    try:
        with stream:
            for event in stream:
                _print(event, output, lines)
    except DeadlineExceededError:
        return  # --timeout: the watch ran for as long as asked
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch normally ends


def _print(event: WatchVClustersResponse, output: str, lines: _Lines) -> None:
    if output in ("json", "yaml"):
        data = to_dict(event)  # {"type": "EVENT_TYPE_ADDED", "vcluster": {...}}, as over HTTP
        if output == "json":
            click.echo(json.dumps(data, separators=(",", ":")))
        else:
            click.echo("---\n" + yaml.safe_dump(data, sort_keys=False), nl=False)
    elif event.type == _SYNCED:
        click.echo("(initial state complete; watching for changes)", err=True)
    elif output == "name":
        click.echo(kind_name(event.vcluster))
    else:
        click.echo(lines.row(event))


# The ovc commands of this module (cli/app.py adds every module's).
COMMANDS: tuple[click.Command, ...] = (watch,)
