"""What the server says about itself and the caller: ``ovc version`` and ``ovc whoami``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
import yaml

from openvcluster._version import __version__
from openvcluster.cli.base import OvcCommand, connection_options, output_option
from openvcluster.cli.output import Column, format_time, render_table, to_dict
from openvcluster.cli.session import get_session
from openvcluster.v1 import monitor_service_pb2 as ms
from openvcluster.v1 import server_info_service_pb2 as si

__all__ = ["backend_name", "caller_namespaces_text", "role_name", "version", "whoami"]

_FORMATS = ("table", "json", "yaml")

_QUOTA_COLUMNS: list[Column] = [
    ("NAMESPACE", lambda item: item[0]),
    ("VCLUSTERS", lambda item: _count(item[1].max_vclusters)),
    ("CPU", lambda item: item[1].cpu),
    ("MEMORY", lambda item: item[1].memory),
    ("SNAPSHOTS", lambda item: _count(item[1].max_snapshots)),
]


def backend_name(backend: si.ServerInfo.Backend.ValueType) -> str:
    """``simulated`` or ``kubernetes`` (the number of a backend this ovc does not know)."""
    try:
        return si.ServerInfo.Backend.Name(backend).removeprefix("BACKEND_").lower()
    except ValueError:
        return str(int(backend))


def role_name(role: si.Caller.Role.ValueType) -> str:
    """``viewer`` or ``editor`` (the number of a role this ovc does not know)."""
    try:
        return si.Caller.Role.Name(role).removeprefix("ROLE_").lower()
    except ValueError:
        return str(int(role))


def caller_namespaces_text(caller: si.Caller) -> str:
    """``all``, or the caller's namespaces separated by commas."""
    if caller.all_namespaces:
        return "all"
    return ", ".join(caller.namespaces) or "none"


def _count(limit: int) -> str:
    # 0 means no limit: the table shows "-".
    return str(limit) if limit else ""


def _write(data: Mapping[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False), nl=False)


def _versions(output: str, info: si.ServerInfo | None) -> None:
    if output != "table":
        data: dict[str, Any] = {"clientVersion": __version__}
        if info is not None:
            data["serverVersion"] = info.version
            data["serverBackend"] = si.ServerInfo.Backend.Name(info.backend)
            if info.HasField("server_time"):
                data["serverTime"] = info.server_time.ToJsonString()
        _write(data, output)
        return
    click.echo(f"Client version: {__version__}")
    if info is not None:
        click.echo(f"Server version: {info.version}")
        click.echo(f"Server backend: {backend_name(info.backend)}")
        if info.HasField("server_time"):
            click.echo(f"Server time:    {format_time(info.server_time)}")


@click.command(cls=OvcCommand)
@output_option(formats=_FORMATS)
@connection_options
def version(output: str) -> None:
    """Show ovc's version, and the server's version, backend and clock.

    Sleep schedules and expiry follow the server's clock (in UTC here).

    When the server cannot be reached, ovc's version is shown, then the
    error (exit code 6). `ovc --version` shows ovc's version alone.
    """
    session = get_session()
    try:
        info = session.client().get_server_info()
    except Exception:
        _versions(output, None)  # what is known without a server, then the error
        raise
    _versions(output, info)


@click.command(cls=OvcCommand)
@output_option(formats=_FORMATS)
@connection_options
def whoami(output: str) -> None:
    """Show your token's name, role and namespaces, and the quotas you meet.

    The quotas are those of the namespaces you may use; "*" is the quota of
    every namespace without one of its own, and "-" is no limit.
    """
    info = get_session().client().get_server_info()
    caller = info.caller
    quotas = sorted(info.limits.quotas.items())
    if output != "table":
        data = to_dict(caller)
        data["quotas"] = {namespace: to_dict(quota) for namespace, quota in quotas}
        _write(data, output)
        return
    click.echo(f"Name:       {caller.name}")
    click.echo(f"Role:       {role_name(caller.role)}")
    click.echo(f"Namespaces: {caller_namespaces_text(caller)}")
    if not quotas:
        click.echo("Quotas:     none")
        return
    click.echo()
    click.echo("Quotas:")
    rows: list[tuple[str, ms.NamespaceQuota]] = quotas
    click.echo(render_table(_QUOTA_COLUMNS, rows), nl=False)


# The ovc commands of this module (cli/app.py adds every module's).
COMMANDS: tuple[click.Command, ...] = (version, whoami)
