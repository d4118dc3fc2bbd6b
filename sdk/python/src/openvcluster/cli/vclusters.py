"""The vcluster commands: create, get, describe, list, update, upgrade, delete, scale,
suspend, resume, kubeconfig."""

from __future__ import annotations

import os
from pathlib import Path

import click
from google.protobuf.timestamp_pb2 import Timestamp

from openvcluster import phase_name, resting_phase, to_phase
from openvcluster._requests import update_mask_of
from openvcluster.cli import waiting
from openvcluster.cli.base import (
    OvcCommand,
    all_namespaces_option,
    complete_vclusters,
    connection_options,
    label_option,
    namespace_option,
    output_option,
    wait_options,
)
from openvcluster.cli.output import (
    Column,
    emit,
    field_lines,
    format_age,
    format_time,
    format_until,
    kind_name,
    render_table,
    schedule_text,
    vcluster_columns,
)
from openvcluster.cli.schedules import (
    created_schedule,
    expire_time_in,
    merged_schedule,
    schedule_options,
)
from openvcluster.cli.session import get_session
from openvcluster.v1 import vcluster_pb2

__all__ = [
    "create",
    "delete",
    "describe",
    "describe_vcluster",
    "get",
    "kubeconfig",
    "list_vclusters",
    "resume",
    "scale",
    "show",
    "show_operation",
    "suspend",
    "update",
    "upgrade",
    "wants_wait",
]

_Phase = vcluster_pb2.VCluster.Phase
_PHASES = [v.name.removeprefix("PHASE_").lower() for v in _Phase.DESCRIPTOR.values if v.number != 0]
_DISTROS = ["k8s", "k3s", "k0s"]
_EXPOSE = ["cluster-ip", "node-port", "load-balancer", "ingress"]
_DESCRIBE_FORMATS = ("table", "json", "yaml", "name")
_CONDITION_COLUMNS: list[Column] = [
    ("TYPE", lambda c: c.type),
    ("STATUS", lambda c: _condition_status(c.status)),
    ("REASON", lambda c: c.reason),
    ("MESSAGE", lambda c: c.message),
]

name_argument = click.argument("name", metavar="NAME", shell_complete=complete_vclusters)


def show(vcluster: vcluster_pb2.VCluster, output: str | None, verb: str) -> None:
    """Prints a mutation's result: ``vcluster/dev created`` and the line of its
    operation (see :func:`show_operation`), or the resource in ``output``."""
    if output is None:
        click.echo(f"{kind_name(vcluster)} {verb}")
        show_operation()
    else:
        columns = vcluster_columns(wide=output == "wide", all_namespaces=False)
        emit([vcluster], output, columns, single=True)


def show_operation() -> None:
    """Prints ``operation: <id>`` after a mutation's result line: the Operation
    that records it (``ovc operation get <id>``), when the server made one (a
    dry run makes none)."""
    operation_id = get_session().operation_id
    if operation_id:
        click.echo(f"operation: {operation_id}")


# The phases a suspend, resume or delete that changes something answers with:
# the transition it begins.
_BEGUN = frozenset({_Phase.PHASE_SUSPENDING, _Phase.PHASE_RESUMING, _Phase.PHASE_DELETING})


def outcome(before: _Phase.ValueType, answer: vcluster_pb2.VCluster, verb: str) -> str:
    """``verb``, or ``already PHASE`` when the server answered a suspend, resume or delete
    as a no-op, which it does with the vcluster unchanged.

    ``before`` is the phase read just before the call. A change answers with
    the transition it begins, never the phase before. A no-op answers with the
    phase before, or with the one a transition under way ended in meanwhile
    (RESUMING ended RUNNING), which begins nothing.
    """
    phase = answer.status.phase
    if phase == before or phase not in _BEGUN:
        return f"already {phase_name(phase)}"
    return verb


