"""Judging one client's results of one case against the case's expectations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.matching import lookup, match
from conformance.plan import CaseRun
from conformance.protocol import Error, StepResult, as_dict

PASS, FAIL, SKIP = "pass", "fail", "skip"
_REFERENCE = re.compile(r"\$\{([a-z0-9-]+)\.([a-z0-9_.]+)\}")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one case for one client, with the reasons when it failed."""

    case: str
    area: str
    client: str
    outcome: str
    problems: tuple[str, ...] = ()


def judge(run: CaseRun, results: Mapping[int, StepResult], missing_note: str = "") -> Verdict:
    """Compares the results of every step with the case's expectations."""
    seen: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    # The request's steps, not the case's: a local step runs twice (plan.py).
    for index, (step, expectation) in enumerate(
        zip(run.request.steps, run.expectations, strict=True)
    ):
        result = results.get(index)
        if result is None:
            problems.append(f"step {step.name}: no result{missing_note}")
            break
        actual = as_dict(result)
        seen[step.name] = actual
        outcome = result.WhichOneof("outcome")
        if outcome == "error" and result.error.kind == Error.KIND_UNSUPPORTED:
            note = f"step {step.name}: not offered by this client: {result.error.message}"
            return Verdict(run.case.name, run.case.area, run.client, SKIP, (note,))
        try:
            found = _check(expectation.result, expectation.error, outcome, actual, seen)
        except (KeyError, ValueError) as exc:
            found = [f"cannot judge: {exc}"]
        problems += [
            f"step {step.name} ({step.call.method or step.WhichOneof('action')}): {p}"
            for p in found
        ]
    verdict = FAIL if problems else PASS
    return Verdict(run.case.name, run.case.area, run.client, verdict, tuple(problems))


def _check(
    expect: Mapping[str, Any] | None,
    expect_error: Mapping[str, Any] | None,
    outcome: str | None,
    actual: dict[str, Any],
    seen: Mapping[str, dict[str, Any]],
) -> list[str]:
    if expect_error is not None:
        if outcome != "error":
            return [f"expected an error, got a {outcome} result"]
        return _check_error(resolve(expect_error, seen), actual["error"])
    if outcome == "error":
        return [f"expected success, got {describe_error(actual['error'])}"]
    if expect is None:
        return []
    # The keys other than operation_id (StepResult's field beside the oneof) name the result.
    results = [key for key in expect if key != "operation_id"]
    if results and outcome not in results:
        return [f"expected a {' or '.join(results)} result, got {outcome}"]
    return match(resolve(expect, seen), actual)


def _check_error(expected: Mapping[str, Any], error: dict[str, Any]) -> list[str]:
    wanted = dict(expected)
    kind = str(wanted.pop("kind", "STATUS"))
    problems = match("KIND_" + kind, error["kind"], "error.kind")
    violations = wanted.pop("field_violations", None)
    if isinstance(violations, list) and all(isinstance(v, str) for v in violations):
        fields = sorted(v["field"] for v in error["field_violations"])
        if fields != sorted(violations):
            problems.append(
                f"error.field_violations: expected fields {sorted(violations)}, got {fields}"
            )
    elif violations is not None:
        problems += match(violations, error["field_violations"], "error.field_violations")
    problems += match(wanted, error, "error")
    if problems:
        problems.append(f"the error was {describe_error(error)}")
    return problems


def describe_error(error: Mapping[str, Any]) -> str:
    """One line for a person: kind, code, message and the SDK's name for it."""
    kind = str(error.get("kind", "")).removeprefix("KIND_")
    code = f" {error['code']}" if error.get("code") else ""
    sdk = f" [{error['sdk_error']}]" if error.get("sdk_error") else ""
    return f"{kind}{code}: {error.get('message', '')}{sdk}"


def resolve(value: Any, seen: Mapping[str, dict[str, Any]]) -> Any:
    """``value`` with ``${step.path}`` references replaced by earlier results."""
    if isinstance(value, dict):
        return {k: resolve(v, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, seen) for v in value]
    if not isinstance(value, str):
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole is not None:
        return _value(whole, seen)
    return _REFERENCE.sub(lambda m: str(_value(m, seen)), value)


def _value(reference: re.Match[str], seen: Mapping[str, dict[str, Any]]) -> Any:
    step, path = reference.group(1), reference.group(2)
    if step not in seen:
        raise KeyError(f"${{{step}.{path}}}: step {step} has no result")
    try:
        return lookup(seen[step], path.split("."))
    except KeyError:
        raise KeyError(f"${{{step}.{path}}}: no such value in step {step}'s result") from None
