"""Opaque, signed page tokens and the bounded scan behind every list page.

A token holds the last key a page examined, bound to the list's scope (the
method, its filters and the caller) and signed with a server key, so a client
can neither forge one nor reuse it with other filters. Because the key is a
position in (namespace, name) order, vclusters created or deleted between
pages do not shift the others.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

from openvcluster_server.auth import Principal
from openvcluster_server.errors import invalid_field
from openvcluster_server.store import Key

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# A page reads at most this many stored items beyond its size, so its cost is
# bounded even when a filter matches little; it may then hold fewer items.
SCAN_ALLOWANCE = 2000
# gRPC clients refuse answers above 4 MiB unless told otherwise, so a page
# stops short of that (or of the server's own limit, when lower), leaving
# room for the page token and the framing. A full page of vclusters with
# maximal labels would otherwise be unreadable.
CLIENT_MESSAGE_BYTES = 4 * 1024 * 1024
PAGE_MARGIN_BYTES = 16 * 1024
# Tag and length prefix of one repeated item, at most.
_ITEM_FRAMING_BYTES = 6

_MAC_BYTES = 16
T = TypeVar("T", bound=Message)
# An item of a page: a message, or a stored one still serialized.
Item = TypeVar("Item")


def effective_page_size(requested: int) -> int:
    """0 means the default; larger than the maximum is clamped."""
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


class PageTokens:
    """Issues and checks page tokens with one server key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def issue(self, scope: str, after: Key) -> str:
        """A token for the page after ``after`` in this scope."""
        payload = json.dumps([_digest(scope), after[0], after[1]], separators=(",", ":")).encode()
        mac = hmac.digest(self._key, payload, "sha256")[:_MAC_BYTES]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def parse(self, scope: str, token: str) -> Key | None:
        """The position a token continues from; None for the first page.

        INVALID_ARGUMENT (field ``page_token``) for a token this server did not
        issue for the same scope.
        """
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise _bad_token() from None
        # The decoder skips characters outside the alphabet and takes the
        # standard one too: only the exact text issued is a token.
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:
            raise _bad_token()
        mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        expected = hmac.digest(self._key, payload, "sha256")[:_MAC_BYTES]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, expected):
            raise _bad_token()
        scope_digest, namespace, name = json.loads(payload)
        if scope_digest != _digest(scope):
            raise invalid_field(
                "page_token",
                "was issued for other filters; send the same namespace, filters and caller as "
                "the first page, or start again without a token",
            )
        return (str(namespace), str(name))


def _digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:24]


def _bad_token() -> Exception:
    return invalid_field(
        "page_token", "is not a token this server issued; use next_page_token as returned"
    )


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of results and where the next page starts (None on the last)."""

    items: list[Item]
    next_after: Key | None


def page_byte_budget(max_message_bytes: int) -> int:
    """The encoded bytes a page's items may take on a server with this message limit."""
    return max(min(max_message_bytes, CLIENT_MESSAGE_BYTES) - PAGE_MARGIN_BYTES, 0)


def read_page(
    scan: Iterator[Item],
    key_of: Callable[[Item], Key],
    matches: Callable[[Item], bool],
    size: int,
    max_bytes: int,
    encoded_size: Callable[[Item], int],
) -> Page[Item]:
    """Collects up to ``size`` matching items from an ordered scan.

    Reads at most ``size + SCAN_ALLOWANCE`` items, and ends the page early
    when the next item would take its items past ``max_bytes`` encoded
    (``encoded_size`` of each; a page always holds at least one). After a
    full page it looks ahead for one more match so the last page has no next
    token.
    """
    items: list[Item] = []
    budget = size + SCAN_ALLOWANCE
    used = 0
    last: Key | None = None
    for item in scan:
        if budget == 0:
            return Page(items, last)
        budget -= 1
        if matches(item):
            if len(items) == size:
                return Page(items, last)
            used += encoded_size(item) + _ITEM_FRAMING_BYTES
            if items and used > max_bytes:
                return Page(items, last)
            items.append(item)
        last = key_of(item)
    return Page(items, None)


def _byte_size(message: Message) -> int:
    """A message's encoded size (``Message.ByteSize`` itself is the abstract base's)."""
    return message.ByteSize()


def scan_visible(
    principal: Principal,
    namespace: str,
    after: Key | None,
    scan: Callable[[str | None, Key | None], Iterator[Item]],
) -> Iterator[Item]:
    """Scans one namespace, or every namespace the caller may see, in key order.

    ``scan(namespace, after)`` reads one namespace (None: all of them). A
    caller limited to some namespaces gets them one after another, so hidden
    namespaces cost nothing to skip.
    """
    if namespace:
        return scan(namespace, after) if principal.can_see(namespace) else iter(())
    visible = principal.visible_namespaces()
    if visible is None:
        return scan(None, after)
    start = after[0] if after else ""
    return itertools.chain.from_iterable(
        scan(ns, after if after and ns == after[0] else None) for ns in visible if ns >= start
    )


def vcluster_scoped_page(
    page_tokens: PageTokens,
    max_message_bytes: int,
    principal: Principal,
    method: str,
    namespace: str,
    vcluster: str,
    page_size: int,
    page_token: str,
    scan: Callable[[str | None, str | None, Key | None], Iterator[T]],
    key_of: Callable[[T], Key],
) -> tuple[list[T], str]:
    """One page of a listing by namespace and, optionally, vcluster name (snapshots,
    operations): its items and the next page's token ("" on the last).

    ``scan(namespace, vcluster, after)`` reads the store in key order.
    """
    scope = f"{method}\x00{principal.scope}\x00{namespace}\x00{vcluster}"
    after = page_tokens.parse(scope, page_token)
    only = vcluster or None
    items = scan_visible(principal, namespace, after, lambda ns, start: scan(ns, only, start))
    page = read_page(
        items,
        key_of,
        lambda _: True,
        effective_page_size(page_size),
        page_byte_budget(max_message_bytes),
        _byte_size,
    )
    token = page_tokens.issue(scope, page.next_after) if page.next_after else ""
    return page.items, token
