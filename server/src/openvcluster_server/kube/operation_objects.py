"""Operation resources: the API's Operation kept in the host cluster (kube/history.py)."""

from __future__ import annotations

from google.protobuf import json_format

from openvcluster.v1.operation_pb2 import Operation
from openvcluster_server.kube import kinds
from openvcluster_server.kube.api import Obj

LABEL_VCLUSTER = "openvcluster.io/vcluster"


def to_object(operation: Operation) -> Obj:
    """The Operation resource of an operation."""
    return {
        "apiVersion": f"{kinds.GROUP}/{kinds.VERSION}",
        "kind": kinds.OPERATIONS.kind,
        "metadata": {
            "name": operation.id,
            "namespace": operation.namespace,
            "labels": {LABEL_VCLUSTER: operation.vcluster},
        },
        "spec": json_format.MessageToDict(operation),
    }


def to_operation(obj: Obj) -> Operation:
    """The operation an Operation resource holds (fields it does not know are ignored)."""
    operation = json_format.ParseDict(obj.get("spec", {}), Operation(), ignore_unknown_fields=True)
    # The resource's name and namespace are what the API server keeps unique.
    operation.id = obj["metadata"]["name"]
    operation.namespace = obj["metadata"]["namespace"]
    return operation
