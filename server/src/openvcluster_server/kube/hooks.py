"""Test hooks on the Kubernetes backend: played through the test environment's stand-ins.

The simulated stores end transitions with timers, so ``ovc-test-*`` hooks
shorten or fail those timers. Here a transition ends when the host says so,
so a hook changes the host instead, through what the stand-in chart and the
test environment's kwok stages honour: a control plane whose pods take a
while to become Ready or to go (holding PROVISIONING, SCALING, RESUMING,
SUSPENDING, DELETING), a chart that fails to install (FAILED with the
hook's message, as Helm reports it), and snapshot requests and snapshot or
restore pods that fail with the hook's message or take the hook's delay.
The hook travels from the API call to the reconciler as an annotation on
the VCluster (or Snapshot) resource, bound to the generation the call
wrote, so it applies to that call's transition only.
Never honoured unless the server runs with --enable-test-hooks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openvcluster_server.kube.api import Obj
from openvcluster_server.kube.conventions import ANNOTATION_TEST_HOOKS
from openvcluster_server.testhooks import HookPlan

READY_DELAY = "standin.openvcluster.io/ready-delay"
DELETE_DELAY = "standin.openvcluster.io/delete-delay"
SNAPSHOT_BEHAVIOUR = "standin.openvcluster.io/snapshot"
POD_BEHAVIOUR = "standin.openvcluster.io/pod"
MESSAGE = "standin.openvcluster.io/message"
DELAY = "standin.openvcluster.io/delay"


@dataclass(frozen=True)
class TransitionHooks:
    """What the test hooks ask of the current transition."""

    fail: str | None = None
    delay_ms: int | None = None


NONE = TransitionHooks()


def annotation(plan: HookPlan, generation: int, *, deletion: bool = False) -> dict[str, str]:
    """The annotation that carries a call's transition hooks (none when it has none).

    A deletion's hooks are marked as such: a deletion follows only its own,
    not those of the transition it interrupts.
    """
    if plan.fail_transition is None and plan.transition_delay is None:
        return {}
    hooks: dict[str, Any] = {"generation": generation}
    if deletion:
        hooks["deletion"] = True
    if plan.fail_transition is not None:
        hooks["fail"] = plan.fail_transition
    if plan.transition_delay is not None:
        hooks["delayMs"] = int(plan.transition_delay * 1000)
    return {ANNOTATION_TEST_HOOKS: json.dumps(hooks)}


def of(resource: Obj, enabled: bool) -> TransitionHooks:
    """The hooks of the resource's current transition (a deletion's, once deleting)."""
    raw = (resource["metadata"].get("annotations") or {}).get(ANNOTATION_TEST_HOOKS)
    if not enabled or not raw:
        return NONE
    try:
        hooks = json.loads(raw)
    except ValueError:
        return NONE
    if resource["metadata"].get("deletionTimestamp"):
        current = hooks.get("deletion") is True
    else:
        current = hooks.get("generation") == resource["metadata"].get("generation")
    if not current:
        return NONE
    delay = hooks.get("delayMs")
    return TransitionHooks(
        fail=hooks.get("fail"), delay_ms=int(delay) if delay is not None else None
    )


def held(pods: list[Obj]) -> list[Obj]:
    """The pods a hook slowed down (they would hold a later transition too)."""
    return [
        pod
        for pod in pods
        if {READY_DELAY, DELETE_DELAY} & set(pod["metadata"].get("annotations") or {})
    ]


def duration(milliseconds: int) -> str:
    """A delay as the stand-ins' annotations take it (a Go duration)."""
    return f"{milliseconds}ms"


def chart_values(hooks: TransitionHooks) -> dict[str, Any]:
    """Stand-in chart values for the hooks, resetting those an earlier call set."""
    # Empty, not None: helm's --reuse-values keeps a key set to null, and the
    # stand-in chart renders no annotation for an empty value.
    annotations = {READY_DELAY: duration(hooks.delay_ms) if hooks.delay_ms is not None else ""}
    return {
        "standin": {"fail": hooks.fail or ""},
        "controlPlane": {"statefulSet": {"pods": {"annotations": annotations}}},
    }


def helper_annotations(hooks: TransitionHooks, *, pod: bool) -> dict[str, str]:
    """Stand-in annotations that make a snapshot request (or a snapshot or restore
    pod) fail with the hook's message, or finish only after the hook's delay."""
    annotations: dict[str, str] = {}
    if hooks.fail is not None:
        annotations[POD_BEHAVIOUR if pod else SNAPSHOT_BEHAVIOUR] = "fail"
        annotations[MESSAGE] = hooks.fail
    if hooks.delay_ms:
        annotations[DELAY] = duration(hooks.delay_ms)
    return annotations
