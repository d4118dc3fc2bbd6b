"""Tenancy: a matrix of callers and every RPC, List and Watch included.

* A missing or bad credential is refused with UNAUTHENTICATED for every RPC,
  whatever the request names, before anything is looked up or changed.
* A viewer's mutation (and kubeconfig) is PERMISSION_DENIED, for requests an
  editor then carries out successfully, and changes nothing.
* A token limited to some namespaces learns nothing about the others
  (non-interference): every answer it gets, to every RPC, reads, lists with
  every page, watches and refused mutations alike, is byte-for-byte the same
  whether another namespace holds the objects it names, holds different ones,
  or is empty; naming a hidden namespace answers exactly like naming one that
  does not exist; and an open watch receives nothing from hidden namespaces.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from openvcluster.v1 import monitor_service_pb2 as mon_api
from openvcluster.v1 import operation_service_pb2 as op_api
from openvcluster.v1 import server_info_service_pb2 as info_api
from openvcluster.v1 import snapshot_service_pb2 as snap_api
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster.v1.vcluster_pb2 import Resources, VCluster, VClusterSpec
from openvcluster_server.testhooks import TRANSITION_DELAY_MS
from openvcluster_server.testing import RunningServer, running_server, write_tokens_file
from reliability.rpcs import BY_NAME, MUTATIONS, RPCS, Outcome, Rpc, invoke
from reliability.store_state import StoreState, capture, restore
from support import EventType, Phase, connect

TOKENS = {
    "root": ("root-secret", "editor", ["*"]),
    "a-editor": ("a-editor-secret", "editor", ["team-a"]),
    "a-viewer": ("a-viewer-secret", "viewer", ["team-a"]),
    # team-b, hidden, sorts between the two namespaces this viewer may see.
    "ac-viewer": ("ac-viewer-secret", "viewer", ["team-a", "team-c"]),
}
# Nothing moves unless the call under test (or a seeding call with the
# transition-delay hook) moves it, so stores can be compared and restored.
FOREVER = 86_400.0
QUICK = ((TRANSITION_DELAY_MS, "0"),)
Metadata = tuple[tuple[str, str], ...]


def bearer(caller: str) -> Metadata:
    """The metadata of a caller from TOKENS."""
    return (("authorization", f"Bearer {TOKENS[caller][0]}"),)


@pytest.fixture(scope="module")
def tokens_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tokens of TOKENS, in the server's file format."""
    grants = [
        {"token": secret, "role": role, "name": name, "namespaces": namespaces}
        for name, (secret, role, namespaces) in TOKENS.items()
    ]
    return write_tokens_file(tmp_path_factory.mktemp("tenancy") / "tokens.yaml", grants)


def _seed(server: RunningServer) -> None:
    """team-a: dev RUNNING, paused SUSPENDED, snapshot snap READY; team-b: dev and a
    snapshot; team-c: web."""
    root = connect(server, (*bearer("root"), *QUICK))
    for namespace, name in (("team-a", "dev"), ("team-a", "paused"), ("team-b", "dev")):
        root.running(namespace, name, labels={"app": "web"})
    root.running("team-c", "web", labels={"app": "web"})
    root.vclusters.SuspendVCluster(api.SuspendVClusterRequest(namespace="team-a", name="paused"))
    root.wait_phase("team-a", "paused", Phase.PHASE_SUSPENDED)
    for namespace, snapshot in (("team-a", "snap"), ("team-b", "bsnap")):
        root.vclusters.SnapshotVCluster(
            api.SnapshotVClusterRequest(namespace=namespace, name="dev", snapshot_name=snapshot)
        )
        root.wait_snapshot(namespace, snapshot, 3)
    root.channel.close()


