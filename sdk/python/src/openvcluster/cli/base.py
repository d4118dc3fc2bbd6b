"""The click building blocks every command uses: error handling, aliases, shared options."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from openvcluster.cli.config import ConfigError
from openvcluster.cli.errors import ExitCode, from_exception
from openvcluster.cli.output import FORMATS
from openvcluster.cli.session import get_session
from openvcluster.errors import OpenVClusterError

__all__ = [
    "DURATION",
    "LABEL",
    "POSITIVE_DURATION",
    "OvcCommand",
    "OvcGroup",
    "all_namespaces_option",
    "complete_snapshots",
    "complete_vclusters",
    "config_option",
    "connection_options",
    "global_options",
    "label_option",
    "namespace_option",
    "output_option",
    "wait_options",
]

F = TypeVar("F", bound=Callable[..., Any])


class OvcCommand(click.Command):
    """A command whose failures become one ``Error:`` line and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise  # the reader went away (`ovc watch | head`): not an error to report
        except (OpenVClusterError, ConfigError, ValueError, OSError) as exc:
            session = get_session(ctx)
            raise from_exception(exc, ctx, session.endpoint_shown, session.operation_id) from exc
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(ExitCode.INTERRUPTED) from None


class OvcGroup(click.Group):
    """A group of OvcCommands that also answers to the aliases in ``aliases``."""

    command_class = OvcCommand
    group_class = type  # subgroups are OvcGroups too

    def __init__(self, *args: Any, aliases: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases = dict(aliases or {})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))


class DurationType(click.ParamType[float]):
    """Seconds, or a duration such as ``90s``, ``5m``, ``1h30m`` or ``7d``.

    ``positive`` refuses zero (a duration that must still be ahead, such as
    an expiry's).
    """

    name = "duration"
    _PART: ClassVar[re.Pattern[str]] = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
    _UNITS: ClassVar[dict[str, float]] = {
        "d": 86400.0,
        "h": 3600.0,
        "m": 60.0,
        "s": 1.0,
        "ms": 0.001,
    }

    def __init__(self, *, positive: bool = False) -> None:
        self.positive = positive

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        seconds = self._seconds(value, param, ctx)
        if self.positive and seconds <= 0:
            self.fail(f"{value!r} is not a positive duration; use 30m, 72h, 7d", param, ctx)
        return seconds

    def _seconds(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip().lower()
        try:
            return float(text)
        except ValueError:
            pass
        parts = self._PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            self.fail(
                f"{value!r} is not a duration; use seconds, or 90s, 5m, 1h30m, 7d", param, ctx
            )
        return sum(float(n) * self._UNITS[u] for n, u in parts)


class LabelType(click.ParamType[tuple[str, str]]):
    """``KEY=VALUE``, parsed into a pair."""

    name = "key=value"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        if isinstance(value, tuple):
            return (str(value[0]), str(value[1]))
        key, sep, val = str(value).partition("=")
        if not sep or not key:
            self.fail(f"{value!r} is not KEY=VALUE (for example app=web)", param, ctx)
        return (key, val)


DURATION = DurationType()
POSITIVE_DURATION = DurationType(positive=True)
LABEL = LabelType()


def _global(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """The value of a global option: given here, else given before, else the default.

    Click parses a group's options before its subcommand's, so recording every
    value given in the session makes one after the subcommand win over one
    before it, as in kubectl, and hands one given before on to the subcommand.
    """
    name = param.name or ""
    given = get_session(ctx).given
    if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE:
        given[name] = value
        return value
    if name in given:
        # Checked again: this command may accept fewer formats than the group.
        return param.type_cast_value(ctx, given[name])
    return value


_NAMESPACE_HELP = "Namespace (default: OVC_NAMESPACE, the context's, or 'default')."


def namespace_option(f: F) -> F:
    """``-n/--namespace``, also accepted before the subcommand."""
    return click.option(
        "-n", "--namespace", metavar="NAMESPACE", callback=_global, help=_NAMESPACE_HELP
    )(f)


def all_namespaces_option(f: F) -> F:
    """``-A/--all-namespaces``."""
    return click.option(
        "-A",
        "--all-namespaces",
        is_flag=True,
        help="Every namespace you may see (adds a NAMESPACE column).",
    )(f)


def output_option(
    default: str | None = "table", formats: Sequence[str] = FORMATS
) -> Callable[[F], F]:
    """``-o/--output``, one of ``formats``, also accepted before the subcommand."""
    text = "Output format." if default else "Print the result in this format."
    return click.option(
        "-o",
        "--output",
        type=click.Choice(formats),
        default=default,
        show_default=default is not None,
        callback=_global,
        help=text,
    )


def config_option(f: F) -> F:
    """``--config FILE``, also accepted before the subcommand."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        callback=_global,
        expose_value=False,  # the session reads it
        help="Config file (default: OVC_CONFIG, or $XDG_CONFIG_HOME/ovc/config.yaml).",
    )(f)


def connection_options(f: F) -> F:
    """``--context``, ``--endpoint`` and ``--config``, also accepted before the subcommand.

    They have no ``envvar``: the session resolves OVC_CONTEXT, OVC_ENDPOINT and
    OVC_CONFIG below the flags, and a variable read again after the subcommand
    would override a flag given before it.
    """
    f = config_option(f)
    f = click.option(
        "--endpoint",
        metavar="HOST:PORT",
        callback=_global,
        expose_value=False,
        help="Server address, over OVC_ENDPOINT and the context's (default 127.0.0.1:50051).",
    )(f)
    return click.option(
        "--context",
        metavar="NAME",
        callback=_global,
        expose_value=False,
        help="Context of the config file (default: OVC_CONTEXT, or the file's current one).",
    )(f)


def global_options(f: F) -> F:
    """The global options of the ``ovc`` group, for the commands that have them."""
    f = click.option(
        "-o",
        "--output",
        type=click.Choice(FORMATS),
        callback=_global,
        expose_value=False,
        help="Output format, for the commands with -o.",
    )(f)
    f = click.option(
        "-n",
        "--namespace",
        metavar="NAMESPACE",
        callback=_global,
        expose_value=False,
        help=_NAMESPACE_HELP,
    )(f)
    return connection_options(f)


def wait_options(f: F) -> F:
    """``--wait`` and ``--timeout``."""
    f = click.option(
        "--timeout",
        type=DURATION,
        metavar="DURATION",
        help="How long --wait waits (default 10m); implies --wait. E.g. 90s, 5m.",
    )(f)
    return click.option(
        "--wait",
        is_flag=True,
        help="Return once the change is done, showing its progress.",
    )(f)


def label_option(help_text: str) -> Callable[[F], F]:
    """``-l/--label KEY=VALUE``, repeatable."""
    return click.option(
        "-l", "--label", "labels", type=LABEL, multiple=True, metavar="KEY=VALUE", help=help_text
    )


def complete_vclusters(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of vcluster names in the namespace of the command line."""
    return _complete(ctx, incomplete, "list_vclusters")


def complete_snapshots(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of snapshot names in the namespace of the command line."""
    return _complete(ctx, incomplete, "list_snapshots")


def _complete(ctx: click.Context, incomplete: str, listing: str) -> list[CompletionItem]:
    """The names a client listing method yields that start with ``incomplete``."""
    try:
        session = get_session(ctx)
        client = session.client()
        namespace = session.namespace(ctx.params.get("namespace"))
        names = [item.name for item in getattr(client, listing)(namespace, timeout=2, retry=None)]
    except Exception:  # completion must never fail loudly
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]
