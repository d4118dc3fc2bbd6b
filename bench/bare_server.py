"""The bare grpcio server the reference server is compared with.

The same process model as the reference server (one Python process, a
``grpc.aio`` server with the same options on the default asyncio loop), but
its only RPC, GetVCluster, answers with a fixed response read from a file: a
real one, fetched from the reference server, so both send the same bytes.
With ``--method`` its only RPC is another unary VClusterService method
(ListVClusters, ScaleVCluster), answered the same way.

    python -m bench.bare_server --address 127.0.0.1:0 --response FILE [--method NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from openvcluster.v1 import vcluster_service_pb2 as api

log = logging.getLogger("bench.bare_server")
# The reference server's default (ServerConfig.max_message_bytes).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
_SERVICE = api.DESCRIPTOR.services_by_name["VClusterService"]
SERVICE = _SERVICE.full_name
# The methods it can answer with a fixed response (--method).
FIXED_METHODS = ("GetVCluster", "ListVClusters", "ScaleVCluster")


def add_fixed_method(server: grpc.aio.Server, method: str, response: Message) -> None:
    """Serves openvcluster.v1.VClusterService with one unary method, always
    answering ``response``; registered the way the generated ``add_..._to_server`` does."""
    descriptor = _SERVICE.methods_by_name[method]

    async def fixed(request: Message, context: grpc.aio.ServicerContext[Any, Any]) -> Message:
        return response

    handlers = {
        method: grpc.unary_unary_rpc_method_handler(
            fixed,
            request_deserializer=GetMessageClass(descriptor.input_type).FromString,
            response_serializer=GetMessageClass(descriptor.output_type).SerializeToString,
        )
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_registered_method_handlers(SERVICE, handlers)


def new_server() -> grpc.aio.Server:
    """A grpc.aio server with the reference server's message limits."""
    return grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
    )


async def serve_on(server: grpc.aio.Server, address: str) -> None:
    """Listens on ``address``, says "serving on HOST:PORT" (what bench.servers waits
    for) and serves until cancelled (SIGTERM ends the process)."""
    port = server.add_insecure_port(address)
    await server.start()
    log.info("serving on %s", address.rsplit(":", 1)[0] + f":{port}")
    await server.wait_for_termination()


async def serve(address: str, method: str, response: Message) -> None:
    """Serves the fixed method until cancelled."""
    server = new_server()
    add_fixed_method(server, method, response)
    await serve_on(server, address)


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:0", help="host:port to listen on")
    parser.add_argument(
        "--response", type=Path, required=True, help="a serialized response of the method"
    )
    parser.add_argument("--method", default="GetVCluster", choices=FIXED_METHODS)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    output = GetMessageClass(_SERVICE.methods_by_name[args.method].output_type)
    response = output.FromString(args.response.read_bytes())
    asyncio.run(serve(args.address, args.method, response))
    return 0


if __name__ == "__main__":
    sys.exit(main())
