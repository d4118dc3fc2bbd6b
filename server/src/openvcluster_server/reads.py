"""GetVCluster, ListVClusters and WatchVClusters over a store of visible vclusters.

Both backends answer reads the same way: the simulated ones from their own
store, the Kubernetes one from the mirror of its watch cache. Only writes
differ between them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1.vcluster_pb2 import VCluster
from openvcluster_server import checks
from openvcluster_server.auth import Principal
from openvcluster_server.encoded import Encoded, with_field
from openvcluster_server.errors import aborted_stale_etag, not_found
from openvcluster_server.paging import (
    PageTokens,
    effective_page_size,
    page_byte_budget,
    read_page,
    scan_visible,
)
from openvcluster_server.resources import key_of
from openvcluster_server.selector import SelectorLimits
from openvcluster_server.store import Key, Store
from openvcluster_server.watch import Lister, Watcher, WatchHub

VCLUSTER = "vcluster"
_RESPONSE_VCLUSTER = api.GetVClusterResponse.DESCRIPTOR.fields_by_name["vcluster"].number


def _always_fresh() -> None:
    """The simulated stores are the state itself: never stale."""


class VClusterReads:
    """The read side of VClusterService, and the lookup every mutation starts with."""

    def __init__(
        self,
        store: Store,
        page_tokens: PageTokens,
        hub: WatchHub,
        max_message_bytes: int,
        selector_limits: SelectorLimits,
        require_fresh: Callable[[], None] = _always_fresh,
    ) -> None:
        self._store = store
        self._page_tokens = page_tokens
        self._hub = hub
        self._max_message_bytes = max_message_bytes
        self._selector_limits = selector_limits
        # Raises UNAVAILABLE when the store may be too far behind the truth.
        self._require_fresh = require_fresh

    def require_fresh(self) -> None:
        """UNAVAILABLE when the store may be too far behind the truth (for other reads)."""
        self._require_fresh()

    def existing(self, principal: Principal, namespace: str, name: str, etag: str) -> VCluster:
        """The vcluster if the caller may see it, with the etag condition checked."""
        self._require_fresh()
        visible = principal.can_see(namespace)
        vcluster = self._store.get_vcluster((namespace, name)) if visible else None
        if vcluster is None:
            raise not_found(VCLUSTER, namespace, name)
        if etag and etag != vcluster.etag:
            raise aborted_stale_etag(VCLUSTER, namespace, name)
        return vcluster

    def get_vcluster(
        self, principal: Principal, request: api.GetVClusterRequest
    ) -> Encoded[api.GetVClusterResponse]:
        """GetVCluster: the vcluster, without credentials, answered with the
        stored bytes (encoded.py)."""
        namespace, name = request.namespace, request.name
        checks.fields(request)
        # As existing() without an etag, but without parsing what is stored.
        self._require_fresh()
        data = principal.can_see(namespace) and self._store.vcluster_data((namespace, name))
        if not data:
            raise not_found(VCLUSTER, namespace, name)
        return with_field(api.GetVClusterResponse, _RESPONSE_VCLUSTER, data)

    def list_vclusters(
        self, principal: Principal, request: api.ListVClustersRequest
    ) -> api.ListVClustersResponse:
        """ListVClusters: one page in (namespace, name) order."""
        selector = checks.list_filters(request, self._selector_limits)
        scope = checks.list_scope(principal, request, selector)
        after = self._page_tokens.parse(scope, request.page_token)
        self._require_fresh()
        phase = request.phase or None
        scan = scan_visible(
            principal,
            request.namespace,
            after,
            lambda ns, start: self._store.scan_vclusters(namespace=ns, phase=phase, after=start),
        )
        page = read_page(
            scan,
            key_of,
            lambda vc: selector.matches(vc.labels),
            effective_page_size(request.page_size),
            page_byte_budget(self._max_message_bytes),
        )
        token = self._page_tokens.issue(scope, page.next_after) if page.next_after else ""
        return api.ListVClustersResponse(vclusters=page.items, next_page_token=token)

    def watch_vclusters(self, principal: Principal, request: api.WatchVClustersRequest) -> Watcher:
        """WatchVClusters: a watcher that lists every current match, sends SYNCED, then follows."""
        selector = checks.watch_filters(request, self._selector_limits)
        self._require_fresh()
        lister: Lister
        if request.namespace and request.name:
            # One vcluster, as wait helpers watch: a lookup, not a namespace scan.
            key = (request.namespace, request.name)

            def lister(after: Key | None) -> Iterator[VCluster]:
                found = self._store.get_vcluster(key) if after is None else None
                return iter([found] if found is not None else [])

        else:

            def lister(after: Key | None) -> Iterator[VCluster]:
                return scan_visible(
                    principal,
                    request.namespace,
                    after,
                    lambda ns, start: self._store.scan_vclusters(
                        namespace=ns, phase=None, after=start
                    ),
                )

        return self._hub.subscribe(
            (principal.scope, principal.name),
            checks.watch_matcher(principal, request, selector),
            lister,
        )
