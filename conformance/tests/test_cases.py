"""Reading case files: the repository's own, and the mistakes authors make."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.cases import CaseError, load_cases, load_file, select
from conformance.cli import CASES_DIR
from conformance.plan import Endpoint, Environment, plan

ENVIRONMENT = Environment(
    {kind: Endpoint("127.0.0.1:1", tls=kind != "plain") for kind in ("plain", "tls", "mtls")},
    admin_token="admin",
    offers=frozenset(),
    salt="test",
)


SERVER_NOW = datetime(2026, 12, 6, 6, 30, tzinfo=UTC)


def test_every_case_of_the_repository_loads_and_plans() -> None:
    cases = load_cases(CASES_DIR)
    assert cases
    for case in cases:
        assert case.description, f"{case.name} needs a description"
        plan(case, "python-sync", ENVIRONMENT, server_now=SERVER_NOW if case.clock else None)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "area.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("area: x\ncases: []\n", "non-empty list"),
        ("area: X\ncases: [{name: a, steps: [{get_vcluster: {}}]}]\n", "lowercase name"),
        ("area: x\ncases: [{name: a, steps: []}]\n", "steps must be a non-empty list"),
        ("area: x\ncases: [{name: a, steps: [{fly: {}}]}]\n", "exactly one action"),
        (
            "area: x\ncases: [{name: a, steps: "
            "[{get_vcluster: {}, expect: {}, expect_error: {}}]}]\n",
            "both expect and expect_error",
        ),
        ("area: x\ncases: [{name: a, extra: 1, steps: [{get_vcluster: {}}]}]\n", "unknown key"),
        (
            "area: x\ncases: [{name: a, server: tls, clock: {zone: UTC, day: next}, "
            "steps: [{get_vcluster: {}}]}]\n",
            "plain server",
        ),
        (
            "area: x\ncases: [{name: a, clock: {zone: Mars/Base, day: next}, "
            "steps: [{get_vcluster: {}}]}]\n",
            "no IANA time zone",
        ),
        (
            "area: x\ncases: [{name: a, clock: {zone: UTC, day: someday}, "
            "steps: [{get_vcluster: {}}]}]\n",
            "clock day must be one of",
        ),
        (
            "area: x\ncases: [{name: a, steps: [{get_vcluster: {}, options: {token: bob}}]}]\n",
            "undeclared token",
        ),
        (
            "area: x\ncases: [{name: a, quota: {pods: 3}, steps: [{get_vcluster: {}}]}]\n",
            "unknown key",
        ),
        (
            "area: x\ncases: [{name: a, steps: [{name: s, get_vcluster: {}}, "
            "{name: s, get_vcluster: {}}]}]\n",
            "unique",
        ),
    ],
)
def test_mistakes_in_case_files_are_named(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(CaseError, match=says):
        load_file(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("step", "says"),
    [
        ("{get_vcluster: {nmae: dev}}", "nmae"),
        ("{get_vcluster: {name: '${ghost.vcluster.etag}'}}", "no earlier step"),
        ("{get_vcluster: {name: '${nothing}'}}", "unknown placeholder"),
        ("{watch_collect: {watch: w, count: 1}}", "no earlier watch_start"),
        ("{create_vcluster: {spec: {replicas: '${a.b}'}}}", "whole value"),
        (
            "{name: a, get_vcluster: {}}, {get_vcluster: {name: '${a.vcluster.name}x'}}",
            "whole value",
        ),
    ],
)
def test_steps_that_cannot_be_built_are_named(tmp_path: Path, step: str, says: str) -> None:
    (case,) = load_file(_write(tmp_path, f"area: x\ncases: [{{name: a, steps: [{step}]}}]\n"))
    with pytest.raises(CaseError, match=says):
        plan(case, "python-sync", ENVIRONMENT)


def test_select_uses_run_and_skip_patterns(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "area: x\ncases:\n"
        "  - {name: one, steps: [{get_vcluster: {}}]}\n"
        "  - {name: two, steps: [{get_vcluster: {}}]}\n",
    )
    cases = load_file(path)
    assert [c.name for c in select(cases, [], [])] == ["x/one", "x/two"]
    assert [c.name for c in select(cases, ["one"], [])] == ["x/one"]
    assert [c.name for c in select(cases, [], ["^x/o"])] == ["x/two"]
