"""Pagination over loopback against a paging server whose pages finish out of order: every
token exactly once, in order, with or without totals, and cancellation leaves nothing running."""

from __future__ import annotations

import asyncio
import random
import threading
from contextlib import aclosing

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_client_transport import SECRET, serve

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.sources import PersonalTokens, TokenFilters


class Pager:
    """Serves ``count`` tokens like GitLab, with a random delay per page so that concurrent
    pages finish out of order. ``headers``: "full", "no-totals" (GitLab above 10,000 rows)
    or "link-only" (a proxy that strips the X- headers)."""

    def __init__(self, count: int, headers: str = "full", delay: float = 0.02) -> None:
        self.count = count
        self.headers = headers
        self.delay = delay
        self.pages: list[int] = []
        self.params: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        #: Page 1's delay when set (to see what was requested before it was answered).
        self.first_delay: float | None = None
        #: The pages requested before page 1 was answered.
        self.before_first_answer: list[int] | None = None

    async def endpoint(self, request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        per_page = min(int(request.query_params.get("per_page", "20")), 100)
        with self.lock:
            self.pages.append(page)
            self.params.append(dict(request.query_params))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if page == 1 and self.first_delay is not None:
                await asyncio.sleep(self.first_delay)
                self.before_first_answer = list(self.pages)
            else:
                await asyncio.sleep(random.uniform(0, self.delay))
        finally:
            with self.lock:
                self.in_flight -= 1
        first = (page - 1) * per_page + 1
        ids = range(first, min(first + per_page, self.count + 1))
        body = [
            {"id": i, "name": f"token-{i}", "created_at": "2026-01-01T00:00:00.000Z"} for i in ids
        ]
        total_pages = max(1, -(-self.count // per_page))
        has_next = page < total_pages
        base = f"http://{request.url.netloc}{request.url.path}?per_page={per_page}"
        links = []
        if has_next:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
        links.append(f'<{base}&page=1>; rel="first"')
        headers = {"Link": ", ".join(links)}
        if self.headers != "link-only":
            headers |= {
                "X-Page": str(page),
                "X-Per-Page": str(per_page),
                "X-Next-Page": str(page + 1) if has_next else "",
                "X-Prev-Page": str(page - 1) if page > 1 else "",
            }
        if self.headers == "full":
            headers |= {"X-Total": str(self.count), "X-Total-Pages": str(total_pages)}
        return JSONResponse(body, headers=headers)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/v4/personal_access_tokens", self.endpoint)])


@pytest.mark.parametrize(
    ("count", "mode"),
    [(250, "full"), (0, "full"), (100, "full"), (1234, "no-totals"), (301, "link-only")],
)
async def test_every_token_once_in_order(count: int, mode: str) -> None:
    pager = Pager(count, mode)
    with serve(pager.app()) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET) as client:
            pages = []
            async with aclosing(client.iter_token_pages(PersonalTokens())) as iterator:
                async for page in iterator:
                    pages.append(page)
    ids = [t.id for page in pages for t in page.items]
    assert ids == list(range(1, count + 1))
    assert [p.page for p in pages] == list(range(1, len(pages) + 1))
    assert pages[-1].next_page is None
    if mode == "full":
        assert pages[0].total == count
        assert len(pages) == max(1, -(-count // 100))
    else:
        assert pages[0].total is None and pages[0].total_pages is None
    assert all(int(p["per_page"]) == 100 for p in pager.params)
    assert pager.max_in_flight <= client.concurrency


async def test_known_total_is_fetched_concurrently_and_bounded() -> None:
    pager = Pager(2000, "full", delay=0.05)
    with serve(pager.app()) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET, concurrency=4) as client:
            tokens = await client.list_tokens(PersonalTokens())
    assert [t.id for t in tokens] == list(range(1, 2001))
    assert sorted(pager.pages) == list(range(1, 21))  # each page requested once
    assert 1 < pager.max_in_flight <= 4


async def test_filters_are_sent() -> None:
    pager = Pager(5)
    with serve(pager.app()) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET) as client:
            source = PersonalTokens(user_id=3)
            await client.list_tokens(source, TokenFilters(state="active", search="deploy"))
    assert pager.params == [
        {"state": "active", "search": "deploy", "user_id": "3", "page": "1", "per_page": "100"}
    ]


def _only_me() -> set[asyncio.Task]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()}


async def test_closing_the_iterator_cancels_requests_in_flight() -> None:
    pager = Pager(5000, "full", delay=2.0)
    with serve(pager.app()) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET) as client:
            async with aclosing(client.iter_token_pages(PersonalTokens())) as iterator:
                async for page in iterator:
                    assert page.page == 1
                    break
            assert _only_me() == set()


