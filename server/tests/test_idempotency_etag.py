"""request_id idempotency and etag conditions beyond the cases of
conformance/cases/idempotency.yaml and etag.yaml: concurrent races, request
ids in either case, what the refusals say, and how long and how many request
ids the server remembers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import Resources
from openvcluster_server.testing import running_server
from support import Api, Phase, connect, failure


def _id() -> str:
    return str(uuid.uuid4())


def test_a_retry_may_send_the_request_id_in_other_case(client: Api) -> None:
    request_id = _id()
    request = api.CreateVClusterRequest(namespace="team-a", name="dev", request_id=request_id)
    first = client.vclusters.CreateVCluster(request).vcluster
    request.request_id = request_id.upper()
    assert client.vclusters.CreateVCluster(request).vcluster == first


def test_same_request_id_with_another_request_is_invalid(client: Api) -> None:
    request_id = _id()
    client.vclusters.CreateVCluster(
        api.CreateVClusterRequest(namespace="team-a", name="dev", request_id=request_id)
    )
    result = failure(
        client.vclusters.CreateVCluster,
        api.CreateVClusterRequest(namespace="team-a", name="other", request_id=request_id),
    )
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "different request" in result.violations["request_id"]
    assert failure(client.get, "team-a", "other").code == grpc.StatusCode.NOT_FOUND


def test_request_id_is_checked_across_methods(client: Api) -> None:
    client.running()
    request_id = _id()
    client.vclusters.SuspendVCluster(
        api.SuspendVClusterRequest(namespace="team-a", name="dev", request_id=request_id)
    )
    result = failure(
        client.vclusters.ResumeVCluster,
        api.ResumeVClusterRequest(namespace="team-a", name="dev", request_id=request_id),
    )
    assert "SuspendVCluster" in result.violations["request_id"]


def test_failed_calls_are_not_remembered(client: Api) -> None:
    request = api.SuspendVClusterRequest(namespace="team-a", name="dev", request_id=_id())
    assert failure(client.vclusters.SuspendVCluster, request).code == grpc.StatusCode.NOT_FOUND
    client.running()
    assert client.vclusters.SuspendVCluster(request).vcluster.status.phase == (
        Phase.PHASE_SUSPENDING
    )


def test_request_ids_expire_after_the_window() -> None:
    with running_server(request_id_ttl=0.0) as server:
        client = connect(server)
        request_id = _id()
        client.vclusters.CreateVCluster(
            api.CreateVClusterRequest(namespace="team-a", name="a", request_id=request_id)
        )
        # Expired at once: the same id may now carry another request.
        client.vclusters.CreateVCluster(
            api.CreateVClusterRequest(namespace="team-a", name="b", request_id=request_id)
        )
        assert client.get("team-a", "b").name == "b"


def test_remembered_request_ids_are_capped_and_the_oldest_go_first() -> None:
    with running_server(request_id_limit_per_caller=5) as server:
        client = connect(server)
        ids = [_id() for _ in range(20)]
        for request_id in ids:  # no-op calls: each answer is remembered all the same
            client.vclusters.CreateVCluster(
                api.CreateVClusterRequest(
                    namespace="team-a", name="dev", validate_only=True, request_id=request_id
                )
            )
        assert server.call(lambda s: s.store.count_requests(None)) == 5
        # The newest are remembered: another request under one of them is refused ...
        reused = api.CreateVClusterRequest(namespace="team-a", name="other", request_id=ids[-1])
        assert failure(client.vclusters.CreateVCluster, reused).violations.keys() == {"request_id"}
        # ... the oldest were forgotten: it runs as a new request.
        reused.request_id = ids[0]
        assert client.vclusters.CreateVCluster(reused).vcluster.name == "other"


def test_concurrent_retries_of_one_create_make_one_vcluster(client: Api) -> None:
    request = api.CreateVClusterRequest(namespace="team-a", name="dev", request_id=_id())
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: client.vclusters.CreateVCluster(request).vcluster, range(16))
        )
    assert len({a.uid for a in answers}) == 1


def test_stale_etag_is_aborted_and_changes_nothing(client: Api) -> None:
    created = client.running()
    client.vclusters.ScaleVCluster(
        api.ScaleVClusterRequest(namespace="team-a", name="dev", replicas=3)
    )
    current = client.wait_phase("team-a", "dev", Phase.PHASE_RUNNING)
    assert current.etag != created.etag
    requests = [
        (
            client.vclusters.ScaleVCluster,
            api.ScaleVClusterRequest(namespace="team-a", name="dev", replicas=5, etag=created.etag),
        ),
        (
            client.vclusters.SuspendVCluster,
            api.SuspendVClusterRequest(namespace="team-a", name="dev", etag=created.etag),
        ),
        (
            client.vclusters.ResumeVCluster,
            api.ResumeVClusterRequest(namespace="team-a", name="dev", etag=created.etag),
        ),
        (
            client.vclusters.DeleteVCluster,
            api.DeleteVClusterRequest(namespace="team-a", name="dev", etag=created.etag),
        ),
    ]
    for call, request in requests:
        result = failure(call, request)
        assert result.code == grpc.StatusCode.ABORTED, request
        assert result.info.reason == "ETAG_MISMATCH"
    assert client.get() == current
    client.vclusters.SuspendVCluster(
        api.SuspendVClusterRequest(namespace="team-a", name="dev", etag=current.etag)
    )


def test_etag_race_has_exactly_one_winner(client: Api) -> None:
    etag = client.running().etag

    def scale(replicas: int) -> grpc.StatusCode:
        try:
            client.vclusters.ScaleVCluster(
                api.ScaleVClusterRequest(
                    namespace="team-a", name="dev", replicas=replicas, etag=etag
                )
            )
        except grpc.RpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(scale, [1, 3, 5, 1, 3, 5, 1, 3]))
    assert codes.count(grpc.StatusCode.OK) == 1
    assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.ABORTED}


def test_concurrent_scales_lose_no_update(client: Api) -> None:
    client.running()
    client.force_phase("team-a", "dev", Phase.PHASE_SUSPENDED)  # scales apply at once there
    fields = [Resources(cpu="3"), Resources(memory="5Gi"), Resources(storage="7Gi")]

    def scale(resources: Resources) -> None:
        client.vclusters.ScaleVCluster(
            api.ScaleVClusterRequest(namespace="team-a", name="dev", resources=resources)
        )

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(scale, fields))
    spec = client.get().spec.resources
    assert (spec.cpu, spec.memory, spec.storage) == ("3", "5Gi", "7Gi")
