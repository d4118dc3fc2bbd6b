"""Lazy listings: iterate items across pages without handling page tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["AsyncPager", "Page", "Pager"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items and the token of the next page ("" on the last)."""

    items: Sequence[T]
    next_page_token: str

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _check_progress(token: str, next_token: str) -> None:
    if next_token and next_token == token:
        raise RuntimeError(f"the server answered the same page token {token!r} twice")


class Pager(Generic[T]):
    """The items of a listing, fetched page by page as the iteration goes.

    ``for vc in client.list_vclusters(...)`` walks every item; ``.pages`` walks
    whole pages, and :meth:`page` fetches one (to show a page at a time or to
    remember ``next_page_token``). No call is made before iterating; each new
    iteration starts again from the first page and sees the current state.
    """

    def __init__(self, fetch: Callable[[str], Page[T]], page_token: str = "") -> None:
        self._fetch = fetch
        self._page_token = page_token

    def __iter__(self) -> Iterator[T]:
        for page in self.pages:
            yield from page.items

    @property
    def pages(self) -> Iterator[Page[T]]:
        """The pages, fetched one call at a time."""
        return self._pages()

    def page(self, page_token: str | None = None) -> Page[T]:
        """One page, fetched now: the listing's first (or the one it was told to
        start at), or the one at ``page_token``."""
        return self._fetch(self._page_token if page_token is None else page_token)

    def _pages(self) -> Iterator[Page[T]]:
        token = self._page_token
        while True:
            page = self._fetch(token)
            yield page
            _check_progress(token, page.next_page_token)
            if not page.next_page_token:
                return
            token = page.next_page_token


class AsyncPager(Generic[T]):
    """The async twin of :class:`Pager`: ``async for vc in client.list_vclusters(...)``."""

    def __init__(self, fetch: Callable[[str], Awaitable[Page[T]]], page_token: str = "") -> None:
        self._fetch = fetch
        self._page_token = page_token

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages:
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    @property
    def pages(self) -> AsyncIterator[Page[T]]:
        """The pages, fetched one call at a time."""
        return self._pages()

    async def page(self, page_token: str | None = None) -> Page[T]:
        """One page, fetched now: the listing's first (or the one it was told to
        start at), or the one at ``page_token``."""
        return await self._fetch(self._page_token if page_token is None else page_token)

    async def _pages(self) -> AsyncIterator[Page[T]]:
        token = self._page_token
        while True:
            page = await self._fetch(token)
            yield page
            _check_progress(token, page.next_page_token)
            if not page.next_page_token:
                return
            token = page.next_page_token
