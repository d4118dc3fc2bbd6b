"""The RBAC proof's judgement, on audit events made up for it."""

from __future__ import annotations

from pathlib import Path

from conformance import rbac_proof
from k8s_testenv.audit import AuditEvent
from openvcluster_server.kube import rbac

SYSTEM = "openvcluster-system"
USER = "system:serviceaccount:openvcluster-system:openvcluster-server"
SERVER_AGENT = "openvcluster-server/0.2.0"
HELM_AGENT = "Helm/4.3.2"

CLUSTER_RULES = (
    rbac.Rule("", ("configmaps",), ("create", "list"), rbac.SERVER, "records and requests"),
    rbac.Rule("", ("pods",), ("get",), rbac.SERVER, "a repeated step", proof=rbac.RACE),
    rbac.Rule("apps", ("statefulsets",), ("get", "create", "patch"), rbac.HELM, "the chart"),
)
SYSTEM_RULES = (
    rbac.Rule("coordination.k8s.io", ("leases",), ("get",), rbac.SERVER, "lease", names=("x",)),
)


def event(
    verb: str,
    resource: str,
    *,
    group: str = "",
    namespace: str = "vc-host",
    name: str = "",
    code: int = 200,
    agent: str = SERVER_AGENT,
) -> AuditEvent:
    return AuditEvent(
        USER, agent, verb, group, resource, "", namespace, name, code, "ResponseComplete", "/"
    )


def judge(events: list[AuditEvent], complete: bool = True) -> tuple[list[str], list[str]]:
    usage = rbac_proof.Usage(SYSTEM, CLUSTER_RULES, SYSTEM_RULES)
    usage.add(events)
    return rbac_proof.verdict(usage, USER, complete)


def everything_used() -> list[AuditEvent]:
    return [
        event("create", "configmaps"),
        event("list", "configmaps", namespace=""),
        event("get", "statefulsets", group="apps", agent=HELM_AGENT),
        # An apply that makes the object: patch and, unlogged, create.
        event("patch", "statefulsets", group="apps", code=201, agent=HELM_AGENT),
        event("get", "leases", group="coordination.k8s.io", namespace=SYSTEM, name="x"),
    ]


def test_a_run_that_uses_every_rule_and_nothing_else_passes() -> None:
    problems, notes = judge(everything_used())
    assert problems == []
    # The race path went unused, which is only reported.
    assert any("race paths" in n and "get pods" in n for n in notes)


def test_a_refused_request_fails_the_run() -> None:
    problems, _ = judge([*everything_used(), event("delete", "namespaces", code=403)])
    assert any("refused delete namespaces" in p for p in problems)


def test_a_request_no_rule_of_its_maker_grants_fails_the_run() -> None:
    # Helm's rule grants it, but the server made the request.
    stray = event("get", "statefulsets", group="apps")
    problems, _ = judge([*everything_used(), stray])
    assert problems == [
        "RBAC: no rule of server in kube/rbac.py grants get apps/statefulsets (in vc-host)"
    ]


def test_an_apply_that_creates_needs_create_as_well() -> None:
    usage = rbac_proof.Usage(SYSTEM, CLUSTER_RULES[:1], ())
    usage.add([event("patch", "configmaps", code=201)])
    problems, _ = rbac_proof.verdict(usage, USER, complete=False)
    assert (
        "RBAC: no rule of server in kube/rbac.py grants patch configmaps (in vc-host)" in problems
    )
    assert not any("grants create configmaps" in p for p in problems)  # the rule has create


def test_an_unused_grant_fails_a_full_run_only() -> None:
    used = [e for e in everything_used() if e.verb != "list"]
    problems, _ = judge(used)
    assert problems == [
        "RBAC: the role grants server list configmaps, which no request of the run used"
    ]
    problems, notes = judge(used, complete=False)
    assert problems == []
    assert any("not used by the cases selected" in n for n in notes)


def test_the_role_applies_only_in_the_system_namespace() -> None:
    elsewhere = event("get", "leases", group="coordination.k8s.io", namespace="other", name="x")
    problems, _ = judge([*everything_used(), elsewhere])
    assert problems == [
        "RBAC: no rule of server in kube/rbac.py grants get coordination.k8s.io/leases (in other)"
    ]


def test_a_cluster_rule_used_only_in_the_system_namespace_belongs_in_the_role() -> None:
    used = [
        event("create", "configmaps", namespace=SYSTEM) if e.verb == "create" else e
        for e in everything_used()
    ]
    problems, _ = judge(used)
    assert problems == [
        "RBAC: server used create configmaps only in openvcluster-system: grant it in the Role, "
        "not the ClusterRole"
    ]


def test_the_real_rules_cover_themselves() -> None:
    # Every permission of the deploy roles, requested by whom it is for, is granted.
    usage = rbac_proof.Usage(SYSTEM)
    for rule in rbac.CLUSTER_RULES + rbac.SYSTEM_RULES:
        agent = SERVER_AGENT if rule.by == rbac.SERVER else HELM_AGENT
        namespace = SYSTEM if rule in rbac.SYSTEM_RULES else "vc-host"
        for group, resource, verb in rule.permissions():
            plain, _, sub = resource.partition("/")
            usage.add(
                [
                    AuditEvent(
                        USER,
                        agent,
                        verb,
                        group,
                        plain,
                        sub,
                        namespace,
                        (rule.names or ("any",))[0],
                        200,
                        "ResponseComplete",
                        "/",
                    )
                ]
            )
    problems, _ = rbac_proof.verdict(usage, USER, complete=True)
    assert problems == []


def test_parts_of_a_suite_carry_what_they_used(tmp_path: Path) -> None:
    carried = tmp_path / "usage.json"
    events = everything_used()
    first = rbac_proof.Usage(SYSTEM, CLUSTER_RULES, SYSTEM_RULES)
    first.add(events[:2])
    rbac_proof.save(carried, first, ["a/1"])
    second = rbac_proof.Usage(SYSTEM, CLUSTER_RULES, SYSTEM_RULES)
    second.add(events[2:])
    assert rbac_proof.load(carried, second) == frozenset({"a/1"})
    # Together the two parts used every rule, as one run did.
    whole = rbac_proof.Usage(SYSTEM, CLUSTER_RULES, SYSTEM_RULES)
    whole.add(events)
    assert (second.used, second.used_elsewhere) == (whole.used, whole.used_elsewhere)
    assert (second.requests, second.counts, second.needed) == (
        whole.requests,
        whole.counts,
        whole.needed,
    )
    assert rbac_proof.verdict(second, USER, complete=True)[0] == []


def test_nothing_is_carried_from_a_missing_file_or_other_roles(tmp_path: Path) -> None:
    carried = tmp_path / "usage.json"
    usage = rbac_proof.Usage(SYSTEM, CLUSTER_RULES, SYSTEM_RULES)
    assert rbac_proof.load(carried, usage) is None
    other = rbac_proof.Usage(SYSTEM, CLUSTER_RULES[:1], SYSTEM_RULES)
    other.add(everything_used()[:1])
    rbac_proof.save(carried, other, ["a/1"])
    assert rbac_proof.load(carried, usage) is None
    assert usage.used == set() and usage.requests == 0