@dataclass
class Tenancy:
    """A seeded server with tokens, and its seed."""

    server: RunningServer
    channel: grpc.Channel
    seed: StoreState

    def call(self, caller: str | Metadata | None, rpc: Rpc, request: Message) -> Outcome:
        """One call as ``caller`` (a TOKENS name, raw metadata, or None for no token)."""
        metadata = bearer(caller) if isinstance(caller, str) else caller or ()
        return invoke(self.channel, rpc, request, metadata)

    def operation_id(self, namespace: str, vcluster: str = "dev") -> str:
        """The id of the newest operation on a seeded vcluster, as root lists it."""
        request = op_api.ListOperationsRequest(namespace=namespace, vcluster=vcluster)
        answer = self.call("root", BY_NAME["ListOperations"], request)
        listed = op_api.ListOperationsResponse.FromString(answer.response)
        assert listed.operations, (namespace, vcluster, answer)
        return listed.operations[0].id


@pytest.fixture(scope="module")
def tenancy(tokens_file: Path) -> Iterator[Tenancy]:
    """One seeded server for the refusal tests; each test restores the seed."""
    with running_server(tokens_file=tokens_file, transition_delay=FOREVER) as server:
        _seed(server)
        channel = grpc.insecure_channel(server.address)
        yield Tenancy(server, channel, capture(server))
        channel.close()


def valid_request(tenancy: Tenancy, rpc: Rpc) -> Message:
    """A request an editor of team-a gets OK for, on the seeded store."""
    if rpc.name == "GetOperation":
        return op_api.GetOperationRequest(id=tenancy.operation_id("team-a"))
    dev: dict[str, Any] = {"namespace": "team-a", "name": "dev"}
    requests: dict[str, Message] = {
        "CreateVCluster": api.CreateVClusterRequest(namespace="team-a", name="fresh"),
        "GetVCluster": api.GetVClusterRequest(**dev),
        "ListVClusters": api.ListVClustersRequest(namespace="team-a"),
        "UpdateVCluster": api.UpdateVClusterRequest(
            vcluster=VCluster(**dev, labels={"app": "web"}), update_mask=FieldMask(paths=["labels"])
        ),
        "DeleteVCluster": api.DeleteVClusterRequest(**dev, delete_snapshots=True),
        "ScaleVCluster": api.ScaleVClusterRequest(**dev, resources=Resources(cpu="2")),
        "SuspendVCluster": api.SuspendVClusterRequest(**dev),
        "ResumeVCluster": api.ResumeVClusterRequest(namespace="team-a", name="paused"),
        "SnapshotVCluster": api.SnapshotVClusterRequest(**dev, snapshot_name="fresh-snap"),
        "RestoreVCluster": api.RestoreVClusterRequest(
            namespace="team-a", snapshot_name="snap", target_name="copy"
        ),
        "WatchVClusters": api.WatchVClustersRequest(namespace="team-a"),
        "GetVClusterKubeconfig": api.GetVClusterKubeconfigRequest(**dev),
        "GetSnapshot": snap_api.GetSnapshotRequest(namespace="team-a", name="snap"),
        "ListSnapshots": snap_api.ListSnapshotsRequest(namespace="team-a"),
        "DeleteSnapshot": snap_api.DeleteSnapshotRequest(namespace="team-a", name="snap"),
        "GetVClusterUsage": mon_api.GetVClusterUsageRequest(**dev),
        "GetFleetSummary": mon_api.GetFleetSummaryRequest(namespace="team-a"),
        "GetServerInfo": info_api.GetServerInfoRequest(),
        # Every operation of team-a on one page: page tokens belong to their caller.
        "ListOperations": op_api.ListOperationsRequest(namespace="team-a", page_size=1000),
    }
    request = requests[rpc.name]
    if rpc.mutating:
        request.request_id = str(uuid.uuid4())  # type: ignore[attr-defined]
    return request


