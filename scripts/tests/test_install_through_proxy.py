"""The install steps work behind a TLS-intercepting proxy, configured the usual ways.

Many companies reach npm and PyPI through a proxy that re-signs every TLS
connection with a CA of its own; machines there keep that CA and the proxy's
address in the global npmrc, pip's configuration file or environment
variables. Here mitmproxy plays that proxy, with a CA made for the test run,
and the packaging step of the TypeScript SDK (``npm pack``, then ``npm
install`` of the tarball into a fresh project, dependencies from the
registry) and a ``pip install`` go through it, each configured one usual way
and nothing else: nothing of the machine's own npm or pip configuration
applies, and the caches are empty, so every package comes through the proxy.
A control shows that without the CA the proxy's certificates are refused.

If this machine itself reaches the registries through a proxy
(``HTTPS_PROXY``), mitmproxy forwards to it (upstream mode).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "typescript"
# A small package the Python SDK depends on, at its pin.
PIP_PACKAGE = next(
    line.strip()
    for line in (ROOT / "requirements" / "dev.txt").read_text().splitlines()
    if line.startswith("types-protobuf==")
)
# The settings of this process that would configure npm or pip on their own.
_MACHINE_SETTINGS = re.compile(
    r"^(npm_config_.*|NODE_EXTRA_CA_CERTS|PIP_.*|HTTPS?_PROXY|ALL_PROXY|NO_PROXY|"
    r"SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE)$",
    re.IGNORECASE,
)
_RECORDER = """\
from pathlib import Path
LOG = Path(__file__).with_name("hosts.log")
def request(flow):
    with LOG.open("a") as log:
        log.write(flow.request.pretty_host + "\\n")
"""

pytestmark = pytest.mark.skipif(
    shutil.which("mitmdump") is None, reason="mitmproxy is installed by the install-proxy env"
)


@dataclass(frozen=True)
class Proxy:
    """A running mitmproxy: its address, its CA and the hosts it has seen."""

    url: str
    ca_file: Path
    hosts_log: Path

    def hosts(self) -> set[str]:
        return set(self.hosts_log.read_text().split()) if self.hosts_log.exists() else set()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _machine_ca_file() -> str:
    """The CA bundle this machine trusts (its own proxy's CA included, if it has one)."""
    return os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().openssl_cafile


def _await_listening(process: subprocess.Popen[bytes], log: Path) -> None:
    """Reads mitmdump's output until it says it listens, then copies the rest to ``log``."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line.decode(errors="replace"))
        if b"listening at" in line:
            break
    else:
        raise RuntimeError(f"mitmdump exited with {process.wait()}:\n{''.join(seen)}")
    stream = process.stdout

    def copy() -> None:
        with log.open("ab") as out:
            shutil.copyfileobj(stream, out)

    threading.Thread(target=copy, daemon=True).start()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """mitmproxy on a free loopback port, with a CA of its own, for this module."""
    work = tmp_path_factory.mktemp("mitmproxy")
    (work / "recorder.py").write_text(_RECORDER)
    port = _free_port()
    command = [
        str(Path(shutil.which("mitmdump") or "mitmdump")),
        "--listen-host=127.0.0.1",
        f"--listen-port={port}",
        "--set",
        f"confdir={work / 'conf'}",
        "--set",
        f"ssl_verify_upstream_trusted_ca={_machine_ca_file()}",
        "--set",
        "flow_detail=0",
        "-s",
        str(work / "recorder.py"),
    ]
    upstream = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    if upstream:
        command.append(f"--mode=upstream:{upstream}")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # Its "listening" line must arrive now, not when a buffer fills.
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _await_listening(process, work / "mitmdump.log")
        ca_file = work / "conf" / "mitmproxy-ca-cert.pem"
        yield Proxy(f"http://127.0.0.1:{port}", ca_file, work / "hosts.log")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def clean_environment(home: Path) -> dict[str, str]:
    """This process's environment without any npm, pip, proxy or CA setting,
    and a fresh home, global npm prefix and caches."""
    env = {k: v for k, v in os.environ.items() if not _MACHINE_SETTINGS.match(k)}
    for name in ("home", "prefix/etc", "npm-cache", "pip-cache"):
        (home / name).mkdir(parents=True, exist_ok=True)
    (home / "npmrc").write_text("")
    (home / "pip.conf").write_text("")
    env.update(
        HOME=str(home / "home"),
        # npm reads its global npmrc from PREFIX/etc/npmrc.
        NPM_CONFIG_PREFIX=str(home / "prefix"),
        NPM_CONFIG_USERCONFIG=str(home / "npmrc"),
        NPM_CONFIG_CACHE=str(home / "npm-cache"),
        NPM_CONFIG_UPDATE_NOTIFIER="false",
        PIP_CONFIG_FILE=str(home / "pip.conf"),
        PIP_CACHE_DIR=str(home / "pip-cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def run(command: list[str], cwd: Path, env: dict[str, str], limit: float = 300) -> str:
    """Runs a command in a process group of its own, killed whole if it overruns."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=limit)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited with {process.returncode}:\n{text}")
    return text


