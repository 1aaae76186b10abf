"""The filter bar at every terminal size, its values, esc clearing every filter, the count.

Pilot tests on the in-process demo (a real simulator, frozen clock) and on the served simulator.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static
from tui_helpers import FROZEN_NOW, settle, sim_app, snapshot_app, table_names

from tokentui.core.expiry import FrozenClock
from tokentui.tui.widgets.filter_bar import CycleField, FilterBar
from tokentui.tui.widgets.token_table import TokenTable

SIZES = [(120, 40), (80, 24), (60, 20)]
FIELDS = (
    "#filter-text",
    "#filter-state",
    "#filter-revoked",
    "#filter-kind",
    "#filter-expiring",
    "#filter-scope",
    "#created-from",
    "#created-to",
    "#used-from",
    "#used-to",
)


def header_text(app) -> str:
    return str(app.screen.query_one("#header", Static).render())


def field_text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, CycleField).render())


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def assert_on_screen(app, selector: str) -> None:
    widget = app.screen.query_one(selector)
    region = widget.region
    screen = app.screen.region
    assert region.width > 0 and region.height > 0, f"{selector} has no room: {region}"
    assert screen.contains_region(region), f"{selector} at {region} is off {screen}"
    # Nothing else of the bar paints over it: each field is on its own cells.
    for other in FIELDS:
        if other != selector:
            assert not region.overlaps(app.screen.query_one(other).region), (selector, other)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_filter_field_is_on_screen(size) -> None:
    app = snapshot_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for selector in FIELDS:
            assert_on_screen(app, selector)
        # The name box shows a useful name: at least ~20 characters from 80 columns up.
        name = app.screen.query_one("#filter-text", Input)
        if size[0] >= 80:
            assert name.content_region.width >= 20
        # With the custom window's days box shown, everything still fits.
        app.screen.query_one("#filter-expiring", CycleField).set_value("c")
        await pilot.pause()
        await pilot.pause()
        for selector in (*FIELDS, "#filter-days"):
            assert_on_screen(app, selector)
        if size[0] >= 80:
            assert name.content_region.width >= 20
        # The table keeps rows to show.
        assert app.screen.query_one(TokenTable).region.height >= 4


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_cycled_value_is_always_shown(size) -> None:
    app = snapshot_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for selector in ("#filter-state", "#filter-revoked", "#filter-expiring", "#filter-scope"):
            field = app.screen.query_one(selector, CycleField)
            field.focus()
            for text, _ in field.options:
                shown = field_text(app, selector)
                assert shown == f"{field.label}: {text} ▸"
                # The whole text is painted: nothing cut, the ▸ stays.
                region = field.content_region
                line = screen_lines(app)[region.y][region.x : region.right]
                assert line.rstrip() == shown
                await pilot.press("enter")
                await pilot.pause()
            assert field.index == 0  # round and back
        await settle(pilot)


async def test_tab_tab_enter_shows_the_state_it_chose() -> None:
    """The issue's steps: Tab Tab to ``state``, enter: the bar says ``state: active ▸``."""
    app = snapshot_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab")
        assert app.focused is app.screen.query_one("#filter-state")
        await pilot.press("enter")
        await settle(pilot)
        field = app.screen.query_one("#filter-state", CycleField)
        assert field.value == "active"
        assert "state: active ▸" in "\n".join(screen_lines(app))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_NOW)


def list_requests(sim) -> list:
    return [r for r in sim.requests("GET") if r.path.endswith("access_tokens")]


async def test_esc_on_the_list_clears_every_filter(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        everything = table_names(app)
        total = app.store.loaded
        assert header_text(app).count(f"{total:,} of {total:,} shown") == 1
        # A name, a state (sent to GitLab), a scope (local) and a date range.
        await pilot.press("slash", *"deploy", "enter")
        bar = app.screen.query_one(FilterBar)
        bar.query_one("#filter-state", CycleField).set_value("active")
        bar.query_one("#filter-scope", CycleField).set_value("api")
        bar.query_one("#created-from", Input).value = "2020-01-01"
        bar.query_one("#created-from", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        shown = table_names(app)
        assert 0 < len(shown) < len(everything)
        assert "state=active" in list_requests(frozen_sim)[-1].query
        # The count reads the same way, filtered or not.
        assert f"{len(shown):,} of {total:,} shown (esc clears)" in header_text(app)
        app.screen.query_one(TokenTable).focus()
        await pilot.pause()
        assert "Clear filters" in str(app.screen.active_bindings["escape"].binding.description)

        await pilot.press("escape")
        await settle(pilot)
        assert table_names(app) == everything
        assert not bar.is_set
        assert "state=" not in list_requests(frozen_sim)[-1].query
        assert all(not field.value for field in bar.query(Input))
        assert f"{total:,} of {total:,} shown" in header_text(app)
        assert "esc clears" not in header_text(app)
        assert isinstance(app.focused, TokenTable)
        # Nothing left to clear: esc on the list does nothing.
        requests = len(list_requests(frozen_sim))
        await pilot.press("escape")
        await settle(pilot)
        assert len(list_requests(frozen_sim)) == requests
        assert app.is_running


async def test_the_empty_list_says_esc_clears_the_filters(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"no-such-token-name", "enter")
        await settle(pilot)
        assert table_names(app) == []
        painted = "\n".join(screen_lines(app))
        assert "esc clears them" in painted
        assert f"0 of {app.store.loaded:,} shown" in header_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert len(table_names(app)) == app.store.loaded


async def test_help_lists_the_apps_keys_first_with_the_filters_and_esc(frozen_sim, clock) -> None:
    from tokentui.tui.screens.help import HelpScreen

    app = sim_app(frozen_sim, clock=clock)
    # Tall enough for every key of the main screen to paint before "General" (the help's
    # scroll is 70% of the height).
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        own = [description for _, description in help_screen.rows]
        keys = [k for k, _ in help_screen.rows]
        general = [description for _, description in help_screen.general]
        # The app's keys, first: the list's actions, moving, the filters, esc, the palette.
        assert own[0] == "New"
        for wanted in ("Rotate", "Revoke", "Source", "Filter", "Sort", "Detail", "Down"):
            assert wanted in own
        assert "esc" in keys and "clear the filters" in dict(help_screen.rows)["esc"]
        assert any(k.startswith("tab") and "filter" in d for k, d in help_screen.rows)
        # Textual's generic keys come after, apart.
        for generic in ("Copy selected text", "Scroll Left", "Scroll Right", "Focus Next"):
            assert generic not in own
        assert "Copy selected text" in general
        painted = "\n".join(screen_lines(app))
        # At 40 rows the general keys start below the fold since ``i`` (identify) joined.
        assert painted.index("New") < painted.index("General")


async def test_the_palette_sort_entry_names_every_sort(frozen_sim, clock) -> None:
    from tokentui.core.query import SortKey
    from tokentui.tui.app import TokenCommands

    help_text = next(h for name, h, _ in TokenCommands.COMMANDS if name == "Cycle sort")
    for key in SortKey:
        assert key.value.replace("_", " ") in help_text
    assert "urgency (the default)" in help_text
    actions = {action for _, _, action in TokenCommands.COMMANDS}
    assert "clear_filters" in actions