BAD_CREDENTIALS: dict[str, Metadata | None] = {
    "no token": None,
    "empty header": (("authorization", ""),),
    "scheme only": (("authorization", "Bearer"),),
    "basic scheme": (("authorization", f"Basic {TOKENS['root'][0]}"),),
    "no scheme": (("authorization", TOKENS["root"][0]),),
    "unknown token": (("authorization", "Bearer not-a-token"),),
    "token prefix": (("authorization", f"Bearer {TOKENS['root'][0][:-1]}"),),
    "token suffix": (("authorization", f"Bearer {TOKENS['root'][0]}x"),),
    "token case": (("authorization", f"Bearer {TOKENS['root'][0].upper()}"),),
    "token of another header": (("x-authorization", f"Bearer {TOKENS['root'][0]}"),),
}


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.name)
def test_missing_or_bad_credentials_are_refused(tenancy: Tenancy, rpc: Rpc) -> None:
    """UNAUTHENTICATED for every bad credential, before anything is looked up: the answer
    is the same whether the request names something that exists, and nothing changes."""
    restore(tenancy.server, tenancy.seed)
    present = valid_request(tenancy, rpc)
    absent = valid_request(tenancy, rpc)
    for field in ("namespace", "name"):
        if field in absent.DESCRIPTOR.fields_by_name:
            setattr(absent, field, "team-z")
    if "id" in absent.DESCRIPTOR.fields_by_name:
        setattr(absent, "id", str(uuid.uuid4()))  # noqa: B010 - GetOperationRequest
    for label, metadata in BAD_CREDENTIALS.items():
        answer = tenancy.call(metadata, rpc, present)
        assert answer.code == grpc.StatusCode.UNAUTHENTICATED, (label, answer)
        assert not answer.response and not answer.events, label
        other = tenancy.call(metadata, rpc, absent)
        assert other.canonical() == answer.canonical(), label
    assert capture(tenancy.server) == tenancy.seed


@pytest.mark.parametrize(
    "rpc",
    [*MUTATIONS, BY_NAME["GetVClusterKubeconfig"]],
    ids=lambda rpc: rpc.name,
)
def test_a_viewer_cannot_mutate(tenancy: Tenancy, rpc: Rpc) -> None:
    """PERMISSION_DENIED for a viewer, with nothing changed, for a request that the
    editor of the same namespace then gets OK for."""
    restore(tenancy.server, tenancy.seed)
    request = valid_request(tenancy, rpc)
    for viewer in ("a-viewer", "ac-viewer"):
        refused = tenancy.call(viewer, rpc, request)
        assert refused.code == grpc.StatusCode.PERMISSION_DENIED, (viewer, refused)
        assert capture(tenancy.server) == tenancy.seed, f"{viewer}'s refused {rpc.name} changed"
    allowed = tenancy.call("a-editor", rpc, request)
    assert allowed.ok, allowed
    restore(tenancy.server, tenancy.seed)


@pytest.mark.parametrize("rpc", [rpc for rpc in RPCS if not rpc.mutating], ids=lambda rpc: rpc.name)
def test_a_viewer_reads_its_namespace(tenancy: Tenancy, rpc: Rpc) -> None:
    """Reads are a viewer's right (kubeconfig excepted): the same answer as the editor's
    (GetServerInfo names its caller, so there only both succeed)."""
    restore(tenancy.server, tenancy.seed)
    request = valid_request(tenancy, rpc)
    viewer = tenancy.call("a-viewer", rpc, request)
    editor = tenancy.call("a-editor", rpc, request)
    if rpc.name == "GetVClusterKubeconfig":
        assert viewer.code == grpc.StatusCode.PERMISSION_DENIED and editor.ok
    elif rpc.name == "GetServerInfo":
        assert viewer.ok and editor.ok, (viewer, editor)
    else:
        assert viewer.ok and viewer.canonical() == editor.canonical(), viewer


# --- non-interference ---------------------------------------------------------------------

HIDDEN = "team-b"
ABSENT = "team-z"  # never holds anything; same length as HIDDEN, see _as_absent
# The id of no operation; GetOperation probes name it beside the ids of real ones.
ABSENT_OPERATION = "00000000-0000-4000-8000-000000000000"


