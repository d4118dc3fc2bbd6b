"""ServerInfoService through both clients: get_server_info."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import openvcluster
from openvcluster import Caller, NamespaceQuota, ServerInfo
from openvcluster_server import __version__ as server_version
from openvcluster_server.config import DEFAULT_KUBERNETES_VERSIONS, Quota
from openvcluster_server.testing import RunningServer, running_server

FAST = openvcluster.RetryPolicy(initial_backoff=0.001, max_backoff=0.01)
EDITOR = "editor-secret-5d21a0"
VIEWER = "viewer-secret-9e04b7"
PAIR = "pair-secret-41c8f3"
UNNAMED = "unnamed-secret-c7a2d9"
TOKENS = f"""
tokens:
  - {{token: "{EDITOR}", role: editor, namespaces: ["*"], name: admin}}
  - {{token: "{VIEWER}", role: viewer, namespaces: ["team-a"], name: team-a-viewer}}
  - {{token: "{PAIR}", role: editor, namespaces: ["team-b", "team-a"], name: pair}}
  - {{token: "{UNNAMED}", role: viewer}}
"""
QUOTAS = {
    "team-a": Quota(max_vclusters=5, cpu="8", memory="16Gi"),
    "team-b": Quota(max_snapshots=2),
    "*": Quota(max_vclusters=3),
}
VERSIONS = ("1.30", "1.31")
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with tokens, quotas, its own Kubernetes versions and message size."""
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.yaml"
    tokens.write_text(TOKENS)
    with running_server(
        tokens_file=Path(tokens),
        quotas=QUOTAS,
        kubernetes_versions=VERSIONS,
        max_message_bytes=MAX_MESSAGE_BYTES,
    ) as running:
        yield running


def test_server_info_of_the_shared_server(client: openvcluster.Client, ns: str) -> None:
    before = time.time()
    info = client.get_server_info()
    # The clock schedules and expiry follow: the real one, unless a test hook
    # moved it forward.
    assert info.server_time.ToSeconds() >= int(before) - 1
    assert isinstance(info, ServerInfo)
    assert info.version == server_version
    assert info.backend == ServerInfo.BACKEND_SIMULATED
    assert list(info.kubernetes_versions) == list(DEFAULT_KUBERNETES_VERSIONS)
    # The last version is the default, and the spec defaults say so.
    assert info.spec_defaults.kubernetes_version == info.kubernetes_versions[-1]
    assert info.spec_defaults.resources == openvcluster.Resources(
        cpu="1", memory="2Gi", storage="10Gi"
    )
    assert info.spec_defaults.replicas == 1
    # The spec an empty create gets, exactly.
    assert client.create_vcluster(ns, "dev").spec == info.spec_defaults

    limits = info.limits
    assert isinstance(limits, openvcluster.ServerLimits)
    assert (limits.default_page_size, limits.max_page_size, limits.max_message_bytes) == (
        50,
        1000,
        4 * 1024 * 1024,
    )
    assert dict(limits.quotas) == {}  # the shared server has none

    # Without tokens every caller is the anonymous editor of every namespace.
    caller = info.caller
    assert isinstance(caller, Caller)
    assert (caller.name, caller.role, list(caller.namespaces), caller.all_namespaces) == (
        "anonymous",
        Caller.ROLE_EDITOR,
        [],
        True,
    )


