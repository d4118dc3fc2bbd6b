"""Servers between the bare grpcio server and the reference server, each one
step closer to the reference (part 7, bench/cost_ladder.py):

- ``servicer``: the generated servicer class and registration, answering the
  fixed response as the bare server does;
- ``guarded``: registered through the reference server's guard against
  undecodable requests (openvcluster_server.decoding);
- ``metadata``: also reads the call's metadata, as authentication, the test
  hooks and trace context do;
- ``stored``: also frames the response per call from the vcluster's stored
  bytes, as GetVCluster answers (openvcluster_server.encoded).

    python -m bench.ladder_server --rung stored --address 127.0.0.1:0 --response FILE
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import grpc

from bench.bare_server import new_server, serve_on
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server.decoding import GuardedRegistrar
from openvcluster_server.encoded import serialize, with_field

RUNGS = ("servicer", "guarded", "metadata", "stored")


class _Servicer(api_grpc.VClusterServiceServicer):
    """GetVCluster as the rung answers it; the other methods stay UNIMPLEMENTED."""

    def __init__(self, rung: str, response: api.GetVClusterResponse) -> None:
        self._rung = rung
        self._response = response
        # What a store holds for the vcluster.
        self._stored = response.vcluster.SerializeToString()

    async def GetVCluster(  # noqa: N802 - gRPC method names
        self, request: api.GetVClusterRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> Any:
        if self._rung in ("metadata", "stored"):
            context.invocation_metadata()
        if self._rung == "stored":
            return with_field(api.GetVClusterResponse, 1, self._stored)
        return self._response


class _SendsEncoded:
    """Registers handlers through ``registrar`` with the reference server's
    serializer, which sends an Encoded response's bytes as they are."""

    def __init__(self, registrar: Any) -> None:
        self._registrar = registrar

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self._registrar.add_generic_rpc_handlers(handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self._registrar.add_registered_method_handlers(
            service,
            {name: h._replace(response_serializer=serialize) for name, h in handlers.items()},
        )


async def serve(rung: str, address: str, response: api.GetVClusterResponse) -> None:
    """Serves the rung's GetVCluster until cancelled."""
    server = new_server()
    registrar: Any = server if rung == "servicer" else GuardedRegistrar(server)
    if rung == "stored":
        registrar = _SendsEncoded(registrar)
    # The other methods keep the generated base's UNIMPLEMENTED answers,
    # which its typing stub declares abstract.
    servicer = _Servicer(rung, response)  # type: ignore[abstract]
    api_grpc.add_VClusterServiceServicer_to_server(servicer, registrar)
    await serve_on(server, address)


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rung", choices=RUNGS, required=True)
    parser.add_argument("--address", default="127.0.0.1:0", help="host:port to listen on")
    parser.add_argument(
        "--response", type=Path, required=True, help="a serialized GetVClusterResponse"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    response = api.GetVClusterResponse.FromString(args.response.read_bytes())
    asyncio.run(serve(args.rung, args.address, response))
    return 0


if __name__ == "__main__":
    sys.exit(main())
