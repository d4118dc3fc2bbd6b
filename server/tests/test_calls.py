"""GrpcCalls and CallRunner: what every RPC shares, seen with a stand-in servicer context."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server.auth import Principal, load_authenticator
from openvcluster_server.calls import CallRunner
from openvcluster_server.logformat import record_fields
from openvcluster_server.services import GrpcCalls
from openvcluster_server.testhooks import TestHooks


class GoneClientContext:
    """A servicer context whose client has just gone: writing fails, and (as
    grpc's own context can, for a moment) it does not say it is done yet."""

    def __init__(self) -> None:
        self.aborted: list[Any] = []

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return ()

    async def write(self, message: object) -> None:
        raise RuntimeError("execute_batch failed: the call is over")

    def done(self) -> bool:
        return False

    async def abort(self, *args: Any, **kwargs: Any) -> None:
        self.aborted.append(args)


def test_a_stream_whose_client_went_away_is_cancelled_not_an_internal_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def events(
        principal: Principal, request: api.WatchVClustersRequest
    ) -> AsyncGenerator[Any, None]:
        yield api.WatchVClustersResponse()

    handlers = SimpleNamespace(streams={"WatchVClusters": events})
    runner = CallRunner(load_authenticator(None), TestHooks(False))
    calls = GrpcCalls(runner, handlers)  # type: ignore[arg-type]
    context = GoneClientContext()
    request = api.WatchVClustersRequest()
    with caplog.at_level(logging.INFO):
        asyncio.run(calls.stream("WatchVClusters", request, context))  # type: ignore[arg-type]
    assert context.aborted == []
    assert "internal error" not in caplog.text
    lines = [record_fields(r) for r in caplog.records if r.name == "openvcluster_server.rpc"]
    assert [line["code"] for line in lines] == [grpc.StatusCode.CANCELLED.name]


def test_a_handler_that_answers_with_a_coroutine_is_awaited() -> None:
    # The Kubernetes backend's writes answer with coroutines; reads answer at once.
    async def later() -> api.GetVClusterResponse:
        await asyncio.sleep(0)
        return api.GetVClusterResponse(vcluster=VCluster(name="later"))

    runner = CallRunner(load_authenticator(None), TestHooks(False))
    response = asyncio.run(
        runner.unary(
            "GetVCluster", api.GetVClusterRequest(), (), lambda principal, request, plan: later()
        )
    )
    assert isinstance(response, api.GetVClusterResponse)
    assert response.vcluster.name == "later"


def test_a_handler_that_answers_at_once_is_not_awaited() -> None:
    runner = CallRunner(load_authenticator(None), TestHooks(True))
    answer = api.GetVClusterResponse(vcluster=VCluster(name="now"))
    response = asyncio.run(
        runner.unary("GetVCluster", api.GetVClusterRequest(), (), lambda p, r, h: answer)
    )
    assert response is answer
