"""``k8s-testenv build``: compile every component into the cache directory.

Nothing of this is packaged where these machines can fetch it, so it builds
from the Go module proxy: one ``go build`` per binary from ``components/``
(whose go.mod and go.sum pin everything), reusing Go's own module and build
caches. A binary is rebuilt only when what it is built from changed, so a
second run takes seconds; a first one on an empty machine about ten minutes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from k8s_testenv.errors import TestenvError, log_tail
from k8s_testenv.versions import COMPONENTS, Versions, cache_dir, pinned

# kwok's own stage files (in its module) that make nodes and pods behave.
_KWOK_STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat/node-heartbeat.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
    "volume/fast/pvc-provision.yaml",
    "volume/fast/pv-bind.yaml",
    "volume/fast/pvc-delete.yaml",
    "volume/fast/pv-delete.yaml",
    "volume/fast/storage-class.yaml",
)


@dataclass(frozen=True)
class Binary:
    """One executable: its file name and the Go package it is built from."""

    name: str
    package: str

    def ldflags(self, versions: Versions) -> str:
        """Stripped, with the version each project reports stamped in."""
        flags = ["-s", "-w"]
        if self.package.startswith("k8s.io/kubernetes/"):
            major, minor = versions.kubernetes.lstrip("v").split(".")[:2]
            for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
                flags += [
                    f"-X {pkg}.gitVersion={versions.kubernetes}",
                    f"-X {pkg}.gitMajor={major}",
                    f"-X {pkg}.gitMinor={minor}",
                    f"-X {pkg}.gitTreeState=clean",
                ]
        elif self.package.startswith("helm.sh/"):
            flags.append(f"-X helm.sh/helm/v4/internal/version.version={versions.helm}")
        return " ".join(flags)


BINARIES = (
    Binary("kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver"),
    Binary("kube-controller-manager", "k8s.io/kubernetes/cmd/kube-controller-manager"),
    Binary("kube-scheduler", "k8s.io/kubernetes/cmd/kube-scheduler"),
    Binary("kubectl", "k8s.io/kubernetes/cmd/kubectl"),
    Binary("etcd", "go.etcd.io/etcd/server/v3"),
    Binary("kwok", "sigs.k8s.io/kwok/cmd/kwok"),
    Binary("helm", "helm.sh/helm/v4/cmd/helm"),
    Binary("vcluster-standin", "./cmd/vcluster-standin"),
)


def build(target: Path | None = None) -> Path:
    """Builds what is missing or stale into ``target`` (the cache by default)."""
    versions = pinned()
    target = target or cache_dir(versions)
    go = shutil.which("go")
    if go is None:
        raise TestenvError("build: go not found on PATH; install Go 1.26 or newer")
    (target / "bin").mkdir(parents=True, exist_ok=True)
    (target / "logs").mkdir(exist_ok=True)
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    started = time.monotonic()
    _say(
        f"building Kubernetes {versions.kubernetes}, etcd {versions.etcd}, "
        f"kwok {versions.kwok}, helm {versions.helm} into {target}"
    )
    base = _fingerprint_base(go, env)
    _step(
        "download modules",
        lambda: _go(
            go,
            ["mod", "download"],
            env,
            target / "logs" / "download.log",
            "downloading the Go modules",
        ),
    )
    for binary in BINARIES:
        out = target / "bin" / binary.name
        stamp = out.with_name(binary.name + ".stamp")
        fingerprint = _fingerprint(base, binary, versions)
        if out.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            _say(f"{binary.name}: up to date")
            continue

        def compile_one(binary: Binary = binary, out: Path = out) -> None:
            partial = out.with_name(binary.name + ".partial")
            args = [
                "build",
                "-trimpath",
                f"-ldflags={binary.ldflags(versions)}",
                "-o",
                str(partial),
                binary.package,
            ]
            _go(
                go,
                args,
                env,
                target / "logs" / f"build-{binary.name}.log",
                f"building {binary.name}",
            )
            partial.replace(out)

        _step(f"build {binary.name}", compile_one)
        stamp.write_text(fingerprint)
    _step("copy kwok's stage files", lambda: _copy_kwok_stages(go, env, target))
    _say(f"done in {_seconds(time.monotonic() - started)}")
    return target


def _copy_kwok_stages(go: str, env: dict[str, str], target: Path) -> None:
    listing = subprocess.run(
        [go, "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"],
        cwd=COMPONENTS,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    stages = Path(listing.stdout.strip()) / "kustomize" / "stage"
    out = target / "kwok-stages"
    out.mkdir(exist_ok=True)
    for relative in _KWOK_STAGES:
        (out / relative.replace("/", "-")).write_bytes((stages / relative).read_bytes())


def _go(go: str, args: list[str], env: dict[str, str], log: Path, what: str) -> None:
    with log.open("wb") as out:
        result = subprocess.run([go, *args], cwd=COMPONENTS, env=env, stdout=out, stderr=out)
    if result.returncode != 0:
        raise TestenvError(f"build: {what} failed (log {log}):\n{log_tail(log)}")


def _fingerprint_base(go: str, env: dict[str, str]) -> bytes:
    """What every binary depends on: the pins and the Go toolchain."""
    version = subprocess.run([go, "version"], env=env, capture_output=True, check=True).stdout
    digest = hashlib.sha256(version)
    for name in ("go.mod", "go.sum"):
        digest.update((COMPONENTS / name).read_bytes())
    return digest.digest()


def _fingerprint(base: bytes, binary: Binary, versions: Versions) -> str:
    digest = hashlib.sha256(base)
    digest.update(binary.package.encode() + b"\0" + binary.ldflags(versions).encode())
    if binary.package.startswith("./"):
        for source in sorted((COMPONENTS / binary.package).glob("*.go")):
            digest.update(source.read_bytes())
    return digest.hexdigest()


def _step(title: str, action: Callable[[], None]) -> None:
    _say(f"{title} ...")
    started = time.monotonic()
    action()
    _say(f"{title}: {_seconds(time.monotonic() - started)}")


def _say(message: str) -> None:
    print(f"k8s-testenv: {message}", file=sys.stderr, flush=True)


def _seconds(elapsed: float) -> str:
    return f"{elapsed:.0f} s" if elapsed < 120 else f"{elapsed // 60:.0f} min {elapsed % 60:.0f} s"
