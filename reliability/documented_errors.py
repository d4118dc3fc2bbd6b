"""The status codes each RPC's doc comment in proto/ lists, read from the proto itself.

Every RPC's comment has a paragraph that starts with ``Errors:`` and names
the codes it answers besides the ones every RPC may give (CONTRIBUTING.md,
"Add an RPC end to end"). The suites take those codes from there, so the
contract a caller reads and the one the suites hold the server to are the
same text. The comments come from a ``buf build`` image, which keeps the
source's comments (the generated Python modules do not).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import grpc
from google.protobuf import descriptor_pb2

PROTO_ROOT = Path(__file__).resolve().parents[1] / "proto"
# Where a comment's list of errors starts; it runs to the end of its paragraph.
ERRORS_MARK = "Errors:"
# The path of a method in a FileDescriptorProto's SourceCodeInfo: the file's
# field 6 (service), its index, the service's field 2 (method), its index.
_SERVICE_FIELD = descriptor_pb2.FileDescriptorProto.SERVICE_FIELD_NUMBER
_METHOD_FIELD = descriptor_pb2.ServiceDescriptorProto.METHOD_FIELD_NUMBER
_CODES = {code.name: code for code in grpc.StatusCode}
_WORD = re.compile(r"[A-Z][A-Z_]+")


class UndocumentedError(LookupError):
    """An RPC whose doc comment has no ``Errors:`` paragraph."""


@functools.cache
def documented_errors() -> dict[str, frozenset[grpc.StatusCode]]:
    """The codes of every RPC's ``Errors:`` paragraph, by the method's full name
    (``openvcluster.v1.VClusterService.GetVCluster``); RPCs without one are absent."""
    errors: dict[str, frozenset[grpc.StatusCode]] = {}
    for file in _image().file:
        comments = {
            tuple(location.path): location.leading_comments
            for location in file.source_code_info.location
        }
        for s, service in enumerate(file.service):
            for m, method in enumerate(service.method):
                comment = comments.get((_SERVICE_FIELD, s, _METHOD_FIELD, m), "")
                paragraph = errors_paragraph(comment)
                if paragraph is not None:
                    name = f"{file.package}.{service.name}.{method.name}"
                    errors[name] = codes_in(paragraph)
    return errors


def errors_of(method_full_name: str) -> frozenset[grpc.StatusCode]:
    """The codes ``method_full_name``'s comment documents; UndocumentedError when it lists none."""
    try:
        return documented_errors()[method_full_name]
    except KeyError:
        raise UndocumentedError(
            f"{method_full_name} has no '{ERRORS_MARK}' paragraph in its proto comment: "
            "list the status codes it answers there"
        ) from None


def errors_paragraph(comment: str) -> str | None:
    """The paragraph of a comment that starts with ``Errors:``, or None."""
    for paragraph in re.split(r"\n\s*\n", comment):
        if paragraph.lstrip().startswith(ERRORS_MARK):
            return paragraph
    return None


def codes_in(text: str) -> frozenset[grpc.StatusCode]:
    """The status codes named in ``text`` (words such as NOT_FOUND)."""
    return frozenset(_CODES[word] for word in _WORD.findall(text) if word in _CODES)


def _image() -> descriptor_pb2.FileDescriptorSet:
    """proto/ built by buf, with its comments."""
    buf = shutil.which("buf")
    if buf is None:
        raise RuntimeError("buf is not on PATH (requirements/dev.txt installs it)")
    built = subprocess.run(
        [buf, "build", str(PROTO_ROOT), "--output", "-#format=binpb"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return descriptor_pb2.FileDescriptorSet.FromString(built.stdout)
