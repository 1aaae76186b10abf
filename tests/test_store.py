"""TokenStore against the simulator over loopback: streaming, cancellation, filters, updates."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tokentui.core.expiry import FrozenClock, token_state
from tokentui.core.query import ClientFilters, SortKey
from tokentui.core.store import Change, TokenStore
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.errors import NotFound
from tokentui.gitlab.sources import PersonalTokens, ProjectTokens, TokenFilters

ALL = PersonalTokens(user_id=None)


async def _no_wait(delay: float) -> None:
    return None


@pytest.fixture
async def admin_client(frozen_sim):
    """Root's client on the frozen simulator (the one served, whose log the tests read)."""
    async with GitLabClient(frozen_sim.url, frozen_sim.admin_token, sleep=_no_wait) as client:
        yield client


def list_requests(sim) -> list:
    return [r for r in sim.requests("GET") if r.path.endswith("access_tokens")]


async def test_load_streams_pages_and_reports_progress(frozen_sim, admin_client) -> None:
    store = TokenStore(admin_client, FrozenClock(frozen_sim.now()), source=ALL, per_page=40)
    seen: list[tuple[Change, int, bool, str]] = []
    store.subscribe(
        lambda c: seen.append((c, len(store.view), store.loading, store.progress_text()))
    )
    await store.load()
    pages = [s for s in seen if s[0] is Change.PAGE]
    assert seen[0][0] is Change.RESET and seen[-1][0] is Change.DONE
    assert len(pages) > 2
    # The first page is in the view at once, while the rest is still loading.
    first = pages[0]
    assert first[1] == 40 and first[2] is True
    assert first[3] == f"40 of {store.total:,}"
    assert store.complete and not store.loading and store.error is None
    assert store.loaded == store.total == len(store.view)
    assert store.progress_text() == f"{store.total:,} tokens"
    assert len({t.id for t in store.view}) == store.loaded


def test_progress_text_without_total() -> None:
    store = TokenStore(client=None)  # type: ignore[arg-type]
    store.loading = True
    assert store.progress_text() == "0 loaded"
    store.total = 10_000
    assert store.progress_text() == "0 of 10,000"
    store.loading = False
    assert store.progress_text() == "0 tokens"


async def test_client_filters_and_sort_make_no_request(frozen_sim, admin_client) -> None:
    store = TokenStore(admin_client, FrozenClock(frozen_sim.now()), source=ALL)
    await store.load()
    before = len(frozen_sim.request_log)
    everything = list(store.view)
    store.set_client_filters(ClientFilters(text="deploy"))
    assert store.view and all("deploy" in t.name.lower() for t in store.view)
    assert len(store.view) < len(everything)
    store.set_sort(SortKey.NAME)
    names = [t.name.casefold() for t in store.view]
    assert names == sorted(names)
    assert store.reverse_sort() is True
    assert [t.name.casefold() for t in store.view] == sorted(names, reverse=True)
    assert store.cycle_sort() is SortKey.CREATED
    assert len(frozen_sim.request_log) == before


async def test_server_filter_change_cancels_the_load_in_flight(frozen_sim, admin_client) -> None:
    store = TokenStore(admin_client, FrozenClock(frozen_sim.now()), per_page=20)
    done = asyncio.Event()
    store.subscribe(lambda c: done.set() if c is Change.DONE else None)
    store.set_source(ALL)  # starts loading in a task
    await asyncio.sleep(0)
    store.set_server_filters(TokenFilters(revoked=True))  # a new query at once
    await asyncio.wait_for(done.wait(), 120)  # a bound against hanging, not a speed test
    await asyncio.sleep(0.05)
    assert store.complete and store.view
    # Only the new query's rows: every row is revoked, none from the first query leaked in.
    assert all(t.revoked for t in store.index.tokens)
    assert any("revoked=true" in r.query for r in list_requests(frozen_sim))
    # Setting the same filters again is not a new query.
    count = len(list_requests(frozen_sim))
    store.set_server_filters(TokenFilters(revoked=True))
    assert len(list_requests(frozen_sim)) == count


async def test_late_pages_of_an_old_query_are_dropped(frozen_sim, admin_client) -> None:
    store = TokenStore(admin_client, FrozenClock(frozen_sim.now()), source=ALL, per_page=20)
    old = store._load(store._generation)  # a load whose query is then replaced
    store.server_filters = TokenFilters(state="active")
    store._generation += 1
    await old
    assert store.loaded == 0


