"""pytest support for suites that need a real Kubernetes API server.

Use it with ``pytest_plugins = ["k8s_testenv.fixtures"]`` in a conftest.

- ``kube`` (session): starts the environment once per test session (it
  never builds: ``tox -e kube`` runs ``scripts/k8s-testenv build`` first)
  and always stops it; gives the kubeconfig, the API server URL, an admin
  lightkube client and the audit log.
- ``namespace``: a fresh namespace per test.
- ``wait_for``: waits on a watch until an object satisfies a condition;
  ``wait_gone`` until it is deleted.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from lightkube import AsyncClient, Client, KubeConfig
from lightkube.core.client import FieldSelector
from lightkube.core.resource import NamespacedResource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from k8s_testenv.audit import AuditLog
from k8s_testenv.cluster import Cluster, start, stop
from k8s_testenv.versions import cache_dir

R = TypeVar("R", bound=NamespacedResource)
WAIT_SECONDS = 60


@dataclass(frozen=True)
class KubeEnv:
    """A running test environment, as the fixtures give it."""

    cluster: Cluster
    client: Client
    audit: AuditLog

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig file."""
        return self.cluster.kubeconfig

    @property
    def url(self) -> str:
        """The API server URL."""
        return self.cluster.url

    def helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Runs the built helm against the environment; raises with its output on failure."""
        return self._run("helm", args)

    def kubectl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Runs the built kubectl against the environment; raises with its output on failure."""
        return self._run("kubectl", args)

    def _run(self, tool: str, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.cluster.bin / tool), *args],
            env={**os.environ, "KUBECONFIG": str(self.kubeconfig)},
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
        )
        if result.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result


def require_built() -> Path:
    """The binaries' cache directory; fails the session at once when they are missing."""
    binaries = cache_dir()
    if not (binaries / "bin" / "kube-apiserver").exists():
        pytest.fail(
            f"the Kubernetes test environment is not built in {binaries}: "
            "run `scripts/k8s-testenv build` (tox -e kube does)",
            pytrace=False,
        )
    return binaries


@contextmanager
def environment(state: Path) -> Iterator[KubeEnv]:
    """A Kubernetes environment in ``state`` for the ``with`` block, always stopped."""
    cluster = start(state, tied=True, binaries=require_built())
    try:
        client = Client(KubeConfig.from_file(cluster.kubeconfig), field_manager="k8s-testenv")
        yield KubeEnv(cluster, client, AuditLog(cluster.audit_log))
    finally:
        stop(state)


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeEnv]:
    """The session's Kubernetes environment, stopped when the session ends.

    Tests that stop its components (fault tests) start one of their own with
    ``environment`` instead, so the others never see the aftermath.
    """
    with environment(tmp_path_factory.mktemp("k8s")) as env:
        yield env


@pytest.fixture
def namespace(kube: KubeEnv, request: pytest.FixtureRequest) -> Iterator[str]:
    """A namespace of the test's own, deleted afterwards."""
    name = f"t-{request.node.name[:40].lower().strip('_')}-{uuid.uuid4().hex[:6]}"
    name = "".join(c if c.isalnum() else "-" for c in name).replace("--", "-")
    kube.client.create(Namespace(metadata=ObjectMeta(name=name)))
    yield name
    kube.client.delete(Namespace, name)


def wait_for(
    kube: KubeEnv,
    resource: type[R],
    name: str,
    namespace: str,
    condition: Callable[[R], bool],
    timeout: float = WAIT_SECONDS,
) -> R:
    """The object once it exists and ``condition`` holds, read from a watch (no polling)."""
    found = _follow(
        kube, resource, name, namespace, timeout, lambda obj: obj is not None and condition(obj)
    )
    assert found is not None
    return found


def wait_gone(
    kube: KubeEnv, resource: type[R], name: str, namespace: str, timeout: float = WAIT_SECONDS
) -> None:
    """Returns once the object no longer exists, seen on a watch (no polling)."""
    _follow(kube, resource, name, namespace, timeout, lambda obj: obj is None)


def _follow(
    kube: KubeEnv,
    resource: type[R],
    name: str,
    namespace: str,
    timeout: float,
    done: Callable[[R | None], bool],
) -> R | None:
    """Follows one object (None while it does not exist) until ``done`` says so.

    The watch starts at the version of a first listing, so no change in
    between is missed; it fails after ``timeout`` seconds.
    """

    async def follow() -> R | None:
        client = AsyncClient(KubeConfig.from_file(kube.kubeconfig))
        only: FieldSelector = {"metadata.name": name}
        try:
            async with asyncio.timeout(timeout):
                listing = client.list(resource, namespace=namespace, fields=only)
                current = [obj async for obj in listing]
                if done(current[0] if current else None):
                    return current[0] if current else None
                events = client.watch(
                    resource,
                    namespace=namespace,
                    fields=only,
                    resource_version=listing.resourceVersion,
                )
                async for kind, obj in events:
                    seen = None if kind == "DELETED" else obj
                    if done(seen):
                        return seen
        except TimeoutError:
            pass
        finally:
            await client.close()
        raise AssertionError(f"{resource.__name__} {namespace}/{name}: not there in {timeout} s")

    return asyncio.run(follow())
