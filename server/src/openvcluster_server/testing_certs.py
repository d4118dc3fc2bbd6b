"""Throwaway certificates for tests of TLS and mutual TLS, written as PEM files.

Every suite that starts a TLS reference server needs the same set: a CA, a
server certificate it issued for the loopback names, a client certificate it
issued (for mutual TLS), and a second CA that issued neither (a client that
trusts only that one must be refused). They come from here, so the Python
suites share one layout and one list of server names instead of each minting
its own.

conformance/servers.py takes them from here too; the file names are those
sdk/typescript/test/support/certs.ts mints for its own runs. trustme (a test
dependency) mints the certificates; that is why this is a module of its own:
``openvcluster_server.testing`` needs only the server's own dependencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

# The names the server certificate carries: what a client dials on loopback.
SERVER_NAMES = ("127.0.0.1", "localhost")
CLIENT_NAME = "client@example.com"


@dataclass(frozen=True)
class Certificates:
    """The PEM files ``write_certificates`` wrote."""

    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_settings(self, *, mutual: bool = False) -> dict[str, Any]:
        """``running_server`` settings serving TLS with the server certificate;
        with ``mutual``, clients must present a certificate of the CA too.
        The values are typed Any, as ``running_server``'s overrides are."""
        settings: dict[str, Any] = {
            "tls_cert_file": self.server_cert,
            "tls_key_file": self.server_key,
        }
        if mutual:
            settings["tls_client_ca_file"] = self.ca
        return settings

    def client_pem(self) -> bytes:
        """The client's key and certificate in one PEM, as HTTP clients take them."""
        return self.client_key.read_bytes() + self.client_cert.read_bytes()


def write_certificates(
    directory: Path,
    server_names: Sequence[str] = SERVER_NAMES,
    client_name: str = CLIENT_NAME,
) -> Certificates:
    """Mints a fresh CA, its server and client certificates and an unrelated CA,
    and writes them into ``directory`` (which must exist)."""
    ca, other = trustme.CA(), trustme.CA()
    server = ca.issue_cert(*server_names)
    client = ca.issue_cert(client_name)
    files = Certificates(
        ca=directory / "ca.pem",
        other_ca=directory / "other-ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
    )
    ca.cert_pem.write_to_path(str(files.ca))
    other.cert_pem.write_to_path(str(files.other_ca))
    # The whole chain, so a server or client presents any intermediate CA too.
    files.server_cert.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    server.private_key_pem.write_to_path(str(files.server_key))
    files.client_cert.write_bytes(b"".join(blob.bytes() for blob in client.cert_chain_pems))
    client.private_key_pem.write_to_path(str(files.client_key))
    return files
