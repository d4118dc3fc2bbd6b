"""Retries, idempotency keys and deadlines, proven with the server's test hooks."""

from __future__ import annotations

import logging
import re

import grpc
import pytest

import openvcluster
from openvcluster import Phase
from openvcluster._retry import RetryState
from openvcluster_server.testing import RunningServer

FAST = openvcluster.RetryPolicy(initial_backoff=0.001, max_backoff=0.01)
HOLD = "ovc-test-transition-delay-ms"


def _attempts(caplog: pytest.LogCaptureFixture, method: str) -> list[tuple[int, str, str]]:
    """(attempt, request_id, code) of each logged attempt of ``method``."""
    found = []
    for record in caplog.records:
        if record.name != "openvcluster":
            continue
        match = re.match(
            rf"{method} attempt (\d+) request_id=(\S+) code=(\w+)", record.getMessage()
        )
        if match:
            found.append((int(match[1]), match[2], match[3]))
    return found


def test_unavailable_twice_then_success(
    client: openvcluster.Client, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    hook = {"ovc-test-unavailable": f"{hook_key}:2"}
    vc = client.create_vcluster(ns, "dev", metadata=hook, retry=FAST)
    assert vc.name == "dev"
    attempts = _attempts(caplog, "CreateVCluster")
    assert [(a, code) for a, _, code in attempts] == [
        (1, "UNAVAILABLE"),
        (2, "UNAVAILABLE"),
        (3, "OK"),
    ]
    request_ids = {rid for _, rid, _ in attempts}
    assert len(request_ids) == 1 and vc.name == "dev"
    assert [v.name for v in client.list_vclusters(ns)] == ["dev"]


def test_lost_responses_apply_the_mutation_once(
    client: openvcluster.Client, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    hook = {"ovc-test-unavailable-after": f"{hook_key}:2"}
    # Each of the first two attempts creates the vcluster and loses the answer;
    # the third, with the same request_id, gets the first result back.
    vc = client.create_vcluster(ns, "dev", metadata=hook, retry=FAST)
    assert vc.uid == client.get_vcluster(ns, "dev").uid
    attempts = _attempts(caplog, "CreateVCluster")
    assert [code for _, _, code in attempts] == ["UNAVAILABLE", "UNAVAILABLE", "OK"]
    assert len({rid for _, rid, _ in attempts}) == 1
    assert [v.name for v in client.list_vclusters(ns)] == ["dev"]

    # Same for a snapshot: one snapshot, not three.
    client.wait_for_phase(ns, "dev", "RUNNING")
    hook = {"ovc-test-unavailable-after": f"{hook_key}-snap:2"}
    snap = client.snapshot_vcluster(ns, "dev", metadata=hook, retry=FAST)
    assert [s.name for s in client.list_snapshots(ns)] == [snap.name]


def test_a_retried_upgrade_is_applied_once(
    client: openvcluster.Client, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    client.create_vcluster(ns, "dev", kubernetes_version="1.31", wait=True)
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    # The upgrade is held in UPGRADING; the first two attempts apply it and
    # lose the answer. A new request_id would be refused (INVALID_PHASE); the
    # same one gets the first answer back.
    hook = {"ovc-test-unavailable-after": f"{hook_key}:2", HOLD: "60000"}
    vc = client.upgrade_vcluster(ns, "dev", "1.32", metadata=hook, retry=FAST)
    assert (vc.status.phase, vc.spec.kubernetes_version) == (Phase.PHASE_UPGRADING, "1.32")
    attempts = _attempts(caplog, "UpdateVCluster")
    assert [code for _, _, code in attempts] == ["UNAVAILABLE", "UNAVAILABLE", "OK"]
    assert len({rid for _, rid, _ in attempts}) == 1
    with pytest.raises(openvcluster.FailedPreconditionError) as caught:
        client.update_vcluster(ns, "dev", labels={"app": "web"})
    assert (caught.value.reason, caught.value.metadata["phase"]) == ("INVALID_PHASE", "UPGRADING")


def test_without_the_same_request_id_a_lost_response_would_show(
    client: openvcluster.Client, ns: str, hook_key: str
) -> None:
    hook = {"ovc-test-unavailable-after": f"{hook_key}:1"}
    with pytest.raises(openvcluster.UnavailableError):
        client.create_vcluster(ns, "dev", metadata=hook, retry=None)
    # A naive resend (a new request_id) finds the vcluster created.
    with pytest.raises(openvcluster.AlreadyExistsError):
        client.create_vcluster(ns, "dev", metadata=hook, retry=None)


def test_retry_disabled_raises_unavailable(
    server: RunningServer, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    with openvcluster.Client(server.address, retry=None) as client:
        with pytest.raises(openvcluster.UnavailableError) as caught:
            client.get_vcluster(ns, "dev", metadata={"ovc-test-unavailable": f"{hook_key}:1"})
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
        assert len(_attempts(caplog, "GetVCluster")) == 1
        # The hook's count is used up: the next call goes through (to NOT_FOUND).
        with pytest.raises(openvcluster.NotFoundError):
            client.get_vcluster(ns, "dev", metadata={"ovc-test-unavailable": f"{hook_key}:1"})
        # A per-call policy turns retries back on.
        hook = {"ovc-test-unavailable": f"{hook_key}-2:1"}
        client.create_vcluster(ns, "dev", metadata=hook, retry=FAST)


def test_attempts_are_bounded(
    client: openvcluster.Client, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    policy = openvcluster.RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.002)
    with pytest.raises(openvcluster.UnavailableError):
        client.delete_vcluster(
            ns, "dev", metadata={"ovc-test-unavailable": f"{hook_key}:10"}, retry=policy
        )
    attempts = _attempts(caplog, "DeleteVCluster")
    assert [a for a, _, _ in attempts] == [1, 2, 3]
    assert len({rid for _, rid, _ in attempts}) == 1


def test_deadline_exceeded(client: openvcluster.Client, ns: str) -> None:
    slow = {"ovc-test-delay-ms": "2000"}
    with pytest.raises(openvcluster.DeadlineExceededError) as caught:
        list(client.list_vclusters(ns, timeout=0.2, metadata=slow))
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    quick = client.with_options(timeout=0.2)
    with pytest.raises(openvcluster.DeadlineExceededError):
        quick.get_vcluster(ns, "dev", metadata={"ovc-test-delay-ms": "2000"})


@pytest.mark.asyncio
async def test_async_retries_and_idempotency(
    aclient: openvcluster.AsyncClient, ns: str, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    before = {"ovc-test-unavailable": f"{hook_key}-a:2"}
    await aclient.create_vcluster(ns, "one", metadata=before, retry=FAST)
    after = {"ovc-test-unavailable-after": f"{hook_key}-b:2"}
    two = await aclient.create_vcluster(ns, "two", metadata=after, retry=FAST)
    assert two.uid == (await aclient.get_vcluster(ns, "two")).uid
    assert [v.name async for v in aclient.list_vclusters(ns)] == ["one", "two"]
    codes = [code for _, _, code in _attempts(caplog, "CreateVCluster")]
    assert codes == ["UNAVAILABLE", "UNAVAILABLE", "OK"] * 2

    with pytest.raises(openvcluster.UnavailableError):
        await aclient.get_vcluster(
            ns, "one", metadata={"ovc-test-unavailable": f"{hook_key}-c:1"}, retry=None
        )
    with pytest.raises(openvcluster.DeadlineExceededError):
        await aclient.get_vcluster(ns, "one", timeout=0.2, metadata={"ovc-test-delay-ms": "2000"})


# The policy itself, with a fake clock and fake randomness.


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_and_is_capped() -> None:
    policy = openvcluster.RetryPolicy(
        max_attempts=6, initial_backoff=0.1, max_backoff=0.5, total_timeout=None
    )
    state = RetryState(policy, rand=lambda: 1.0)
    waits = []
    while (wait := state.next_backoff(grpc.StatusCode.UNAVAILABLE)) is not None:
        waits.append(wait)
    assert waits == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
    assert state.attempt == 6


def test_full_jitter_draws_below_the_cap() -> None:
    policy = openvcluster.RetryPolicy(initial_backoff=1.0, max_backoff=8.0, total_timeout=None)
    state = RetryState(policy, rand=lambda: 0.25)
    assert state.next_backoff(grpc.StatusCode.UNAVAILABLE) == pytest.approx(0.25)
    assert state.next_backoff(grpc.StatusCode.UNAVAILABLE) == pytest.approx(0.5)


def test_only_retry_codes_are_retried() -> None:
    state = RetryState(openvcluster.RetryPolicy())
    assert state.next_backoff(grpc.StatusCode.NOT_FOUND) is None
    assert state.next_backoff(grpc.StatusCode.DEADLINE_EXCEEDED) is None
    assert RetryState(None).next_backoff(grpc.StatusCode.UNAVAILABLE) is None
    custom = openvcluster.RetryPolicy(retry_codes=frozenset({grpc.StatusCode.ABORTED}))
    assert RetryState(custom).next_backoff(grpc.StatusCode.ABORTED) is not None


def test_total_timeout_bounds_waits_and_attempt_deadlines() -> None:
    clock = FakeClock()
    policy = openvcluster.RetryPolicy(
        max_attempts=100, initial_backoff=1.0, max_backoff=1.0, total_timeout=3.0
    )
    state = RetryState(policy, clock=clock, rand=lambda: 1.0)
    assert state.attempt_timeout(30.0) == pytest.approx(3.0)
    assert state.attempt_timeout(None) == pytest.approx(3.0)
    clock.now = 1.5
    assert state.next_backoff(grpc.StatusCode.UNAVAILABLE) == pytest.approx(1.0)
    assert state.attempt_timeout(1.0) == pytest.approx(1.0)
    clock.now = 2.5  # a 1 s wait would reach beyond the 3 s budget
    assert state.next_backoff(grpc.StatusCode.UNAVAILABLE) is None
    assert RetryState(None).attempt_timeout(7.0) == 7.0


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError):
        openvcluster.RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        openvcluster.RetryPolicy(initial_backoff=-1)
    with pytest.raises(ValueError):
        openvcluster.RetryPolicy(multiplier=0.5)
    with pytest.raises(ValueError):
        openvcluster.RetryPolicy(total_timeout=0)
