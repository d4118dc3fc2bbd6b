"""The handler table: every unary RPC calls the backend method of its name."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from openvcluster_server.api_services import SERVICES
from openvcluster_server.backend import Backend
from openvcluster_server.handlers import Handlers
from openvcluster_server.server_info import ServerInfoReader


class _Recorder:
    """Any method: records the call and answers its name."""

    def __init__(self, part: str, calls: list[tuple[Any, ...]]) -> None:
        self._part, self._calls = part, calls

    def __getattr__(self, name: str) -> Any:
        def method(*args: Any) -> str:
            self._calls.append((self._part, name, *args))
            return name

        return method


def _handlers() -> tuple[Handlers, SimpleNamespace, list[tuple[Any, ...]]]:
    calls: list[tuple[Any, ...]] = []
    parts = ("reads", "monitor", "vclusters", "snapshots", "operations")
    engine = SimpleNamespace(**{part: _Recorder(part, calls) for part in parts})
    # The info reader has one method; a recorder would answer any name.
    info = SimpleNamespace(get_server_info=_Recorder("info", calls).get_server_info)
    handlers = Handlers(cast(Backend, engine), cast(ServerInfoReader, info))
    return handlers, engine, calls


def test_every_unary_rpc_has_a_handler() -> None:
    handlers, _, _ = _handlers()
    unary = {
        m.name
        for s in SERVICES
        for m in s.methods
        if not (m.client_streaming or m.server_streaming)
    }
    assert set(handlers.unary) == unary


@pytest.mark.parametrize(
    ("rpc", "call"),
    [
        ("ScaleVCluster", ("vclusters", "scale_vcluster", "p", "r", "h")),
        ("GetVClusterKubeconfig", ("vclusters", "get_vcluster_kubeconfig", "p", "r")),
        ("GetVCluster", ("reads", "get_vcluster", "p", "r")),
        ("DeleteSnapshot", ("snapshots", "delete_snapshot", "p", "r", "h")),
        ("GetFleetSummary", ("monitor", "get_fleet_summary", "p", "r")),
        ("ListOperations", ("operations", "list_operations", "p", "r")),
        ("GetServerInfo", ("info", "get_server_info", "p", "r")),
    ],
)
def test_a_handler_calls_the_method_of_its_name_with_hooks_for_a_mutation(
    rpc: str, call: tuple[str, ...]
) -> None:
    handlers, _, calls = _handlers()
    handler: Any = handlers.unary[rpc]
    assert handler("p", "r", "h") == call[1]
    assert calls == [call]


def test_the_backend_part_is_looked_up_at_each_call() -> None:
    # The Kubernetes backend makes its parts when it starts, after the table.
    handlers, engine, calls = _handlers()
    engine.vclusters = _Recorder("started", calls)
    handler: Any = handlers.unary["SuspendVCluster"]
    handler("p", "r", "h")
    assert calls == [("started", "suspend_vcluster", "p", "r", "h")]
