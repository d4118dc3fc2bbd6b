"""Listings fetch their pages lazily, sync and async, across many pages."""

from __future__ import annotations

import pytest

import openvcluster
from openvcluster import AsyncPager, Page, Pager

NAMES = [f"vc-{i}" for i in range(7)]


@pytest.fixture
def seven(client: openvcluster.Client, ns: str) -> str:
    """A namespace holding seven vclusters and seven snapshots (of vc-0)."""
    for name in NAMES:
        client.create_vcluster(ns, name)
    client.wait_for_phase(ns, "vc-0", "RUNNING")
    for i in range(7):
        client.snapshot_vcluster(ns, "vc-0", snapshot_name=f"snap-{i}")
    return ns


def test_items_across_four_pages(client: openvcluster.Client, seven: str) -> None:
    pager = client.list_vclusters(seven, page_size=2)
    assert isinstance(pager, Pager)
    assert [vc.name for vc in pager] == NAMES
    pages = list(pager.pages)
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert [bool(page.next_page_token) for page in pages] == [True, True, True, False]
    assert all(isinstance(vc, openvcluster.VCluster) for page in pages for vc in page.items)


def test_resume_from_a_page_token(client: openvcluster.Client, seven: str) -> None:
    first = next(iter(client.list_vclusters(seven, page_size=3).pages))
    assert [vc.name for vc in first] == NAMES[:3]
    rest = client.list_vclusters(seven, page_size=3, page_token=first.next_page_token)
    assert [vc.name for vc in rest] == NAMES[3:]


def test_snapshots_across_pages(client: openvcluster.Client, seven: str) -> None:
    pager = client.list_snapshots(seven, vcluster="vc-0", page_size=2)
    assert [s.name for s in pager] == [f"snap-{i}" for i in range(7)]
    assert len(list(pager.pages)) == 4


@pytest.mark.asyncio
async def test_async_items_and_pages(aclient: openvcluster.AsyncClient, seven: str) -> None:
    pager = aclient.list_vclusters(seven, page_size=2)
    assert isinstance(pager, AsyncPager)
    assert [vc.name async for vc in pager] == NAMES
    sizes = [len(page) async for page in pager.pages]
    assert sizes == [2, 2, 2, 1]
    snapshots = aclient.list_snapshots(seven, page_size=2)
    assert len([s async for s in snapshots]) == 7


def test_pager_is_lazy_and_restartable() -> None:
    calls: list[str] = []
    book = {"": (["a", "b"], "t1"), "t1": (["c"], "t2"), "t2": ([], "")}

    def fetch(token: str) -> Page[str]:
        calls.append(token)
        items, next_token = book[token]
        return Page(items, next_token)

    pager = Pager(fetch)
    assert calls == []
    iterator = iter(pager)
    assert next(iterator) == "a"
    assert calls == [""]
    assert list(iterator) == ["b", "c"]
    assert calls == ["", "t1", "t2"]
    assert list(pager) == ["a", "b", "c"]  # a new iteration asks again
    assert calls == ["", "t1", "t2", "", "t1", "t2"]


def test_pager_page_fetches_one_page() -> None:
    calls: list[str] = []

    def fetch(token: str) -> Page[str]:
        calls.append(token)
        return Page([f"item@{token}"], "")

    assert Pager(fetch, page_token="t3").page().items == ["item@t3"]
    assert Pager(fetch).page("t1").next_page_token == ""
    assert Pager(fetch).page().items == ["item@"]
    assert calls == ["t3", "t1", ""]


def test_pager_page_resumes_a_real_listing(client: openvcluster.Client, seven: str) -> None:
    pager = client.list_vclusters(seven, page_size=3)
    first = pager.page()
    assert [vc.name for vc in first] == NAMES[:3]
    second = pager.page(first.next_page_token)
    assert [vc.name for vc in second] == NAMES[3:6]


def test_pager_refuses_a_token_that_does_not_move() -> None:
    pager = Pager(lambda token: Page(["x"], "same"), page_token="same")
    with pytest.raises(RuntimeError, match="same page token"):
        list(pager)


@pytest.mark.asyncio
async def test_async_pager_is_lazy() -> None:
    calls: list[str] = []

    async def fetch(token: str) -> Page[int]:
        calls.append(token)
        return Page([1, 2], "") if token == "" else Page([], "")

    pager = AsyncPager(fetch)
    assert calls == []
    assert [i async for i in pager] == [1, 2]
    assert calls == [""]


@pytest.mark.asyncio
async def test_async_pager_page(aclient: openvcluster.AsyncClient, seven: str) -> None:
    pager = aclient.list_snapshots(seven, vcluster="vc-0", page_size=4)
    first = await pager.page()
    assert [s.name for s in first] == [f"snap-{i}" for i in range(4)]
    rest = await pager.page(first.next_page_token)
    assert [s.name for s in rest] == [f"snap-{i}" for i in range(4, 7)]
    assert rest.next_page_token == ""