def _probes() -> list[tuple[str, Rpc, Message]]:
    """Every RPC, naming own, hidden and absent namespaces and objects."""
    probes: list[tuple[str, Rpc, Message]] = []

    def add(rpc_name: str, request: Message) -> None:
        text = str(request).replace("\n", " ")
        probes.append((f"{rpc_name}({text})", BY_NAME[rpc_name], request))

    # Operations of the seeded namespaces are probed by _operation_probes.
    add("GetOperation", op_api.GetOperationRequest(id=ABSENT_OPERATION))

    for namespace in ("team-a", HIDDEN, ABSENT):
        for name in ("dev", "secret", "ghost"):
            key: dict[str, Any] = {"namespace": namespace, "name": name}
            add("GetVCluster", api.GetVClusterRequest(**key))
            add("GetVClusterKubeconfig", api.GetVClusterKubeconfigRequest(**key))
            add("WatchVClusters", api.WatchVClustersRequest(**key))
        for snapshot in ("snap", "bsnap", "ghost"):
            add("GetSnapshot", snap_api.GetSnapshotRequest(namespace=namespace, name=snapshot))
        if namespace == "team-a":
            continue
        # Mutations of what a hidden (or absent) namespace holds, or might hold.
        for name in ("dev", "secret", "ghost"):
            key = {"namespace": namespace, "name": name}
            add("CreateVCluster", api.CreateVClusterRequest(**key))
            add("CreateVCluster", api.CreateVClusterRequest(**key, validate_only=True))
            add("DeleteVCluster", api.DeleteVClusterRequest(**key, delete_snapshots=True))
            add("ScaleVCluster", api.ScaleVClusterRequest(**key, replicas=3))
            add(
                "UpdateVCluster",
                api.UpdateVClusterRequest(
                    vcluster=VCluster(**key, spec=VClusterSpec(deletion_protection=True)),
                    update_mask=FieldMask(paths=["spec.deletion_protection"]),
                ),
            )
            add("SuspendVCluster", api.SuspendVClusterRequest(**key))
            add("ResumeVCluster", api.ResumeVClusterRequest(**key))
            add("SnapshotVCluster", api.SnapshotVClusterRequest(**key, snapshot_name="s"))
        for snapshot in ("bsnap", "ghost"):
            for target in ("", "copy"):
                add(
                    "RestoreVCluster",
                    api.RestoreVClusterRequest(
                        namespace=namespace, snapshot_name=snapshot, target_name=target
                    ),
                )
            add(
                "DeleteSnapshot", snap_api.DeleteSnapshotRequest(namespace=namespace, name=snapshot)
            )
    for namespace in ("", "team-a", HIDDEN, "team-c", ABSENT):
        for page_size in (0, 1):
            add("ListVClusters", api.ListVClustersRequest(namespace=namespace, page_size=page_size))
            for vcluster in ("", "dev"):
                add(
                    "ListSnapshots",
                    snap_api.ListSnapshotsRequest(
                        namespace=namespace, vcluster=vcluster, page_size=page_size
                    ),
                )
                add(
                    "ListOperations",
                    op_api.ListOperationsRequest(
                        namespace=namespace, vcluster=vcluster, page_size=page_size
                    ),
                )
        add("ListVClusters", api.ListVClustersRequest(namespace=namespace, label_selector="app"))
        add(
            "ListVClusters",
            api.ListVClustersRequest(namespace=namespace, phase=Phase.PHASE_RUNNING),
        )
        add("WatchVClusters", api.WatchVClustersRequest(namespace=namespace))
        add("WatchVClusters", api.WatchVClustersRequest(namespace=namespace, label_selector="app"))
    return probes


PROBES = _probes()
ABSENT_OPERATION_PROBE = next(label for label, rpc, _ in PROBES if rpc.name == "GetOperation")


