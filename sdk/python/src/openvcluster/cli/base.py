"""The click building blocks every command uses: error handling, aliases, shared options."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import click
from click.shell_completion import CompletionItem

from openvcluster.cli.config import ConfigError
from openvcluster.cli.errors import ExitCode, from_exception
from openvcluster.cli.output import FORMATS
from openvcluster.cli.session import get_session
from openvcluster.errors import OpenVClusterError

__all__ = [
    "DURATION",
    "LABEL",
    "OvcCommand",
    "OvcGroup",
    "all_namespaces_option",
    "complete_snapshots",
    "complete_vclusters",
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
            raise from_exception(exc, ctx, get_session(ctx).endpoint_shown) from exc
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
    """Seconds, or a duration such as ``90s``, ``5m`` or ``1h30m``."""

    name = "duration"
    _PART: ClassVar[re.Pattern[str]] = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
    _UNITS: ClassVar[dict[str, float]] = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}

    def convert(
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
            self.fail(f"{value!r} is not a duration; use seconds, or 90s, 5m, 1h30m", param, ctx)
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
LABEL = LabelType()


def namespace_option(f: F) -> F:
    """``-n/--namespace``."""
    return click.option(
        "-n",
        "--namespace",
        metavar="NAMESPACE",
        help="Namespace (default: OVC_NAMESPACE, the context's, or 'default').",
    )(f)


def all_namespaces_option(f: F) -> F:
    """``-A/--all-namespaces``."""
    return click.option(
        "-A",
        "--all-namespaces",
        is_flag=True,
        help="Every namespace you may see (adds a NAMESPACE column).",
    )(f)


def output_option(default: str | None = "table") -> Callable[[F], F]:
    """``-o/--output``, one of FORMATS."""
    text = "Output format." if default else "Print the result in this format."
    return click.option(
        "-o",
        "--output",
        type=click.Choice(FORMATS),
        default=default,
        show_default=default is not None,
        help=text,
    )


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
