"""Matrices and holds in case files: what they expand to, the mistakes they name, and
the shape of the transitions file's expanded cases."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from conformance.cases import Case, CaseError, load_file
from conformance.cli import CASES_DIR
from conformance.matrices import PHASES, allowed_phases_regex

HOLDS = """
area: x
holds:
  RUNNING:
    - create_vcluster: {name: vc}
    - name: held
      wait_for_phase: {name: vc, phase: PHASE_RUNNING}
  DELETING:
    - create_vcluster: {name: vc}
    - name: held
      delete_vcluster: {name: vc}
"""

MATRIX = (
    HOLDS
    + """
matrices:
  - name: "{call}-refused-while-{phase}"
    description: "{doing} is refused."
    phases: [RUNNING, DELETING]
    calls:
      resume:
        allowed: [SUSPENDED]
        doing: "Resuming a {PHASE} vcluster"
        action: resume_vcluster
        args: {name: vc}
        checks: []
      scale:
        allowed: [RUNNING, SUSPENDED]
        doing: "Scaling a {PHASE} vcluster"
        action: scale_vcluster
        args: {name: vc, replicas: 5}
        checks:
          - get_vcluster: {name: vc}
    steps:
      - hold: "{PHASE}"
      - name: refused
        "{action}": "{args}"
        expect_error:
          metadata: {phase: "{PHASE}", allowed_phases: {$regex: "{allowed_phases_regex}"}}
      - "{checks}"
      - name: after
        get_vcluster: {name: vc}
        expect: {vcluster: {etag: "${held.vcluster.etag}", status: {phase: "PHASE_{PHASE}"}}}
"""
)


def _load(tmp_path: Path, text: str) -> dict[str, Case]:
    path = tmp_path / "x.yaml"
    path.write_text(textwrap.dedent(text))
    return {case.name: case for case in load_file(path)}


def test_a_matrix_expands_to_calls_times_phases(tmp_path: Path) -> None:
    cases = _load(tmp_path, MATRIX)
    assert sorted(cases) == [
        "x/resume-refused-while-deleting",
        "x/resume-refused-while-running",
        "x/scale-refused-while-deleting",  # RUNNING is allowed: not a refusal
    ]
    case = cases["x/scale-refused-while-deleting"]
    assert case.description == "Scaling a DELETING vcluster is refused."
    assert [(s.index, s.name, s.action) for s in case.steps] == [
        (0, "s0", "create_vcluster"),
        (1, "held", "delete_vcluster"),
        (2, "refused", "scale_vcluster"),
        (3, "s3", "get_vcluster"),  # the call's checks, spliced in
        (4, "after", "get_vcluster"),
    ]
    refused = case.steps[2]
    assert refused.args == {"name": "vc", "replicas": 5}  # the mapping as it is, 5 a number
    regex = r"^(?=.*\bRUNNING\b)(?=.*\bSUSPENDED\b)(?!.*\bDELETING\b)"
    assert refused.expect_error == {
        "metadata": {"phase": "DELETING", "allowed_phases": {"$regex": regex}}
    }
    # ${...} is the runner's, left alone.
    assert case.steps[4].expect == {
        "vcluster": {"etag": "${held.vcluster.etag}", "status": {"phase": "PHASE_DELETING"}}
    }
    assert [s.name for s in cases["x/resume-refused-while-running"].steps] == [
        "s0",
        "held",
        "refused",
        "after",  # no checks
    ]


def test_allowed_phases_regex_requires_the_allowed_and_refuses_the_current() -> None:
    pattern = re.compile(allowed_phases_regex(["RUNNING", "SUSPENDED"], "SCALING"))
    assert pattern.search("SUSPENDED, RUNNING")
    assert not pattern.search("RUNNING")
    assert not pattern.search("RUNNING, SUSPENDED, SCALING")


def test_a_matrix_without_calls_makes_one_case_per_phase_and_holds_work_in_cases(
    tmp_path: Path,
) -> None:
    text = (
        HOLDS
        + """
cases:
  - name: by-hand
    description: A hand-written case may use a hold.
    steps:
      - hold: RUNNING
      - get_vcluster: {name: vc}
matrices:
  - name: "delete-from-{phase}"
    description: "Deleting a {PHASE} vcluster."
    phases: [RUNNING]
    steps:
      - hold: "{PHASE}"
      - delete_vcluster: {name: vc}
