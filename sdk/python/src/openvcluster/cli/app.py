"""The ``ovc`` command group: global options, the command list and the entry point."""

from __future__ import annotations

import os
import sys

import click
from click.shell_completion import get_completion_class

from openvcluster._version import __version__
from openvcluster.cli import contexts, info, monitor, operations, snapshots, vclusters, watch
from openvcluster.cli.base import OvcGroup, global_options
from openvcluster.cli.errors import EXIT_CODES_HELP, ExitCode

__all__ = ["cli", "run"]

_EPILOG = f"""\b
Examples:
  ovc create dev --cpu 2 --memory 4Gi --wait
  ovc list -A
  ovc suspend dev --wait && ovc resume dev --wait
  ovc update dev -l team=platform --deletion-protection
  ovc update dev --sleep-at "0 19 * * 1-5" --wake-at "0 7 * * 1-5" --timezone Europe/Berlin
  ovc create tmp --expire-in 7d
  ovc upgrade dev --to 1.32 --wait
  ovc snapshot create dev --name dev-snap
  ovc restore dev-snap --to dev2 --wait
  ovc history dev
  ovc operation get 0f8fad5b-d9cb-469f-a165-70867728950e
  ovc kubeconfig dev --write dev.kubeconfig
  ovc top dev
  ovc summary -A
  ovc whoami

\b
Shell completion (bash; also zsh and fish):
  eval "$(ovc completion bash)"

{EXIT_CODES_HELP}
"""


@click.group(
    "ovc",
    cls=OvcGroup,
    aliases={"ls": "list", "rm": "delete"},
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@global_options
@click.version_option(__version__, "--version", prog_name="ovc")
def cli() -> None:
    """ovc: virtual Kubernetes clusters with a VM-like lifecycle.

    Create, list, update, upgrade, suspend (power off), resume (power on),
    snapshot, restore and delete vclusters on an open-vcluster-api server. Mutations return at
    once; --wait follows them to the end. Each is recorded as an operation (`ovc history`).

    The options here work after the command too (`ovc -n team-a list` is
    `ovc list -n team-a`); given in both places, the one after it wins.
    """


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: eval "$(ovc completion bash)".

    The same as click's `_OVC_COMPLETE=bash_source ovc`.
    """
    cls = get_completion_class(shell)
    assert cls is not None  # every choice has a class
    click.echo(cls(cli, {}, "ovc", "_OVC_COMPLETE").source())


for module in (vclusters, snapshots, operations, watch, monitor, info, contexts):
    for command in module.COMMANDS:
        cli.add_command(command)


def run() -> None:
    """Runs ``ovc`` on the process's arguments and exits."""
    try:
        cli.main(prog_name="ovc")
    except BrokenPipeError:
        # Whoever read stdout stopped (`ovc watch | head`): end quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitCode.ERROR)
