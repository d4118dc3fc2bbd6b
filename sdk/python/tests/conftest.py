"""Shared fixtures: a reference server per session, and clients bound to it.

Tests share one server and keep out of each other's way with a namespace of
their own (``ns``) and unique test-hook keys (``hook_key``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

import openvcluster
from openvcluster_server.testing import RunningServer, running_server


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """The shared reference server: memory store, zero transition delay, test hooks on."""
    with running_server() as running:
        yield running


@pytest.fixture
def ns(request: pytest.FixtureRequest) -> str:
    """A namespace only this test uses (a DNS-1123 label)."""
    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    return f"t-{digest}"


@pytest.fixture
def hook_key() -> str:
    """A test-hook key no other test uses."""
    return uuid.uuid4().hex


@pytest.fixture
def client(server: RunningServer) -> Iterator[openvcluster.Client]:
    """A sync client of the shared server."""
    with openvcluster.Client(server.address) as c:
        yield c


@pytest_asyncio.fixture
async def aclient(server: RunningServer) -> AsyncIterator[openvcluster.AsyncClient]:
    """An async client of the shared server."""
    async with openvcluster.AsyncClient(server.address) as c:
        yield c


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeps OVC_* variables of the machine running the tests out of the clients."""
    for name in (
        "OVC_ENDPOINT",
        "OVC_TOKEN",
        "OVC_TLS",
        "OVC_CA_FILE",
        "OVC_CLIENT_CERT_FILE",
        "OVC_CLIENT_KEY_FILE",
        "OVC_TLS_SERVER_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
