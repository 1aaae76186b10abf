"""Hygiene findings and recreate in the TUI (issue 14), the real app against the simulator over
loopback HTTP, the clocks of both frozen: the Flags column at 120/80/60 columns, ``f`` filtering
by one finding (in the filter bar, cleared by ``esc``), the detail pane's sentences, and ``c``
recreating an expired or revoked token through the create wizard, asserted on the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from conftest import FROZEN_NOW
from textual.pilot import Pilot
from textual.widgets import Label, OptionList
from tui_helpers import wait_for

from tokentui.core.expiry import FrozenClock
from tokentui.core.hygiene import Finding, HygieneConfig
from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.finding_picker import FindingPicker
from tokentui.tui.widgets.detail import TokenDetail
from tokentui.tui.widgets.filter_bar import FilterBar
from tokentui.tui.widgets.token_table import TokenTable

TODAY = FROZEN_NOW.date()
CAROL = 4
MakeApp = Callable[..., TokenApp]


@pytest.fixture
def frozen_sim(sim_factory):
    """Only the three credentials and what a test adds; the clock frozen."""
    return sim_factory(tokens=0, clock=lambda: FROZEN_NOW)


@pytest.fixture
async def app_factory(frozen_sim) -> AsyncIterator[MakeApp]:
    clients: list[GitLabClient] = []

    def make(token: str | None = None, source=("user", str(CAROL)), **kwargs) -> TokenApp:
        client = GitLabClient(frozen_sim.url, token or frozen_sim.admin_token)
        clients.append(client)
        kwargs.setdefault("clock", FrozenClock(FROZEN_NOW))
        return make_app(client, source_choice=source, **kwargs)

    yield make
    for client in clients:
        await client.aclose()


async def settle(pilot: Pilot, app: TokenApp) -> None:
    for _ in range(4):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def seed(sim) -> dict[str, int]:
    now = sim.now()

    def issue(name: str, **kw) -> int:
        kw.setdefault("scopes", ("read_api",))
        kw.setdefault("expires_at", TODAY + timedelta(days=30))
        kw.setdefault("last_used_at", now - timedelta(days=1))
        return sim.token_record(sim.issue_token(CAROL, name=name, **kw)).id

    return {
        "tidy": issue("tidy"),
        "stale": issue("stale", last_used_at=now - timedelta(days=200)),
        "forever": issue("forever", expires_at=None, scopes=("api",)),
        "gone": issue(
            "gone",
            expires_at=TODAY - timedelta(days=5),
            scopes=("read_api", "write_repository"),
            description="nightly mirror",
        ),
    }


def table(app: TokenApp) -> TokenTable:
    return app.screen.query_one(TokenTable)


def rows(app: TokenApp) -> list[str]:
    """The table as the terminal shows it (header first)."""
    widget = table(app)
    return [widget.render_line(y).text for y in range(len(widget.rows) + 1)]


def shown_names(app: TokenApp) -> set[str]:
    return {t.name for t in table(app).rows}


@pytest.mark.parametrize(("width", "shown"), [(120, True), (80, False), (60, False)])
async def test_the_flags_column_fits_at_120_and_gives_way_narrower(
    frozen_sim, app_factory, width, shown
):
    seed(frozen_sim)
    app = app_factory()
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot, app)
        lines = rows(app)
        assert ("Flags" in lines[0]) is shown
        assert all(len(line) <= width for line in lines)
        if shown:
            by_name = {line.split()[0]: line.split()[-1] for line in lines[1:]}
            assert by_name["stale"] == "U"
            assert by_name["forever"] == "FB"
            assert by_name["gone"] == "E"
            assert by_name["tidy"] == "active"  # no flag: the line ends with its state


async def test_f_filters_by_a_finding_shown_in_the_bar_and_esc_clears_it(frozen_sim, app_factory):
    seed(frozen_sim)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        everything = shown_names(app)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FindingPicker))
        options = app.screen.query_one(OptionList)
        texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("unused" in t and "1 token" in t for t in texts)
        # Move to "unused" (every token, never used, unused) and pick it.
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, FindingPicker))
        await wait_for(pilot, lambda: shown_names(app) == {"stale"})
        label = app.screen.query_one("#filter-finding", Label)  # beside the dates at 120
        assert label.display and "unused" in str(label.render())
        assert not app.screen.query_one("#filter-finding-line").display
        assert "(esc clears)" in str(app.screen.query_one("#header").render())
        assert app.store.client_filters.finding is Finding.UNUSED
        await pilot.press("escape")
        await wait_for(pilot, lambda: shown_names(app) == everything)
        assert not label.display
        assert app.store.client_filters.finding is None


async def test_the_detail_pane_explains_each_finding(frozen_sim, app_factory):
    ids = seed(frozen_sim)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert table(app).select_token(ids["forever"])
        await pilot.pause()
        detail = app.screen.query_one(TokenDetail).plain_text
        assert "F never expires" in detail and "a leaked value works for ever" in detail
        assert "B broad scopes, long life" in detail and "It holds api" in detail


async def test_the_thresholds_are_the_apps_and_a_blocked_owner_shows_once_known(
    frozen_sim, app_factory
):
    ids = seed(frozen_sim)
    frozen_sim.state.users[CAROL].state = "blocked"
    app = app_factory(source=("all", None), hygiene=HygieneConfig(unused_days=500))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assessor = app.store.hygiene
        stale = app.store.get(ids["stale"])
        assert stale is not None
        now = FROZEN_NOW
        # Carol's owner lookup (the admin's "all" list) told who is blocked.
        await wait_for(pilot, lambda: Finding.OWNER_BLOCKED in assessor.of(stale, now))
        assert Finding.UNUSED not in assessor.of(stale, now)  # 200 days < 500


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_finding_too_wide_for_the_dates_line_gets_its_own(frozen_sim, app_factory, size):
    seed(frozen_sim)
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        bar = app.screen.query_one(FilterBar)
        bar.set_finding(Finding.BROAD_SCOPES)
        await wait_for(pilot, lambda: shown_names(app) == {"forever"})
        line = app.screen.query_one("#filter-finding-line", Label)
        assert line.display and not app.screen.query_one("#filter-finding").display
        assert app.screen.region.contains_region(line.region)
        assert "broad scopes" in str(line.render())
        assert table(app).region.height >= 4
