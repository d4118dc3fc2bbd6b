"""The server's own Python per GetVCluster, measured in one process (part 7).

The rungs of part 7 time whole servers under load, where grpc's and asyncio's
work dwarfs the server's and the machine's noise is larger than one step.
This measures only what the reference server adds on the gRPC port: the
method's handler as the server registers it (the decoding guard, GrpcCalls,
CallRunner, authentication, the field rules, the read and its answer in wire
form, the access line), called directly on the event loop with a context
that gives only the call's metadata, against a bare handler that parses the
request and serializes a fixed response. Rounds alternate the three paths;
CPU time comes from ``time.process_time``.

    python -m bench.call_path --calls 20000 --rounds 5 --log FILE

prints one JSON object: microseconds per call of each path, per round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn

from bench.servers import TARGET_NAME, TARGET_NAMESPACE
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster_server import cli
from openvcluster_server.app import ReferenceServer
from openvcluster_server.auth import ANONYMOUS, load_authenticator
from openvcluster_server.calls import CallRunner
from openvcluster_server.calls import log as access_log
from openvcluster_server.config import ServerConfig
from openvcluster_server.decoding import GuardedRegistrar
from openvcluster_server.handlers import Handlers
from openvcluster_server.server_info import ServerInfoReader
from openvcluster_server.services import GrpcCalls, method_handlers
from openvcluster_server.testhooks import NO_HOOKS, TestHooks

PATHS = ("bare", "server", "server without access line")
_METHOD = "/openvcluster.v1.VClusterService/GetVCluster"


class _Context:
    """What the handler asks of a call's context on the answered path."""

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("user-agent", "grpc-go/1.85.0"),)

    async def abort(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(f"the measured call failed: {args}")


class _Registry:
    """Takes the handlers a GuardedRegistrar hands to a grpc server."""

    def __init__(self) -> None:
        self.generic: list[Any] = []

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)


async def measure(calls: int, rounds: int) -> dict[str, list[float]]:
    """Microseconds of CPU per call of each path, per round."""
    config = ServerConfig(address="127.0.0.1:0", http_address=None, transition_delay=0)
    server = ReferenceServer(config)
    await server.start()
    try:
        created = server.backend.vclusters.create_vcluster(
            ANONYMOUS,
            api.CreateVClusterRequest(
                namespace=TARGET_NAMESPACE, name=TARGET_NAME, labels={"app": "bench"}
            ),
            NO_HOOKS,
        )
        if isinstance(created, Awaitable):
            await created
        # The gRPC port's handlers, made as ReferenceServer.start makes them.
        runner = CallRunner(load_authenticator(None), TestHooks(enabled=False))
        grpc_calls = GrpcCalls(runner, Handlers(server.backend, ServerInfoReader(config)))
        registry = _Registry()
        registrar = GuardedRegistrar(registry)  # type: ignore[arg-type]
        for service, handlers in method_handlers(grpc_calls).items():
            registrar.add_registered_method_handlers(service, handlers)
        (table,) = registry.generic
        handler = table.handlers[_METHOD]
        raw = api.GetVClusterRequest(namespace=TARGET_NAMESPACE, name=TARGET_NAME)
        request_bytes = raw.SerializeToString()
        context = _Context()
        fixed = api.GetVClusterResponse.FromString(
            handler.response_serializer(
                await handler.unary_unary(handler.request_deserializer(request_bytes), context)
            )
        )

        async def bare() -> bytes:
            api.GetVClusterRequest.FromString(request_bytes)
            return fixed.SerializeToString()

        async def served() -> bytes:
            request = handler.request_deserializer(request_bytes)
            data: bytes = handler.response_serializer(await handler.unary_unary(request, context))
            return data

        paths: dict[str, Callable[[], Awaitable[bytes]]] = {
            "bare": bare,
            "server": served,
            "server without access line": served,
        }
        results: dict[str, list[float]] = {path: [] for path in PATHS}
        for round_index in range(rounds):
            order = PATHS if round_index % 2 == 0 else tuple(reversed(PATHS))
            for path in order:
                quiet = path == "server without access line"
                access_log.setLevel(logging.WARNING if quiet else logging.NOTSET)
                call = paths[path]
                for _ in range(calls // 10):
                    await call()
                started = time.process_time()
                for _ in range(calls):
                    await call()
                results[path].append((time.process_time() - started) / calls * 1e6)
        access_log.setLevel(logging.NOTSET)
        return results
    finally:
        await server.stop()


def main() -> int:
    """Entry point: logs as ``openvcluster-server serve`` does, into ``--log``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--log", type=Path, required=True, help="where the server's log goes")
    args = parser.parse_args()
    with args.log.open("w") as log_file:
        sys.stderr = log_file
        cli.configure_logging("text", "info")
        results = asyncio.run(measure(args.calls, args.rounds))
        sys.stderr = sys.__stderr__
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
