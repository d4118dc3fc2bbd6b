"""``ovc config``: the contexts file, and flags over environment over context."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

import openvcluster
from openvcluster.cli.config import ConfigError, ConfigFile, Context, resolve
from openvcluster.cli.errors import ExitCode
from openvcluster_server.testing import RunningServer
from tests.cli.helpers import Ovc, lines

TOKEN = "tok-3f9a1c"


def test_contexts_lifecycle(bare_ovc: Ovc, config_home: Path, tmp_path: Path) -> None:
    path = config_home / "ovc" / "config.yaml"
    empty = bare_ovc("config", "get-contexts")
    assert "No contexts" in empty.stderr and empty.stdout == ""
    bare_ovc("config", "current-context", code=ExitCode.NOT_FOUND)

    first = bare_ovc(
        "config", "set-context", "local", "--endpoint", "127.0.0.1:50051", "-n", "team-a"
    )
    assert 'Created context "local" (current)' in first.stdout
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    token_file = tmp_path / "prod.token"
    token_file.write_text(TOKEN + "\n")
    bare_ovc("config", "set-context", "prod", "--endpoint", "https://ovc.example.com:443",
             "--token-file", str(token_file))  # fmt: skip
    bare_ovc("config", "set-context", "stored", "--token-stdin", input=TOKEN + "\n")
    assert bare_ovc("config", "current-context").stdout == "local\n"

    table = lines(bare_ovc("config", "get-contexts").stdout)
    assert table[0].split() == ["CURRENT", "NAME", "ENDPOINT", "NAMESPACE", "AUTH"]
    assert table[1].split() == ["*", "local", "127.0.0.1:50051", "team-a", "none"]
    assert table[2].split() == ["prod", "https://ovc.example.com:443", "-", "token-file"]
    assert table[3].split() == ["stored", "-", "-", "token"]
    as_json = json.loads(bare_ovc("config", "get-contexts", "-o", "json").stdout)
    assert [c["name"] for c in as_json] == ["local", "prod", "stored"]
    assert as_json[2] == {"name": "stored", "auth": "token"}
    as_yaml = yaml.safe_load(bare_ovc("config", "get-contexts", "-o", "yaml").stdout)
    assert as_yaml == as_json
    assert bare_ovc("config", "get-contexts", "-o", "name").stdout.split() == [
        "local",
        "prod",
        "stored",
    ]

    switched = bare_ovc("config", "use-context", "prod")
    assert switched.stdout == 'Switched to context "prod".\n'
    assert bare_ovc("config", "current-context").stdout == "prod\n"
    bare_ovc("config", "use-context", "nope", code=ExitCode.NOT_FOUND)
    bare_ovc("config", "delete-context", "prod")
    assert bare_ovc("config", "get-contexts", "-o", "name").stdout.split() == ["local", "stored"]
    bare_ovc("config", "current-context", code=ExitCode.NOT_FOUND)

    saved = yaml.safe_load(path.read_text())
    assert saved["contexts"]["stored"] == {"token": TOKEN}  # stored, in a 0600 file
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_tokens_never_show(bare_ovc: Ovc, tmp_path: Path) -> None:
    bare_ovc(
        "config", "set-context", "a", "--endpoint", "127.0.0.1:1", "--token-stdin", input=TOKEN
    )
    outputs = [bare_ovc("config", "set-context", "a", "-n", "x")]
    for fmt in ("table", "json", "yaml", "name"):
        outputs.append(bare_ovc("config", "get-contexts", "-o", fmt))
    outputs.append(bare_ovc("--help"))
    outputs.append(bare_ovc("config", "--help"))
    for result in outputs:
        assert TOKEN not in result.stdout + result.stderr


def test_the_context_decides_server_and_namespace(
    bare_ovc: Ovc, server: RunningServer, client: openvcluster.Client, ns: str
) -> None:
    bare_ovc("config", "set-context", "test", "--endpoint", server.address, "-n", ns)
    bare_ovc("create", "dev", "--wait")
    assert client.get_vcluster(ns, "dev").name == "dev"
    assert bare_ovc("list", "-o", "name").stdout == "vcluster/dev\n"

    # OVC_NAMESPACE overrides the context, and -n overrides both.
    other = f"{ns}-b"
    assert bare_ovc("list", env={"OVC_NAMESPACE": other}).stdout == ""
    assert bare_ovc("list", "-n", ns, "-o", "name", env={"OVC_NAMESPACE": other}).stdout == (
        "vcluster/dev\n"
    )

    # A broken context endpoint is overridden by OVC_ENDPOINT, and by --endpoint.
    bare_ovc("config", "set-context", "broken", "--endpoint", "127.0.0.1:1", "-n", ns, "--use")
    assert bare_ovc("list", "-o", "name", env={"OVC_ENDPOINT": server.address}).stdout == (
        "vcluster/dev\n"
    )
    assert bare_ovc("--endpoint", server.address, "get", "dev", "-o", "name").stdout == (
        "vcluster/dev\n"
    )
    # --context and OVC_CONTEXT pick another context than the current one.
    assert bare_ovc("--context", "test", "get", "dev", "-o", "name").exit_code == 0
    assert bare_ovc("get", "dev", env={"OVC_CONTEXT": "test"}).exit_code == 0
    unknown = bare_ovc("--context", "nope", "list", code=ExitCode.USAGE)
    assert "no context 'nope'" in unknown.stderr and "known: broken, test" in unknown.stderr


def test_unusable_config_files_exit_2(bare_ovc: Ovc, config_home: Path, tmp_path: Path) -> None:
    path = config_home / "ovc" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("contexts: [unclosed\n")
    result = bare_ovc("list", code=ExitCode.USAGE)
    assert str(path) in result.stderr and "not valid YAML" in result.stderr

    path.write_text("contexts:\n  a: {endpoint: x, colour: blue}\n")
    assert "unknown key 'colour'" in bare_ovc("list", code=ExitCode.USAGE).stderr

    missing = tmp_path / "gone.token"
    path.write_text(f"current-context: a\ncontexts:\n  a: {{token-file: {missing}}}\n")
    result = bare_ovc("list", code=ExitCode.USAGE)
    assert "cannot read the token-file of context 'a'" in result.stderr

    elsewhere = tmp_path / "other.yaml"
    elsewhere.write_text("current-context: b\ncontexts:\n  b: {namespace: team-b}\n")
    assert "team-b" in bare_ovc("--config", str(elsewhere), "config", "get-contexts").stdout
    assert "team-b" in bare_ovc("config", "get-contexts", env={"OVC_CONFIG": str(elsewhere)}).stdout


def test_resolve_order(tmp_path: Path) -> None:
    token_file = tmp_path / "t"
    token_file.write_text("from-file\n")
    config = ConfigFile(
        tmp_path / "config.yaml",
        {
            "a": Context("a", endpoint="a:1", namespace="team-a", token_file=str(token_file)),
            "b": Context("b", endpoint="b:1", token="inline", ca_file="~/ca.pem", tls=True),
        },
        current_context="a",
    )
    settings = resolve(config, environ={})
    assert (settings.context, settings.endpoint, settings.namespace) == ("a", "a:1", "team-a")
    assert settings.token == "from-file"
    assert "from-file" not in repr(settings)

    b = resolve(config, context="b", environ={})
    assert (b.endpoint, b.namespace, b.token, b.tls) == ("b:1", "default", "inline", True)
    assert b.ca_file == str(Path("~/ca.pem").expanduser())

    env = {"OVC_CONTEXT": "b", "OVC_ENDPOINT": "env:1", "OVC_TOKEN": "env-token",
           "OVC_NAMESPACE": "env-ns", "OVC_TLS": "false"}  # fmt: skip
    from_env = resolve(config, environ=env)
    assert (from_env.context, from_env.endpoint, from_env.namespace) == ("b", "env:1", "env-ns")
    assert (from_env.token, from_env.tls) == ("env-token", False)
    assert resolve(config, endpoint="flag:1", environ=env).endpoint == "flag:1"
    assert resolve(config, context="a", environ={"OVC_CONTEXT": "b"}).context == "a"

    nothing = resolve(ConfigFile(tmp_path / "none.yaml"), environ={})
    assert (nothing.context, nothing.endpoint, nothing.namespace) == (None, None, "default")
    with pytest.raises(ConfigError, match="OVC_TLS must be true or false"):
        resolve(config, environ={"OVC_TLS": "maybe"})