def _operation_probes(tenancy: Tenancy) -> tuple[dict[str, str], list[tuple[str, Rpc, Message]]]:
    """GetOperation of a seeded operation in team-a, team-b (hidden) and team-c: the ids
    by namespace, and the probes (their ids exist only once the server is seeded)."""
    ids = {
        namespace: tenancy.operation_id(namespace, vcluster)
        for namespace, vcluster in (("team-a", "dev"), (HIDDEN, "dev"), ("team-c", "web"))
    }
    probes: list[tuple[str, Rpc, Message]] = [
        (f"GetOperation(of {namespace})", BY_NAME["GetOperation"], op_api.GetOperationRequest(id=i))
        for namespace, i in ids.items()
    ]
    return ids, probes


def _observe(
    tenancy: Tenancy, caller: str, probes: list[tuple[str, Rpc, Message]]
) -> dict[str, tuple[object, ...]]:
    """Everything ``caller`` can learn: each probe's answer, lists with every page."""
    seen: dict[str, tuple[object, ...]] = {}
    for label, rpc, request in probes:
        before = capture(tenancy.server)
        answer = tenancy.call(caller, rpc, request)
        pages = [answer.canonical()]
        # Follow the pages: tokens and the items of later pages are observable too.
        token = _next_token(rpc, answer)
        while token and len(pages) < 50:
            follow = type(request)()
            follow.CopyFrom(request)
            follow.page_token = token  # type: ignore[attr-defined]
            answer = tenancy.call(caller, rpc, follow)
            pages.append(answer.canonical())
            token = _next_token(rpc, answer)
        seen[label] = tuple(pages)
        assert capture(tenancy.server) == before, f"{caller}'s {label} changed the store"
    return seen


def _next_token(rpc: Rpc, answer: Outcome) -> str:
    if not answer.ok or rpc.name not in ("ListVClusters", "ListSnapshots", "ListOperations"):
        return ""
    token: str = getattr(rpc.response.FromString(answer.response), "next_page_token")  # noqa: B009
    return token


def _as_absent(
    observed: tuple[object, ...], hidden: str = HIDDEN, absent: str = ABSENT
) -> tuple[object, ...]:
    """An observation with the hidden namespace's name (or an operation's id) written
    as the absent one's.

    Both names have six characters (both ids 36), so serialized messages stay well formed.
    """

    def swap(value: object) -> object:
        if isinstance(value, str):
            return value.replace(hidden, absent)
        if isinstance(value, bytes):
            return value.replace(hidden.encode(), absent.encode())
        if isinstance(value, tuple):
            return tuple(swap(item) for item in value)
        return value

    return tuple(swap(item) for item in observed)


@pytest.fixture
def fresh_tenancy(tokens_file: Path) -> Iterator[Tenancy]:
    """A seeded server of its own: the non-interference test changes team-b for real."""
    with running_server(tokens_file=tokens_file, transition_delay=FOREVER) as server:
        _seed(server)
        channel = grpc.insecure_channel(server.address)
        yield Tenancy(server, channel, capture(server))
        channel.close()


def _change_the_hidden_namespace(server: RunningServer, world: int) -> None:
    """World 2: team-b holds other objects in other phases (and team-d appears).
    World 3: team-b is empty."""
    root = connect(server, (*bearer("root"), *QUICK))
    if world == 2:
        root.running(HIDDEN, "secret", labels={"app": "web"})
        root.vclusters.ScaleVCluster(
            api.ScaleVClusterRequest(namespace=HIDDEN, name="dev", resources=Resources(cpu="3"))
        )
        root.wait_phase(HIDDEN, "dev", Phase.PHASE_RUNNING)
        root.vclusters.SuspendVCluster(api.SuspendVClusterRequest(namespace=HIDDEN, name="dev"))
        root.wait_phase(HIDDEN, "dev", Phase.PHASE_SUSPENDED)
        root.vclusters.SnapshotVCluster(
            api.SnapshotVClusterRequest(namespace=HIDDEN, name="secret", snapshot_name="snap")
        )
        root.wait_snapshot(HIDDEN, "snap", 3)
        root.snapshots.DeleteSnapshot(
            snap_api.DeleteSnapshotRequest(namespace=HIDDEN, name="bsnap")
        )
        root.running("team-d", "dev", labels={"app": "web"})
    else:
        for name in ("dev", "secret"):
            root.vclusters.DeleteVCluster(
                api.DeleteVClusterRequest(namespace=HIDDEN, name=name, delete_snapshots=True)
            )
            root.wait_gone(HIDDEN, name)
    root.channel.close()


