"""ServerInfoService: the server's decisions, and the caller as its token says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_support import http_api

from openvcluster.v1 import server_info_service_pb2 as info_api
from openvcluster.v1.monitor_service_pb2 import NamespaceQuota
from openvcluster_server import __version__
from openvcluster_server.config import DEFAULT_KUBERNETES_VERSIONS, Quota
from openvcluster_server.testing import RunningServer, running_server
from support import Api, connect

ServerInfo = info_api.ServerInfo
Caller = info_api.Caller
TOKENS = """
tokens:
  - token: root-token
    role: editor
    namespaces: ["*"]
    name: root
  - token: a-viewer-token
    role: viewer
    namespaces: [team-b, team-a]
    name: a-viewer
"""
QUOTAS = {"team-a": Quota(max_vclusters=3, cpu="8"), "team-c": Quota(max_snapshots=2)}


def _info(client: Api) -> info_api.ServerInfo:
    return client.info.GetServerInfo(info_api.GetServerInfoRequest()).info


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tokens = tmp_path_factory.mktemp("info") / "tokens.yaml"
    tokens.write_text(TOKENS)
    with running_server(tokens_file=tokens, quotas=QUOTAS) as server:
        yield server


def _as(server: RunningServer, token: str) -> Api:
    return connect(server, (("authorization", f"Bearer {token}"),))


def test_an_anonymous_caller_of_a_server_without_tokens(server: RunningServer) -> None:
    info = _info(connect(server))
    assert info.version == __version__
    assert info.backend == ServerInfo.BACKEND_SIMULATED
    assert list(info.kubernetes_versions) == list(DEFAULT_KUBERNETES_VERSIONS)
    assert info.caller == Caller(name="anonymous", role=Caller.ROLE_EDITOR, all_namespaces=True)
    assert (info.limits.default_page_size, info.limits.max_page_size) == (50, 1000)
    assert info.limits.max_message_bytes == 4 * 1024 * 1024


def test_a_viewer_sees_its_own_grant_and_quotas(secured: RunningServer) -> None:
    info = _info(_as(secured, "a-viewer-token"))
    assert info.caller == Caller(
        name="a-viewer", role=Caller.ROLE_VIEWER, namespaces=["team-a", "team-b"]
    )
    assert dict(info.limits.quotas) == {"team-a": NamespaceQuota(max_vclusters=3, cpu="8")}


def test_an_editor_of_every_namespace_sees_every_quota(secured: RunningServer) -> None:
    info = _info(_as(secured, "root-token"))
    assert info.caller == Caller(name="root", role=Caller.ROLE_EDITOR, all_namespaces=True)
    assert dict(info.limits.quotas) == {
        "team-a": NamespaceQuota(max_vclusters=3, cpu="8"),
        "team-c": NamespaceQuota(max_snapshots=2),
    }


def test_the_default_quota_is_shown_as_star() -> None:
    with running_server(quotas={"*": Quota(max_vclusters=1)}) as server:
        info = _info(connect(server))
    assert dict(info.limits.quotas) == {"*": NamespaceQuota(max_vclusters=1)}


def test_the_http_port_answers_too(server: RunningServer) -> None:
    with http_api(server.http_url) as http:
        info = http.info.get_server_info(info_api.GetServerInfoRequest()).info
    assert info.version == __version__