def wants_wait(wait: bool, timeout: float | None) -> bool:
    """``--timeout`` implies ``--wait``."""
    return wait or timeout is not None


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@click.option(
    "--kubernetes-version", metavar="X.Y", help="Kubernetes minor version (default: newest)."
)
@click.option(
    "--distro", type=click.Choice(_DISTROS), help="Control-plane distribution (default k8s)."
)
@click.option("--cpu", metavar="QUANTITY", help="CPU, a Kubernetes quantity: 2, 500m (default 1).")
@click.option("--memory", metavar="QUANTITY", help="Memory: 4Gi, 512Mi (default 2Gi).")
@click.option("--storage", metavar="QUANTITY", help="Storage: 20Gi (default 10Gi).")
@click.option("--replicas", type=click.IntRange(min=1), help="Control-plane replicas (default 1).")
@click.option("--ha/--no-ha", default=None, help="High availability (needs odd replicas >= 3).")
@click.option("--expose", type=click.Choice(_EXPOSE), help="How the API server is exposed.")
@label_option("Label to set, repeatable.")
@click.option(
    "--deletion-protection",
    is_flag=True,
    help="Refuse deletes until `ovc update NAME --no-deletion-protection`.",
)
@schedule_options
@click.option(
    "--delete-snapshots-on-expiry",
    is_flag=True,
    help="At expiry, delete its snapshots too (kept by default).",
)
@click.option("--dry-run", is_flag=True, help="Validate only; create nothing.")
@wait_options
@output_option(default=None)
@connection_options
def create(
    name: str,
    namespace: str | None,
    kubernetes_version: str | None,
    distro: str | None,
    cpu: str | None,
    memory: str | None,
    storage: str | None,
    replicas: int | None,
    ha: bool | None,
    expose: str | None,
    labels: tuple[tuple[str, str], ...],
    deletion_protection: bool,
    sleep_at: str | None,
    wake_at: str | None,
    timezone: str | None,
    expire_in: float | None,
    delete_snapshots_on_expiry: bool,
    dry_run: bool,
    wait: bool,
    timeout: float | None,
    output: str | None,
) -> None:
    """Create the vcluster NAME; it is PROVISIONING, then RUNNING.

    Settings left out take the server's defaults. --sleep-at and --wake-at
    suspend and resume it on a schedule (either may be left out), read in
    --timezone; --expire-in deletes it after that long.
    """
    schedule = created_schedule(sleep_at, wake_at, timezone)
    session = get_session()
    client = session.client()
    vcluster = client.create_vcluster(
        session.namespace(namespace),
        name,
        kubernetes_version=kubernetes_version,
        distro=distro,
        cpu=cpu,
        memory=memory,
        storage=storage,
        replicas=replicas,
        enable_ha=ha,
        expose_type=expose,
        labels=dict(labels),
        deletion_protection=deletion_protection or None,
        sleep_schedule=schedule,
        expire_time=expire_time_in(expire_in),
        delete_snapshots_on_expiry=delete_snapshots_on_expiry or None,
        validate_only=dry_run,
        on_operation=session.record_operation,
    )
    if dry_run:
        show(vcluster, output, "is valid (dry run: nothing created)")
        return
    if wants_wait(wait, timeout):
        vcluster = waiting.wait_for_phase(client, vcluster, _Phase.PHASE_RUNNING, timeout)
    show(vcluster, output, "created")


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@output_option()
@connection_options
def get(name: str, namespace: str | None, output: str) -> None:
    """Show the vcluster NAME in a table (`ovc describe NAME` shows every field)."""
    session = get_session()
    vcluster = session.client().get_vcluster(session.namespace(namespace), name)
    columns = vcluster_columns(wide=output == "wide", all_namespaces=False)
    emit([vcluster], output, columns, single=True)


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@output_option(formats=_DESCRIBE_FORMATS)
@connection_options
def describe(name: str, namespace: str | None, output: str) -> None:
    """Show the vcluster NAME whole: its settings, schedule, expiry and conditions."""
    session = get_session()
    vcluster = session.client().get_vcluster(session.namespace(namespace), name)
    if output != "table":
        emit([vcluster], output, (), single=True)
        return
    click.echo(describe_vcluster(vcluster), nl=False)


def describe_vcluster(vc: vcluster_pb2.VCluster, now: float | None = None) -> str:
    """The text of ``ovc describe``: one field a line, then the conditions table.

    Times are in UTC, each followed by how far off it is from ``now``.
    """
    spec, status = vc.spec, vc.status
    resources = spec.resources
    fields: list[tuple[str, str]] = [
        ("Name", vc.name),
        ("Namespace", vc.namespace),
        ("Phase", phase_name(status.phase)),
        ("Message", status.message),
        ("Version", spec.kubernetes_version),
        (
            "Resources",
            f"cpu {resources.cpu}, memory {resources.memory}, storage {resources.storage}",
        ),
        ("Replicas", f"{spec.replicas} (HA: {_yes(spec.enable_ha)})"),
        ("Endpoint", status.api_server_endpoint),
        ("Labels", ",".join(f"{k}={v}" for k, v in sorted(vc.labels.items()))),
        ("Created", _when(vc.create_time, now, past=True)),
        ("Deletion protection", _yes(spec.deletion_protection)),
        ("Sleep schedule", schedule_text(spec.sleep_schedule)),
        ("Next suspend", _when(status.next_suspend_time, now)),
        ("Next resume", _when(status.next_resume_time, now)),
        ("Expires", _when(spec.expire_time, now)),
        ("Delete snapshots on expiry", _yes(spec.delete_snapshots_on_expiry)),
    ]
    text = field_lines(fields)
    if status.conditions:
        text += "\nConditions:\n" + render_table(_CONDITION_COLUMNS, list(status.conditions))
    return text


def _when(stamp: Timestamp, now: float | None, *, past: bool = False) -> str:
    """``2026-11-18T08:20:00Z (in 3d)``; ``""`` for an unset time."""
    if stamp.seconds == 0 and stamp.nanos == 0:
        return ""
    if past:
        return f"{format_time(stamp)} ({format_age(stamp.seconds, now)} ago)"
    return f"{format_time(stamp)} ({format_until(stamp, now)})"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _condition_status(value: int) -> str:
    """``True``, ``False`` or ``Unknown``, as kubectl shows a condition's status."""
    status = vcluster_pb2.Condition.Status
    try:
        return status.Name(status.ValueType(value)).removeprefix("STATUS_").capitalize()
    except ValueError:
        return str(value)


