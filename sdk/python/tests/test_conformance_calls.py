"""The Python conformance client's mapping of steps to SDK calls, checked by the
request the SDK then sends: the same as the step's, whatever it names."""

from __future__ import annotations

from typing import Any

import pytest
from conformance_client.calls import (
    BY_TYPE,
    UnsupportedError,
    request_of,
    sdk_call,
    unary_call,
)
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from conformance.protocol import Step, UnaryCall
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


def _call(method: str, request: Message) -> Step:
    step = Step(call=UnaryCall(method=method))
    step.call.request.Pack(request)
    return step


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
    step = _call("CreateVCluster", request)
    call = sdk_call(step, request_of(step, {}))
    assert call.method == "create_vcluster" and call.mutation
    sent = create_request(
        *call.args, **{k: v for k, v in call.kwargs.items() if k not in _CALL_ONLY}
    )
    assert sent.spec == spec


def test_a_call_passes_set_fields_and_the_required_arguments_even_if_empty() -> None:
    request = vs.ScaleVClusterRequest(namespace="team-a", enable_ha=False, etag="")
    step = _call("ScaleVCluster", request)
    call = sdk_call(step, request_of(step, {}))
    assert (call.method, call.args, call.outcome) == ("scale_vcluster", (), BY_TYPE)
    # name is required by the SDK, so passed empty; enable_ha is set, though false.
    assert call.kwargs == {"namespace": "team-a", "name": "", "enable_ha": False}


def test_a_call_to_a_method_under_another_name_finds_it() -> None:
    step = _call("GetVClusterKubeconfig", vs.GetVClusterKubeconfigRequest(name="dev"))
    assert sdk_call(step, request_of(step, {})).method == "get_kubeconfig"


def test_a_call_the_sdk_cannot_make_is_unsupported() -> None:
    with pytest.raises(UnsupportedError, match="no method"):
        unary_call("FrobnicateVCluster", vs.GetVClusterRequest(), Step().options)
