"""The HTTP port itself: auth, TLS, CORS, limits, GET for side-effect-free
reads, bad input, a client that goes away mid-watch, and its settings."""

from __future__ import annotations

import json
import logging
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from http_support import http_api

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server.cli import build_parser, config_from_args
from openvcluster_server.config import ConfigError
from openvcluster_server.http.asgi import openapi_document
from openvcluster_server.logformat import record_fields
from openvcluster_server.testing import RunningServer, running_server
from openvcluster_server.testing_certs import Certificates, write_certificates

TOKENS = """
tokens:
  - {token: editor-token, role: editor, namespaces: [team-a]}
  - {token: viewer-token, role: viewer, namespaces: [team-a]}
"""
ORIGIN = "https://console.example.com"
VCLUSTERS = "/openvcluster.v1.VClusterService"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(http_allowed_origins=(ORIGIN,), max_message_bytes=4096) as running:
        yield running


def _names(server: RunningServer, namespace: str) -> list[str]:
    with http_api(server.http_url) as http:
        listed = http.vclusters.list_v_clusters(api.ListVClustersRequest(namespace=namespace))
    return [vc.name for vc in listed.vclusters]


def test_tokens_and_roles(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(TOKENS)
    create = api.CreateVClusterRequest(namespace="team-a", name="dev")
    with running_server(tokens_file=tokens) as server, http_api(server.http_url) as http:
        with pytest.raises(ConnectError) as anonymous:
            http.vclusters.create_v_cluster(create)
        assert anonymous.value.code == Code.UNAUTHENTICATED
        viewer = {"authorization": "Bearer viewer-token"}
        with pytest.raises(ConnectError) as read_only:
            http.vclusters.create_v_cluster(create, headers=viewer)
        assert read_only.value.code == Code.PERMISSION_DENIED
        editor = {"authorization": "Bearer editor-token"}
        http.vclusters.create_v_cluster(create, headers=editor)
        listed = http.vclusters.list_v_clusters(api.ListVClustersRequest(), headers=viewer)
        assert [vc.name for vc in listed.vclusters] == ["dev"]


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as files."""
    return write_certificates(tmp_path)


@pytest.mark.parametrize("version", ["http1", "http2"])
def test_tls_and_mutual_tls(certs: Certificates, version: str) -> None:
    ca = certs.ca.read_bytes()
    with running_server(**certs.server_settings()) as server:
        assert server.http_url.startswith("https://")
        with http_api(server.http_url, f"connect-proto/{version}", ca=ca) as http:
            http.vclusters.list_v_clusters(api.ListVClustersRequest())
    with running_server(**certs.server_settings(mutual=True)) as server:
        pem = certs.client_pem()
        with http_api(server.http_url, f"connect-proto/{version}", ca=ca, client_pem=pem) as http:
            http.vclusters.list_v_clusters(api.ListVClustersRequest())
        with (
            http_api(server.http_url, f"connect-proto/{version}", ca=ca) as http,
            pytest.raises(ConnectError) as refused,
        ):
            http.vclusters.list_v_clusters(api.ListVClustersRequest())
        assert refused.value.code == Code.UNAVAILABLE


def _preflight(server: RunningServer, origin: str) -> tuple[int, dict[str, str]]:
    with http_api(server.http_url) as http:
        answer = http.http.options(
            server.http_url + VCLUSTERS + "/CreateVCluster",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization,content-type",
            },
        )
    return answer.status, {k.lower(): v for k, v in answer.headers.items()}


def test_cors_answers_only_the_configured_origins(server: RunningServer) -> None:
    status, headers = _preflight(server, ORIGIN)
    assert status == 200
    assert headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in headers["access-control-allow-headers"].lower()
    status, headers = _preflight(server, "https://elsewhere.example.com")
    assert status == 400
    assert "access-control-allow-origin" not in headers
    with http_api(server.http_url) as http:
        answer = http.http.post(
            server.http_url + VCLUSTERS + "/ListVClusters",
            headers={**JSON, "origin": ORIGIN},
            content=b"{}",
        )
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "grpc-status-details-bin" in answer.headers["access-control-expose-headers"]


def test_without_allowed_origins_no_page_elsewhere_may_call() -> None:
    with running_server() as plain:
        status, headers = _preflight(plain, ORIGIN)
    assert status != 200
    assert "access-control-allow-origin" not in headers


def test_get_for_side_effect_free_reads_only(server: RunningServer) -> None:
    with http_api(server.http_url) as http:
        http.vclusters.create_v_cluster(api.CreateVClusterRequest(namespace="gets", name="dev"))
        dev = {"namespace": "gets", "name": "dev"}

        def get(method: str, message: dict[str, str]) -> int:
            query = {"connect": "v1", "encoding": "json", "message": json.dumps(message)}
            url = f"{server.http_url}{VCLUSTERS}/{method}?" + urllib.parse.urlencode(query)
            return http.http.get(url).status

        assert get("GetVCluster", dev) == 200
        assert get("ListVClusters", {"namespace": "gets"}) == 200
        # Credentials must never sit in an HTTP cache; writes are POST only.
        assert get("GetVClusterKubeconfig", dev) == 405
        assert get("DeleteVCluster", dev) == 405
    assert _names(server, "gets") == ["dev"]


@pytest.mark.parametrize(
    ("headers", "body", "status", "code", "says"),
    [
        (JSON, b'{"namespace": "bad-input", "name":', 400, "invalid_argument", "JSON"),
        (JSON, b'{"namespace": "bad-input", "nmae": "x"}', 400, "invalid_argument", "nmae"),
        (JSON, b'{"namespace": "bad-input", "name": 7}', 400, "invalid_argument", "name"),
        ({"content-type": "text/plain"}, b"{}", 415, None, None),
        (JSON, b'{"namespace": "bad-input", "name": "' + b"x" * 5000 + b'"}', 429, None, None),
    ],
    ids=["malformed-json", "unknown-field", "wrong-type", "wrong-content-type", "too-large"],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    server: RunningServer,
    headers: dict[str, str],
    body: bytes,
    status: int,
    code: str | None,
    says: str | None,
) -> None:
    with http_api(server.http_url) as http:
        answer = http.http.post(
            server.http_url + VCLUSTERS + "/CreateVCluster", headers=headers, content=body
        )
    assert answer.status == status, answer.text()
    if code is not None:
        error = json.loads(answer.content)
        assert error["code"] == code
        assert says is not None and says in error["message"]
    assert _names(server, "bad-input") == []


def test_a_client_gone_mid_watch_frees_its_watch(caplog: pytest.LogCaptureFixture) -> None:
    watch = api.WatchVClustersRequest(namespace="gone")
    with caplog.at_level(logging.INFO), running_server(max_watches_per_caller=1) as server:
        with http_api(server.http_url, "connect-proto/http1") as http:
            events = http.vclusters.watch_v_clusters(watch)
            assert next(events).type == api.WatchVClustersResponse.EVENT_TYPE_SYNCED
            # Closing the response stream drops the connection under it.
            events.close()  # type: ignore[attr-defined]
        # The connection is closed: the server notices, ends the call and frees
        # the caller's one watch, so another watch is let in.
        admitted = False
        for _ in range(200):
            with http_api(server.http_url, "connect-proto/http1") as http:
                try:
                    again = http.vclusters.watch_v_clusters(watch, timeout_ms=200)
                    admitted = next(again).type == api.WatchVClustersResponse.EVENT_TYPE_SYNCED
                except ConnectError as refused:
                    assert refused.code == Code.RESOURCE_EXHAUSTED
            if admitted:
                break
        assert admitted
    codes = [
        record_fields(r)["code"]
        for r in caplog.records
        if r.name == "openvcluster_server.rpc" and record_fields(r)["method"] == "WatchVClusters"
    ]
    # The first watch ended because its client went away; attempts refused
    # before the server noticed may be logged ahead of it on a busy machine.
    assert "CANCELLED" in codes, codes
    assert "INTERNAL" not in codes


def test_the_openapi_document_is_served(server: RunningServer) -> None:
    with http_api(server.http_url) as http:
        answer = http.http.get(server.http_url + "/openapi.yaml")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/yaml"
    assert answer.content == openapi_document()


def test_a_taken_http_address_stops_the_server_naming_the_flag() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with (
            pytest.raises(ConfigError, match="--http-address"),
            running_server(http_address=f"127.0.0.1:{port}"),
        ):
            pass


def test_the_http_port_can_be_off() -> None:
    with running_server(http_address=None) as server:
        assert server.server.http_port == 0


def test_http_flags() -> None:
    def parse(*flags: str) -> tuple[str | None, tuple[str, ...]]:
        config = config_from_args(build_parser().parse_args(["serve", *flags]))
        return config.http_address, config.http_allowed_origins

    assert parse() == ("127.0.0.1:8080", ())
    assert parse("--http-address", "off") == (None, ())
    assert parse("--http-allowed-origins", f"{ORIGIN}, http://localhost:3000") == (
        "127.0.0.1:8080",
        (ORIGIN, "http://localhost:3000"),
    )
    with pytest.raises(ConfigError, match="http-allowed-origins"):
        parse("--http-allowed-origins", "https://console.example.com/path")


def test_a_header_that_is_not_utf8_is_invalid_argument(server: RunningServer) -> None:
    # Found by the fuzzing of reliability/test_http_fuzz.py: HTTP allows such
    # bytes in a header value, and connectrpc took them for a server fault.
    host, port = server.http_url.removeprefix("http://").rsplit(":", 1)
    body = b"{}"
    request = (
        (
            f"POST {VCLUSTERS}/ListVClusters HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n"
        ).encode()
        + b"X-Note: caf\xe9\r\n\r\n"
        + body
    )
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    error = json.loads(payload)
    assert error["code"] == "invalid_argument"
    assert "x-note" in error["message"]
