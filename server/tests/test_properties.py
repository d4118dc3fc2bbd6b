"""Property-based: arbitrary requests never get UNKNOWN or INTERNAL, and the
stored state keeps its invariants whatever was sent."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from openvcluster import field_rules
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.quantity import parse_quantity
from openvcluster_server.testing import RunningServer, running_server
from support import Api, connect

NAMES = st.one_of(
    st.sampled_from(["dev", "prod", "team-a", "a", "", "UP", "-x", "x" * 64]), st.text(max_size=70)
)
NAMESPACES = st.sampled_from(["team-a", "team-b", "", "Bad_NS"])
QUANTITIES = st.one_of(
    st.sampled_from(["", "1", "500m", "2Gi", "0", "-1", "1e3", "1.5", "lots", "4Ei"]),
    st.text(max_size=12),
)
INT32 = st.integers(-(2**31), 2**31 - 1)
SMALL = st.one_of(st.integers(-2, 7), INT32)
REQUEST_IDS = st.one_of(
    st.just(""),
    st.builds(lambda: str(uuid.uuid4())),
    st.sampled_from(["not-a-uuid", str(uuid.UUID(int=7))]),
    st.text(max_size=40),
)
LABELS: st.SearchStrategy[dict[str, str]] = st.one_of(
    st.just({}),
    st.dictionaries(
        st.one_of(st.sampled_from(["app", "tier", "x/y", "-bad"]), st.text(max_size=70)),
        st.one_of(st.sampled_from(["web", "", "a.b_c"]), st.text(max_size=70)),
        max_size=4,
    ),
)
TEXT = st.text(max_size=40)

# Plausible values half the time, so that calls also get past validation.
PLAUSIBLE_SPECS = st.fixed_dictionaries(
    {},
    optional={
        "replicas": st.sampled_from([1, 3, 5]),
        "resources": st.fixed_dictionaries(
            {}, optional={"cpu": st.sampled_from(["1", "250m"]), "memory": st.sampled_from(["1Gi"])}
        ),
        "kubernetes_version": st.sampled_from(["1.30", "1.33.1"]),
    },
)
FUZZED_SPECS = st.fixed_dictionaries(
    {},
    optional={
        "kubernetes_version": st.one_of(st.sampled_from(["", "1.31", "1.33.7", "1.28", "2"]), TEXT),
        "distro": SMALL,
        "resources": st.fixed_dictionaries(
            {}, optional={"cpu": QUANTITIES, "memory": QUANTITIES, "storage": QUANTITIES}
        ),
        "replicas": SMALL,
        "network": st.fixed_dictionaries(
            {},
            optional={
                "service_cidr": st.one_of(
                    st.sampled_from(["", "10.0.0.0/16", "fd00::/108", "10.0.0.1/8"]), TEXT
                ),
                "expose_type": SMALL,
            },
        ),
        "storage": st.fixed_dictionaries(
            {},
            optional={
                "persistence": st.booleans(),
                "size": QUANTITIES,
                "storage_class": st.one_of(st.just("fast"), TEXT),
            },
        ),
        "enable_ha": st.booleans(),
    },
)
SPECS = st.one_of(PLAUSIBLE_SPECS, FUZZED_SPECS)

KEY = {"namespace": NAMESPACES, "name": NAMES}


def _request(kind: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(fields).map(lambda values: kind(**values))


REQUESTS = st.one_of(
    _request(
        api.CreateVClusterRequest,
        **KEY,
        spec=SPECS,
        labels=LABELS,
        validate_only=st.booleans(),
        request_id=REQUEST_IDS,
    ).map(lambda r: ("CreateVCluster", r)),
    _request(api.GetVClusterRequest, **KEY).map(lambda r: ("GetVCluster", r)),
    _request(
        api.ListVClustersRequest,
        namespace=NAMESPACES,
        page_size=SMALL,
        page_token=TEXT,
        label_selector=st.one_of(st.sampled_from(["app=web", "tier in (a,b),!x"]), TEXT),
        phase=SMALL,
    ).map(lambda r: ("ListVClusters", r)),
    _request(
        api.DeleteVClusterRequest,
        **KEY,
        etag=TEXT,
        delete_snapshots=st.booleans(),
        request_id=REQUEST_IDS,
    ).map(lambda r: ("DeleteVCluster", r)),
    _request(
        api.ScaleVClusterRequest,
        **KEY,
        resources=st.fixed_dictionaries({}, optional={"cpu": QUANTITIES, "memory": QUANTITIES}),
        replicas=SMALL,
        etag=TEXT,
        request_id=REQUEST_IDS,
    ).map(lambda r: ("ScaleVCluster", r)),
    _request(
        api.SuspendVClusterRequest, **KEY, drain_workloads=st.booleans(), request_id=REQUEST_IDS
    ).map(lambda r: ("SuspendVCluster", r)),
    _request(api.ResumeVClusterRequest, **KEY, request_id=REQUEST_IDS).map(
        lambda r: ("ResumeVCluster", r)
    ),
    _request(
        api.SnapshotVClusterRequest,
        **KEY,
        snapshot_name=NAMES,
        description=TEXT,
        labels=LABELS,
        request_id=REQUEST_IDS,
    ).map(lambda r: ("SnapshotVCluster", r)),
    _request(
        api.RestoreVClusterRequest,
        namespace=NAMESPACES,
        snapshot_name=NAMES,
        target_name=NAMES,
        etag=TEXT,
        request_id=REQUEST_IDS,
    ).map(lambda r: ("RestoreVCluster", r)),
    _request(api.GetVClusterKubeconfigRequest, **KEY).map(lambda r: ("GetVClusterKubeconfig", r)),
    _request(snap_api.GetSnapshotRequest, **KEY).map(lambda r: ("GetSnapshot", r)),
    _request(
        snap_api.ListSnapshotsRequest,
        namespace=NAMESPACES,
        vcluster=NAMES,
        page_size=SMALL,
        page_token=TEXT,
    ).map(lambda r: ("ListSnapshots", r)),
    _request(snap_api.DeleteSnapshotRequest, **KEY, request_id=REQUEST_IDS).map(
        lambda r: ("DeleteSnapshot", r)
    ),
)
NEVER = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[RunningServer, Api]]:
    with running_server() as server:
        yield server, connect(server)


def _call(client: Api, method: str, request: Any) -> grpc.StatusCode:
    stub = (
        client.snapshots
        if method.endswith(("Snapshot", "Snapshots")) and method not in ("SnapshotVCluster",)
        else client.vclusters
    )
    try:
        getattr(stub, method)(request, timeout=10)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def _check_vcluster(vcluster: VCluster) -> None:
    assert field_rules.violations(vcluster) == []
    assert vcluster.uid and vcluster.etag
    assert vcluster.status.phase != VCluster.Phase.PHASE_UNSPECIFIED
    assert vcluster.status.kubeconfig == ""
    spec = vcluster.spec
    for value in (spec.resources.cpu, spec.resources.memory, spec.resources.storage):
        assert parse_quantity(value) > 0
    assert 1 <= spec.replicas <= 5
    assert not spec.enable_ha or (spec.replicas >= 3 and spec.replicas % 2 == 1)
    assert spec.distro in (1, 2, 3) and spec.network.expose_type in (1, 2, 3, 4)
    ipaddress.ip_network(spec.network.service_cidr, strict=True)
    assert ".".join(spec.kubernetes_version.split(".")[:2]) in {
        "1.29",
        "1.30",
        "1.31",
        "1.32",
        "1.33",
    }


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(calls=st.lists(REQUESTS, min_size=1, max_size=6))
def test_no_input_gets_unknown_or_internal_and_invariants_hold(
    fuzzed: tuple[RunningServer, Api], calls: list[tuple[str, Any]]
) -> None:
    _, client = fuzzed
    for method, request in calls:
        code = _call(client, method, request)
        assert code not in NEVER, (method, request)
        event(f"{method} {code.name}")  # shows in --hypothesis-show-statistics
    listed = client.vclusters.ListVClusters(api.ListVClustersRequest(page_size=1000))
    for vcluster in listed.vclusters:
        _check_vcluster(vcluster)
    snapshots = client.snapshots.ListSnapshots(snap_api.ListSnapshotsRequest(page_size=1000))
    for snapshot in snapshots.snapshots:
        key = snap_api.GetSnapshotRequest(namespace=snapshot.namespace, name=snapshot.name)
        assert field_rules.violations(key) == []
        assert snapshot.phase != 0 and snapshot.uid
