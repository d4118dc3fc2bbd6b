"""The HTTP port's ASGI application: the Connect applications of the
services, the OpenAPI document, the portal, and CORS for the configured
origins."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any, cast

from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.compression.brotli import BrotliCompression
from connectrpc.compression.gzip import GzipCompression
from hypercorn.typing import (
    ASGIFramework,
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPScope,
    Scope,
)
from starlette.middleware.cors import CORSMiddleware

from openvcluster_server.calls import CallRunner
from openvcluster_server.handlers import Handlers
from openvcluster_server.http.portal import accepts_gzip, portal_files
from openvcluster_server.http.services import ConnectCalls, applications

OPENAPI_PATH = "/openapi.yaml"
# What a browser may send and read on a cross-origin call: the headers of the
# Connect and gRPC-Web protocols, plus the token.
CORS_ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "connect-protocol-version",
    "connect-timeout-ms",
    "grpc-timeout",
    "x-grpc-web",
    "x-user-agent",
)
CORS_EXPOSED_HEADERS = ("grpc-status", "grpc-message", "grpc-status-details-bin")
# How long a browser may reuse a preflight answer.
CORS_MAX_AGE_SECONDS = 7200


def openapi_document() -> bytes:
    """The OpenAPI 3.1 document generated from the proto (scripts/generate)."""
    return (resources.files("openvcluster_server") / "http/generated/openapi.yaml").read_bytes()


class HttpApplication:
    """Routes a request to its service's Connect application by path
    (/<package>.<Service>/<Method>), or serves the OpenAPI document or a
    file of the portal."""

    def __init__(self, runner: CallRunner, handlers: Handlers, max_message_bytes: int) -> None:
        calls = ConnectCalls(runner, handlers)
        # Unknown JSON fields are refused, as the gRPC port refuses nothing it
        # cannot decode silently: a misspelt field must not be dropped unseen.
        codecs = (
            google_protobuf_binary_codec(),
            google_protobuf_json_codec(ignore_unknown_fields=False),
        )
        # Every compression the OpenAPI document offers (identity is implied).
        compressions = (GzipCompression(), BrotliCompression())
        settings: dict[str, Any] = {
            "read_max_bytes": max_message_bytes,
            "codecs": codecs,
            "compressions": compressions,
        }
        self._services = {app.path: app for app in applications(calls, **settings)}
        self._openapi = openapi_document()
        self._portal = portal_files()

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        service = self._services.get(path.rsplit("/", 1)[0])
        if service is not None:
            problem = _not_utf8(scope)
            if problem is not None:
                await _respond(send, 400, "application/json", _invalid_argument(problem))
                return
            await service(scope, receive, send)
        elif path == OPENAPI_PATH and scope["method"] in ("GET", "HEAD"):
            await _respond(send, 200, "application/yaml", self._openapi)
        elif path in self._portal and scope["method"] in ("GET", "HEAD"):
            headers = dict(scope["headers"])
            status, response_headers, body = self._portal[path].response(
                headers.get(b"if-none-match"), accepts_gzip(headers.get(b"accept-encoding", b""))
            )
            await _send(send, status, response_headers, body)
        else:
            await _respond(send, 404, "text/plain; charset=utf-8", b"not found\n")


def with_cors(app: ASGIFramework, origins: Sequence[str]) -> ASGIFramework:
    """``app`` answering cross-origin calls from ``origins`` only; unchanged
    without origins, so no browser page elsewhere can call it."""
    if not origins:
        return app
    # starlette and hypercorn type the same ASGI interface with different aliases.
    cors: Any = CORSMiddleware(
        cast(Any, app),
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=list(CORS_ALLOWED_HEADERS),
        expose_headers=list(CORS_EXPOSED_HEADERS),
        max_age=CORS_MAX_AGE_SECONDS,
    )
    return cast(ASGIFramework, cors)


def _not_utf8(scope: HTTPScope) -> str | None:
    """What in the request is not UTF-8, which connectrpc would answer with
    "unknown" (it decodes headers and the query as UTF-8 unguarded)."""
    for key, value in scope.get("headers", ()):
        try:
            value.decode()
        except UnicodeDecodeError:
            return f"header {key.decode('latin-1')!r} is not UTF-8"
    try:
        scope.get("query_string", b"").decode()
    except UnicodeDecodeError:
        return "the query string is not UTF-8"
    return None


def _invalid_argument(message: str) -> bytes:
    """A Connect error body with code invalid_argument."""
    return json.dumps({"code": "invalid_argument", "message": message}).encode()


async def _lifespan(receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """Nothing to set up or tear down: the server's engine outlives the port."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _respond(send: ASGISendCallable, status: int, content_type: str, body: bytes) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await _send(send, status, headers, body)


async def _send(
    send: ASGISendCallable, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": headers, "trailers": False}
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
