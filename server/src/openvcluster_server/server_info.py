"""ServerInfoService: what this server decides, as the calling token sees it.

Everything here comes from the configuration and the caller's grant, so
both backends answer alike and nothing is read from the store.
"""

from __future__ import annotations

from openvcluster.v1 import server_info_service_pb2 as info_api
from openvcluster.v1.vcluster_pb2 import VClusterSpec
from openvcluster_server import __version__, validation
from openvcluster_server.auth import EDITOR, Principal
from openvcluster_server.clock import CLOCK
from openvcluster_server.config import ServerConfig
from openvcluster_server.errors import FieldViolations
from openvcluster_server.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from openvcluster_server.quota import ANY_NAMESPACE, quota_message

ServerInfo = info_api.ServerInfo
Caller = info_api.Caller


class ServerInfoReader:
    """Answers GetServerInfo from the server's configuration."""

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._versions = list(config.supported_versions)
        violations = FieldViolations()
        self._defaults = validation.apply_spec_defaults(violations, VClusterSpec(), self._versions)
        violations.raise_if_any()  # an empty spec is always valid; this would be a server bug

    def get_server_info(
        self, principal: Principal, request: info_api.GetServerInfoRequest
    ) -> info_api.GetServerInfoResponse:
        """GetServerInfo: the same for every caller but the caller's grant and quotas."""
        backend = (
            ServerInfo.BACKEND_KUBERNETES
            if self._config.backend == "kubernetes"
            else ServerInfo.BACKEND_SIMULATED
        )
        info = ServerInfo(
            version=__version__,
            backend=backend,
            kubernetes_versions=self._versions,
            spec_defaults=self._defaults,
            limits=info_api.ServerLimits(
                default_page_size=DEFAULT_PAGE_SIZE,
                max_page_size=MAX_PAGE_SIZE,
                max_message_bytes=self._config.max_message_bytes,
                operations_per_vcluster=self._config.operations_per_vcluster,
                operation_retention_seconds=round(self._config.operation_retention),
                quotas={
                    namespace: quota_message(quota)
                    for namespace, quota in self._config.quotas.items()
                    if namespace == ANY_NAMESPACE or principal.can_see(namespace)
                },
            ),
            caller=_caller(principal),
            server_time=CLOCK.timestamp(),
        )
        return info_api.GetServerInfoResponse(info=info)


def _caller(principal: Principal) -> info_api.Caller:
    role = Caller.ROLE_EDITOR if principal.role == EDITOR else Caller.ROLE_VIEWER
    visible = principal.visible_namespaces()
    return Caller(
        name=principal.name,
        role=role,
        namespaces=visible or [],
        all_namespaces=visible is None,
    )
