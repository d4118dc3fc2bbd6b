"""``ovc version`` and ``ovc whoami``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from openvcluster import __version__ as client_version
from openvcluster.cli.errors import ExitCode
from openvcluster_server import __version__ as server_version
from openvcluster_server.config import Quota
from openvcluster_server.testing import RunningServer, running_server
from tests.cli.helpers import Ovc, client_options, lines

VIEWER = {"OVC_TOKEN": "viewer-s3cret"}
EDITOR = {"OVC_TOKEN": "editor-s3cret"}
TOKENS = """
tokens:
  - {token: editor-s3cret, role: editor, namespaces: ["*"], name: admin}
  - {token: viewer-s3cret, role: viewer, namespaces: ["team-a"], name: team-a-viewer}
"""


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with tokens (an editor of all, a viewer of team-a) and quotas."""
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.yaml"
    tokens.write_text(TOKENS)
    quotas = {
        "team-a": Quota(max_vclusters=5, cpu="8", memory="16Gi"),
        "team-b": Quota(cpu="4"),
        "*": Quota(max_vclusters=2, max_snapshots=3),
    }
    with running_server(tokens_file=Path(tokens), quotas=quotas) as running:
        yield running


def _cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


# ovc version


def test_version_shows_client_and_server(ovc: Ovc) -> None:
    shown = lines(ovc("version").stdout)
    assert shown[:3] == [
        f"Client version: {client_version}",
        f"Server version: {server_version}",
        "Server backend: simulated",
    ]
    assert shown[3].startswith("Server time:    ") and len(shown) == 4  # see test_schedules
    expected = {
        "clientVersion": client_version,
        "serverVersion": server_version,
        "serverBackend": "BACKEND_SIMULATED",
    }

    def without_clock(text: str, load: Callable[[str], Any]) -> Any:
        data = load(text)
        assert data.pop("serverTime")
        return data

    assert without_clock(ovc("version", "-o", "json").stdout, json.loads) == expected
    assert without_clock(ovc("version", "-o", "yaml").stdout, yaml.safe_load) == expected
    # -o given before the command works as for the others; list formats do not.
    assert without_clock(ovc("-o", "json", "version").stdout, json.loads) == expected
    assert "'wide' is not one of" in ovc("version", "-o", "wide", code=2).stderr


def test_version_without_a_server_shows_the_client_and_the_error(
    monkeypatch: pytest.MonkeyPatch, ns: str
) -> None:
    client_options(monkeypatch, retry=None)
    ovc = Ovc(CliRunner(), "127.0.0.1:1", ns)
    result = ovc("version", code=ExitCode.CONNECTION)
    assert result.stdout == f"Client version: {client_version}\n"
    (error,) = lines(result.stderr)
    assert error.startswith("Error: cannot reach the server at 127.0.0.1:1")
    as_json = ovc("version", "-o", "json", code=ExitCode.CONNECTION)
    assert json.loads(as_json.stdout) == {"clientVersion": client_version}
    assert as_json.stderr.startswith("Error: cannot reach the server")


def test_version_needs_a_valid_token_where_tokens_are_set(secured: RunningServer) -> None:
    ovc = Ovc(CliRunner(), secured.address, None)
    denied = ovc("version", code=ExitCode.DENIED)
    assert denied.stdout == f"Client version: {client_version}\n"
    assert "did not accept the credentials" in denied.stderr
    assert lines(ovc("version", env=VIEWER).stdout)[1] == f"Server version: {server_version}"


# ovc whoami


def test_whoami_without_tokens_is_the_anonymous_editor(ovc: Ovc) -> None:
    assert lines(ovc("whoami").stdout) == [
        "Name:       anonymous",
        "Role:       editor",
        "Namespaces: all",
        "Quotas:     none",
    ]
    expected = {"name": "anonymous", "role": "ROLE_EDITOR", "allNamespaces": True, "quotas": {}}
    assert json.loads(ovc("whoami", "-o", "json").stdout) == expected
    assert yaml.safe_load(ovc("whoami", "-o", "yaml").stdout) == expected


def test_whoami_of_a_viewer_of_one_namespace(secured: RunningServer) -> None:
    ovc = Ovc(CliRunner(), secured.address, None)
    out = lines(ovc("whoami", env=VIEWER).stdout)
    assert out[:4] == [
        "Name:       team-a-viewer",
        "Role:       viewer",
        "Namespaces: team-a",
        "Quotas:",
    ]
    # Only the quotas of its namespace, and that of every other ("*").
    assert [_cells(line) for line in out[4:]] == [
        ["NAMESPACE", "VCLUSTERS", "CPU", "MEMORY", "SNAPSHOTS"],
        ["*", "2", "-", "-", "3"],
        ["team-a", "5", "8", "16Gi", "-"],
    ]
    assert json.loads(ovc("whoami", "-o", "json", env=VIEWER).stdout) == {
        "name": "team-a-viewer",
        "role": "ROLE_VIEWER",
        "namespaces": ["team-a"],
        "quotas": {
            "*": {"maxVclusters": 2, "maxSnapshots": 3},
            "team-a": {"maxVclusters": 5, "cpu": "8", "memory": "16Gi"},
        },
    }


def test_whoami_of_an_editor_of_every_namespace(secured: RunningServer) -> None:
    ovc = Ovc(CliRunner(), secured.address, None)
    out = lines(ovc("whoami", env=EDITOR).stdout)
    assert out[:3] == ["Name:       admin", "Role:       editor", "Namespaces: all"]
    assert [_cells(line)[0] for line in out[4:]] == ["NAMESPACE", "*", "team-a", "team-b"]
    anonymous = ovc("whoami", code=ExitCode.DENIED)
    assert anonymous.stdout == ""
    assert "did not accept the credentials" in anonymous.stderr
    assert "s3cret" not in anonymous.stderr + out[0]
