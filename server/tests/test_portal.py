"""The portal's files on the HTTP port: the page at /, its script and
styles, with the headers that keep the page to its own origin, gzip and
revalidation. (What the page does is tested in Chromium: portal/test.)"""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib import resources

import pytest

from openvcluster_server.http.portal import CONTENT_SECURITY_POLICY, accepts_gzip
from openvcluster_server.testing import RunningServer, running_server

BUILT = resources.files("openvcluster_server") / "http/generated/portal"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server() as running:
        yield running


def _get(server: RunningServer, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.http_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_the_page_is_served_at_the_root(server: RunningServer) -> None:
    status, headers, body = _get(server, "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert body == (BUILT / "index.html").read_bytes()
    assert b'src="app.js"' in body and b'href="app.css"' in body


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/app.js", "text/javascript; charset=utf-8"), ("/app.css", "text/css; charset=utf-8")],
)
def test_the_script_and_styles_are_served_gzipped_when_accepted(
    server: RunningServer, path: str, content_type: str
) -> None:
    plain = _get(server, path)
    zipped = _get(server, path, **{"Accept-Encoding": "br, gzip"})
    assert plain[0] == zipped[0] == 200
    assert plain[1]["content-type"] == zipped[1]["content-type"] == content_type
    assert "content-encoding" not in plain[1]
    assert zipped[1]["content-encoding"] == "gzip"
    assert plain[2] == gzip.decompress(zipped[2]) == (BUILT / path[1:]).read_bytes()


def test_an_unchanged_file_is_revalidated_without_a_body(server: RunningServer) -> None:
    _, headers, _ = _get(server, "/app.js")
    assert headers["cache-control"] == "no-cache"
    status, again, body = _get(server, "/app.js", **{"If-None-Match": headers["etag"]})
    assert (status, body, again["etag"]) == (304, b"", headers["etag"])
    assert _get(server, "/app.js", **{"If-None-Match": '"other"'})[0] == 200


def test_other_paths_are_not_found(server: RunningServer) -> None:
    assert _get(server, "/missing.js")[0] == 404
    assert _get(server, "/../pyproject.toml")[0] == 404


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (b"gzip", True),
        (b"deflate, GZIP;q=0.5", True),
        (b"gzip;q=0", False),
        (b"gzip;q=0.0", False),
        (b"gzip;q=nonsense", False),
        (b"br", False),
        (b"", False),
    ],
)
def test_accepts_gzip(header: bytes, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted
