"""The synchronous twin of openvcluster/_async/client.py, written from it
by scripts/write_sync_client.py. DO NOT EDIT: change the asyncio source
and regenerate."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self, Unpack

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2
from google.protobuf.message import Message

from openvcluster import _requests as build
from openvcluster import field_rules
from openvcluster._base import ClientBase, ClientSettings, report_operation
from openvcluster._config import ConnectionConfig, open_channel
from openvcluster._enums import (
    DistroLike,
    ExposeTypeLike,
    PhaseLike,
    SnapshotPhaseLike,
    to_phase,
    to_snapshot_phase,
)
from openvcluster._invoke import invoke
from openvcluster._options import DEFAULT, CallSettings, Default, Metadata, WireMetadata
from openvcluster._pagination import Page, Pager
from openvcluster._retry import RetryPolicy
from openvcluster._sync import wait_loops as waits
from openvcluster._wait import resting_phase
from openvcluster._watch import Watch
from openvcluster.v1 import monitor_service_pb2 as ms
from openvcluster.v1 import monitor_service_pb2_grpc as ms_grpc
from openvcluster.v1 import operation_pb2, snapshot_pb2, vcluster_pb2
from openvcluster.v1 import operation_service_pb2 as ops
from openvcluster.v1 import operation_service_pb2_grpc as ops_grpc
from openvcluster.v1 import server_info_service_pb2 as si
from openvcluster.v1 import server_info_service_pb2_grpc as si_grpc
from openvcluster.v1 import snapshot_service_pb2 as ss
from openvcluster.v1 import snapshot_service_pb2_grpc as ss_grpc
from openvcluster.v1 import vcluster_service_pb2 as vs
from openvcluster.v1 import vcluster_service_pb2_grpc as vs_grpc

__all__ = ["Client"]

if TYPE_CHECKING:
    # The stub classes of grpc.aio exist only in the type stubs (.pyi), not at run time.
    _Stubs = tuple[
        vs_grpc.VClusterServiceStub,
        ss_grpc.SnapshotServiceStub,
        ms_grpc.MonitorServiceStub,
        si_grpc.ServerInfoServiceStub,
        ops_grpc.OperationServiceStub,
    ]


class _LazyChannel:
    """A channel opened on first use: AsyncClient's must be opened inside the
    event loop that uses it. The lock keeps threads sharing a Client from
    opening two."""

    def __init__(self, config: ConnectionConfig, channel: grpc.Channel | None) -> None:
        self._config = config
        self._channel = channel
        # Certificate files are read now, so a bad path fails at construction.
        self._credentials = config.credentials() if channel is None else None
        self._stubs: _Stubs | None = None
        self._lock = threading.Lock()

    def stubs(self) -> _Stubs:
        if self._stubs is not None:
            return self._stubs
        with self._lock:
            if self._stubs is not None:
                return self._stubs
            if self._channel is None:
                self._channel = open_channel(
                    self._config,
                    grpc.secure_channel,
                    grpc.insecure_channel,
                    self._credentials,
                )
            channel = self._channel
            self._stubs = (
                vs_grpc.VClusterServiceStub(channel),
                ss_grpc.SnapshotServiceStub(channel),
                ms_grpc.MonitorServiceStub(channel),
                si_grpc.ServerInfoServiceStub(channel),
                ops_grpc.OperationServiceStub(channel),
            )
            return self._stubs

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()


_Phase = vcluster_pb2.VCluster.Phase


class Client(ClientBase):
    """A connection to an open-vcluster-api server, with one method per API call.

    Every argument is optional; what is left out comes from the environment
    (``OVC_ENDPOINT``, default ``127.0.0.1:50051``; ``OVC_TOKEN``; ``OVC_TLS``;
    ``OVC_CA_FILE``; ``OVC_CLIENT_CERT_FILE`` and ``OVC_CLIENT_KEY_FILE``;
    ``OVC_TLS_SERVER_NAME``).

    Args:
        endpoint: ``host:port`` of the server (``https://host:port`` switches TLS on).
        token: bearer token sent as ``authorization: Bearer <token>``.
        tls: force TLS on or off; by default on when a CA file or client
            certificate is set.
        ca_file: PEM file of the CA that signed the server (default: system roots).
        client_cert_file, client_key_file: PEM client certificate and key, for mutual TLS.
        tls_server_name: the name to check in the server certificate, when it
            differs from the endpoint's host.
        timeout: deadline of each attempt of a call in seconds (default 30;
            ``None`` for none).
        retry: retry policy (default ``RetryPolicy()``: UNAVAILABLE is retried
            up to 5 attempts); ``None`` never retries.
        metadata: extra gRPC metadata sent with every call.
        wait_timeout: how long wait helpers and ``wait=True`` wait (default 600 s).
        validate_requests: check each request against the proto's field rules
            before sending it (default ``True``): a bad request fails at once
            with the InvalidArgumentError the server would send, without a
            call. Turn it off to let a server with other rules decide.
        channel_options: extra grpc channel options.
        channel: a grpc channel of your own (interceptors, ...) instead of one
            built from the settings above (a ``grpc.aio`` one for AsyncClient);
            the client does not close it.

    The connection opens on the first call (AsyncClient's in that call's
    event loop). Use the client as a context manager (``with``, or ``async
    with`` for AsyncClient), or call :meth:`close`, to release it.
    AsyncClient is the same client for ``asyncio``: its calls are awaited,
    and its listings and watches iterated with ``async for``.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        channel: grpc.Channel | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        super().__init__(endpoint, settings)
        if channel is not None:
            self._owns_channel = False
        self._connection = _LazyChannel(self._config, channel)

    @property
    def _vclusters(self) -> vs_grpc.VClusterServiceStub:
        return self._connection.stubs()[0]

    @property
    def _snapshots(self) -> ss_grpc.SnapshotServiceStub:
        return self._connection.stubs()[1]

    @property
    def _monitor(self) -> ms_grpc.MonitorServiceStub:
        return self._connection.stubs()[2]

    @property
    def _server_info(self) -> si_grpc.ServerInfoServiceStub:
        return self._connection.stubs()[3]

    @property
    def _operations(self) -> ops_grpc.OperationServiceStub:
        return self._connection.stubs()[4]

    def close(self) -> None:
        """Closes the connection (a no-op on clients made by :meth:`with_options`)."""
        if self._owns_channel:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _change(
        self,
        method: str,
        request: Message,
        options: CallSettings,
        wire: WireMetadata,
        on_operation: Callable[[str], None] | None,
    ) -> vcluster_pb2.VCluster:
        """Sends the VClusterService mutation ``method`` and tells ``on_operation``
        the operation that records it; returns the vcluster it answered with."""
        stub = getattr(self._vclusters, method)
        response = invoke(method, stub, request, options, wire)
        report_operation(on_operation, response.operation_id)
        vcluster: vcluster_pb2.VCluster = response.vcluster
        return vcluster

    # VClusterService

    def create_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        spec: vcluster_pb2.VClusterSpec | None = None,
        kubernetes_version: str | None = None,
        distro: DistroLike | None = None,
        cpu: str | None = None,
        memory: str | None = None,
        storage: str | None = None,
        replicas: int | None = None,
        enable_ha: bool | None = None,
        expose_type: ExposeTypeLike | None = None,
        labels: Mapping[str, str] | None = None,
        deletion_protection: bool | None = None,
        sleep_schedule: vcluster_pb2.SleepSchedule | None = None,
        expire_time: datetime | timestamp_pb2.Timestamp | None = None,
        delete_snapshots_on_expiry: bool | None = None,
        validate_only: bool = False,
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Creates a vcluster; it starts PROVISIONING and becomes RUNNING on its own.

        Give the spec as friendly arguments (``cpu="2", memory="4Gi"``), as a
        ``VClusterSpec`` message, or both (the arguments override the message).
        Empty settings take server defaults, and the returned spec shows them.
        ``deletion_protection=True`` guards it against deletion until an
        update turns it off. ``sleep_schedule`` suspends and resumes it at set
        times (cron expressions read in the schedule's ``time_zone``, UTC when
        empty). ``expire_time``, an aware ``datetime`` or a ``Timestamp``,
        deletes it at that time (protected, it is marked ``Expired`` instead),
        keeping its snapshots unless ``delete_snapshots_on_expiry``. With
        ``wait=True`` it returns once the vcluster is RUNNING.
        ``validate_only`` checks everything and creates nothing.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered, before
        any wait (not for ``validate_only``, which records none).

        Raises:
            TypeError: ``expire_time`` is a naive datetime.
            InvalidArgumentError: a bad field, such as a bad cron expression or
                time zone, or an ``expire_time`` already past (see
                ``field_violations``).
            AlreadyExistsError: the name is taken in the namespace.
            ResourceExhaustedError: the namespace quota would be exceeded.
            VClusterFailedError: with ``wait=True``, provisioning failed.
        """
        request = build.create_request(
            namespace,
            name,
            spec=spec,
            kubernetes_version=kubernetes_version,
            distro=distro,
            cpu=cpu,
            memory=memory,
            storage=storage,
            replicas=replicas,
            enable_ha=enable_ha,
            expose_type=expose_type,
            labels=labels,
            deletion_protection=deletion_protection,
            sleep_schedule=sleep_schedule,
            expire_time=expire_time,
            delete_snapshots_on_expiry=delete_snapshots_on_expiry,
            validate_only=validate_only,
            request_id=request_id,
        )
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        vcluster = self._change("CreateVCluster", request, options, wire, on_operation)
        if wait and not validate_only:
            return waits.settle(self._vclusters, vcluster, _Phase.PHASE_RUNNING, options, wire)
        return vcluster

    def get_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Returns a vcluster. Raises NotFoundError when it does not exist."""
        options, wire = self._prepare(timeout, retry, metadata)
        return self._get(namespace, name, options, wire)

    def list_vclusters(
        self,
        namespace: str = "",
        *,
        label_selector: str = "",
        phase: PhaseLike | None = None,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[vcluster_pb2.VCluster]:
        """Lists vclusters ordered by (namespace, name), fetching pages as you iterate.

        ``namespace=""`` lists every namespace you may see. ``label_selector``
        uses Kubernetes syntax (``"tier=gold,env!=prod"``); ``phase`` keeps one
        phase (``"RUNNING"``). ``page_size`` (0: server default of 50) sets how
        many vclusters each call fetches; ``page_token`` resumes a listing.
        """
        first = build.list_vclusters_request(
            namespace, label_selector=label_selector, phase=phase, page_size=page_size
        )
        options, wire = self._prepare(timeout, retry, metadata)

        def fetch(token: str) -> Page[vcluster_pb2.VCluster]:
            request = vs.ListVClustersRequest()
            request.CopyFrom(first)
            request.page_token = token
            stub = self._vclusters.ListVClusters
            response = invoke("ListVClusters", stub, request, options, wire)
            return Page(list(response.vclusters), response.next_page_token)

        return Pager(fetch, page_token)

    def update_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        labels: Mapping[str, str] | None = None,
        kubernetes_version: str | None = None,
        deletion_protection: bool | None = None,
        sleep_schedule: vcluster_pb2.SleepSchedule | None = None,
        expire_time: datetime | timestamp_pb2.Timestamp | None = None,
        delete_snapshots_on_expiry: bool | None = None,
        update_mask: Sequence[str] | field_mask_pb2.FieldMask | None = None,
        etag: str = "",
        validate_only: bool = False,
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Changes a vcluster's labels, protection, sleep schedule, expiry or Kubernetes version.

        Only what is given changes (``None`` leaves a field alone): ``labels``
        replaces every label (``{}`` removes them all); ``deletion_protection``
        turns protection on or off; ``sleep_schedule`` replaces the whole
        schedule, and ``sleep_schedule=SleepSchedule()`` removes it;
        ``expire_time`` (an aware ``datetime`` or a ``Timestamp``) moves the
        expiry and ``delete_snapshots_on_expiry`` says whether it deletes the
        snapshots too; a new ``kubernetes_version`` is an upgrade. The update
        mask is made from the arguments given; ``update_mask`` (paths such as
        ``["labels"]``) overrides that and is sent as it is, a path named
        without its argument clearing that field: to remove the expiry, pass
        ``update_mask=["spec.expire_time"]`` and no ``expire_time``.

        Labels, protection, the schedule and the expiry change at once, in
        RUNNING, SUSPENDED or FAILED, and the phase stays; a new schedule's
        next times count from the update. An expiry already past expires the
        vcluster within seconds. An upgrade goes from RUNNING through UPGRADING back
        to RUNNING, one minor version at a time (``"1.31"`` to ``"1.32"``) or to
        a newer patch; asking for the version the vcluster has changes nothing.
        With ``wait=True`` an upgrade returns once the vcluster is RUNNING with
        the new version; other updates return at once. ``etag`` makes the call
        conditional (AbortedError when stale); ``validate_only`` checks
        everything and answers what the vcluster would become, changing nothing.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered, before
        any wait (not for ``validate_only``, which records none).

        Raises:
            TypeError: ``expire_time`` is a naive datetime.
            InvalidArgumentError: nothing to change (field ``update_mask``), a
                path that cannot change (``update_mask.paths``), bad labels, a
                bad cron expression or time zone, or an unsupported version
                (see ``field_violations``).
            FailedPreconditionError: ``reason`` ``INVALID_PHASE`` in a phase the
                update is not allowed in; ``UPGRADE_NOT_ALLOWED`` for a downgrade
                or a skipped minor version (``metadata`` has ``current``,
                ``requested`` and ``allowed``).
            NotFoundError: the vcluster does not exist.
            AbortedError: ``etag`` is stale.
            VClusterFailedError: with ``wait=True``, the upgrade failed.
        """
        request = build.update_request(
            namespace,
            name,
            labels=labels,
            kubernetes_version=kubernetes_version,
            deletion_protection=deletion_protection,
            sleep_schedule=sleep_schedule,
            expire_time=expire_time,
            delete_snapshots_on_expiry=delete_snapshots_on_expiry,
            update_mask=update_mask,
            etag=etag,
            validate_only=validate_only,
            request_id=request_id,
        )
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        vcluster = self._change("UpdateVCluster", request, options, wire, on_operation)
        if wait and not validate_only:
            return waits.settle(
                self._vclusters, vcluster, resting_phase(vcluster.status.phase), options, wire
            )
        return vcluster

    def upgrade_vcluster(
        self,
        namespace: str,
        name: str,
        kubernetes_version: str,
        *,
        etag: str = "",
        validate_only: bool = False,
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Upgrades a RUNNING vcluster to ``kubernetes_version``: UPGRADING, then RUNNING.

        The same as ``update_vcluster(namespace, name,
        kubernetes_version=kubernetes_version, ...)``: one minor version at a
        time (``"1.31"`` to ``"1.32"``) or a newer patch of the same minor, to a
        version the server supports (``get_server_info().kubernetes_versions``).
        The version the vcluster has already is a no-op. With ``wait=True`` it
        returns once the vcluster is RUNNING with the new version.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered, before
        any wait (not for ``validate_only``, which records none).

        Raises:
            InvalidArgumentError: an unsupported or malformed version.
            FailedPreconditionError: ``reason`` ``INVALID_PHASE`` when not
                RUNNING; ``UPGRADE_NOT_ALLOWED`` for a downgrade or a skipped
                minor version (``metadata["allowed"]`` is the next one allowed).
            VClusterFailedError: with ``wait=True``, the upgrade failed.
        """
        return self.update_vcluster(
            namespace,
            name,
            kubernetes_version=kubernetes_version,
            etag=etag,
            validate_only=validate_only,
            request_id=request_id,
            on_operation=on_operation,
            wait=wait,
            wait_timeout=wait_timeout,
            timeout=timeout,
            retry=retry,
            metadata=metadata,
        )

    def delete_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        etag: str = "",
        delete_snapshots: bool = False,
        keep_data: bool = False,
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Deletes a vcluster: it goes through DELETING and is then gone.

        Returns it in DELETING. With ``wait=True`` it returns once the vcluster
        is gone. Snapshots are kept unless ``delete_snapshots``; ``keep_data``
        keeps the control plane's volumes (on the Kubernetes backend). ``etag``
        makes the call conditional (AbortedError when stale).

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered,
        before any wait.

        Raises:
            FailedPreconditionError: the vcluster has deletion protection
                (``reason`` is ``DELETION_PROTECTED``); turn it off first with
                ``update_vcluster(..., deletion_protection=False)``.
            NotFoundError: the vcluster does not exist.
        """
        request = build.delete_request(
            namespace,
            name,
            etag=etag,
            delete_snapshots=delete_snapshots,
            keep_data=keep_data,
            request_id=request_id,
        )
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        vcluster = self._change("DeleteVCluster", request, options, wire, on_operation)
        if wait:
            waits.settle(self._vclusters, vcluster, None, options, wire)
        return vcluster

    def scale_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        cpu: str | None = None,
        memory: str | None = None,
        storage: str | None = None,
        resources: vcluster_pb2.Resources | None = None,
        replicas: int | None = None,
        enable_ha: bool | None = None,
        etag: str = "",
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Changes resources, replicas or high availability; what is left out is kept.

        A RUNNING vcluster goes through SCALING back to RUNNING; a SUSPENDED
        one stores the new spec and stays SUSPENDED. With ``wait=True`` it
        returns once the vcluster is back in that phase.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered,
        before any wait.

        Raises:
            FailedPreconditionError: the vcluster is in another phase.
            InvalidArgumentError: bad values, or nothing to change.
        """
        request = build.scale_request(
            namespace,
            name,
            resources=resources,
            cpu=cpu,
            memory=memory,
            storage=storage,
            replicas=replicas,
            enable_ha=enable_ha,
            etag=etag,
            request_id=request_id,
        )
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        vcluster = self._change("ScaleVCluster", request, options, wire, on_operation)
        if wait:
            return waits.settle(
                self._vclusters, vcluster, resting_phase(vcluster.status.phase), options, wire
            )
        return vcluster

    def suspend_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        drain_workloads: bool = False,
        etag: str = "",
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Suspends (powers off) a RUNNING vcluster: SUSPENDING, then SUSPENDED.

        Its state is kept. Suspending a suspended vcluster is a no-op. With
        ``wait=True`` it returns once the vcluster is SUSPENDED.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered,
        before any wait.
        """
        request = build.suspend_request(
            namespace, name, drain_workloads=drain_workloads, etag=etag, request_id=request_id
        )
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        vcluster = self._change("SuspendVCluster", request, options, wire, on_operation)
        if wait:
            return waits.settle(self._vclusters, vcluster, _Phase.PHASE_SUSPENDED, options, wire)
        return vcluster

    def resume_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Resumes (powers on) a SUSPENDED vcluster: RESUMING, then RUNNING.

        Resuming a running vcluster is a no-op. With ``wait=True`` it returns
        once the vcluster is RUNNING.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered,
        before any wait.
        """
        request = build.resume_request(namespace, name, etag=etag, request_id=request_id)
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        vcluster = self._change("ResumeVCluster", request, options, wire, on_operation)
        if wait:
            return waits.settle(self._vclusters, vcluster, _Phase.PHASE_RUNNING, options, wire)
        return vcluster

    def snapshot_vcluster(
        self,
        namespace: str,
        name: str,
        *,
        snapshot_name: str = "",
        description: str = "",
        labels: Mapping[str, str] | None = None,
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> snapshot_pb2.Snapshot:
        """Takes a snapshot of a RUNNING or SUSPENDED vcluster (its phase does not change).

        The snapshot starts PENDING and becomes READY on its own; with
        ``wait=True`` it is returned READY. An empty ``snapshot_name`` lets
        the server choose one.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered,
        before any wait.
        """
        request = build.snapshot_request(
            namespace,
            name,
            snapshot_name=snapshot_name,
            description=description,
            labels=labels,
            request_id=request_id,
        )
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        stub = self._vclusters.SnapshotVCluster
        response = invoke("SnapshotVCluster", stub, request, options, wire)
        report_operation(on_operation, response.operation_id)
        if wait:
            snapshot = response.snapshot
            target = snapshot_pb2.Snapshot.PHASE_READY
            return waits.for_snapshot(
                self._snapshots, snapshot.namespace, snapshot.name, target, options, wire
            )
        return response.snapshot

    def restore_vcluster(
        self,
        namespace: str,
        snapshot_name: str,
        *,
        target_name: str = "",
        etag: str = "",
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        wait: bool = False,
        wait_timeout: float | Default | None = DEFAULT,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> vcluster_pb2.VCluster:
        """Restores a READY snapshot, in place or as a new vcluster ``target_name``.

        In place (empty ``target_name``), the source vcluster goes through
        RESTORING and ends RUNNING with the snapshot's spec. To a new name, a
        vcluster is created through PROVISIONING. With ``wait=True`` it
        returns once the restored vcluster is RUNNING.

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered,
        before any wait.
        """
        request = build.restore_request(
            namespace, snapshot_name, target_name=target_name, etag=etag, request_id=request_id
        )
        options, wire = self._prepare(timeout, retry, metadata, wait_timeout)
        vcluster = self._change("RestoreVCluster", request, options, wire, on_operation)
        if wait:
            return waits.settle(self._vclusters, vcluster, _Phase.PHASE_RUNNING, options, wire)
        return vcluster

    def get_kubeconfig(
        self,
        namespace: str,
        name: str,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> str:
        """Returns the kubeconfig YAML of a vcluster's API server, ready for kubectl.

        It grants admin access to the vcluster, so it needs an editor token
        (PermissionDeniedError for a viewer). Raises FailedPreconditionError
        while the vcluster has no usable API server (PROVISIONING, DELETING, FAILED).
        """
        options, wire = self._prepare(timeout, retry, metadata)
        request = vs.GetVClusterKubeconfigRequest(namespace=namespace, name=name)
        stub = self._vclusters.GetVClusterKubeconfig
        response = invoke("GetVClusterKubeconfig", stub, request, options, wire)
        return response.vcluster.status.kubeconfig

    def watch_vclusters(
        self,
        namespace: str = "",
        *,
        name: str = "",
        label_selector: str = "",
        timeout: float | None = None,
        metadata: Metadata | None = None,
    ) -> Watch:
        """Follows changes of vclusters as a stream of events (``async for`` on AsyncClient).

        The stream replays every matching vcluster as ADDED, then sends one
        SYNCED event once that initial state is complete (its ``vcluster`` is
        unset; a vcluster with no ADDED before it does not exist), then ADDED,
        MODIFIED and DELETED events as they happen. It runs until cancelled
        (leaving its ``with`` block, ``.cancel()``) or for ``timeout`` seconds
        (DeadlineExceededError). Watches are not retried: watch again, and the
        replay tells you the current state.
        """
        options, wire = self._prepare(DEFAULT, DEFAULT, metadata)
        request = build.watch_request(namespace, name=name, label_selector=label_selector)
        if options.validate_requests:
            field_rules.check(request)
        return Watch(
            lambda: self._vclusters.WatchVClusters(request, timeout=timeout, metadata=wire)
        )

    # SnapshotService

    def get_snapshot(
        self,
        namespace: str,
        name: str,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> snapshot_pb2.Snapshot:
        """Returns a snapshot. Raises NotFoundError when it does not exist."""
        options, wire = self._prepare(timeout, retry, metadata)
        return self._get_snapshot(namespace, name, options, wire)

    def list_snapshots(
        self,
        namespace: str = "",
        *,
        vcluster: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[snapshot_pb2.Snapshot]:
        """Lists snapshots ordered by (namespace, name), fetching pages as you iterate.

        ``vcluster`` keeps the snapshots of one source vcluster.
        """
        first = build.list_snapshots_request(namespace, vcluster=vcluster, page_size=page_size)
        options, wire = self._prepare(timeout, retry, metadata)

        def fetch(token: str) -> Page[snapshot_pb2.Snapshot]:
            request = ss.ListSnapshotsRequest()
            request.CopyFrom(first)
            request.page_token = token
            stub = self._snapshots.ListSnapshots
            response = invoke("ListSnapshots", stub, request, options, wire)
            return Page(list(response.snapshots), response.next_page_token)

        return Pager(fetch, page_token)

    def delete_snapshot(
        self,
        namespace: str,
        name: str,
        *,
        request_id: str | None = None,
        on_operation: Callable[[str], None] | None = None,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> None:
        """Deletes a snapshot at once (a snapshot still being taken is cancelled).

        ``on_operation`` is called with the id of the Operation that records
        the call (see :meth:`get_operation`) once the server has answered.
        """
        request = build.delete_snapshot_request(namespace, name, request_id=request_id)
        options, wire = self._prepare(timeout, retry, metadata)
        stub = self._snapshots.DeleteSnapshot
        response = invoke("DeleteSnapshot", stub, request, options, wire)
        report_operation(on_operation, response.operation_id)

    # MonitorService

    def get_vcluster_usage(
        self,
        namespace: str,
        name: str,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> ms.VClusterUsage:
        """Returns what a vcluster requests and uses, observed now.

        ``requested`` and ``replicas`` come from its spec. Each measured figure
        (``cpu_used``, ``memory_used``, ``pod_count``, ...) says whether the
        backend has a source for it: an unavailable one has ``available``
        false and a ``reason``, never a value of zero. Raises NotFoundError
        when the vcluster does not exist or is in a namespace you may not see.
        """
        options, wire = self._prepare(timeout, retry, metadata)
        request = ms.GetVClusterUsageRequest(namespace=namespace, name=name)
        stub = self._monitor.GetVClusterUsage
        return (invoke("GetVClusterUsage", stub, request, options, wire)).usage

    def get_fleet_summary(
        self,
        namespace: str = "",
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> ms.FleetSummary:
        """Summarises the vclusters of a namespace, or of every one you may see (``""``).

        Counts by phase, per namespace the requested CPU and memory against its
        quota, the vclusters suspended longest and the failed ones with their
        messages. A namespace you may not see, or that holds nothing, gives an
        empty summary rather than an error.
        """
        options, wire = self._prepare(timeout, retry, metadata)
        request = ms.GetFleetSummaryRequest(namespace=namespace)
        stub = self._monitor.GetFleetSummary
        return (invoke("GetFleetSummary", stub, request, options, wire)).summary

    # OperationService

    def get_operation(
        self,
        id: str,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> operation_pb2.Operation:
        """Returns an operation: the record of one accepted mutation.

        It says which method acted on which vcluster (or snapshot), who asked
        (``requested_by``), its ``state`` (RUNNING, then SUCCEEDED or FAILED
        with ``error``), when it started and ended, and the phases it went
        through (``progress``). ``id`` is a mutation's operation id (its
        ``on_operation`` callback gives it) or one from :meth:`list_operations`.

        Raises:
            InvalidArgumentError: ``id`` is not a UUID.
            NotFoundError: no such operation (or it was forgotten, or it is in
                a namespace you may not see).
        """
        options, wire = self._prepare(timeout, retry, metadata)
        request = ops.GetOperationRequest(id=id)
        stub = self._operations.GetOperation
        return (invoke("GetOperation", stub, request, options, wire)).operation

    def list_operations(
        self,
        namespace: str = "",
        *,
        vcluster: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> Pager[operation_pb2.Operation]:
        """Lists operations by namespace, newest first in each, fetching pages as you iterate.

        ``namespace=""`` lists every namespace you may see; ``vcluster`` keeps
        the operations on the vcluster of that name (an earlier vcluster of the
        same name included: operations outlive their vcluster). Paging works
        as for :meth:`list_vclusters`.
        """
        first = build.list_operations_request(namespace, vcluster=vcluster, page_size=page_size)
        options, wire = self._prepare(timeout, retry, metadata)

        def fetch(token: str) -> Page[operation_pb2.Operation]:
            request = ops.ListOperationsRequest()
            request.CopyFrom(first)
            request.page_token = token
            stub = self._operations.ListOperations
            response = invoke("ListOperations", stub, request, options, wire)
            return Page(list(response.operations), response.next_page_token)

        return Pager(fetch, page_token)

    # ServerInfoService

    def get_server_info(
        self,
        *,
        timeout: float | Default | None = DEFAULT,
        retry: RetryPolicy | Default | None = DEFAULT,
        metadata: Metadata | None = None,
    ) -> si.ServerInfo:
        """Returns what the server decides, as your token sees it.

        Its ``version`` and ``backend``; the ``kubernetes_versions`` it accepts
        (oldest first, the last is the default); ``spec_defaults``, the spec an
        empty create gets; ``limits`` (page sizes, message size, the quotas of
        the namespaces you may see, ``"*"`` for every other); and ``caller``:
        your token's name, role and namespaces. Every valid token may call it;
        raises UnauthenticatedError without one when the server wants tokens.
        """
        options, wire = self._prepare(timeout, retry, metadata)
        request = si.GetServerInfoRequest()
        stub = self._server_info.GetServerInfo
        return (invoke("GetServerInfo", stub, request, options, wire)).info

    # Waiting

    def wait_for_phase(
        self,
        namespace: str,
        name: str,
        phase: PhaseLike,
        *,
        timeout: float | Default | None = DEFAULT,
        metadata: Metadata | None = None,
        on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
    ) -> vcluster_pb2.VCluster:
        """Waits until a vcluster is in ``phase`` (``"RUNNING"``) and returns it.

        Follows one WatchVClusters stream of the vcluster (its initial state
        and SYNCED event, then its changes), or polls GetVCluster when the
        watch is not available. ``timeout`` defaults to the client's ``wait_timeout``.

        ``on_change`` (a plain function, on AsyncClient too) shows progress: it
        is called with each state of the vcluster the wait sees, from the watch
        or a read, the first one included, once per state (never twice for the
        same etag), before the wait decides whether it is over, and never after
        it returns. An exception it raises ends the wait.

        Raises:
            WaitTimeoutError: not reached in time (``last_seen`` has the last state).
            VClusterFailedError: the vcluster ended in FAILED instead.
            NotFoundError: the vcluster does not exist or was deleted meanwhile.
        """
        target = to_phase(phase)
        options, wire = self._prepare(DEFAULT, DEFAULT, metadata, timeout)
        return waits.for_phase(self._vclusters, namespace, name, target, options, wire, on_change)

    def wait_for_deletion(
        self,
        namespace: str,
        name: str,
        *,
        timeout: float | Default | None = DEFAULT,
        metadata: Metadata | None = None,
        on_change: Callable[[vcluster_pb2.VCluster], None] | None = None,
    ) -> None:
        """Waits until a vcluster is gone (returns at once if it does not exist).

        ``on_change`` is called with each state of the vcluster the wait sees
        (DELETING ...), as for :meth:`wait_for_phase`; its disappearance is the
        return. Raises WaitTimeoutError when it still exists after ``timeout``.
        """
        options, wire = self._prepare(DEFAULT, DEFAULT, metadata, timeout)
        waits.for_deletion(self._vclusters, namespace, name, options, wire, on_change)

    def wait_for_snapshot(
        self,
        namespace: str,
        name: str,
        phase: SnapshotPhaseLike = "READY",
        *,
        timeout: float | Default | None = DEFAULT,
        metadata: Metadata | None = None,
        on_change: Callable[[snapshot_pb2.Snapshot], None] | None = None,
    ) -> snapshot_pb2.Snapshot:
        """Waits until a snapshot is in ``phase`` (READY by default) and returns it.

        Snapshots have no watch: the wait reads the snapshot with a growing
        pause. ``on_change`` (a plain function, on AsyncClient too) is called
        with each read that differs from the one before, the first one
        included, before the wait decides whether it is over, and never after
        it returns.

        Raises:
            WaitTimeoutError: not reached in time.
            SnapshotFailedError: the snapshot ended in FAILED.
        """
        target = to_snapshot_phase(phase)
        options, wire = self._prepare(DEFAULT, DEFAULT, metadata, timeout)
        return waits.for_snapshot(
            self._snapshots, namespace, name, target, options, wire, on_change
        )

    # Internals

    def _get(
        self, namespace: str, name: str, options: CallSettings, wire: WireMetadata
    ) -> vcluster_pb2.VCluster:
        request = vs.GetVClusterRequest(namespace=namespace, name=name)
        stub = self._vclusters.GetVCluster
        return (invoke("GetVCluster", stub, request, options, wire)).vcluster

    def _get_snapshot(
        self, namespace: str, name: str, options: CallSettings, wire: WireMetadata
    ) -> snapshot_pb2.Snapshot:
        request = ss.GetSnapshotRequest(namespace=namespace, name=name)
        stub = self._snapshots.GetSnapshot
        return (invoke("GetSnapshot", stub, request, options, wire)).snapshot
