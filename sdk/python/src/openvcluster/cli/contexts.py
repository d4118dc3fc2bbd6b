"""``ovc config``: named contexts (server, credentials, default namespace)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml

from openvcluster.cli.base import OvcGroup, config_option, output_option
from openvcluster.cli.config import ConfigError, Context, update_context
from openvcluster.cli.errors import CliError, ExitCode
from openvcluster.cli.output import render_table
from openvcluster.cli.session import get_session

__all__ = ["config"]

# Files a context names are stored as absolute paths: ovc runs from anywhere.
_FILE = click.Path(exists=True, dir_okay=False, resolve_path=True)


def _complete_contexts(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    try:
        names = sorted(get_session(ctx).config.contexts)
    except ConfigError:
        return []
    return [click.shell_completion.CompletionItem(n) for n in names if n.startswith(incomplete)]


def _existing(name: str) -> Context:
    config = get_session().config
    try:
        return config.get(name)
    except ConfigError as exc:
        raise CliError(str(exc), ExitCode.NOT_FOUND) from exc


@click.group(cls=OvcGroup)
def config() -> None:
    """Manage contexts: which server ovc talks to, how, and the default namespace.

    \b
    The file is $OVC_CONFIG, else $XDG_CONFIG_HOME/ovc/config.yaml
    (~/.config/ovc/config.yaml). Environment variables override a context:
    OVC_CONTEXT, OVC_ENDPOINT, OVC_TOKEN, OVC_TOKEN_FILE, OVC_TLS, OVC_CA_FILE,
    OVC_CLIENT_CERT_FILE, OVC_CLIENT_KEY_FILE, OVC_TLS_SERVER_NAME, OVC_NAMESPACE.
    """


@config.command("get-contexts")
@output_option(formats=("table", "json", "yaml", "name"))
@config_option
def get_contexts(output: str) -> None:
    """List the contexts (tokens are never shown)."""
    cfg = get_session().config
    contexts = [cfg.contexts[name] for name in sorted(cfg.contexts)]
    if output == "json":
        click.echo(json.dumps([c.public() for c in contexts], indent=2))
    elif output == "yaml":
        click.echo(yaml.safe_dump([c.public() for c in contexts], sort_keys=False), nl=False)
    elif output == "name":
        for ctx in contexts:
            click.echo(ctx.name)
    elif not contexts:
        click.echo(
            f"No contexts in {cfg.path}; add one with "
            "`ovc config set-context NAME --endpoint HOST:PORT`.",
            err=True,
        )
    else:
        columns = [
            ("CURRENT", lambda c: "*" if c.name == cfg.current_context else " "),
            ("NAME", lambda c: c.name),
            ("ENDPOINT", lambda c: c.endpoint or ""),
            ("NAMESPACE", lambda c: c.namespace or ""),
            ("AUTH", lambda c: c.auth),
        ]
        click.echo(render_table(columns, contexts), nl=False)


@config.command("current-context")
@config_option
def current_context() -> None:
    """Print the name of the current context."""
    cfg = get_session().config
    if not cfg.current_context:
        raise CliError(
            f"no current context in {cfg.path}; choose one with `ovc config use-context NAME`",
            ExitCode.NOT_FOUND,
        )
    click.echo(cfg.current_context)


@config.command("use-context")
@click.argument("name", shell_complete=_complete_contexts)
@config_option
def use_context(name: str) -> None:
    """Make NAME the current context."""
    _existing(name)
    cfg = get_session().config
    cfg.current_context = name
    cfg.save()
    click.echo(f'Switched to context "{name}".')


@config.command("set-context")
@click.argument("name", shell_complete=_complete_contexts)
@click.option("--endpoint", metavar="HOST:PORT", help="Server address (https://... for TLS).")
@click.option("--namespace", "-n", metavar="NAMESPACE", help="Default namespace.")
@click.option("--token-file", type=_FILE, help="File holding the bearer token (read at each use).")
@click.option("--token-stdin", is_flag=True, help="Read the token from stdin and store it.")
@click.option("--tls/--no-tls", default=None, help="Force TLS on or off.")
@click.option("--ca-file", type=_FILE, help="CA certificate (PEM) that signed the server.")
@click.option("--client-cert-file", type=_FILE, help="Client certificate (PEM), for mutual TLS.")
@click.option("--client-key-file", type=_FILE, help="Client key (PEM), for mutual TLS.")
@click.option("--tls-server-name", metavar="NAME", help="Name to check in the server certificate.")
@click.option("--use", "use", is_flag=True, help="Also make it the current context.")
@config_option
def set_context(
    name: str,
    endpoint: str | None,
    namespace: str | None,
    token_file: str | None,
    token_stdin: bool,
    tls: bool | None,
    ca_file: str | None,
    client_cert_file: str | None,
    client_key_file: str | None,
    tls_server_name: str | None,
    use: bool,
) -> None:
    """Create the context NAME, or change the settings given.

    The first context becomes the current one. A token given with
    --token-stdin is stored in the file (kept mode 0600); --token-file keeps
    only the path.
    """
    if token_file and token_stdin:
        raise click.UsageError("give --token-file or --token-stdin, not both")
    cfg = get_session().config
    ctx = cfg.contexts.get(name, Context(name=name))
    token: str | None = None
    if token_stdin:
        token = sys.stdin.read().strip()
        if not token:
            raise click.UsageError("--token-stdin read no token")
    ctx = update_context(
        ctx,
        endpoint=endpoint,
        namespace=namespace,
        tls=tls,
        ca_file=ca_file,
        client_cert_file=client_cert_file,
        client_key_file=client_key_file,
        tls_server_name=tls_server_name,
    )
    # One token source at a time: a new one replaces the other.
    if token is not None:
        ctx.token, ctx.token_file = token, None
    elif token_file is not None:
        ctx.token, ctx.token_file = None, str(Path(token_file))
    created = name not in cfg.contexts
    cfg.contexts[name] = ctx
    if use or not cfg.current_context:
        cfg.current_context = name
    cfg.save()
    verb = "Created" if created else "Modified"
    current = " (current)" if cfg.current_context == name else ""
    click.echo(f'{verb} context "{name}"{current} in {cfg.path}.')


@config.command("delete-context")
@click.argument("name", shell_complete=_complete_contexts)
@config_option
def delete_context(name: str) -> None:
    """Delete the context NAME."""
    _existing(name)
    cfg = get_session().config
    del cfg.contexts[name]
    if cfg.current_context == name:
        cfg.current_context = None
    cfg.save()
    click.echo(f'Deleted context "{name}".')


# The ovc commands of this module (cli/app.py adds every module's).
COMMANDS: tuple[click.Command, ...] = (config,)
