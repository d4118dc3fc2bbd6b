"""Bad input and faults: a one-line error naming the culprit, and nothing left running."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from k8s_testenv.fixtures import require_built
from k8s_testenv.versions import CACHE_ENV

ROOT = Path(__file__).resolve().parents[2]


def run_testenv(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Runs scripts/k8s-testenv as a user would."""
    return subprocess.run(
        [str(ROOT / "scripts" / "k8s-testenv"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def running_in(state: Path) -> list[str]:
    """Command lines of live processes that mention the state directory."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (proc / "status").read_text()
        except OSError:
            continue
        if str(state) in cmdline and "State:\tZ" not in status:
            found.append(cmdline)
    return found


@pytest.fixture
def binaries(tmp_path: Path) -> Path:
    """A copy of the built cache (symlinked binaries) that a test may break."""
    built = require_built()
    fake = tmp_path / "cache"
    (fake / "bin").mkdir(parents=True)
    for binary in (built / "bin").iterdir():
        (fake / "bin" / binary.name).symlink_to(binary)
    shutil.copytree(built / "kwok-stages", fake / "kwok-stages")
    return fake


def replace_binary(cache: Path, name: str, script: str) -> None:
    target = cache / "bin" / name
    real = target.resolve()
    target.unlink()
    target.write_text(f"#!/bin/sh\nREAL={real}\n{script}\n")
    target.chmod(0o755)


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_start_without_a_build_names_the_command(tmp_path: Path) -> None:
    result = run_testenv("start", str(tmp_path / "state"), env={CACHE_ENV: str(tmp_path / "empty")})
    assert result.returncode == 1
    assert result.stderr.startswith("k8s-testenv: start: ")
    assert "scripts/k8s-testenv build" in result.stderr.splitlines()[0]


def test_a_crashing_component_is_named_and_nothing_is_left_running(
    binaries: Path, tmp_path: Path
) -> None:
    replace_binary(binaries, "kube-apiserver", 'echo "apiserver: cannot start: boom" >&2; exit 3')
    state = tmp_path / "state"
    result = run_testenv("start", str(state), env={CACHE_ENV: str(binaries)})
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert (
        "kube-apiserver exited with status 3" in first
        and str(state / "logs" / "kube-apiserver.log") in first
    )
    assert "boom" in result.stderr
    assert running_in(state) == []  # etcd, started before it, was stopped


def test_a_port_that_will_not_bind_is_named(
    binaries: Path, tmp_path: Path, occupied_port: int
) -> None:
    replace_binary(binaries, "kube-apiserver", f'exec "$REAL" "$@" --secure-port={occupied_port}')
    state = tmp_path / "state"
    result = run_testenv("start", str(state), env={CACHE_ENV: str(binaries)})
    assert result.returncode == 1
    assert "kube-apiserver exited" in result.stderr.splitlines()[0]
    assert "address already in use" in result.stderr
    assert running_in(state) == []


def test_stop_is_quiet_when_nothing_runs(tmp_path: Path) -> None:
    result = run_testenv("stop", str(tmp_path / "never-started"), env={})
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_build_without_go_says_so(tmp_path: Path) -> None:
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "go").exists()
    )
    result = run_testenv(
        "build", env={"PATH": path, "PYTHON": sys.executable, CACHE_ENV: str(tmp_path / "cache")}
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "k8s-testenv: build: go not found on PATH; install Go 1.26 or newer"
    )


def test_a_refused_module_download_is_reported(tmp_path: Path) -> None:
    env = {
        "GOPROXY": "off",
        "GOMODCACHE": str(tmp_path / "modcache"),
        CACHE_ENV: str(tmp_path / "cache"),
    }
    result = run_testenv("build", env=env)
    assert result.returncode == 1
    assert "build: downloading the Go modules failed" in result.stderr
    assert "GOPROXY=off" in result.stderr
    assert not (tmp_path / "cache" / "bin" / "kube-apiserver").exists()
