"""Kinds and resources in the TUI (issue 13): the kind filter, the kind and resource sorts.

Pilot tests on the served simulator: the admin's list of every user's tokens holds personal,
impersonation, project, group and service-account tokens, whose kinds are known only once their
owners are looked up.
"""

from __future__ import annotations

from tui_helpers import TerminalClipboard, sim_app, wait_for, wait_loaded

from tokentui.core.query import SortKey
from tokentui.gitlab.models import TokenKind
from tokentui.tui.screens.url_dialog import UrlDialog
from tokentui.tui.widgets.filter_bar import CycleField


def _kinds(app) -> list[TokenKind | None]:
    ctx = app.row_context
    return [ctx.kind(t) for t in app.store.view_sequence()]


async def test_the_kind_filter_shows_every_token_of_that_kind_not_only_the_visible_ones(
    sim,
) -> None:
    app = sim_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_loaded(pilot)
        store = app.store
        everything = list(store.index.tokens)
        assert len(everything) > 30  # more rows than the screen shows
        app.screen.query_one("#filter-kind", CycleField).set_value(TokenKind.PROJECT)
        ctx = app.row_context

        # Every loaded row's owner is looked up (not only the visible rows'), once.
        await wait_for(pilot, lambda: all(ctx.kind(t) is not None for t in everything))
        expected = [t.key for t in everything if ctx.kind(t) is TokenKind.PROJECT]
        await wait_for(pilot, lambda: len(app.store.view_sequence()) == len(expected))
        assert expected
        assert sorted(t.key for t in app.store.view_sequence()) == sorted(expected)
        assert set(_kinds(app)) == {TokenKind.PROJECT}
        assert "(esc clears)" in str(app.screen.query_one("#header").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.store.view_sequence()) == len(everything))


async def test_s_cycles_to_the_kind_and_resource_sorts(sim) -> None:
    app = sim_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_loaded(pilot)
        for _ in range(5):  # urgency -> expiry -> name -> created -> last used -> kind
            await pilot.press("s")
        assert app.store.sort_key is SortKey.KIND
        header = app.screen.query_one("#header")
        assert "sort kind" in str(header.render())
        ctx = app.row_context
        everything = list(app.store.index.tokens)
        await wait_for(pilot, lambda: all(ctx.kind(t) is not None for t in everything))
        order = list(TokenKind)

        def ranked() -> list[int]:
            return [order.index(k) if k is not None else 99 for k in _kinds(app)]

        await wait_for(pilot, lambda: ranked() == sorted(ranked()))
        assert len(set(ranked())) >= 3  # several kinds, grouped in TokenKind order
        await pilot.press("s")
        assert app.store.sort_key is SortKey.RESOURCE
        assert "sort resource" in str(header.render())

        def resources() -> list[str]:
            texts = [ctx.ownership.resource_text(t, app.store.source) for t in app.store.view]
            return [(r or "\U0010ffff").lstrip("@").casefold() for r in texts]

        await wait_for(pilot, lambda: resources() == sorted(resources()))
        assert "platform/api" in [r for r in resources()]


# --- where it lives: the detail pane and ``o`` ------------------------------------------------


async def test_the_detail_names_the_project_and_o_opens_its_settings_page(sim) -> None:
    app = sim_app(sim, source_choice=("project", "platform/api"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        url = f"{sim.url.rstrip('/')}/platform/api/-/settings/access_tokens"
        detail = app.screen.query_one("#detail")
        await wait_for(pilot, lambda: url in detail.plain_text)
        assert "lives in" in detail.plain_text and "project platform/api" in detail.plain_text
        opened: list[str] = []

        def browser(target: str) -> bool:
            opened.append(target)
            return True

        app.screen.find_browser = lambda: browser
        clipboard = TerminalClipboard(app)
        await pilot.press("o")
        await wait_for(pilot, lambda: opened == [url])
        assert not isinstance(app.screen, UrlDialog) and clipboard.writes == []


async def test_o_without_a_browser_shows_the_url_and_copies_it(sim) -> None:
    app = sim_app(sim, source_choice=("group", "platform"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        app.screen.find_browser = lambda: None  # as over SSH
        clipboard = TerminalClipboard(app)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, UrlDialog))
        url = f"{sim.url.rstrip('/')}/groups/platform/-/settings/access_tokens"
        assert str(app.screen.query_one("#url-text").render()) == url
        await wait_for(pilot, lambda: clipboard.last == url)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, UrlDialog))


def test_the_browser_decision_is_made_by_default_by_core() -> None:
    from tokentui.core.browser import browser_opener
    from tokentui.tui.screens.tokens import TokensScreen

    screen = TokensScreen.__new__(TokensScreen)
    TokensScreen.__init__(screen, host=None)  # type: ignore[arg-type]
    assert screen.find_browser is browser_opener
