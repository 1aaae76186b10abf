"""GitLab's offset pagination headers, and the in-order concurrent page fetcher.

Headers (``lib/gitlab/pagination/offset_header_builder.rb``): ``X-Page``, ``X-Per-Page``,
``X-Next-Page`` and ``X-Prev-Page`` (an *empty string* when there is none), ``X-Total`` and
``X-Total-Pages`` (dropped above 10,000 rows) and ``Link`` (``rel="next"`` when there is one).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from tokentui.gitlab.errors import NotGitLab

_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([a-z]+)"?', re.IGNORECASE)

#: Pages fetched ahead by number while the total is unknown and pages come back full (GitLab
#: drops X-Total above 10,000 rows, so every large inventory is fetched this way). At most
#: this many requests beyond the last page are wasted (and cancelled).
UNKNOWN_TOTAL_PREFETCH = 8


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What the headers of one page say."""

    page: int
    per_page: int
    total: int | None
    total_pages: int | None
    next_page: int | None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _link_next(headers: httpx.Headers) -> int | None:
    for url, rel in _LINK.findall(headers.get("link", "")):
        if rel.lower() == "next":
            values = parse_qs(urlsplit(url).query).get("page")
            if values:
                return _int(values[0])
    return None


def keyset_next(headers: httpx.Headers, bound: str = "id_after") -> int | None:
    """The ``id_after`` (or ``bound``) of a keyset list's ``Link: <...>; rel="next"``, or None
    at the end of the walk (GitLab's keyset pagination gives no page numbers)."""
    for url, rel in _LINK.findall(headers.get("link", "")):
        if rel.lower() == "next":
            return _int((parse_qs(urlsplit(url).query).get(bound) or [None])[0])
    return None


def page_info(headers: httpx.Headers, *, requested_page: int, requested_per_page: int) -> PageInfo:
    """Read the pagination headers of one response (``X-Next-Page``, else ``Link``)."""
    page = _int(headers.get("x-page")) or requested_page
    per_page = _int(headers.get("x-per-page")) or requested_per_page
    if "x-next-page" in headers:
        next_page = _int(headers.get("x-next-page"))
    else:
        next_page = _link_next(headers)
    return PageInfo(
        page=page,
        per_page=per_page,
        total=_int(headers.get("x-total")),
        total_pages=_int(headers.get("x-total-pages")),
        next_page=next_page,
    )


class _HasInfo(Protocol):
    """Anything with ``page``, ``per_page``, ``total_pages``, ``next_page`` and ``items``."""

    @property
    def page(self) -> int: ...
    @property
    def per_page(self) -> int: ...
    @property
    def total_pages(self) -> int | None: ...
    @property
    def next_page(self) -> int | None: ...
    @property
    def items(self) -> Sequence[object]: ...


P = TypeVar("P", bound=_HasInfo)


async def ordered_pages(
    fetch: Callable[[int], Awaitable[P]],
    *,
    concurrency: int,
    first: Awaitable[P] | None = None,
    ahead: int = 0,
) -> AsyncGenerator[P, None]:
    """Yield page 1, 2, ... in order, each once, following each page's ``next_page``.

    After page 1, pages are fetched ahead concurrently: up to ``concurrency`` at a time up to
    ``total_pages`` when known; otherwise a few pages ahead while pages come back full. The
    ``next_page`` of each page in hand stays the truth: fetches ahead that turn out beyond the
    end are cancelled, never yielded. Closing or cancelling the iterator cancels every fetch in
    flight.

    ``first`` is page 1 when it was already requested (it is awaited instead of fetched).
    ``ahead`` pages (2, 3, ...; at most ``concurrency - 1``) are requested together with page
    1, before its headers say whether they exist: for a list expected to be long, it saves
    one round trip; on a short list at most ``ahead`` requests are wasted (and cancelled).
    """
    concurrency = max(1, concurrency)
    window: dict[int, asyncio.Task[P]] = {}
    try:
        for number in range(2, 2 + min(max(ahead, 0), concurrency - 1)):
            window[number] = asyncio.ensure_future(fetch(number))
        page = await (first if first is not None else fetch(1))
        yield page
        expected = page.next_page
        last_known = page.total_pages
        full = len(page.items) >= page.per_page
        if expected != 2:
            await _cancel(window)  # one page, or a server that does not count pages by one
        while expected is not None:
            if last_known is not None:
                horizon = min(last_known, expected + concurrency - 1)
            elif full:
                horizon = expected + min(concurrency, UNKNOWN_TOTAL_PREFETCH) - 1
            else:
                horizon = expected
            beyond = last_known if last_known is not None else float("inf")
            stale = {n: window.pop(n) for n in list(window) if n < expected or n > beyond}
            await _cancel(stale)
            for number in range(expected, max(horizon, expected) + 1):
                if number not in window and len(window) < concurrency:
                    window[number] = asyncio.ensure_future(fetch(number))
            page = await window.pop(expected)
            following = page.next_page
            if page.page != expected or (following is not None and following <= expected):
                # A server (or a cache in front of it ignoring the query string) answering
                # another page again: yielding it would list rows twice, following it loop.
                raise NotGitLab(
                    f"the server answered page {page.page} (next: {following}) when asked for "
                    f"page {expected}, so the list cannot be read exactly: is a proxy or cache "
                    "in front of GitLab ignoring the query string?"
                )
            yield page
            full = len(page.items) >= page.per_page
            if following is None or following != page.page + 1:
                # The end, or a server that does not count pages by one: drop the guesses.
                await _cancel(window)
            expected = following
    finally:
        await _cancel(window)


async def _cancel(window: dict[int, asyncio.Task[P]]) -> None:
    """Cancel the tasks of ``window`` and wait for them, swallowing their outcome."""
    tasks = list(window.values())
    window.clear()
    for task in tasks:
        task.cancel()
    if tasks:
        # return_exceptions: the fetches' own errors and cancellations are swallowed, while a
        # cancellation of the caller still propagates.
        await asyncio.gather(*tasks, return_exceptions=True)
