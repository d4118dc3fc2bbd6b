"""``ovc`` as a real process: the installed console script against a server the test runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from openvcluster_server.testing import running_server
from tests.cli.helpers import result_of


def _ovc_command() -> list[str]:
    # The console script installed next to this Python (pip install -e sdk/python).
    script = Path(sys.executable).parent / "ovc"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "openvcluster.cli"]


def _environment(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("OVC_", "TTY_"))}
    return {**keep, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "NO_COLOR": "1"}


def test_ovc_create_wait_in_a_real_process(tmp_path: Path) -> None:
    with running_server(transition_delay=0.2) as server:
        result = subprocess.run(
            [*_ovc_command(), "--endpoint", server.address, "create", "dev", "-n", "proc",
             "--wait"],
            env=_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result_of(result.stdout) == "vcluster/dev created\n"
    progress = result.stderr.splitlines()  # stderr is a pipe: plain lines
    assert progress[0] == "vcluster/dev PROVISIONING (0.0s): creating the control plane"
    match = re.fullmatch(r"vcluster/dev RUNNING \((\d+\.\d)s\).*", progress[-1])
    assert match and float(match.group(1)) >= 0.2


def test_the_sdk_does_not_import_the_cli(tmp_path: Path) -> None:
    code = (
        "import sys, openvcluster\n"
        "loaded = [m for m in ('click', 'rich', 'openvcluster.cli') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], env=_environment(tmp_path), check=True)
