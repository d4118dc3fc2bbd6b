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
from openvcluster_server.encoded import Encoded, field, with_field
from openvcluster_server.errors import aborted_stale_etag, not_found
from openvcluster_server.paging import (
    PageTokens,
    effective_page_size,
    page_byte_budget,
    read_page,
    scan_visible,
)
from openvcluster_server.selector import EVERYTHING, Selector, SelectorLimits
from openvcluster_server.store import Key, Store
from openvcluster_server.watch import Lister, Watcher, WatchHub

VCLUSTER = "vcluster"
# Field numbers of the responses framed here.
_RESPONSE_VCLUSTER = api.GetVClusterResponse.DESCRIPTOR.fields_by_name["vcluster"].number
_LIST_VCLUSTERS = api.ListVClustersResponse.DESCRIPTOR.fields_by_name["vclusters"].number
_LIST_TOKEN = api.ListVClustersResponse.DESCRIPTOR.fields_by_name["next_page_token"].number
# A stored vcluster as a listing scans it: its key and its serialized form.
Stored = tuple[Key, bytes]


def _stored_key(stored: Stored) -> Key:
    return stored[0]


def _stored_size(stored: Stored) -> int:
    return len(stored[1])


def _everything(stored: Stored) -> bool:
    return True


def _labels_match(selector: Selector) -> Callable[[Stored], bool]:
    """Whether a stored vcluster's labels satisfy ``selector`` (parsing it to read them)."""
    return lambda stored: selector.matches(VCluster.FromString(stored[1]).labels)


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
    ) -> Encoded[api.ListVClustersResponse]:
        """ListVClusters: one page in (namespace, name) order, framed from the stored
        bytes (encoded.py); a label selector parses each candidate to read its labels."""
        selector = checks.list_filters(request, self._selector_limits)
        scope = checks.list_scope(principal, request, selector)
        after = self._page_tokens.parse(scope, request.page_token)
        self._require_fresh()
        phase = request.phase or None
        scan = scan_visible(
            principal,
            request.namespace,
            after,
            lambda ns, start: self._store.scan_vcluster_data(
                namespace=ns, phase=phase, after=start
            ),
        )
        page = read_page(
            scan,
            _stored_key,
            _everything if selector is EVERYTHING else _labels_match(selector),
            effective_page_size(request.page_size),
            page_byte_budget(self._max_message_bytes),
            _stored_size,
        )
        token = self._page_tokens.issue(scope, page.next_after) if page.next_after else ""
        data = b"".join([field(_LIST_VCLUSTERS, stored) for _, stored in page.items])
        if token:
            data += field(_LIST_TOKEN, token.encode())
        return Encoded(api.ListVClustersResponse, data)

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
