"""Every step whose expected INVALID_ARGUMENT comes from the proto's field
rules alone is marked `local`, so every SDK is held to giving that answer
without the server; and no step is marked that the rules alone cannot answer.

The field rules are checked here with the Python SDK's openvcluster.field_rules,
the same check the server starts every request with.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.protobuf.message import Message

from conformance.cases import Case, StepSpec, load_cases
from conformance.cli import CASES_DIR
from conformance.plan import plan
from conformance.protocol import step_request
from conformance.tests.test_cases import ENVIRONMENT, SERVER_NOW
from openvcluster import field_rules


def _invalid_argument_steps() -> Iterator[tuple[Case, StepSpec, Message]]:
    for case in load_cases(CASES_DIR):
        now = SERVER_NOW if case.clock else None
        steps = plan(case, "python-sync", ENVIRONMENT, server_now=now).request.steps
        # A local step's offline copy comes first; the original follows it.
        originals = [step for step in steps if not step.options.offline]
        for spec, step in zip(case.steps, originals, strict=True):
            expected = spec.expect_error or {}
            if expected.get("code") != "INVALID_ARGUMENT" or step.refs:
                continue
            yield case, spec, step_request(step)


def _expected_fields(spec: StepSpec) -> set[str]:
    expected = spec.expect_error or {}
    return {
        violation if isinstance(violation, str) else str(violation.get("field"))
        for violation in expected.get("field_violations", [])
    }


STEPS = list(_invalid_argument_steps())


@pytest.mark.parametrize(
    ("case", "spec", "request_"), STEPS, ids=[f"{c.name}/{s.name}" for c, s, _ in STEPS]
)
def test_a_step_is_local_exactly_when_the_field_rules_answer_it(
    case: Case, spec: StepSpec, request_: Message
) -> None:
    local_fields = {field for field, _ in field_rules.violations(request_)}
    answerable = bool(local_fields) and local_fields == _expected_fields(spec)
    if answerable:
        assert spec.options.get("local"), (
            f"{case.source}: {case.name} step {spec.name}: the field rules give "
            f"{sorted(local_fields)}; mark it `options: {{local: true}}`"
        )
    else:
        assert not spec.options.get("local"), (
            f"{case.source}: {case.name} step {spec.name} is marked local, but the field "
            f"rules give {sorted(local_fields)}, not {sorted(_expected_fields(spec))}"
        )


def test_some_steps_are_local() -> None:
    assert sum(bool(spec.options.get("local")) for _, spec, _ in STEPS) >= 30
