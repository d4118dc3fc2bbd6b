"""The API's services: the one list the server registers, reflects, reports
health and labels metrics by, and the tests loop over."""

from __future__ import annotations

from google.protobuf.descriptor import ServiceDescriptor

from openvcluster.v1 import (
    monitor_service_pb2,
    operation_service_pb2,
    server_info_service_pb2,
    snapshot_service_pb2,
    vcluster_service_pb2,
)

SERVICES: tuple[ServiceDescriptor, ...] = tuple(
    service
    for file in (
        vcluster_service_pb2.DESCRIPTOR,
        snapshot_service_pb2.DESCRIPTOR,
        monitor_service_pb2.DESCRIPTOR,
        server_info_service_pb2.DESCRIPTOR,
        operation_service_pb2.DESCRIPTOR,
    )
    for service in file.services_by_name.values()
)
SERVICE_NAMES = tuple(service.full_name for service in SERVICES)
