"""The built wheel works on its own: installed in a fresh venv, it runs the example.

Slow (it builds a wheel and installs dependencies from the package index):
select it with ``-m packaging`` or leave it out with ``-m "not packaging"``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from openvcluster_server.testing import running_server

SDK = Path(__file__).resolve().parents[1]
ROOT = SDK.parents[1]
EXAMPLE = ROOT / "examples" / "python" / "lifecycle.py"
PINS = ROOT / "requirements" / "dev.txt"

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(300)]


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _build_wheel(tmp_path: Path) -> Path:
    # Build from a clean copy: a stale build/ directory must not leak into the wheel.
    source = tmp_path / "sdk"
    source.mkdir()
    shutil.copy(SDK / "pyproject.toml", source)
    shutil.copy(SDK / "README.md", source)
    shutil.copytree(
        SDK / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source,
         cwd=tmp_path)  # fmt: skip
    (wheel,) = dist.glob("open_vcluster_api-*.whl")
    return wheel


def test_wheel_in_a_fresh_venv_runs_the_example(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "openvcluster/py.typed",
        "openvcluster/_sync/client.py",
        "openvcluster/_async/client.py",
        "openvcluster/errors.py",
        "openvcluster/v1/vcluster_pb2.pyi",
        "openvcluster/betterproto/_generated/openvcluster/v1/__init__.py",
    ):
        assert expected in names

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         wheel, "mypy", "-c", PINS,
         cwd=tmp_path)  # fmt: skip

    where = _run(python, "-c", "import openvcluster; print(openvcluster.__file__)", cwd=tmp_path)
    assert where.startswith(str(venv))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVC_", "PYTHON"))}
    with running_server() as server:
        out = _run(python, EXAMPLE, cwd=tmp_path, env={**env, "OVC_ENDPOINT": server.address})
    assert "RUNNING" in out and "SUSPENDED" in out and "READY" in out and "gone." in out

    # The installed package alone types the example under --strict (no
    # repository config here, no stub packages installed by hand) ...
    _run(python, "-m", "mypy", "--strict", "--no-incremental", EXAMPLE, cwd=tmp_path)

    # ... and a typo'd attribute of a message is an error, not an Any.
    typo = tmp_path / "typo.py"
    typo.write_text(
        "import openvcluster\n"
        "def f(vc: openvcluster.VCluster, snap: openvcluster.Snapshot) -> None:\n"
        "    print(vc.nonexistent, snap.status.phase)\n"
    )
    checked = subprocess.run(
        [str(python), "-m", "mypy", "--strict", "--no-incremental", str(typo)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 1, checked.stdout
    assert '"VCluster" has no attribute "nonexistent"' in checked.stdout
    assert '"Snapshot" has no attribute "status"' in checked.stdout
