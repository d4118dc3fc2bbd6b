"""Expanding the templates of a case file into plain cases, before they are checked.

A case file may write, beside its hand-written ``cases``:

- ``holds``: for a phase (``RUNNING``, ``SCALING``, ...), the steps that bring the
  vcluster ``vc`` into it and hold it there, the last one named ``held``. A step
  ``hold: PHASE`` in any case (hand-written or from a matrix) stands for them.
- ``matrices``: cases written once for many phases, or calls x phases. Each
  gives a ``name`` and a ``description`` template, its ``phases``, optionally
  ``calls`` (a call's name and fields, its ``allowed`` and ``noop`` phases being
  left out of its expansion, its ``holds`` replacing the file's), and ``steps``.
  ``{phase}``, ``{PHASE}``, ``{call}``, ``{allowed_phases_regex}`` and the call's
  fields fill in the templates; ``${...}`` is left for the runner.

``conformance/README.md`` ("Matrices and holds") describes the format; the
result of ``expand`` is a list of case entries exactly as if written out by hand.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openvcluster.v1.vcluster_pb2 import VCluster

# The phases of VCluster.Phase without their prefix: PROVISIONING, RUNNING, ...
PHASES: tuple[str, ...] = tuple(
    name.removeprefix("PHASE_") for name, number in VCluster.Phase.items() if number != 0
)
# `{word}` but not the runner's `${word...}`.
_PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MATRIX_KEYS = frozenset({"name", "description", "phases", "calls", "steps"})
# What a matrix fills in itself; a call's fields cannot take these names.
_BUILTINS = frozenset({"call", "phase", "PHASE", "allowed_phases_regex"})
# Call fields the expansion reads itself rather than only filling in.
_PHASE_FIELDS = ("allowed", "noop")


class TemplateError(ValueError):
    """A hold or matrix that cannot be expanded; the loader adds the file's name."""


@dataclass(frozen=True)
class Entry:
    """One case entry as written by hand, and the matrix it came from (if any)."""

    raw: Any
    matrix: str | None = None


def expand(raw: Mapping[str, Any]) -> list[Entry]:
    """The case entries of a file: its ``cases`` and every matrix's, with holds spliced in."""
    holds = _holds(raw.get("holds", {}), "holds")
    entries = [Entry(_with_holds(case, holds)) for case in raw.get("cases") or []]
    for index, matrix in enumerate(raw.get("matrices") or []):
        entries.extend(_expand_matrix(index, matrix, holds))
    return entries


def allowed_phases_regex(allowed: list[str], phase: str) -> str:
    """A regex for an INVALID_PHASE error's allowed_phases: every allowed phase, in any
    order, and not the current one."""
    return "^" + "".join(rf"(?=.*\b{p}\b)" for p in allowed) + rf"(?!.*\b{phase}\b)"


def _holds(raw: Any, where: str) -> dict[str, list[Any]]:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where} must map phases to the steps that reach them")
    holds: dict[str, list[Any]] = {}
    for phase, steps in raw.items():
        if phase not in PHASES:
            raise TemplateError(f"{where}: {phase!r} is not a phase (one of {', '.join(PHASES)})")
        here = f"{where}: {phase}"
        if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
            raise TemplateError(f"{here} must be a non-empty list of steps")
        if any("hold" in step for step in steps):
            raise TemplateError(f"{here}: a hold cannot use another hold")
        if steps[-1].get("name") != "held":
            raise TemplateError(f"{here}: the last step must be named held")
        holds[phase] = steps
    return holds


def _with_holds(case: Any, holds: Mapping[str, list[Any]]) -> Any:
    """A hand-written case with its ``hold:`` steps spliced in; anything else malformed is
    left for the loader to name."""
    if not isinstance(case, dict) or not isinstance(case.get("steps"), list):
        return case
    return {**case, "steps": _splice_holds(case["steps"], holds, f"case {case.get('name')!r}")}


def _splice_holds(steps: list[Any], holds: Mapping[str, list[Any]], where: str) -> list[Any]:
    out: list[Any] = []
    for index, step in enumerate(steps):
        if not (isinstance(step, dict) and "hold" in step):
            out.append(step)
            continue
        if set(step) != {"hold"}:
            raise TemplateError(f"{where}: step {index}: a hold step takes no other keys")
        phase = step["hold"]
        if phase not in holds:
            known = ", ".join(holds) or "none"
            raise TemplateError(
                f"{where}: step {index}: no hold for phase {phase!r} (holds: {known})"
            )
        out.extend(copy.deepcopy(holds[phase]))
    return out


def _expand_matrix(index: int, raw: Any, holds: dict[str, list[Any]]) -> list[Entry]:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise TemplateError(f"matrix {index} is not a mapping with a name template")
    where = f"matrix {raw['name']!r}"
    unknown = sorted(set(raw) - _MATRIX_KEYS)
    if unknown:
        raise TemplateError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    if not isinstance(raw.get("description"), str):
        raise TemplateError(f"{where}: description must be a template string")
    if not isinstance(raw.get("steps"), list) or not raw["steps"]:
        raise TemplateError(f"{where}: steps must be a non-empty list")
    phases = _phase_list(raw.get("phases"), f"{where}: phases")
    if not phases:
        raise TemplateError(f"{where}: phases must be a non-empty list")
    if "calls" not in raw:
        return [
            _expand_one(raw, where, {"phase": p.lower(), "PHASE": p}, holds, f"{where}, phase {p}")
            for p in phases
        ]
    calls = raw["calls"]
    if not isinstance(calls, dict) or not calls:
        raise TemplateError(f"{where}: calls must map call names to their fields")
    entries: list[Entry] = []
    for call, fields in calls.items():
        here = f"{where}: call {call!r}"
        if not isinstance(call, str) or not isinstance(fields, dict):
            raise TemplateError(f"{here} must be a name with a mapping of fields")
        clash = sorted(_BUILTINS & set(fields))
        if clash:
            raise TemplateError(f"{here}: {', '.join(clash)} cannot name a field")
        skipped = {
            p for key in _PHASE_FIELDS for p in _phase_list(fields.get(key), f"{here}: {key}")
        }
        own_holds = {**holds, **_holds(fields.get("holds", {}), f"{here}: holds")}
        its_phases = [p for p in phases if p not in skipped]
        if not its_phases:
            raise TemplateError(f"{here}: allowed and noop leave none of the matrix's phases")
        for phase in its_phases:
            variables: dict[str, Any] = {"call": call, "phase": phase.lower(), "PHASE": phase}
            if "allowed" in fields:
                variables["allowed_phases_regex"] = allowed_phases_regex(fields["allowed"], phase)
            at = f"{here}, phase {phase}"
            # A call's fields may use {call}, {phase}, {PHASE} (not one another).
            variables |= {
                key: _render(value, dict(variables), f"{at}: field {key!r}")
                for key, value in fields.items()
                if key != "holds"
            }
            entries.append(_expand_one(raw, where, variables, own_holds, at))
    return entries


def _expand_one(
    raw: Mapping[str, Any],
    where: str,
    variables: Mapping[str, Any],
    holds: Mapping[str, list[Any]],
    at: str,
) -> Entry:
    steps = _render(raw["steps"], variables, f"{at}: steps")
    case = {
        "name": _text(raw["name"], variables, f"{at}: name"),
        "description": _text(raw["description"], variables, f"{at}: description"),
        "steps": _splice_holds(steps, holds, at),
    }
    return Entry(case, where)


def _phase_list(raw: Any, where: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise TemplateError(f"{where} must be a list of phases")
    for phase in raw:
        if phase not in PHASES:
            raise TemplateError(f"{where}: {phase!r} is not a phase (one of {', '.join(PHASES)})")
    return raw


def _text(template: str, variables: Mapping[str, Any], where: str) -> str:
    value = _render(template, variables, where)
    if not isinstance(value, str):
        raise TemplateError(f"{where} must fill in to text, not a {type(value).__name__}")
    return value


def _lookup(name: str, variables: Mapping[str, Any], where: str) -> Any:
    if name not in variables:
        known = ", ".join("{" + k + "}" for k in sorted(variables))
        raise TemplateError(f"{where}: unknown placeholder {{{name}}} (known: {known})")
    return variables[name]


def _render(value: Any, variables: Mapping[str, Any], where: str) -> Any:
    """``value`` with its placeholders filled in. A string that is one placeholder takes the
    value as it is (a mapping, a list, a number); a list item that is one placeholder for a
    list is spliced into the list."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return copy.deepcopy(_lookup(whole[1], variables, where))

        def fill(match: re.Match[str]) -> str:
            found = _lookup(match[1], variables, where)
            if isinstance(found, dict | list):
                raise TemplateError(
                    f"{where}: {{{match[1]}}} holds a {type(found).__name__} "
                    "and must be the whole value"
                )
            return str(found)

        return _PLACEHOLDER.sub(fill, value)
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            rendered = _render(item, variables, where)
            whole = _PLACEHOLDER.fullmatch(item) if isinstance(item, str) else None
            if whole and isinstance(rendered, list):
                out.extend(rendered)
            else:
                out.append(rendered)
        return out
    if isinstance(value, dict):
        result: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = _render(key, variables, where) if isinstance(key, str) else key
            if isinstance(new_key, dict | list):
                raise TemplateError(f"{where}: the key {key!r} must fill in to text")
            if new_key in result:
                raise TemplateError(f"{where}: the key {new_key!r} appears twice")
            result[new_key] = _render(item, variables, where)
        return result
    return value
