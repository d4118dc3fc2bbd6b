"""The snapshot commands (``ovc snapshot create|list|get|delete``) and ``ovc restore``."""

from __future__ import annotations

import time

import click

from openvcluster.cli import waiting
from openvcluster.cli.base import (
    OvcCommand,
    OvcGroup,
    all_namespaces_option,
    complete_snapshots,
    complete_vclusters,
    connection_options,
    label_option,
    namespace_option,
    output_option,
    wait_options,
)
from openvcluster.cli.output import emit, kind_name, snapshot_columns, vcluster_columns
from openvcluster.cli.session import get_session
from openvcluster.cli.vclusters import show_operation, wants_wait
from openvcluster.v1 import snapshot_pb2, vcluster_pb2

__all__ = ["restore", "snapshot"]

_READY = snapshot_pb2.Snapshot.PHASE_READY


def _strip_kind(value: str) -> str:
    # `-o name` prints snapshot/NAME; accept it back so output can feed input.
    return value.removeprefix("snapshot/")


def _show(snapshot: snapshot_pb2.Snapshot, output: str | None, verb: str) -> None:
    if output is None:
        click.echo(f"{kind_name(snapshot)} {verb}")
        show_operation()
    else:
        columns = snapshot_columns(wide=output == "wide", all_namespaces=False)
        emit([snapshot], output, columns, single=True)


@click.group(cls=OvcGroup, aliases={"describe": "get", "ls": "list"})
def snapshot() -> None:
    """Take, list, show and delete snapshots (restore them with `ovc restore`)."""


@snapshot.command("create")
@click.argument("name", metavar="VCLUSTER", shell_complete=complete_vclusters)
@namespace_option
@click.option(
    "--name",
    "snapshot_name",
    metavar="NAME",
    help="Name of the snapshot (default: VCLUSTER plus a random suffix, printed).",
)
@click.option("--description", default="", help="Free text kept with the snapshot.")
@label_option("Label to set, repeatable.")
@wait_options
@output_option(default=None)
@connection_options
def snapshot_create(
    name: str,
    namespace: str | None,
    snapshot_name: str | None,
    description: str,
    labels: tuple[tuple[str, str], ...],
    wait: bool,
    timeout: float | None,
    output: str | None,
) -> None:
    """Snapshot the vcluster VCLUSTER (RUNNING or SUSPENDED); PENDING, then READY."""
    session = get_session()
    client = session.client()
    snap = client.snapshot_vcluster(
        session.namespace(namespace),
        name,
        snapshot_name=snapshot_name or "",
        description=description,
        labels=dict(labels),
        on_operation=session.record_operation,
    )
    if wants_wait(wait, timeout):
        snap = waiting.wait_for_snapshot(client, snap, timeout)
    _show(snap, output, "created")


@snapshot.command("list")
@click.argument("vcluster", required=False, metavar="[VCLUSTER]", shell_complete=complete_vclusters)
@namespace_option
@all_namespaces_option
@output_option()
@connection_options
def snapshot_list(
    vcluster: str | None, namespace: str | None, all_namespaces: bool, output: str
) -> None:
    """List snapshots (of VCLUSTER only, when given)."""
    session = get_session()
    ns = "" if all_namespaces else session.namespace(namespace)
    snaps = list(session.client().list_snapshots(ns, vcluster=vcluster or ""))
    if not snaps and output in ("table", "wide"):
        where = "any namespace" if all_namespaces else f"namespace {ns}"
        click.echo(f"No snapshots in {where}.", err=True)
        return
    emit(snaps, output, snapshot_columns(wide=output == "wide", all_namespaces=all_namespaces))


@snapshot.command("get")
@click.argument("name", metavar="NAME", shell_complete=complete_snapshots)
@namespace_option
@output_option()
@connection_options
def snapshot_get(name: str, namespace: str | None, output: str) -> None:
    """Show the snapshot NAME (alias: describe)."""
    session = get_session()
    snap = session.client().get_snapshot(session.namespace(namespace), _strip_kind(name))
    emit([snap], output, snapshot_columns(wide=output == "wide", all_namespaces=False), single=True)


@snapshot.command("delete")
@click.argument("name", metavar="NAME", shell_complete=complete_snapshots)
@namespace_option
@wait_options
@connection_options
def snapshot_delete(name: str, namespace: str | None, wait: bool, timeout: float | None) -> None:
    """Delete the snapshot NAME (at once: --wait has nothing to wait for)."""
    session = get_session()
    name = _strip_kind(name)
    session.client().delete_snapshot(
        session.namespace(namespace), name, on_operation=session.record_operation
    )
    click.echo(f"snapshot/{name} deleted")
    show_operation()


@click.command(cls=OvcCommand)
@click.argument("snapshot_name", metavar="SNAPSHOT", shell_complete=complete_snapshots)
@namespace_option
@click.option(
    "--to",
    "target",
    metavar="NEW_NAME",
    help="Restore as a new vcluster NEW_NAME (default: in place, over the source vcluster).",
)
@wait_options
@output_option(default=None)
@connection_options
def restore(
    snapshot_name: str,
    namespace: str | None,
    target: str | None,
    wait: bool,
    timeout: float | None,
    output: str | None,
) -> None:
    """Restore the snapshot SNAPSHOT, in place or --to a new vcluster.

    In place, the source vcluster is RESTORING, then RUNNING with the
    snapshot's settings; --to creates NEW_NAME (PROVISIONING, then RUNNING).
    With --wait, a snapshot still being taken is first awaited until READY.
    """
    session = get_session()
    client = session.client()
    ns = session.namespace(namespace)
    snapshot_name = _strip_kind(snapshot_name)
    waits = wants_wait(wait, timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    if waits:
        snap = client.get_snapshot(ns, snapshot_name)
        if snap.phase != _READY:
            waiting.wait_for_snapshot(client, snap, timeout)
    vcluster = client.restore_vcluster(
        ns, snapshot_name, target_name=target or "", on_operation=session.record_operation
    )
    if waits:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.001)
        vcluster = waiting.wait_for_phase(
            client, vcluster, vcluster_pb2.VCluster.PHASE_RUNNING, left
        )
    if output is None:
        click.echo(f"{kind_name(vcluster)} restored from snapshot/{snapshot_name}")
        show_operation()
    else:
        columns = vcluster_columns(wide=output == "wide", all_namespaces=False)
        emit([vcluster], output, columns, single=True)


# The ovc commands of this module (cli/app.py adds every module's).
COMMANDS: tuple[click.Command, ...] = (snapshot, restore)
