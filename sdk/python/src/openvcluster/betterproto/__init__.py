"""The open-vcluster-api v1 API as betterproto2 dataclasses.

An alternative to the protobuf messages of :mod:`openvcluster.v1` for those who
prefer plain dataclasses; install with ``pip install 'open-vcluster-api[betterproto]'``.
It includes a synchronous grpcio client per service (``VClusterServiceStub``,
``SnapshotServiceStub``, ``MonitorServiceStub``, ``OperationServiceStub``,
``ServerInfoServiceStub``). Nested enums are flattened: ``VCluster.Phase`` is
``VClusterPhase`` here (``Operation.State`` is ``OperationState``).

The stubs take no timeout or metadata arguments: open their channel with
:func:`openvcluster.create_channel`, which adds the token to every call, and
turn ``grpc.RpcError`` into typed errors with
:func:`openvcluster.errors.from_rpc_error`.
"""

from openvcluster.betterproto._generated.openvcluster.v1 import *  # noqa: F403
