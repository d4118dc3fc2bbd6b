"""Fixtures for the server tests: an in-process server and stubs for it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from openvcluster_server.testing import RunningServer, running_server
from support import Api, connect

# Property tests draw the same examples on every run, so CI results do not
# depend on luck. HYPOTHESIS_PROFILE=default searches afresh on each run.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture(scope="module")
def shared_server() -> Iterator[RunningServer]:
    """One zero-delay server for a whole test module; tests use their own names."""
    with running_server() as server:
        yield server


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """A fresh zero-delay server with test hooks on."""
    with running_server() as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[Api]:
    """Stubs for the fresh server."""
    stubs = connect(server)
    yield stubs
    stubs.channel.close()
