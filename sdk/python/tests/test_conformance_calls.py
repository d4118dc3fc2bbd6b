"""The Python conformance client's mapping of steps to SDK calls, checked by the
request the SDK then sends: the same as the step's, whatever it names."""

from __future__ import annotations

from typing import Any

import pytest
from conformance_client.calls import request_of, sdk_call
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from conformance.protocol import Step
from openvcluster.v1 import vcluster_pb2 as vc
from openvcluster.v1 import vcluster_service_pb2 as vs
from tests.request_building import create_request, update_request

SCHEDULE = vc.SleepSchedule(suspend_cron="0 19 * * 1-5", time_zone="Europe/Berlin")
EXPIRE = Timestamp(seconds=1_900_000_000)
# The arguments of the SDK methods that the request builders do not take.
_CALL_ONLY = ("on_operation", "timeout", "retry", "metadata", "wait", "wait_timeout")


def _sent_update(request: vs.UpdateVClusterRequest) -> tuple[dict[str, Any], Any]:
    """The keyword arguments of the step's update_vcluster call, and the request
    the SDK builds from them."""
    step = Step(update_vcluster=request)
    call = sdk_call(step, request_of(step, {}))
    assert call.method == "update_vcluster" and call.mutation
    given = {k: v for k, v in call.kwargs.items() if k not in _CALL_ONLY}
    return call.kwargs, update_request(*call.args, **given)


def _update(paths: list[str], spec: vc.VClusterSpec | None = None) -> vs.UpdateVClusterRequest:
    return vs.UpdateVClusterRequest(
        vcluster=vc.VCluster(namespace="team-a", name="dev", spec=spec),
        update_mask=FieldMask(paths=paths),
        request_id="7d8f4a9e-4b55-4b0c-9d1a-0d4e4c8d2e11",
    )


@pytest.mark.parametrize(
    ("paths", "spec"),
    [
        (["spec.sleep_schedule"], vc.VClusterSpec(sleep_schedule=SCHEDULE)),
        (["spec.expire_time"], vc.VClusterSpec(expire_time=EXPIRE)),
        (["spec.delete_snapshots_on_expiry"], vc.VClusterSpec(delete_snapshots_on_expiry=True)),
        (["spec.delete_snapshots_on_expiry"], vc.VClusterSpec()),
        (
            ["spec.sleep_schedule", "spec.expire_time", "spec.delete_snapshots_on_expiry"],
            vc.VClusterSpec(
                sleep_schedule=SCHEDULE, expire_time=EXPIRE, delete_snapshots_on_expiry=True
            ),
        ),
    ],
)
def test_each_new_path_becomes_its_argument(paths: list[str], spec: vc.VClusterSpec) -> None:
    request = _update(paths, spec)
    kwargs, sent = _sent_update(request)
    assert "update_mask" not in kwargs  # derived by the SDK from the arguments
    assert sent.vcluster == request.vcluster and sent.update_mask == request.update_mask


def test_an_empty_schedule_is_passed_as_one() -> None:
    request = _update(["spec.sleep_schedule"], vc.VClusterSpec(sleep_schedule=vc.SleepSchedule()))
    kwargs, sent = _sent_update(request)
    assert kwargs["sleep_schedule"] == vc.SleepSchedule() and "update_mask" not in kwargs
    assert sent.vcluster.spec.HasField("sleep_schedule")
    assert sent.vcluster == request.vcluster and sent.update_mask == request.update_mask


@pytest.mark.parametrize(
    "paths",
    [
        ["spec.sleep_schedule"],
        ["spec.expire_time"],
        ["labels", "spec.expire_time"],
        ["spec.sleep_schedule", "spec.expire_time", "spec.delete_snapshots_on_expiry"],
    ],
)
def test_an_unset_message_is_no_argument_and_the_mask_is_passed(paths: list[str]) -> None:
    request = _update(paths, vc.VClusterSpec(delete_snapshots_on_expiry=True))
    kwargs, sent = _sent_update(request)
    assert "sleep_schedule" not in kwargs and "expire_time" not in kwargs
    assert kwargs["update_mask"] == paths
    assert (sent.update_mask, sent.request_id) == (request.update_mask, request.request_id)
    # Sent unset under its path: the server clears it.
    assert not sent.vcluster.spec.HasField("sleep_schedule")
    assert not sent.vcluster.spec.HasField("expire_time")
    named = "spec.delete_snapshots_on_expiry" in paths
    assert sent.vcluster.spec.delete_snapshots_on_expiry is named


def test_a_create_passes_the_schedule_and_expiry_in_its_spec() -> None:
    spec = vc.VClusterSpec(
        kubernetes_version="1.32",
        sleep_schedule=SCHEDULE,
        expire_time=EXPIRE,
        delete_snapshots_on_expiry=True,
    )
    request = vs.CreateVClusterRequest(namespace="team-a", name="dev", spec=spec)
    step = Step(create_vcluster=request)
    call = sdk_call(step, request_of(step, {}))
    sent = create_request(
        *call.args, **{k: v for k, v in call.kwargs.items() if k not in _CALL_ONLY}
    )
    assert sent.spec == spec
