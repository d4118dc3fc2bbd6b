"""The typed errors and their rich details, from the server and from crafted trailers."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

import openvcluster
from openvcluster import errors
from openvcluster_server.config import Quota
from openvcluster_server.testing import RunningServer, running_server


def test_invalid_argument_names_every_bad_field(client: openvcluster.Client, ns: str) -> None:
    # The server's answer: the SDK's own check would stop at the field rules.
    unchecked = client.with_options(validate_requests=False)
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        unchecked.create_vcluster(ns, "Not_A_Label", memory="plenty", kubernetes_version="0.1")
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in error.field_violations]
    assert {"name", "spec.resources.memory", "spec.kubernetes_version"} <= set(fields)
    assert all(v.description for v in error.field_violations)
    assert isinstance(error.details[0], error_details_pb2.BadRequest)
    text = str(error)
    assert text.startswith("INVALID_ARGUMENT: ") and "spec.resources.memory:" in text
    assert error.request_id is not None and error.request_id in text


def test_invalid_listing_arguments(client: openvcluster.Client, ns: str) -> None:
    with pytest.raises(openvcluster.InvalidArgumentError) as caught:
        list(client.list_vclusters(ns, page_size=-1))
    assert [v.field for v in caught.value.field_violations] == ["page_size"]
    assert caught.value.request_id is None  # reads carry no idempotency key
    with pytest.raises(openvcluster.InvalidArgumentError):
        list(client.list_vclusters(ns, page_token="not-a-token"))
    with pytest.raises(openvcluster.InvalidArgumentError):
        list(client.list_vclusters(ns, label_selector="in in in ("))


def test_not_found_and_already_exists(client: openvcluster.Client, ns: str) -> None:
    with pytest.raises(openvcluster.NotFoundError) as missing:
        client.get_vcluster(ns, "ghost")
    assert missing.value.code == grpc.StatusCode.NOT_FOUND
    assert "ghost" in missing.value.message
    client.create_vcluster(ns, "dev")
    with pytest.raises(openvcluster.AlreadyExistsError):
        client.create_vcluster(ns, "dev")
    client.wait_for_phase(ns, "dev", "RUNNING")
    client.snapshot_vcluster(ns, "dev", snapshot_name="snap")
    with pytest.raises(openvcluster.AlreadyExistsError):
        client.snapshot_vcluster(ns, "dev", snapshot_name="snap")
    with pytest.raises(openvcluster.NotFoundError):
        client.restore_vcluster(ns, "no-such-snapshot")


def test_failed_precondition_carries_reason_and_phase(client: openvcluster.Client, ns: str) -> None:
    with pytest.raises(openvcluster.VClusterFailedError):
        client.create_vcluster(
            ns, "dev", metadata={"ovc-test-fail-transition": "no capacity"}, wait=True
        )
    with pytest.raises(openvcluster.FailedPreconditionError) as caught:
        client.scale_vcluster(ns, "dev", cpu="2")
    error = caught.value
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "INVALID_PHASE"
    assert error.error_info is not None and error.error_info.domain == "openvcluster.io"
    assert error.metadata["phase"] == error.phase == "FAILED"
    assert error.allowed_phases == ["RUNNING", "SUSPENDED"]
    # FAILED only allows deletion.
    client.delete_vcluster(ns, "dev", wait=True)


def test_stale_etag_is_aborted(client: openvcluster.Client, ns: str) -> None:
    provisioning = client.create_vcluster(ns, "dev")
    client.wait_for_phase(ns, "dev", "RUNNING")
    with pytest.raises(openvcluster.AbortedError):
        client.suspend_vcluster(ns, "dev", etag=provisioning.etag)
    current = client.get_vcluster(ns, "dev")
    suspended = client.suspend_vcluster(ns, "dev", etag=current.etag, wait=True)
    assert suspended.status.phase == openvcluster.Phase.PHASE_SUSPENDED


def test_quota_exceeded_carries_violations() -> None:
    with (
        running_server(quotas={"limited": Quota(max_vclusters=1)}) as server,
        openvcluster.Client(server.address) as client,
    ):
        client.create_vcluster("limited", "one")
        with pytest.raises(openvcluster.ResourceExhaustedError) as caught:
            client.create_vcluster("limited", "two")
    violations = caught.value.quota_violations
    assert len(violations) == 1
    assert violations[0].subject and violations[0].description


def test_every_status_error_is_an_openvcluster_error() -> None:
    for cls in (
        openvcluster.InvalidArgumentError,
        openvcluster.NotFoundError,
        openvcluster.AlreadyExistsError,
        openvcluster.FailedPreconditionError,
        openvcluster.AbortedError,
        openvcluster.ResourceExhaustedError,
        openvcluster.PermissionDeniedError,
        openvcluster.UnauthenticatedError,
        openvcluster.UnavailableError,
        openvcluster.DeadlineExceededError,
        openvcluster.CancelledError,
        openvcluster.UnexpectedStatusError,
        openvcluster.WaitTimeoutError,
        openvcluster.VClusterFailedError,
        openvcluster.SnapshotFailedError,
    ):
        assert issubclass(cls, openvcluster.OpenVClusterError)
    assert issubclass(openvcluster.WaitTimeoutError, TimeoutError)
    assert openvcluster.errors is errors


def _trailers(status: status_pb2.Status) -> list[tuple[str, str | bytes]]:
    return [("grpc-status-details-bin", status.SerializeToString()), ("other", "x")]


def _packed(detail: error_details_pb2.ErrorInfo | duration_pb2.Duration) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return packed


def test_decoding_of_crafted_trailers() -> None:
    info = error_details_pb2.ErrorInfo(
        reason="INVALID_PHASE", domain="openvcluster.io", metadata={"phase": "SUSPENDED"}
    )
    unknown = duration_pb2.Duration(seconds=3)
    status = status_pb2.Status(
        code=grpc.StatusCode.FAILED_PRECONDITION.value[0],
        message="rich message",
        details=[_packed(info), _packed(unknown)],
    )
    error = errors.error_for_status(
        grpc.StatusCode.FAILED_PRECONDITION, "plain message", _trailers(status), request_id="r-1"
    )
    assert isinstance(error, openvcluster.FailedPreconditionError)
    assert error.message == "rich message"
    assert error.reason == "INVALID_PHASE" and error.phase == "SUSPENDED"
    assert error.allowed_phases == []
    assert error.error_info is not None and error.error_info.domain == "openvcluster.io"
    assert isinstance(error.details[1], any_pb2.Any)  # unknown details stay packed
    assert error.request_id == "r-1"
    assert repr(error) == "FailedPreconditionError('rich message', request_id='r-1')"


def test_decoding_ignores_details_of_another_code_and_falls_back() -> None:
    status = status_pb2.Status(code=grpc.StatusCode.NOT_FOUND.value[0], message="other")
    error = errors.error_for_status(grpc.StatusCode.INTERNAL, "boom", _trailers(status))
    assert type(error) is openvcluster.UnexpectedStatusError
    assert (error.code, error.message, error.details) == (grpc.StatusCode.INTERNAL, "boom", ())
    garbage = errors.error_for_status(
        grpc.StatusCode.UNAVAILABLE, "down", [("grpc-status-details-bin", b"\xff\xff")]
    )
    assert isinstance(garbage, openvcluster.UnavailableError) and garbage.details == ()
    assert errors.error_for_status(grpc.StatusCode.NOT_FOUND, "", None).metadata == {}


def test_scale_with_nothing_to_change_and_kubeconfig_of_a_failed_vcluster(
    client: openvcluster.Client, ns: str
) -> None:
    client.create_vcluster(ns, "dev", wait=True)
    with pytest.raises(openvcluster.InvalidArgumentError):
        client.scale_vcluster(ns, "dev")
    client.create_vcluster(ns, "broken", metadata={"ovc-test-fail-transition": "x"})
    client.wait_for_phase(ns, "broken", "FAILED")
    with pytest.raises(openvcluster.FailedPreconditionError) as caught:
        client.get_kubeconfig(ns, "broken")
    assert caught.value.phase == "FAILED"


def test_cancelled_status_is_cancelled_error() -> None:
    plain = errors.error_for_status(grpc.StatusCode.CANCELLED, "gone", None, request_id="r-2")
    assert type(plain) is openvcluster.CancelledError
    assert isinstance(plain, openvcluster.OpenVClusterError)
    assert (plain.code, plain.message, plain.details) == (grpc.StatusCode.CANCELLED, "gone", ())
    assert str(plain) == "CANCELLED: gone (request_id r-2)"
    assert openvcluster.CancelledError("x").code == grpc.StatusCode.CANCELLED
    # Not asyncio's: catching one never catches the other.
    assert not issubclass(openvcluster.CancelledError, asyncio.CancelledError)
    assert errors.CancelledError is openvcluster.CancelledError

    info = error_details_pb2.ErrorInfo(reason="SHUTTING_DOWN", domain="openvcluster.io")
    status = status_pb2.Status(
        code=grpc.StatusCode.CANCELLED.value[0], message="rich", details=[_packed(info)]
    )
    rich = errors.error_for_status(grpc.StatusCode.CANCELLED, "plain", _trailers(status))
    assert type(rich) is openvcluster.CancelledError
    assert rich.code == grpc.StatusCode.CANCELLED
    assert (rich.message, rich.reason) == ("rich", "SHUTTING_DOWN")


def test_a_stream_of_a_closed_client_ends_with_cancelled_error(
    server: RunningServer, ns: str
) -> None:
    client = openvcluster.Client(server.address)
    watch = client.watch_vclusters(ns)
    synced = next(watch)
    assert not synced.HasField("vcluster")
    client.close()
    with pytest.raises(openvcluster.CancelledError) as caught:
        next(watch)
    assert caught.value.code == grpc.StatusCode.CANCELLED