"""
    )
    cases = _load(tmp_path, text)
    assert sorted(cases) == ["x/by-hand", "x/delete-from-running"]
    assert [s.name for s in cases["x/by-hand"].steps] == ["s0", "held", "s2"]
    assert cases["x/delete-from-running"].description == "Deleting a RUNNING vcluster."


def test_a_calls_own_holds_replace_the_files(tmp_path: Path) -> None:
    text = MATRIX.replace(
        "        checks: []\n",
        "        checks: []\n"
        "        holds:\n"
        "          DELETING:\n"
        "            - name: held\n"
        "              delete_vcluster: {name: other}\n",
    )
    cases = _load(tmp_path, text)
    assert cases["x/resume-refused-while-deleting"].steps[0].args == {"name": "other"}
    assert cases["x/resume-refused-while-running"].steps[0].action == "create_vcluster"
    assert cases["x/scale-refused-while-deleting"].steps[1].args == {"name": "vc"}


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('"{doing} is refused."', '"{dong} is refused."', r"unknown placeholder \{dong\}"),
        ("phases: [RUNNING, DELETING]", "phases: [RUNNING, GONE]", "'GONE' is not a phase"),
        ("allowed: [SUSPENDED]", "allowed: [SUSPENDED, ZOMBIE]", "'ZOMBIE' is not a phase"),
        ("phases: [RUNNING, DELETING]", "phases: [RUNNING, FAILED]", "no hold for phase 'FAILED'"),
        ("  DELETING:\n", "  DELETED:\n", "holds: 'DELETED' is not a phase"),
        ("    - name: held\n      delete", "    - name: gone\n      delete", "named held"),
        ('      - "{checks}"\n', '      - "see {checks}"\n', "must be the whole value"),
        ("    steps:\n", "    stpes:\n", "unknown key"),
        ('        doing: "Res', '        call: x\n        doing: "Res', "cannot name a field"),
        ("allowed: [SUSPENDED]", "allowed: [RUNNING, DELETING]", "leave none"),
        ('      - hold: "{PHASE}"\n', "      - {hold: RUNNING, name: x}\n", "no other keys"),
        # A mistake in an expanded case names it and its matrix.
        ("action: resume_vcluster", "action: fly", r"resume-refused.*matrix '\{call\}"),
        ('"{call}-refused', '"refused', "defined twice"),
    ],
)
def test_mistakes_in_matrices_are_named(tmp_path: Path, old: str, new: str, says: str) -> None:
    assert old in MATRIX
    with pytest.raises(CaseError, match=says):
        _load(tmp_path, MATRIX.replace(old, new, 1))


def test_a_file_needs_cases_or_matrices(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="'cases' or 'matrices'"):
        _load(tmp_path, HOLDS)


# The transitions file: what its matrices make must keep the shape its cases promise.

TRANSITIONS = {case.name: case for case in load_file(CASES_DIR / "transitions.yaml")}


def _held(case: Case) -> int:
    (index,) = [s.index for s in case.steps if s.name == "held"]
    return index


@pytest.mark.parametrize(
    "name", sorted(n for n in TRANSITIONS if re.search(r"-refused-while-[a-z]+$", n))
)
def test_every_refusal_is_held_refused_and_unchanged(name: str) -> None:
    case = TRANSITIONS[name]
    phase = name.rsplit("-while-", 1)[1].upper()
    assert phase in PHASES
    names = [s.name for s in case.steps]
    held = _held(case)
    assert names[held + 1] == "refused"
    assert names[-1] == "after"
    refused, after = case.steps[held + 1], case.steps[-1]
    assert refused.expect_error is not None
    assert refused.expect_error["code"] == "FAILED_PRECONDITION"
    assert refused.expect_error["reason"] == "INVALID_PHASE"
    metadata = refused.expect_error["metadata"]
    assert metadata["phase"] == phase
    regex = re.compile(metadata["allowed_phases"]["$regex"])
    assert not regex.search(", ".join(PHASES)), "the current phase must be refused"
    assert regex.search(", ".join(p for p in PHASES if p != phase))
    assert after.action == "get_vcluster"
    assert after.expect == {
        "vcluster": {"etag": "${held.vcluster.etag}", "status": {"phase": f"PHASE_{phase}"}}
    }


@pytest.mark.parametrize("name", sorted(n for n in TRANSITIONS if "-refused-while-" in n))
def test_every_refusal_holds_vc_in_its_phase(name: str) -> None:
    case = TRANSITIONS[name]
    phase = re.search(r"-while-([a-z]+)", name)[1].upper()  # type: ignore[index]
    held = case.steps[_held(case)]
    shown = (held.expect or {}).get("vcluster", {}).get("status", {}).get("phase")
    waited = held.args.get("phase") if held.action == "wait_for_phase" else None
    assert f"PHASE_{phase}" in (shown, waited)


def test_the_transitions_matrices_cover_every_phase_of_every_call() -> None:
    refusals = {n.split("/")[1] for n in TRANSITIONS if "-refused-while-" in n}
    for call, allowed, noop in [
        ("scale", {"RUNNING", "SUSPENDED"}, set()),
        ("suspend", {"RUNNING"}, {"SUSPENDING", "SUSPENDED"}),
        ("resume", {"SUSPENDED"}, {"RESUMING", "RUNNING"}),
        ("snapshot", {"RUNNING", "SUSPENDED"}, set()),
        ("restore-in-place", {"RUNNING", "SUSPENDED"}, set()),
    ]:
        for phase in PHASES:
            if phase == "UPGRADING":  # update.yaml's while-upgrading covers it
                continue
            expected = phase not in allowed | noop
            assert (f"{call}-refused-while-{phase.lower()}" in refusals) == expected, (call, phase)
    for phase in ("PROVISIONING", "RUNNING", "DELETING", "FAILED"):
        assert f"create-refused-while-{phase.lower()}-already-exists" in refusals
    deletes = {n for n in TRANSITIONS if "/delete-from-" in n}
    assert len(deletes) == len(PHASES) - 2  # all but DELETING and UPGRADING
