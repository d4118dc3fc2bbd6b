"""The whole runner: real servers, the Python sync client and the known-failing rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.cli import main
from openvcluster_server.testing import running_server

CASES = """
area: demo
cases:
  - name: passes
    description: Getting a missing vcluster is NOT_FOUND.
    steps:
      - {get_vcluster: {name: ghost}, expect_error: {code: NOT_FOUND}}
  - name: fails
    description: A case whose expectation is wrong on purpose.
    steps:
      - {get_vcluster: {name: ghost}, expect_error: {code: ALREADY_EXISTS}}
  - name: needs-tokens
    description: Needs a token the runner declares.
    tokens: {viewer: {role: viewer}}
    steps:
      - {get_vcluster: {name: ghost}, options: {token: viewer}, expect_error: {code: NOT_FOUND}}
"""


@pytest.fixture
def suite(tmp_path: Path) -> list[str]:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "demo.yaml").write_text(CASES)
    (tmp_path / "known").mkdir()
    return [
        "--cases",
        str(cases),
        "--client",
        "python-sync",
        "--known-failing",
        str(tmp_path / "known"),
    ]


def _known(suite: list[str], *names: str) -> None:
    Path(suite[-1], "python-sync.txt").write_text("# why\n" + "\n".join(names) + "\n")


def test_an_unlisted_failure_fails_the_run(
    suite: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(suite) == 1
    out = capsys.readouterr().out
    assert "demo/fails failed" in out and "expected 'ALREADY_EXISTS', got 'NOT_FOUND'" in out
    assert re.search(r"^demo +2/3 1F$", out, re.MULTILINE)


def test_a_listed_failure_is_expected(suite: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    _known(suite, "demo/fails")
    assert main(suite) == 0
    assert "every result is as expected" in capsys.readouterr().out


def test_a_listed_case_that_passes_fails_the_run(
    suite: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _known(suite, "demo/fails", "demo/passes")
    assert main(suite) == 1
    assert "demo/passes passes; remove it" in capsys.readouterr().out


def test_run_and_skip_select_cases(suite: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*suite, "--skip", "fails"]) == 0
    assert main([*suite, "--run", "nothing-matches"]) == 2
    assert main([*suite, "--list"]) == 0
    assert "demo/needs-tokens" in capsys.readouterr().out


def test_your_server_skips_what_it_cannot_offer(
    suite: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with running_server() as server:
        code = main([*suite, "--server-address", server.address, "--skip", "fails"])
    assert code == 0
    assert re.search(r"^demo +1/1 1S$", capsys.readouterr().out, re.MULTILINE)


def test_a_client_breaking_the_protocol_fails_the_run(
    suite: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = tmp_path / "clients.yaml"
    clients.write_text(
        'clients:\n  python-sync:\n    command: ["{python}", "-c", "print(\'not json\')"]\n'
    )
    assert main([*suite, "--clients-file", str(clients)]) == 1
    out = capsys.readouterr().out
    assert "protocol: not a StepResult line" in out
    assert "no result" in out