def test_a_tenant_learns_nothing_about_hidden_namespaces(fresh_tenancy: Tenancy) -> None:
    """Non-interference: whatever team-b holds, a team-a token observes the same bytes,
    and naming team-b answers like naming a namespace that does not exist."""
    callers = ("a-viewer", "a-editor", "ac-viewer")
    # Watches opened before team-b changes must receive nothing from it.
    live = {
        caller: api_grpc.VClusterServiceStub(fresh_tenancy.channel).WatchVClusters(
            api.WatchVClustersRequest(label_selector="app"), metadata=bearer(caller), timeout=60
        )
        for caller in callers
    }
    for stream in live.values():
        while next(stream).type != EventType.EVENT_TYPE_SYNCED:
            pass

    operation_ids, operation_probes = _operation_probes(fresh_tenancy)
    probes = [*PROBES, *operation_probes]
    worlds = []
    for world in (1, 2, 3):
        if world > 1:
            _change_the_hidden_namespace(fresh_tenancy.server, world)
        worlds.append({caller: _observe(fresh_tenancy, caller, probes) for caller in callers})
    hidden_snapshots = [k for k in capture(fresh_tenancy.server).snapshots if k[0] == HIDDEN]
    assert not hidden_snapshots, "world 3 should have emptied team-b"

    for caller in callers:
        for label, _, _ in probes:
            first = worlds[0][caller][label]
            for world in (2, 3):
                assert worlds[world - 1][caller][label] == first, (
                    f"{caller} tells world 1 from world {world} by {label}"
                )
        for label, _, _ in PROBES:
            if f'"{HIDDEN}"' not in label:
                continue
            absent_label = label.replace(f'"{HIDDEN}"', f'"{ABSENT}"')
            assert _as_absent(worlds[0][caller][label]) == worlds[0][caller][absent_label], (
                f"{caller}: {label} answers unlike the same call on a namespace that does not exist"
            )
        # Its own operations it reads; those of a namespace it may not see, never.
        for namespace in ("team-a", "team-c", HIDDEN):
            first_page = worlds[0][caller][f"GetOperation(of {namespace})"][0]
            assert isinstance(first_page, tuple)
            code = first_page[0]
            visible = namespace == "team-a" or (namespace == "team-c" and caller == "ac-viewer")
            assert code == ("OK" if visible else "NOT_FOUND"), (caller, namespace, code)
        # An operation of a hidden namespace answers like an id that names none.
        hidden_operation = _as_absent(
            worlds[0][caller][f"GetOperation(of {HIDDEN})"],
            operation_ids[HIDDEN],
            ABSENT_OPERATION,
        )
        assert hidden_operation == worlds[0][caller][ABSENT_OPERATION_PROBE], (
            f"{caller}: GetOperation of a hidden operation answers unlike an unknown id"
        )

    # A change the watchers may see: the first event after everything above.
    root = connect(fresh_tenancy.server, (*bearer("root"), *QUICK))
    root.create("team-a", "marker", labels={"app": "web"})
    for caller, stream in live.items():
        event = next(stream)
        assert (event.vcluster.namespace, event.vcluster.name) == ("team-a", "marker"), (
            f"{caller}'s open watch received {event.vcluster.namespace}/{event.vcluster.name}"
        )
        stream.cancel()
    root.channel.close()