@click.command("list", cls=OvcCommand)
@namespace_option
@all_namespaces_option
@click.option(
    "-l", "--selector", metavar="SELECTOR", default="", help="Label selector: app=web,tier!=db."
)
@click.option("--phase", type=click.Choice(_PHASES, case_sensitive=False), help="Only this phase.")
@output_option()
@connection_options
def list_vclusters(
    namespace: str | None, all_namespaces: bool, selector: str, phase: str | None, output: str
) -> None:
    """List vclusters of one namespace, or all with -A (alias: ls)."""
    session = get_session()
    ns = "" if all_namespaces else session.namespace(namespace)
    pager = session.client().list_vclusters(
        ns, label_selector=selector, phase=to_phase(phase) if phase else None
    )
    vclusters = list(pager)
    if not vclusters and output in ("table", "wide"):
        where = "any namespace" if all_namespaces else f"namespace {ns}"
        click.echo(f"No vclusters in {where}.", err=True)
        return
    emit(vclusters, output, vcluster_columns(wide=output == "wide", all_namespaces=all_namespaces))


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@label_option("Label, repeatable. The labels given replace ALL the vcluster's labels.")
@click.option("--clear-labels", is_flag=True, help="Remove every label.")
@click.option(
    "--deletion-protection/--no-deletion-protection",
    default=None,
    help="Turn deletion protection on (deletes are refused) or off.",
)
@schedule_options
@click.option("--no-sleep-schedule", is_flag=True, help="Remove the sleep schedule.")
@click.option(
    "--no-expiry", is_flag=True, help="Remove the expiry: it is never deleted on its own."
)
@click.option(
    "--delete-snapshots-on-expiry/--keep-snapshots-on-expiry",
    default=None,
    help="Whether the deletion at expiry deletes its snapshots too.",
)
@click.option("--dry-run", is_flag=True, help="Validate only; change nothing.")
@output_option(default=None)
@connection_options
def update(
    name: str,
    namespace: str | None,
    labels: tuple[tuple[str, str], ...],
    clear_labels: bool,
    deletion_protection: bool | None,
    sleep_at: str | None,
    wake_at: str | None,
    timezone: str | None,
    expire_in: float | None,
    no_sleep_schedule: bool,
    no_expiry: bool,
    delete_snapshots_on_expiry: bool | None,
    dry_run: bool,
    output: str | None,
) -> None:
    """Change the labels, deletion protection, sleep schedule or expiry of the vcluster NAME.

    The labels given with -l replace all the vcluster's labels (those not
    given are removed); --clear-labels removes them all. --sleep-at, --wake-at
    and --timezone change that part of the schedule and keep the rest
    (an empty CRON, '', removes that time); --no-sleep-schedule removes it.
    --expire-in sets the expiry from now; --no-expiry removes it. What is left
    out stays as it is. The change is at once, while RUNNING, SUSPENDED or
    FAILED; the phase stays. To change the Kubernetes version, see `ovc upgrade`.
    """
    schedule_given = sleep_at is not None or wake_at is not None or timezone is not None
    _check_update_flags(
        labels=bool(labels),
        clear_labels=clear_labels,
        schedule=schedule_given,
        no_sleep_schedule=no_sleep_schedule,
        expire_in=expire_in is not None,
        no_expiry=no_expiry,
        others=deletion_protection is not None or delete_snapshots_on_expiry is not None,
    )
    session = get_session()
    client = session.client()
    ns = session.namespace(namespace)
    etag = ""
    schedule = vcluster_pb2.SleepSchedule() if no_sleep_schedule else None
    if schedule_given:
        # Read, merge, and write back on that read's etag: a change made in
        # between is ABORTED rather than overwritten.
        current = client.get_vcluster(ns, name)
        schedule, etag = merged_schedule(current, sleep_at, wake_at, timezone), current.etag
    new_labels = dict(labels) if labels or clear_labels else None
    mask = None
    if no_expiry:
        mask = _mask_removing_expiry(
            new_labels, deletion_protection, schedule, delete_snapshots_on_expiry
        )
    vcluster = client.update_vcluster(
        ns,
        name,
        labels=new_labels,
        deletion_protection=deletion_protection,
        sleep_schedule=schedule,
        expire_time=expire_time_in(expire_in),
        delete_snapshots_on_expiry=delete_snapshots_on_expiry,
        update_mask=mask,
        etag=etag,
        validate_only=dry_run,
        on_operation=session.record_operation,
    )
    show(vcluster, output, "is valid (dry run: nothing changed)" if dry_run else "updated")


def _mask_removing_expiry(
    labels: dict[str, str] | None,
    deletion_protection: bool | None,
    schedule: vcluster_pb2.SleepSchedule | None,
    delete_snapshots_on_expiry: bool | None,
) -> list[str]:
    """The update mask of the other changes, and ``spec.expire_time``: named
    without a time, which the server takes as no expiry."""
    paths = update_mask_of(
        labels=labels,
        kubernetes_version=None,
        deletion_protection=deletion_protection,
        sleep_schedule=schedule,
        expire_time=None,
        delete_snapshots_on_expiry=delete_snapshots_on_expiry,
    )
    return [*paths, "spec.expire_time"]


