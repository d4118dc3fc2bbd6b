"""Installing, upgrading and uninstalling vcluster releases with the Helm CLI.

The backend drives the ``helm`` binary, as the vcluster CLI does through its
Helm package: Helm's behaviour (three-way merges, hooks, release history in
Secrets ``sh.helm.release.v1.<name>.v<n>``) is what vcluster users know and
what ``helm list`` shows, and no Python library reimplements it (the
wrappers on PyPI run the same binary). A few processes at a time at most,
since each is a whole Go program.

Each run is short and pays for itself mostly in start-up and garbage
collection, so the process runs without a collector up to a memory limit
(``GOGC=off`` with ``GOMEMLIMIT``, unless the caller's environment sets
them), and skips Helm's client-side OpenAPI validation: the API server
validates every object it is sent anyway, and fetching and parsing its
schema roughly doubled each run's CPU time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CHART_ERROR = re.compile(r"execution error at \([^)]*\): (.+)", re.DOTALL)
# Helm's refusal while a release is marked as being changed.
_IN_PROGRESS = "another operation (install/upgrade/rollback) is in progress"
_TIMEOUT = 300.0
# A short-lived helm needs no collector below this (a release of the real
# vcluster chart peaks well under it).
_GO_RUNTIME = {"GOGC": "off", "GOMEMLIMIT": "256MiB"}


class HelmError(Exception):
    """Helm refused or failed; the message is Helm's own explanation."""


@dataclass(frozen=True)
class Chart:
    """Where the vcluster chart comes from: a repository and version, a path or an OCI reference."""

    name: str = "vcluster"
    repo: str = "https://charts.loft.sh"
    version: str = "0.36.1"

    def args(self) -> list[str]:
        """The chart arguments of ``helm upgrade``."""
        local = self.name.startswith(("/", "./", "../", "oci://")) or Path(self.name).is_dir()
        if local:
            return [self.name] + (
                ["--version", self.version] if self.name.startswith("oci://") else []
            )
        return [self.name, "--repo", self.repo, "--version", self.version]


class Helm:
    """Runs helm against the backend's cluster."""

    def __init__(
        self, binary: str, chart: Chart, kubeconfig: Path | None, concurrency: int = 4
    ) -> None:
        self._binary = binary
        self._chart = chart
        self._kubeconfig = kubeconfig
        self._slots = asyncio.Semaphore(concurrency)
        self._apply_flags: list[str] | None = None

    async def upgrade(self, release: str, namespace: str, values: dict[str, Any]) -> None:
        """``helm upgrade --install`` with these values (on top of the release's current ones).

        A release left pending by a helm that died (its server was killed, and
        another replica leads now) is recovered first, as an operator would.
        """
        try:
            await self._upgrade(release, namespace, values)
        except HelmError as exc:
            if _IN_PROGRESS not in str(exc):
                raise
            await self._recover(release, namespace)
            await self._upgrade(release, namespace, values)

    async def _recover(self, release: str, namespace: str) -> None:
        """Ends a pending release: an unfinished install is uninstalled (the next
        install starts over), an unfinished upgrade or rollback rolled back.

        Only the leader runs helm and never twice at once for one vcluster, so a
        pending release is a dead process's, never one still at work.
        """
        status = json.loads(
            await self._run("status", release, "--namespace", namespace, "-o", "json")
        )
        state = str(status.get("info", {}).get("status", ""))
        if state == "pending-install":
            await self.uninstall(release, namespace)
        elif state.startswith("pending-"):
            await self._run(
                "rollback", release, "--namespace", namespace, *await self._conflict_flags()
            )

    async def _upgrade(self, release: str, namespace: str, values: dict[str, Any]) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="vcluster-values-") as file:
            json.dump(values, file)
            file.flush()
            await self._run(
                "upgrade",
                "--install",
                release,
                *self._chart.args(),
                "--namespace",
                namespace,
                "--reuse-values",
                "--values",
                file.name,
                "--disable-openapi-validation",
                *await self._conflict_flags(),
            )

    async def _conflict_flags(self) -> list[str]:
        """Helm 4 applies on the server, where the backend's own writes (pause, resume
        and restore set a workload's replicas, as vcluster does) own fields too: the
        chart's values win over them, as with Helm 3's client-side three-way merge."""
        if self._apply_flags is None:
            version = await self._run("version", "--template", "{{.Version}}")
            self._apply_flags = [] if version.strip().startswith("v3.") else ["--force-conflicts"]
        return self._apply_flags

    async def uninstall(self, release: str, namespace: str) -> None:
        """``helm uninstall``; a release that is not there is fine."""
        await self._run("uninstall", release, "--namespace", namespace, "--ignore-not-found")

    async def _run(self, *args: str) -> str:
        command = [self._binary, *args]
        if self._kubeconfig is not None:
            command += ["--kubeconfig", str(self._kubeconfig)]
        async with self._slots:
            try:
                process = await asyncio.create_subprocess_exec(
                    *command,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    env={**_GO_RUNTIME, **os.environ},
                )
            except OSError as exc:
                raise HelmError(f"cannot run {self._binary}: {exc.strerror}") from None
            try:
                stdout, stderr = await asyncio.wait_for(process.communicate(), _TIMEOUT)
            except BaseException:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
                raise
        if process.returncode != 0:
            raise HelmError(explain(stderr.decode(errors="replace")))
        return stdout.decode(errors="replace")


def explain(stderr: str) -> str:
    """Helm's error as a status message: a chart's own failure message as it is."""
    text = stderr.strip()
    found = _CHART_ERROR.search(text)
    if found:
        return found.group(1).strip()
    lines = [line for line in text.splitlines() if line.startswith("Error:")]
    return "helm: " + (lines[-1].removeprefix("Error: ") if lines else text[-300:] or "failed")
