"""Which versions the test environment builds, and where it keeps them.

The pins live in one file, ``components/go.mod``: the Go module that requires
Kubernetes, etcd, kwok and helm (and whose go.sum locks every dependency).
Its ``tool`` lines name what ``build`` compiles.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPONENTS = HERE / "components"
CACHE_ENV = "OVC_K8S_TESTENV_CACHE"

_MODULES = {
    "kubernetes": "k8s.io/kubernetes",
    "etcd": "go.etcd.io/etcd/server/v3",
    "kwok": "sigs.k8s.io/kwok",
    "helm": "helm.sh/helm/v4",
}


@dataclass(frozen=True)
class Versions:
    """The pinned version of each upstream project."""

    kubernetes: str
    etcd: str
    kwok: str
    helm: str

    @property
    def key(self) -> str:
        """Names the cache directory: one per combination of versions."""
        return f"k8s-{self.kubernetes}-etcd-{self.etcd}-kwok-{self.kwok}-helm-{self.helm}"


def pinned(go_mod: Path = COMPONENTS / "go.mod") -> Versions:
    """Reads the versions from the require lines of components/go.mod."""
    text = go_mod.read_text()
    found = {}
    for name, module in _MODULES.items():
        match = re.search(rf"^\s*{re.escape(module)} (v\S+)", text, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"{go_mod} does not require {module}")
        found[name] = match.group(1)
    return Versions(**found)


def cache_dir(versions: Versions | None = None) -> Path:
    """Where built binaries live: $OVC_K8S_TESTENV_CACHE, else the user cache."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "open-vcluster-api" / (versions or pinned()).key