def _check_update_flags(
    *,
    labels: bool,
    clear_labels: bool,
    schedule: bool,
    no_sleep_schedule: bool,
    expire_in: bool,
    no_expiry: bool,
    others: bool,
) -> None:
    """Usage errors of ``ovc update``: flags that contradict each other, or none."""
    for given, cleared, flags in (
        (labels, clear_labels, "-l/--label or --clear-labels"),
        (schedule, no_sleep_schedule, "--sleep-at/--wake-at/--timezone or --no-sleep-schedule"),
        (expire_in, no_expiry, "--expire-in or --no-expiry"),
    ):
        if given and cleared:
            raise click.UsageError(f"give {flags}, not both")
    if not any((labels, clear_labels, schedule, no_sleep_schedule, expire_in, no_expiry, others)):
        raise click.UsageError(
            "nothing to change: give -l/--label, --clear-labels, "
            "--deletion-protection/--no-deletion-protection, --sleep-at, --wake-at, "
            "--timezone, --no-sleep-schedule, --expire-in, --no-expiry "
            "or --delete-snapshots-on-expiry/--keep-snapshots-on-expiry"
        )


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@click.option(
    "--to",
    "kubernetes_version",
    metavar="VERSION",
    required=True,
    help="The new Kubernetes version: the next minor (1.32 from 1.31) or a newer patch.",
)
@click.option("--dry-run", is_flag=True, help="Validate only; change nothing.")
@wait_options
@output_option(default=None)
@connection_options
def upgrade(
    name: str,
    namespace: str | None,
    kubernetes_version: str,
    dry_run: bool,
    wait: bool,
    timeout: float | None,
    output: str | None,
) -> None:
    """Upgrade the RUNNING vcluster NAME to another Kubernetes version: UPGRADING, then RUNNING.

    One minor version at a time (1.31 to 1.32), or a newer patch of the same
    minor (1.31 to 1.31.4), to a version the server supports; never down.
    Asking for the version it has changes nothing.
    """
    session = get_session()
    client = session.client()
    vcluster = client.upgrade_vcluster(
        session.namespace(namespace),
        name,
        kubernetes_version,
        validate_only=dry_run,
        on_operation=session.record_operation,
    )
    if dry_run:
        show(vcluster, output, "is valid (dry run: nothing changed)")
        return
    if vcluster.status.phase != _Phase.PHASE_UPGRADING:
        show(vcluster, output, f"already at {vcluster.spec.kubernetes_version}")
        return
    if wants_wait(wait, timeout):
        vcluster = waiting.wait_for_phase(client, vcluster, _Phase.PHASE_RUNNING, timeout)
    show(vcluster, output, f"upgraded to {vcluster.spec.kubernetes_version}")


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@click.option(
    "--delete-snapshots", is_flag=True, help="Delete its snapshots too (kept by default)."
)
@click.option(
    "--keep-data", is_flag=True, help="Keep its control plane's volumes (Kubernetes backend)."
)
@wait_options
@output_option(default=None)
@connection_options
def delete(
    name: str,
    namespace: str | None,
    delete_snapshots: bool,
    keep_data: bool,
    wait: bool,
    timeout: float | None,
    output: str | None,
) -> None:
    """Delete the vcluster NAME; it is DELETING, then gone (alias: rm)."""
    session = get_session()
    client = session.client()
    ns = session.namespace(namespace)
    before = client.get_vcluster(ns, name).status.phase
    vcluster = client.delete_vcluster(
        ns,
        name,
        delete_snapshots=delete_snapshots,
        keep_data=keep_data,
        on_operation=session.record_operation,
    )
    waits = wants_wait(wait, timeout)
    verb = outcome(before, vcluster, "deleted" if waits else "deleting")
    if waits:
        waiting.wait_for_deletion(client, vcluster, timeout)
    show(vcluster, output, verb)


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@click.option("--cpu", metavar="QUANTITY", help="New CPU: 4, 1500m.")
@click.option("--memory", metavar="QUANTITY", help="New memory: 8Gi.")
@click.option("--storage", metavar="QUANTITY", help="New storage: 50Gi.")
@click.option("--replicas", type=click.IntRange(min=1), help="New control-plane replica count.")
@click.option("--ha/--no-ha", default=None, help="Switch high availability on or off.")
@wait_options
@output_option(default=None)
@connection_options
def scale(
    name: str,
    namespace: str | None,
    cpu: str | None,
    memory: str | None,
    storage: str | None,
    replicas: int | None,
    ha: bool | None,
    wait: bool,
    timeout: float | None,
    output: str | None,
) -> None:
    """Change the resources, replicas or HA of the vcluster NAME; the rest is kept.

    A RUNNING vcluster is SCALING, then RUNNING; a SUSPENDED one keeps the new
    settings for when it resumes.
    """
    if cpu is None and memory is None and storage is None and replicas is None and ha is None:
        raise click.UsageError(
            "nothing to change: give --cpu, --memory, --storage, --replicas or --ha/--no-ha"
        )
    session = get_session()
    client = session.client()
    vcluster = client.scale_vcluster(
        session.namespace(namespace),
        name,
        cpu=cpu,
        memory=memory,
        storage=storage,
        replicas=replicas,
        enable_ha=ha,
        on_operation=session.record_operation,
    )
    if wants_wait(wait, timeout):
        target = resting_phase(vcluster.status.phase)
        vcluster = waiting.wait_for_phase(client, vcluster, target, timeout)
    show(vcluster, output, "scaled")


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@click.option("--drain", is_flag=True, help="Drain workloads before powering off.")
@wait_options
@output_option(default=None)
@connection_options
def suspend(
    name: str,
    namespace: str | None,
    drain: bool,
    wait: bool,
    timeout: float | None,
    output: str | None,
) -> None:
    """Suspend (power off) the vcluster NAME, keeping its state: SUSPENDING, then SUSPENDED."""
    session = get_session()
    client = session.client()
    ns = session.namespace(namespace)
    before = client.get_vcluster(ns, name).status.phase
    vcluster = client.suspend_vcluster(
        ns, name, drain_workloads=drain, on_operation=session.record_operation
    )
    verb = outcome(before, vcluster, "suspended")
    if wants_wait(wait, timeout):
        vcluster = waiting.wait_for_phase(client, vcluster, _Phase.PHASE_SUSPENDED, timeout)
    show(vcluster, output, verb)


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@wait_options
@output_option(default=None)
@connection_options
def resume(
    name: str, namespace: str | None, wait: bool, timeout: float | None, output: str | None
) -> None:
    """Resume (power on) the suspended vcluster NAME: RESUMING, then RUNNING."""
    session = get_session()
    client = session.client()
    ns = session.namespace(namespace)
    before = client.get_vcluster(ns, name).status.phase
    vcluster = client.resume_vcluster(ns, name, on_operation=session.record_operation)
    verb = outcome(before, vcluster, "resumed")
    if wants_wait(wait, timeout):
        vcluster = waiting.wait_for_phase(client, vcluster, _Phase.PHASE_RUNNING, timeout)
    show(vcluster, output, verb)


@click.command(cls=OvcCommand)
@name_argument
@namespace_option
@click.option(
    "--write",
    "path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write it to this file (mode 0600) instead of stdout.",
)
@connection_options
def kubeconfig(name: str, namespace: str | None, path: str | None) -> None:
    """Print the kubeconfig of the vcluster NAME (admin access: handle it like a password)."""
    session = get_session()
    text = session.client().get_kubeconfig(session.namespace(namespace), name)
    if path is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    target = Path(path).expanduser()
    write_private(target, text)
    click.echo(f"Wrote the kubeconfig of vcluster/{name} to {target} (mode 0600).")
    click.echo(f"Use it with: KUBECONFIG={target} kubectl get namespaces")


def write_private(path: Path, text: str) -> None:
    """Writes ``text`` to ``path`` readable by its owner only, also when the file exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to an existing file
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(text)
    finally:
        if fd >= 0:
            os.close(fd)


# The ovc commands of this module (cli/app.py adds every module's).
COMMANDS: tuple[click.Command, ...] = (
    create,
    get,
    describe,
    list_vclusters,
    update,
    upgrade,
    delete,
    scale,
    suspend,
    resume,
    kubeconfig,
)