async def test_state_filter_is_reapplied_locally(frozen_sim, admin_client) -> None:
    clock = FrozenClock(frozen_sim.now())
    store = TokenStore(admin_client, clock, source=ALL)
    store.server_filters = TokenFilters(state="active")
    await store.load()
    assert store.view and all(token_state(t, clock()) == "active" for t in store.view)
    # A day later some of them have expired: the view follows the clock without a request.
    clock.advance(timedelta(days=1))
    store.refilter()
    assert all(token_state(t, clock()) == "active" for t in store.view)


async def test_load_error_is_kept_and_reported(frozen_sim, admin_client) -> None:
    store = TokenStore(admin_client, FrozenClock(frozen_sim.now()))
    store.source = ProjectTokens(resource="platform/nothing-here")
    changes: list[Change] = []
    store.subscribe(changes.append)
    with pytest.raises(NotFound):
        await store.load()
    assert isinstance(store.error, NotFound)
    assert not store.loading and not store.complete
    assert changes[-1] is Change.DONE


async def test_apply_created_rotated_revoked_update_without_reload(
    frozen_sim, admin_client
) -> None:
    clock = FrozenClock(frozen_sim.now())
    store = TokenStore(admin_client, clock, source=PersonalTokens(user_id=2))
    await store.load()
    requests = len(list_requests(frozen_sim))
    count = store.loaded

    new = await admin_client.create_token(
        store.source,
        CreateTokenRequest(
            name="store-test", scopes=("read_api",), expires_at=clock().date() + timedelta(9)
        ),
        viewer_is_admin=True,
    )
    store.apply_created(new)
    assert store.loaded == count + 1
    created = store.get(new.id)
    assert created is not None and created.name == "store-test"
    assert not hasattr(created, "token")  # the secret never enters the store

    rotated = await admin_client.rotate_token(store.source, new.id)
    store.apply_rotated(new.id, rotated)
    assert store.get(new.id).revoked
    assert token_state(store.get(rotated.id), clock()) == "active"
    assert not hasattr(store.get(rotated.id), "token")

    await admin_client.revoke_token(store.source, rotated.id)
    store.apply_revoked(rotated.id)
    assert store.get(rotated.id).revoked
    assert rotated.id in {t.id for t in store.view}

    # With revoked tokens filtered out, the revoked rows leave the view.
    store.server_filters = TokenFilters(revoked=False)
    store.refilter()
    assert {new.id, rotated.id}.isdisjoint({t.id for t in store.view})
    assert len(list_requests(frozen_sim)) == requests
    # The server agrees with what the store shows.
    server_side = await admin_client.get_token(store.source, rotated.id)
    assert server_side.revoked


async def test_a_filter_the_endpoint_ignores_is_applied_locally(frozen_sim, admin_client) -> None:
    from tokentui.gitlab.sources import ImpersonationTokens

    for revoked in (True, False, False):
        frozen_sim.issue_token(
            4, name=f"imp-{revoked}", scopes=["api"], impersonation=True, revoked=revoked
        )
    store = TokenStore(admin_client, FrozenClock(frozen_sim.now()))
    store.source = ImpersonationTokens(user_id=4)
    store.server_filters = TokenFilters(revoked=True)  # impersonation lists only take state
    await store.load()
    assert "revoked=" not in frozen_sim.requests("GET", "impersonation_tokens")[-1].query
    assert store.loaded > len(store.view) > 0
    assert all(t.revoked for t in store.view)


async def test_the_next_pages_are_indexed_once_the_first_is_shown(frozen_sim, admin_client) -> None:
    # A UI paints the first page before the next ones cost it any time (P1): the store
    # awaits ``first_page_shown`` after the first page, before indexing the next ones.
    store = TokenStore(admin_client, FrozenClock(frozen_sim.now()), source=ALL, per_page=40)
    shown = asyncio.Event()
    held_at: list[int] = []

    async def first_page_shown() -> None:
        held_at.append(store.loaded)
        await shown.wait()

    store.first_page_shown = first_page_shown
    loading = asyncio.create_task(store.load())
    async with asyncio.timeout(10):
        while not held_at:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # nothing more is indexed while the first page is not shown
    assert held_at == [40] and store.loaded == 40 and store.loading
    shown.set()
    await loading
    assert store.complete and store.loaded == store.total > 80
    assert held_at == [40]  # once per load