def test_server_info_as_each_token_sees_it(configured: RunningServer) -> None:
    address = configured.address
    with openvcluster.Client(address, token=EDITOR) as editor:
        info = editor.get_server_info()
        # The configured versions, oldest first; the last is the default.
        assert list(info.kubernetes_versions) == ["1.30", "1.31"]
        assert info.spec_defaults.kubernetes_version == "1.31"
        assert editor.create_vcluster("team-a", "dev").spec == info.spec_defaults
    assert info.limits.max_message_bytes == MAX_MESSAGE_BYTES
    assert (info.caller.name, info.caller.role) == ("admin", Caller.ROLE_EDITOR)
    assert (list(info.caller.namespaces), info.caller.all_namespaces) == ([], True)
    # Every quota, "*" included, for a caller of every namespace.
    assert dict(info.limits.quotas) == {
        "team-a": NamespaceQuota(max_vclusters=5, cpu="8", memory="16Gi"),
        "team-b": NamespaceQuota(max_snapshots=2),
        "*": NamespaceQuota(max_vclusters=3),
    }

    # A viewer of one namespace: a read it may make, and only its quotas.
    with openvcluster.Client(address, token=VIEWER) as viewer:
        seen = viewer.get_server_info()
    assert (seen.caller.name, seen.caller.role) == ("team-a-viewer", Caller.ROLE_VIEWER)
    assert (list(seen.caller.namespaces), seen.caller.all_namespaces) == (["team-a"], False)
    assert dict(seen.limits.quotas) == {
        "team-a": NamespaceQuota(max_vclusters=5, cpu="8", memory="16Gi"),
        "*": NamespaceQuota(max_vclusters=3),
    }
    # The rest is the same for every caller.
    for field in ("version", "backend", "kubernetes_versions", "spec_defaults"):
        assert getattr(seen, field) == getattr(info, field)

    with openvcluster.Client(address, token=PAIR) as pair:
        both = pair.get_server_info().caller
    assert (both.name, list(both.namespaces), both.all_namespaces) == (
        "pair",
        ["team-a", "team-b"],  # sorted
        False,
    )
    with openvcluster.Client(address, token=UNNAMED) as unnamed:
        nameless = unnamed.get_server_info().caller
    # A token without a name is named by its place in the file; "*" by default.
    assert (nameless.name, nameless.role, nameless.all_namespaces) == (
        "token #4",
        Caller.ROLE_VIEWER,
        True,
    )
    for token in (None, "not-a-token"):
        with (
            openvcluster.Client(address, token=token) as stranger,
            pytest.raises(openvcluster.UnauthenticatedError),
        ):
            stranger.get_server_info()


def test_server_info_retries_like_the_other_calls(
    client: openvcluster.Client, hook_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openvcluster")
    hook = {"ovc-test-unavailable": f"{hook_key}-info:2"}
    assert client.get_server_info(metadata=hook, retry=FAST, timeout=10).version == server_version
    messages = [r.getMessage() for r in caplog.records if r.name == "openvcluster"]
    assert [m.split(" request_id")[0] for m in messages if m.startswith("GetServerInfo")] == [
        "GetServerInfo attempt 1",
        "GetServerInfo attempt 2",
        "GetServerInfo attempt 3",
    ]
    once = {"ovc-test-unavailable": f"{hook_key}-once:1"}
    with pytest.raises(openvcluster.UnavailableError):
        client.get_server_info(metadata=once, retry=None)


def test_server_info_through_with_options(client: openvcluster.Client) -> None:
    assert client.with_options(timeout=5).get_server_info().caller.name == "anonymous"


# The async client


@pytest.mark.asyncio
async def test_async_server_info(
    aclient: openvcluster.AsyncClient, client: openvcluster.Client, ns: str
) -> None:
    info = await aclient.get_server_info(timeout=10)
    assert isinstance(info, ServerInfo)
    again = client.get_server_info()
    # The server's clock moved on between the two calls; the rest is the same.
    assert again.server_time.ToNanoseconds() >= info.server_time.ToNanoseconds() > 0
    again.server_time.CopyFrom(info.server_time)
    assert info == again
    assert (info.version, info.backend) == (server_version, ServerInfo.BACKEND_SIMULATED)
    assert (await aclient.create_vcluster(ns, "dev")).spec == info.spec_defaults
    assert info.limits.default_page_size == 50
    assert (info.caller.name, info.caller.all_namespaces) == ("anonymous", True)


@pytest.mark.asyncio
async def test_async_server_info_as_each_token_sees_it(configured: RunningServer) -> None:
    async with openvcluster.AsyncClient(configured.address, token=VIEWER) as viewer:
        info = await viewer.get_server_info()
    assert (info.caller.name, info.caller.role, list(info.caller.namespaces)) == (
        "team-a-viewer",
        Caller.ROLE_VIEWER,
        ["team-a"],
    )
    assert sorted(info.limits.quotas) == ["*", "team-a"]
    assert list(info.kubernetes_versions) == list(VERSIONS)
    assert info.limits.max_message_bytes == MAX_MESSAGE_BYTES
    async with openvcluster.AsyncClient(configured.address) as anonymous:
        with pytest.raises(openvcluster.UnauthenticatedError):
            await anonymous.get_server_info()
