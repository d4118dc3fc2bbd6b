"""The portal's files (portal/, built by scripts/generate into
http/generated/portal), served at / of the HTTP port.

The files are read once at start. They have fixed names, so a browser
revalidates them (ETag) instead of caching them blindly; the headers keep
the page to its own origin: it calls only the port that served it.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-cache"),
)


@dataclass(frozen=True)
class PortalFile:
    """One file of the portal, ready to send."""

    content_type: str
    body: bytes
    gzipped: bytes
    etag: bytes

    def response(
        self, if_none_match: bytes | None, accepts_gzip: bool
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, headers and body for a GET with these request headers."""
        headers = [
            (b"content-type", self.content_type.encode()),
            (b"etag", self.etag),
            (b"vary", b"accept-encoding"),
            *SECURITY_HEADERS,
        ]
        if if_none_match is not None and self.etag in (
            tag.strip() for tag in if_none_match.split(b",")
        ):
            return 304, headers, b""
        body = self.body
        if accepts_gzip:
            headers.append((b"content-encoding", b"gzip"))
            body = self.gzipped
        headers.append((b"content-length", str(len(body)).encode()))
        return 200, headers, body


def accepts_gzip(accept_encoding: bytes) -> bool:
    """Whether an Accept-Encoding header value takes gzip (and not at q=0)."""
    for item in accept_encoding.split(b","):
        coding, _, params = item.partition(b";")
        if coding.strip().lower() != b"gzip":
            continue
        quality = params.strip().lower()
        if not quality.startswith(b"q="):
            return True
        try:
            return float(quality[2:]) > 0
        except ValueError:
            return False
    return False


def portal_files() -> dict[str, PortalFile]:
    """The built portal by request path: "/" is its page, every other file
    is at /<name>. Empty when the package holds no built portal."""
    folder = resources.files("openvcluster_server") / "http/generated/portal"
    if not folder.is_dir():
        return {}
    files: dict[str, PortalFile] = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if suffix not in CONTENT_TYPES:
            continue
        body = entry.read_bytes()
        files["/" + entry.name] = PortalFile(
            content_type=CONTENT_TYPES[suffix],
            body=body,
            # mtime=0: the same bytes on every start, so the same ETag.
            gzipped=gzip.compress(body, mtime=0),
            etag=b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"',
        )
    if "/index.html" in files:
        files["/"] = files["/index.html"]
    return files
