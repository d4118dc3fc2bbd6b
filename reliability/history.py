"""Checks that concurrent mutations and watch streams fit one serial history.

The reference watch (started before anything existed) gives, per vcluster
name, its *timeline*: every state it was in, in commit order, with a gap
where it was deleted. The checks here prove that this timeline is a history a
serial execution of the acknowledged mutations (plus the server's own
transition timers) could have produced, and that every other watch stream
saw a contiguous slice of it:

* every step is a transition the phase table (``openvcluster_server.phases``)
  allows, made by a timer or by a mutation of the matching kind;
* every non-timer step was made by an acknowledged mutation, whose etag
  precondition (if any) is exactly the state before the step: no update was
  applied to a state the caller had not read, and none was lost;
* every scale applied its changes to the state just before it;
* every acknowledged answer is a state of the timeline, and a no-op answer
  (suspend while SUSPENDED, ...) is the unchanged current state;
* every acknowledged snapshot captured a state of the timeline in which
  snapshots are allowed;
* every refusal for a phase names a phase the table refuses the call in.

Everything is computed from recorded values, so the functions are pure and
return lists of problems rather than raising.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import VCluster, VClusterSpec
from openvcluster_server import phases
from openvcluster_server.phases import Phase

EventType = api.WatchVClustersResponse.EventType
GONE = "<gone>"

# What each call does to a phase, from the server's own phase table.
NOOP_PHASES: dict[str, frozenset[int]] = {
    "suspend": phases.SUSPEND_NOOP,
    "resume": phases.RESUME_NOOP,
    "delete": phases.DELETE_NOOP,
}
ALLOWED_FROM: dict[str, frozenset[int]] = {
    "suspend": phases.SUSPEND_FROM | phases.SUSPEND_NOOP,
    "resume": phases.RESUME_FROM | phases.RESUME_NOOP,
    "scale": phases.SCALE_FROM,
    "snapshot": phases.SNAPSHOT_FROM,
}


@dataclass
class Mutation:
    """One mutation a racing client sent, and what it got back."""

    client: int
    kind: str  # create, scale, suspend, resume, snapshot or delete
    name: str
    request_id: str
    etag: str = ""
    # The call's other arguments, as given to the SDK (cpu, replicas, ...).
    args: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0
    code: grpc.StatusCode = grpc.StatusCode.OK
    vcluster: VCluster | None = None
    snapshot: Snapshot | None = None
    # The phase a FAILED_PRECONDITION named (ErrorInfo metadata "phase").
    refused_in: str = ""

    def describe(self) -> str:
        """A line for failure messages."""
        answer = self.code.name
        if self.vcluster is not None:
            answer = f"{phases.phase_name(self.vcluster.status.phase)} etag {self.vcluster.etag}"
        return (
            f"client {self.client} {self.kind} {self.name} etag={self.etag or '-'} "
            f"{self.args} request_id={self.request_id} -> {answer}"
        )


@dataclass
class Life:
    """One vcluster from creation to deletion: its states in commit order."""

    states: list[VCluster]
    deleted: bool = False


def lives(events: Iterable[api.WatchVClustersResponse]) -> dict[str, list[Life]]:
    """Per name, the lives a complete watch stream (started before any creation) shows."""
    result: dict[str, list[Life]] = {}
    for event in events:
        if event.type == EventType.EVENT_TYPE_SYNCED:
            continue
        vcluster = event.vcluster
        timeline = result.setdefault(vcluster.name, [])
        if event.type == EventType.EVENT_TYPE_ADDED:
            timeline.append(Life([vcluster]))
        elif event.type == EventType.EVENT_TYPE_MODIFIED:
            timeline[-1].states.append(vcluster)
        elif event.type == EventType.EVENT_TYPE_DELETED:
            timeline[-1].deleted = True
    return result


def timeline(name_lives: Sequence[Life]) -> list[str]:
    """The etags of every state in order, with GONE after each deletion."""
    tokens: list[str] = []
    for life in name_lives:
        tokens += [state.etag for state in life.states]
        if life.deleted:
            tokens.append(GONE)
    return tokens


def scaled_spec(spec: VClusterSpec, args: Mapping[str, Any]) -> VClusterSpec:
    """The spec a scale with these SDK arguments makes of ``spec``."""
    result = VClusterSpec()
    result.CopyFrom(spec)
    for name in ("cpu", "memory", "storage"):
        if args.get(name):
            setattr(result.resources, name, args[name])
    if args.get("replicas"):
        result.replicas = args["replicas"]
    if args.get("enable_ha") is not None:
        result.enable_ha = args["enable_ha"]
    return result


def step_kinds(before: VCluster, after: VCluster) -> set[str]:
    """Which causes could turn ``before`` into ``after`` under the phase table."""
    identity = ("uid", "namespace", "name", "create_time", "labels")
    if any(getattr(before, f) != getattr(after, f) for f in identity) or before.etag == after.etag:
        return set()
    was, now = before.status.phase, after.status.phase
    same_spec = before.spec == after.spec
    kinds: set[str] = set()
    if was in phases.INTERMEDIATE and phases.TRANSITION_END[was] == now and same_spec:
        kinds.add("timer")
    if was in phases.SUSPEND_FROM and now == Phase.PHASE_SUSPENDING and same_spec:
        kinds.add("suspend")
    if was in phases.RESUME_FROM and now == Phase.PHASE_RESUMING and same_spec:
        kinds.add("resume")
    if was in phases.SCALE_FROM and now == (
        Phase.PHASE_SCALING if was == Phase.PHASE_RUNNING else was
    ):
        kinds.add("scale")
    if was not in phases.DELETE_NOOP and now == Phase.PHASE_DELETING and same_spec:
        kinds.add("delete")
    return kinds


def check_history(
    reference: Sequence[api.WatchVClustersResponse], mutations: Sequence[Mutation]
) -> list[str]:
    """Problems that keep the reference timeline from being a serial history of the
    acknowledged mutations (see the module docstring); empty when it is one."""
    problems: list[str] = []
    by_name = lives(reference)
    # Where each state is: etag -> (name, life index, state index).
    where: dict[str, tuple[str, int, int]] = {}
    for name, name_lives in by_name.items():
        for li, life in enumerate(name_lives):
            first = life.states[0]
            if first.status.phase != Phase.PHASE_PROVISIONING:
                problems.append(f"{name} life {li} starts {phases.phase_name(first.status.phase)}")
            for si, state in enumerate(life.states):
                if state.etag in where:
                    problems.append(f"{name}: etag {state.etag} appears twice")
                where[state.etag] = (name, li, si)
    acked = [m for m in mutations if m.code == grpc.StatusCode.OK]
    makers: dict[str, list[Mutation]] = {}  # etag made -> mutations that claim it

    for mutation in acked:
        if mutation.kind == "snapshot":
            # A snapshot leaves the vcluster alone, but captures one of its states.
            assert mutation.snapshot is not None, mutation.describe()
            spec = mutation.snapshot.source_spec
            if not any(
                state.spec == spec and state.status.phase in phases.SNAPSHOT_FROM
                for life in by_name.get(mutation.name, [])
                for state in life.states
            ):
                problems.append(
                    f"a snapshot of no state the vcluster was in while snapshots are allowed: "
                    f"{mutation.describe()}"
                )
            continue
        answer = mutation.vcluster
        assert answer is not None, mutation.describe()
        located = where.get(answer.etag)
        if located is None:
            problems.append(f"acknowledged but never in the history: {mutation.describe()}")
            continue
        name, li, si = located
        states = by_name[name][li].states
        if states[si] != answer:
            problems.append(f"answered a state the history holds otherwise: {mutation.describe()}")
        before = states[si - 1] if si > 0 else None
        if mutation.kind == "create":
            if si != 0:
                problems.append(f"a create answered a later state: {mutation.describe()}")
            makers.setdefault(answer.etag, []).append(mutation)
            continue
        made = before is not None and mutation.kind in step_kinds(before, answer)
        noop_phase = answer.status.phase in NOOP_PHASES.get(mutation.kind, frozenset())
        if made and before is not None and mutation.etag in ("", before.etag):
            makers.setdefault(answer.etag, []).append(mutation)
            if mutation.kind == "scale" and answer.spec != scaled_spec(before.spec, mutation.args):
                problems.append(
                    f"a scale was not applied to the state just before it (a lost update): "
                    f"{mutation.describe()}"
                )
        elif noop_phase and mutation.etag in ("", answer.etag):
            pass  # a no-op answers the state as it is
        elif made or noop_phase:
            problems.append(
                f"succeeded on a state other than its etag precondition (a lost update): "
                f"{mutation.describe()}"
            )
        else:
            was = phases.phase_name(before.status.phase) if before is not None else "nothing"
            problems.append(
                f"answered a state it could not have made from {was}: {mutation.describe()}"
            )

    for name, name_lives in by_name.items():
        for li, life in enumerate(name_lives):
            for si, state in enumerate(life.states):
                claims = makers.get(state.etag, [])
                kinds = {"create"} if si == 0 else step_kinds(life.states[si - 1], state)
                if not kinds:
                    problems.append(
                        f"{name} life {li}: impossible step "
                        f"{phases.phase_name(life.states[si - 1].status.phase)} -> "
                        f"{phases.phase_name(state.status.phase)} (etag {state.etag})"
                    )
                elif kinds == {"timer"}:
                    if claims:
                        problems.append(f"{name}: a timer step claimed by {claims[0].describe()}")
                elif not claims and "timer" not in kinds:
                    problems.append(
                        f"{name} life {li}: {sorted(kinds)} step to "
                        f"{phases.phase_name(state.status.phase)} (etag {state.etag}) "
                        "made by no acknowledged mutation"
                    )
                elif len({m.request_id for m in claims}) > 1 and kinds & {"create", "scale"}:
                    problems.append(
                        f"{name}: one step claimed by several mutations: "
                        + "; ".join(m.describe() for m in claims)
                    )
    return problems


def check_refusals(mutations: Sequence[Mutation]) -> list[str]:
    """FAILED_PRECONDITION only in phases the table refuses the call in."""
    problems: list[str] = []
    for mutation in mutations:
        if mutation.code != grpc.StatusCode.FAILED_PRECONDITION:
            continue
        allowed = ALLOWED_FROM.get(mutation.kind)
        refused = Phase.Value(f"PHASE_{mutation.refused_in}") if mutation.refused_in else None
        if allowed is None or refused is None or refused in allowed:
            problems.append(f"refused in a phase that allows it: {mutation.describe()}")
    return problems


def check_stream(
    name_timelines: Mapping[str, list[str]], events: Sequence[api.WatchVClustersResponse]
) -> list[str]:
    """Problems unless, for every vcluster, the stream shows a contiguous slice of its
    timeline: the state at subscription (or absence), then every later change."""
    problems: list[str] = []
    seen: dict[str, list[str]] = {}
    synced = False
    for event in events:
        if event.type == EventType.EVENT_TYPE_SYNCED:
            synced = True
            continue
        name = event.vcluster.name
        token = GONE if event.type == EventType.EVENT_TYPE_DELETED else event.vcluster.etag
        if not synced and event.type != EventType.EVENT_TYPE_ADDED:
            problems.append(f"{name}: {EventType.Name(event.type)} before SYNCED")
        seen.setdefault(name, []).append(token)
    for name, tokens in seen.items():
        full = name_timelines.get(name, [])
        first = tokens[0]
        if first == GONE or first not in full:
            problems.append(f"{name}: the stream starts with {first}, not a state it was in")
            continue
        start = full.index(first)
        if full[start : start + len(tokens)] != tokens:
            problems.append(
                f"{name}: the stream shows {tokens}, not a contiguous slice of {full[start:]}"
            )
    return problems
