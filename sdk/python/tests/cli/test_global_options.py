"""Global options before or after the subcommand, as in kubectl; given in both places, the one
after it wins."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from openvcluster.cli.errors import ExitCode
from openvcluster_server.testing import RunningServer
from tests.cli.helpers import Ovc, client_options, result_of

UNREACHABLE = "127.0.0.1:1"


def test_namespace_before_or_after(ovc: Ovc, ns: str) -> None:
    other = f"{ns}-b"
    ovc("-n", other, "create", "dev")
    ovc("create", "web", "-n", other)
    both = "vcluster/dev\nvcluster/web\n"
    assert ovc("-n", other, "list", "-o", "name").stdout == both
    assert ovc("list", "-n", other, "-o", "name").stdout == both
    assert ovc("-n", ns, "list", "-n", other, "-o", "name").stdout == both
    assert ovc("-n", other, "list", "-n", ns, "-o", "name").stdout == ""
    assert ovc("-n", other, "get", "dev", "-o", "name").stdout == "vcluster/dev\n"
    ovc("-n", other, "get", "dev", "-n", ns, code=ExitCode.NOT_FOUND)

    ovc("-n", other, "snapshot", "create", "dev", "--name", "snap")
    assert ovc("-n", other, "snapshot", "get", "snap", "-o", "name").stdout == "snapshot/snap\n"
    assert ovc("snapshot", "list", "-n", other, "-o", "name").stdout == "snapshot/snap\n"
    watched = ovc("-n", other, "watch", "-o", "name", "--timeout", "0.2").stdout
    assert watched == both


def test_output_before_or_after(ovc: Ovc) -> None:
    ovc("create", "dev", "--wait")
    after = ovc("list", "-o", "json").stdout
    assert ovc("-o", "json", "list").stdout == after
    assert ovc("-o", "yaml", "list", "-o", "json").stdout == after
    assert yaml.safe_load(ovc("-o", "json", "get", "dev", "-o", "yaml").stdout)["name"] == "dev"
    assert ovc("-o", "name", "get", "dev").stdout == "vcluster/dev\n"
    # On a mutation, -o before the subcommand prints the resource too.
    assert ovc("-o", "name", "scale", "dev", "--cpu", "2").stdout == "vcluster/dev\n"
    assert ovc("-o", "name", "snapshot", "create", "dev", "--name", "s").stdout == "snapshot/s\n"

    assert ovc("-o", "json", "config", "get-contexts").stdout == "[]\n"
    # Each command checks a format given before it against its own formats.
    refused = ovc("-o", "wide", "config", "get-contexts", code=ExitCode.USAGE)
    assert "'wide' is not one of 'table', 'json', 'yaml', 'name'" in refused.stderr
    # A command without -o ignores one given before it.
    assert result_of(ovc("-o", "json", "snapshot", "delete", "s").stdout) == "snapshot/s deleted\n"


def test_connection_options_before_or_after(
    bare_ovc: Ovc, server: RunningServer, ns: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client_options(monkeypatch, retry=None)  # the unreachable endpoint fails at once
    down = ExitCode.CONNECTION
    bare_ovc("create", "dev", "-n", ns, "--endpoint", server.address)
    get = ("get", "dev", "-n", ns, "-o", "name")
    assert bare_ovc(*get, "--endpoint", server.address).stdout == "vcluster/dev\n"
    bare_ovc("--endpoint", UNREACHABLE, *get, "--endpoint", server.address)
    bare_ovc("--endpoint", server.address, *get, "--endpoint", UNREACHABLE, code=down)
    # A flag, before or after, is over OVC_ENDPOINT.
    env = {"OVC_ENDPOINT": UNREACHABLE}
    bare_ovc(*get, "--endpoint", server.address, env=env)
    bare_ovc("--endpoint", server.address, *get, env=env)

    file = tmp_path / "ovc.yaml"
    file.write_text(
        f"current-context: down\ncontexts:\n  down: {{endpoint: '{UNREACHABLE}'}}\n"
        f"  up: {{endpoint: '{server.address}', namespace: {ns}}}\n"
    )
    config, up = str(file), ("get", "dev", "-o", "name")
    assert bare_ovc(*up, "--config", config, "--context", "up").stdout == "vcluster/dev\n"
    bare_ovc("--config", config, *up, "--context", "up")
    bare_ovc("--config", config, "--context", "up", *up, "--context", "down", code=down)
    listed = bare_ovc("config", "get-contexts", "-o", "name", "--config", config)
    assert listed.stdout.split() == ["down", "up"]
    nowhere = str(tmp_path / "none.yaml")
    current = bare_ovc("--config", nowhere, "config", "current-context", "--config", config)
    assert current.stdout == "down\n"


def test_completion_sees_options_before_the_subcommand(ovc: Ovc, ns: str) -> None:
    other = f"{ns}-b"
    ovc("create", "dev", "-n", other)
    env = {"_OVC_COMPLETE": "bash_complete", "OVC_ENDPOINT": ovc.endpoint}
    words = {"COMP_WORDS": f"ovc -n {other} get d", "COMP_CWORD": "4"}
    assert ovc(env={**env, **words}).stdout.split() == ["plain,dev"]
    assert ovc(env={**env, "COMP_WORDS": "ovc get d", "COMP_CWORD": "2"}).stdout.split() == []
