"""Fixtures of the ``ovc`` tests: a CLI runner bound to the shared server and a namespace.

Every test gets a config directory of its own (``XDG_CONFIG_HOME``), so the
contexts of the machine running the tests never leak in, and none of the
variables rich reads to decide whether it writes to a terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from openvcluster_server.testing import RunningServer
from tests.cli.helpers import Ovc

_ENVIRONMENT = (
    "OVC_CONFIG",
    "OVC_CONTEXT",
    "OVC_NAMESPACE",
    "OVC_TOKEN_FILE",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "FORCE_COLOR",
    "NO_COLOR",
    "COLUMNS",
)


@pytest.fixture(autouse=True)
def config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty ``XDG_CONFIG_HOME`` of the test's own; returns it."""
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def ovc(server: RunningServer, ns: str) -> Ovc:
    """``ovc`` bound to the shared server and the test's namespace."""
    return Ovc(CliRunner(), server.address, ns)


@pytest.fixture
def bare_ovc() -> Ovc:
    """``ovc`` with no endpoint or namespace given: config and environment decide."""
    return Ovc(CliRunner(), None, None)
