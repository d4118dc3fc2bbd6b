"""The servers the parts measure, each a real subprocess: the reference server
(``openvcluster-server serve``) and the bare grpcio server (bench/bare_server.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

import openvcluster
from bench.report import ROOT
from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc

# Both servers log this line once they accept calls; port 0 means "any free port".
_SERVING = re.compile(rb"serving on (\S+)")
# The reference server's line goes on "(backend memory, http HOST:PORT, ...)", or
# "http off" without an HTTP port.
_HTTP = re.compile(rb"serving on \S+ \(.*?\bhttp ([^,)]+)")
START_TIMEOUT = 30.0
# The vcluster GetVCluster fetches in the throughput and SDK parts.
TARGET_NAMESPACE, TARGET_NAME = "bench", "target"
# Part 1's other methods: a listing's namespace and page size, and the
# vcluster ScaleVCluster changes (in TARGET_NAMESPACE).
LIST_NAMESPACE, LIST_PAGE_SIZE = "bench-list", 50
SCALE_NAME = "scaled"


@dataclass(frozen=True)
class ServerProcess:
    """A running server subprocess."""

    name: str
    address: str
    pid: int
    log: Path
    # The HTTP port's host:port (Connect, gRPC-Web); "" when the server has none.
    http_address: str = ""


def clean_env() -> dict[str, str]:
    """The environment for subprocesses: this one without the SDK's OVC_* settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OVC_")}


@contextmanager
def serve(name: str, command: Sequence[str], workdir: Path) -> Iterator[ServerProcess]:
    """Starts ``command``, waits for its "serving on HOST:PORT" line, stops it on exit.

    Its output goes to ``workdir/NAME.log`` (a file, so that a chatty server
    never blocks on a full pipe).
    """
    log = workdir / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command), stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=clean_env()
        )
    try:
        address, http_address = _wait_for_addresses(process, log)
        yield ServerProcess(name, address, process.pid, log, http_address)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_addresses(process: subprocess.Popen[bytes], log: Path) -> tuple[str, str]:
    """The gRPC and the HTTP address of the "serving on" line ("" for no HTTP port)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_bytes()
        found = _SERVING.search(text)
        if found:
            http = _HTTP.search(text)
            http_address = http.group(1).decode() if http else ""
            return found.group(1).decode(), "" if http_address == "off" else http_address
        if process.poll() is not None:
            break
        time.sleep(0.05)
    tail = log.read_text(errors="replace").strip().splitlines()[-10:]
    raise RuntimeError(f"{log.stem} did not start: " + " | ".join(tail))


def reference_command(
    store: str = "memory",
    data_dir: Path | None = None,
    *,
    http: bool = True,
    metrics: bool = False,
    traced: bool = False,
) -> list[str]:
    """``openvcluster-server serve`` on free loopback ports (gRPC, HTTP unless ``http``
    is false, metrics if ``metrics``), phases ending at once; with ``traced``, through
    ``bench.traced_server`` (tracing on, spans dropped)."""
    module = "bench.traced_server" if traced else "openvcluster_server"
    command = [sys.executable, "-m", module, "serve", "--address", "127.0.0.1:0"]
    command += ["--http-address", "127.0.0.1:0" if http else "off"]
    if metrics:
        command += ["--metrics-address", "127.0.0.1:0"]
    command += ["--transition-delay", "0", "--store", store]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    return command


def bare_command(response_file: Path, method: str = "GetVCluster") -> list[str]:
    """The bare grpcio server answering every call of ``method`` with the message in
    the file."""
    return [
        sys.executable,
        "-m",
        "bench.bare_server",
        "--address",
        "127.0.0.1:0",
        "--response",
        str(response_file),
        "--method",
        method,
    ]


def create_target(address: str) -> bytes:
    """Creates the benchmark's vcluster (a realistic one: spec, labels, RUNNING) through
    the SDK and returns its serialized GetVClusterResponse."""
    with openvcluster.Client(address, timeout=30) as client:
        _create_realistic(client, TARGET_NAMESPACE, TARGET_NAME)
    with grpc.insecure_channel(address) as channel:
        response: api.GetVClusterResponse = api_grpc.VClusterServiceStub(channel).GetVCluster(
            api.GetVClusterRequest(namespace=TARGET_NAMESPACE, name=TARGET_NAME), timeout=30
        )
    return response.SerializeToString()


def create_list_targets(address: str) -> bytes:
    """Creates two pages of realistic vclusters in LIST_NAMESPACE and returns the
    serialized ListVClustersResponse of the first page."""
    with openvcluster.Client(address, timeout=30) as client:
        for index in range(2 * LIST_PAGE_SIZE):
            _create_realistic(client, LIST_NAMESPACE, f"vc-{index:03d}")
    with grpc.insecure_channel(address) as channel:
        response: api.ListVClustersResponse = api_grpc.VClusterServiceStub(channel).ListVClusters(
            api.ListVClustersRequest(namespace=LIST_NAMESPACE, page_size=LIST_PAGE_SIZE),
            timeout=30,
        )
    return response.SerializeToString()


def create_scale_target(address: str) -> bytes:
    """Creates a realistic vcluster, suspends it (so that a scale stores the new spec
    without a transition) and returns the serialized ScaleVClusterResponse of one
    scale of it."""
    with openvcluster.Client(address, timeout=30) as client:
        _create_realistic(client, TARGET_NAMESPACE, SCALE_NAME)
        client.suspend_vcluster(TARGET_NAMESPACE, SCALE_NAME, wait=True)
    with grpc.insecure_channel(address) as channel:
        response: api.ScaleVClusterResponse = api_grpc.VClusterServiceStub(channel).ScaleVCluster(
            api.ScaleVClusterRequest(
                namespace=TARGET_NAMESPACE,
                name=SCALE_NAME,
                replicas=1,
                request_id=str(uuid.uuid4()),
            ),
            timeout=30,
        )
    return response.SerializeToString()


def _create_realistic(client: openvcluster.Client, namespace: str, name: str) -> None:
    """A vcluster with a spec and labels as a team would create it, RUNNING."""
    client.create_vcluster(
        namespace,
        name,
        kubernetes_version="1.31",
        cpu="2",
        memory="4Gi",
        storage="20Gi",
        replicas=2,
        labels={"app": "bench", "team": "platform", "tier": "gold"},
        wait=True,
    )
