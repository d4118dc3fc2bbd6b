"""Helpers of the ``ovc`` tests."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner, Result

import openvcluster
from openvcluster.cli import session as session_module
from openvcluster.cli.app import cli


@dataclass
class Ovc:
    """Runs ``ovc`` in-process (click's CliRunner) and checks its exit code."""

    runner: CliRunner
    endpoint: str | None
    namespace: str | None

    def __call__(
        self,
        *args: str,
        code: int = 0,
        env: Mapping[str, str | None] | None = None,
        input: str | None = None,
    ) -> Result:
        """``ovc ARGS`` against the test's server, in the test's namespace (``OVC_NAMESPACE``)."""
        base = ["--endpoint", self.endpoint] if self.endpoint else []
        environ: dict[str, str | None] = {}
        if self.namespace:
            environ["OVC_NAMESPACE"] = self.namespace
        environ.update(env or {})
        result = self.runner.invoke(
            cli, [*base, *args], env=environ, input=input, catch_exceptions=False, prog_name="ovc"
        )
        assert result.exit_code == code, (
            f"ovc {' '.join(args)} exited {result.exit_code}, not {code}:\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result


def client_options(monkeypatch: pytest.MonkeyPatch, **options: Any) -> None:
    """Makes the CLI's client with extra options (test-hook metadata, no retries, ...)."""
    monkeypatch.setattr(session_module, "Client", functools.partial(openvcluster.Client, **options))


def lines(text: str) -> list[str]:
    """The non-empty lines of ``text``."""
    return [line for line in text.splitlines() if line.strip()]


_OPERATION = re.compile(
    r"operation: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n"
)


def operation_of(stdout: str) -> str:
    """The id on the last line of a mutation's output, ``operation: <id>``."""
    _, _, last = stdout.rstrip("\n").rpartition("\n")
    assert _OPERATION.fullmatch(last + "\n"), f"no operation line last in {stdout!r}"
    return last.removeprefix("operation: ")


def result_of(stdout: str) -> str:
    """A mutation's output without its last line, ``operation: <id>`` (which must be there)."""
    operation_of(stdout)
    return stdout.rstrip("\n").rpartition("\n")[0] + "\n"