async def test_cancelling_the_consumer_cancels_requests_in_flight() -> None:
    pager = Pager(5000, "no-totals", delay=2.0)
    first_page = asyncio.Event()

    async def consume(client: GitLabClient) -> None:
        async with aclosing(client.iter_token_pages(PersonalTokens())) as iterator:
            async for _ in iterator:
                first_page.set()

    with serve(pager.app()) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET) as client:
            task = asyncio.create_task(consume(client))
            await first_page.wait()
            await asyncio.sleep(0.05)  # let the fetches ahead start
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert _only_me() == set()


@pytest.mark.parametrize(
    ("count", "mode"),
    [(1234, "full"), (1234, "no-totals"), (301, "link-only"), (250, "full"), (40, "full")],
)
async def test_pages_requested_ahead_of_page_one_list_every_token_once(
    count: int, mode: str
) -> None:
    pager = Pager(count, mode)
    pager.first_delay = 0.3
    with serve(pager.app()) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET, concurrency=8) as client:
            pages = []
            iterator = client.iter_token_pages(PersonalTokens(), ahead=7)
            async with aclosing(iterator) as pages_in_order:
                async for page in pages_in_order:
                    pages.append(page)
            assert _only_me() == set()  # the guesses beyond the end were cancelled
    assert [t.id for page in pages for t in page.items] == list(range(1, count + 1))
    assert [p.page for p in pages] == list(range(1, len(pages) + 1))
    # Page 1 and the 7 guesses went out together, before page 1 was answered.
    assert sorted(pager.before_first_answer or []) == list(range(1, 9))
    assert pager.max_in_flight <= 8
    real = max(1, -(-count // 100))
    assert len(pager.pages) - len(set(pager.pages)) == 0  # no page asked twice
    # Guesses stay within the 7 sent with page 1 (a known total) or the usual window ahead.
    last_guess = max(real, 8) if mode == "full" else real + 8
    assert set(range(1, real + 1)) <= set(pager.pages) <= set(range(1, last_guess + 1))


async def test_a_page_one_requested_earlier_is_not_requested_again() -> None:
    pager = Pager(450, "full")
    with serve(pager.app()) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET) as client:
            client.prefetch_token_page(PersonalTokens())
            tokens = []
            async with aclosing(client.iter_token_pages(PersonalTokens())) as it:
                async for page in it:
                    tokens.extend(page.items)
    assert [t.id for t in tokens] == list(range(1, 451))
    assert sorted(pager.pages) == [1, 2, 3, 4, 5]


async def test_a_page_one_requested_for_another_list_is_never_used(sim) -> None:
    """Page 1 requested ahead is taken only by the very same requests: another list asks
    its own page 1 (the tokens it yields are its own, not the filtered page's)."""
    active = TokenFilters(state="active")
    async with GitLabClient(sim.url, sim.admin_token) as client:
        client.prefetch_token_page(PersonalTokens(), active)
        async with aclosing(client.iter_token_pages(PersonalTokens())) as it:
            everything = [t.id async for page in it for t in page.items]
        async with aclosing(client.iter_token_pages(PersonalTokens(), active)) as it:
            still_active = [t.id async for page in it for t in page.items]
    assert set(still_active) < set(everything), "the unfiltered list got the filtered page"
    unfiltered_firsts = [
        entry
        for entry in sim.request_log
        if entry.path == "/api/v4/personal_access_tokens"
        and "page=1&" in entry.query + "&"
        and "state=" not in entry.query
    ]
    assert len(unfiltered_firsts) == 1, "the unfiltered list asked its own page 1"
