"""Listing beyond the cases of conformance/cases/pagination.yaml: the page size
clamp at scale, forged and respelt tokens, deletes between pages, equivalent
selectors, sparse filters and the message size limit."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.snapshot_pb2 import Snapshot
from openvcluster.v1.vcluster_pb2 import Resources, VClusterSpec
from openvcluster_server.app import ReferenceServer
from openvcluster_server.errors import ApiError
from openvcluster_server.paging import SCAN_ALLOWANCE, PageTokens, page_byte_budget
from openvcluster_server.resources import new_vcluster, set_phase
from openvcluster_server.testing import running_server
from support import Api, Phase, connect, failure


def _seed(
    client: Api,
    count: int,
    namespaces: tuple[str, ...] = ("ns-a",),
    labels: dict[str, str] | None = None,
) -> None:
    """Stores vclusters straight into the store: fast, and lets tests hold thousands."""

    def put(server: ReferenceServer) -> None:
        for namespace in namespaces:
            for index in range(count):
                vcluster = new_vcluster(namespace, f"vc-{index:05d}", _spec(), dict(labels or {}))
                set_phase(vcluster, Phase.PHASE_RUNNING)
                server.store.put_vcluster(vcluster)

    client.server.call(put)


def _spec() -> VClusterSpec:
    return VClusterSpec(resources=Resources(cpu="1", memory="2Gi"), replicas=1)


def _all_names(client: Api, **fields: Any) -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    token = ""
    for _ in range(10_000):
        page = client.vclusters.ListVClusters(api.ListVClustersRequest(page_token=token, **fields))
        names += [(vc.namespace, vc.name) for vc in page.vclusters]
        token = page.next_page_token
        if not token:
            return names
    raise AssertionError("paging never ended")


def test_page_size_zero_means_fifty_and_large_is_clamped_to_a_thousand(client: Api) -> None:
    _seed(client, 1200)
    assert len(client.vclusters.ListVClusters(api.ListVClustersRequest()).vclusters) == 50
    big = client.vclusters.ListVClusters(api.ListVClustersRequest(page_size=5000))
    assert len(big.vclusters) == 1000
    assert big.next_page_token


def test_changes_between_pages_do_not_shift_the_others(client: Api) -> None:
    _seed(client, 6)
    first = client.vclusters.ListVClusters(api.ListVClustersRequest(page_size=3))
    client.vclusters.DeleteVCluster(api.DeleteVClusterRequest(namespace="ns-a", name="vc-00000"))
    client.create("ns-a", "aaa")
    second = client.vclusters.ListVClusters(
        api.ListVClustersRequest(page_size=3, page_token=first.next_page_token)
    )
    assert [vc.name for vc in second.vclusters] == ["vc-00003", "vc-00004", "vc-00005"]


def test_forged_token_is_invalid(client: Api) -> None:
    _seed(client, 3)
    token = client.vclusters.ListVClusters(api.ListVClustersRequest(page_size=1)).next_page_token
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 1
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    padded = token + "=" * (-len(token) % 4 or 4)
    # The same bytes in other spellings: padded, with spaces or a NUL inside.
    other_spellings = (padded, f" {token}", f"{token[:4]}\x00{token[4:]}")
    for bad in (forged, "garbage", "@@@", token[:-2], *other_spellings):
        result = failure(
            client.vclusters.ListVClusters, api.ListVClustersRequest(page_size=1, page_token=bad)
        )
        assert list(result.violations) == ["page_token"], bad


def test_a_token_in_the_standard_base64_alphabet_is_not_the_token() -> None:
    tokens = PageTokens(b"k" * 32)
    # A position whose token holds a character the two alphabets spell differently.
    token = next(
        t for t in (tokens.issue("scope", ("ns", f"vc-{i}")) for i in range(1000)) if "-" in t
    )
    assert tokens.parse("scope", token) is not None
    with pytest.raises(ApiError):
        tokens.parse("scope", token.replace("-", "+").replace("_", "/"))


@pytest.mark.parametrize(
    "other",
    [{"namespace": "ns-b"}, {"label_selector": "a=b"}, {"phase": Phase.PHASE_SUSPENDED}],
)
def test_token_is_bound_to_its_filters(client: Api, other: dict[str, Any]) -> None:
    _seed(client, 3)
    token = client.vclusters.ListVClusters(api.ListVClustersRequest(page_size=1)).next_page_token
    result = failure(
        client.vclusters.ListVClusters,
        api.ListVClustersRequest(page_size=1, page_token=token, **other),
    )
    assert "other filters" in result.violations["page_token"]
    # The page size is not a filter: it may change between pages.
    client.vclusters.ListVClusters(api.ListVClustersRequest(page_size=2, page_token=token))


def test_equivalent_selectors_share_tokens(client: Api) -> None:
    _seed(client, 3, labels={"a": "1", "b": "2"})
    token = client.vclusters.ListVClusters(
        api.ListVClustersRequest(page_size=1, label_selector="a=1,b==2")
    ).next_page_token
    page = client.vclusters.ListVClusters(
        api.ListVClustersRequest(page_size=1, label_selector=" b = 2 , a = 1", page_token=token)
    )
    assert [vc.name for vc in page.vclusters] == ["vc-00001"]


def test_a_sparse_filter_gives_short_pages_not_long_scans(client: Api) -> None:
    _seed(client, SCAN_ALLOWANCE * 2)
    client.running("ns-z", "needle", labels={"find": "me"})
    first = client.vclusters.ListVClusters(api.ListVClustersRequest(label_selector="find=me"))
    assert list(first.vclusters) == [] and first.next_page_token
    assert [name for _, name in _all_names(client, label_selector="find=me")] == ["needle"]


def test_pages_stay_below_the_message_limit_a_client_accepts() -> None:
    # 64 long labels make each vcluster about 20 KiB: a full page of them
    # would far exceed this server's 64 KiB limit (and, with 1,000 of them,
    # the 4 MiB a default client accepts).
    labels = {f"example.com/label-{i:02d}-" + "k" * 40: "v" * 63 for i in range(64)}
    with running_server(max_message_bytes=64 * 1024) as server:
        stubs = connect(server)
        _seed(stubs, 12, labels=labels)
        names: list[str] = []
        token = ""
        for _ in range(100):
            page = stubs.vclusters.ListVClusters(
                api.ListVClustersRequest(page_size=1000, page_token=token)
            )
            assert page.ByteSize() <= page_byte_budget(64 * 1024) + 1024
            assert 1 <= len(page.vclusters) < 12
            names += [vc.name for vc in page.vclusters]
            token = page.next_page_token
            if not token:
                break
        stubs.channel.close()
    assert names == [f"vc-{index:05d}" for index in range(12)]


def test_snapshots_page_and_filter_by_vcluster(client: Api) -> None:
    client.running("team-a", "one")
    client.running("team-a", "two")
    for index in range(5):
        for source in ("one", "two"):
            client.vclusters.SnapshotVCluster(
                api.SnapshotVClusterRequest(
                    namespace="team-a", name=source, snapshot_name=f"{source}-{index}"
                )
            )
    seen: list[str] = []
    token = ""
    while True:
        page = client.snapshots.ListSnapshots(
            snap_api.ListSnapshotsRequest(
                namespace="team-a", vcluster="two", page_size=2, page_token=token
            )
        )
        seen += [s.name for s in page.snapshots]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"two-{i}" for i in range(5)]
    other = failure(
        client.snapshots.ListSnapshots,
        snap_api.ListSnapshotsRequest(
            namespace="team-a",
            vcluster="one",
            page_size=2,
            page_token=client.snapshots.ListSnapshots(
                snap_api.ListSnapshotsRequest(namespace="team-a", vcluster="two", page_size=2)
            ).next_page_token,
        ),
    )
    assert list(other.violations) == ["page_token"]
    generated = client.vclusters.SnapshotVCluster(
        api.SnapshotVClusterRequest(namespace="team-a", name="one")
    ).snapshot
    assert generated.name.startswith("one-") and len(generated.name) == len("one-") + 5
    assert client.wait_snapshot("team-a", generated.name, Snapshot.Phase.PHASE_READY)