def package_sdk(tmp_path: Path, env: dict[str, str]) -> Path:
    """The TypeScript SDK's tarball, made the way its packaging test makes it."""
    out = tmp_path / "packed"
    out.mkdir()
    run(["npm", "pack", "--pack-destination", str(out)], cwd=SDK, env=env)
    (tarball,) = out.glob("*.tgz")
    return tarball


def install_into_fresh_project(tarball: Path, tmp_path: Path, env: dict[str, str]) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "private": true, "type": "module"}')
    run(["npm", "install", "--no-audit", "--no-fund", str(tarball)], cwd=app, env=env)
    assert (app / "node_modules" / "@connectrpc" / "connect-node" / "package.json").is_file()


def test_npm_packaging_step_honours_the_global_npmrc(proxy: Proxy, tmp_path: Path) -> None:
    env = clean_environment(tmp_path / "machine")
    (tmp_path / "machine" / "prefix" / "etc" / "npmrc").write_text(
        f"proxy={proxy.url}\nhttps-proxy={proxy.url}\ncafile={proxy.ca_file}\n"
    )
    install_into_fresh_project(package_sdk(tmp_path, env), tmp_path, env)
    assert "registry.npmjs.org" in proxy.hosts()


def test_npm_packaging_step_honours_environment_variables(proxy: Proxy, tmp_path: Path) -> None:
    env = clean_environment(tmp_path / "machine")
    env.update(HTTPS_PROXY=proxy.url, HTTP_PROXY=proxy.url, NODE_EXTRA_CA_CERTS=str(proxy.ca_file))
    install_into_fresh_project(package_sdk(tmp_path, env), tmp_path, env)
    assert "registry.npmjs.org" in proxy.hosts()


def test_npm_refuses_the_proxy_without_its_ca(proxy: Proxy, tmp_path: Path) -> None:
    """The control: the proxy really re-signs, so the CA settings above are what made it work."""
    env = clean_environment(tmp_path / "machine")
    env.update(HTTPS_PROXY=proxy.url)
    with pytest.raises(AssertionError, match=r"(?i)certificate|CERT_"):
        run(["npm", "view", "--fetch-retries=0", "@bufbuild/protobuf", "version"], tmp_path, env)


def pip_install(tmp_path: Path, env: dict[str, str]) -> None:
    """``pip install`` of a pinned package into a fresh virtual environment."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", PIP_PACKAGE],
        tmp_path,
        env,
    )
    assert any((venv / "lib").glob("python3*/site-packages/types_protobuf-*.dist-info"))


def test_pip_install_honours_its_configuration_file(proxy: Proxy, tmp_path: Path) -> None:
    env = clean_environment(tmp_path / "machine")
    (tmp_path / "machine" / "pip.conf").write_text(
        f"[global]\nproxy = {proxy.url}\ncert = {proxy.ca_file}\n"
        "index-url = https://pypi.org/simple\n"
    )
    pip_install(tmp_path, env)
    assert {"pypi.org", "files.pythonhosted.org"} <= proxy.hosts()


def test_pip_install_honours_environment_variables(proxy: Proxy, tmp_path: Path) -> None:
    env = clean_environment(tmp_path / "machine")
    env.update(
        HTTPS_PROXY=proxy.url,
        PIP_CERT=str(proxy.ca_file),
        PIP_INDEX_URL="https://pypi.org/simple",
    )
    pip_install(tmp_path, env)
    assert {"pypi.org", "files.pythonhosted.org"} <= proxy.hosts()


def test_pip_refuses_the_proxy_without_its_ca(proxy: Proxy, tmp_path: Path) -> None:
    env = clean_environment(tmp_path / "machine")
    env.update(HTTPS_PROXY=proxy.url, PIP_INDEX_URL="https://pypi.org/simple", PIP_RETRIES="0")
    with pytest.raises(AssertionError, match=r"(?i)certificate"):
        pip_install(tmp_path, env)
