"""scripts/protoc_plugins/grpc_python.py writes what grpc_tools.protoc writes."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = "scripts/protoc_plugins/grpc_python.py"


def python_files(base: pathlib.Path) -> dict[str, bytes]:
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*.py")}


def test_plugin_output_is_identical_to_grpc_tools_protoc(tmp_path: pathlib.Path) -> None:
    through_buf = tmp_path / "buf"
    template = {
        "version": "v2",
        "inputs": [{"directory": "proto"}],
        "plugins": [{"local": [sys.executable, PLUGIN], "out": str(through_buf)}],
    }
    subprocess.run(["buf", "generate", "--template", json.dumps(template)], cwd=ROOT, check=True)

    direct = tmp_path / "direct"
    direct.mkdir()
    protos = sorted(p.relative_to(ROOT / "proto").as_posix() for p in ROOT.glob("proto/**/*.proto"))
    # The field rules import buf/validate/validate.proto and operations
    # google/rpc/status.proto (both vendored); grpc_tools brings google/protobuf.
    includes = ["-Iproto", "-Ithird_party/protovalidate", "-Ithird_party/googleapis"]
    command = [sys.executable, "-m", "grpc_tools.protoc", *includes, f"--grpc_python_out={direct}"]
    subprocess.run([*command, *protos], cwd=ROOT, check=True)

    assert python_files(through_buf) == python_files(direct)
    assert "openvcluster/v1/vcluster_service_pb2_grpc.py" in python_files(direct)
