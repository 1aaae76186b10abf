"""The main screen end to end (Pilot) against the simulator over loopback HTTP."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from textual.widgets import Input, Label, Static
from tui_helpers import FROZEN_NOW, settle, sim_app, table_names, wait_for

from tokentui.core.expiry import Band, FrozenClock, band, token_state
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.sources import PersonalTokens
from tokentui.tui.screens.token_detail import TokenDetailScreen
from tokentui.tui.screens.tokens import TokensScreen
from tokentui.tui.screens.unauthorized import UnauthorizedScreen
from tokentui.tui.widgets.detail import TokenDetail
from tokentui.tui.widgets.filter_bar import CycleField
from tokentui.tui.widgets.token_table import TokenTable

SIZE = (120, 40)


def list_requests(sim) -> list:
    return [r for r in sim.requests("GET") if r.path.endswith("access_tokens")]


def header_text(app) -> str:
    return str(app.screen.query_one("#header", Static).render())


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_NOW)


async def test_start_shows_everything_as_admin(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TokensScreen)
        assert app.viewer.username == "root" and app.self_token is not None
        assert app.store.source == PersonalTokens(user_id=None)
        assert len(table_names(app)) == app.store.total == app.store.loaded > 0
        header = header_text(app)
        assert "all tokens" in header and "root@" in header and "(admin)" in header
        assert f"{app.store.loaded:,} of {app.store.loaded:,} shown" in header


async def test_typing_a_filter_narrows_rows_without_requests(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        everything = table_names(app)
        requests = len(list_requests(frozen_sim))
        await pilot.press("slash")
        assert isinstance(app.focused, Input) and app.focused.id == "filter-text"
        await pilot.press(*"deploy")
        names = table_names(app)
        assert names and len(names) < len(everything)
        assert all("deploy" in n.lower() for n in names)
        assert "shown" in header_text(app)
        assert len(list_requests(frozen_sim)) == requests
        # esc clears the text, the list comes back.
        await pilot.press("escape")
        assert len(table_names(app)) == len(everything)
        await pilot.press("escape")
        assert isinstance(app.focused, TokenTable)


async def test_state_revoked_and_expiring_filters(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        total = len(table_names(app))
        app.screen.query_one("#filter-state", CycleField).focus()
        await pilot.press("enter")  # all -> active
        await settle(pilot)
        rows = app.screen.query_one(TokenTable).rows
        assert rows and len(rows) < total
        assert all(token_state(t, clock()) == "active" for t in rows)
        assert "state=active" in list_requests(frozen_sim)[-1].query

        await pilot.press("enter", "enter")  # active -> inactive -> all
        await settle(pilot)
        assert len(table_names(app)) == total

        app.screen.query_one("#filter-revoked", CycleField).focus()
        await pilot.press("enter", "enter")  # any -> no -> yes
        await settle(pilot)
        rows = app.screen.query_one(TokenTable).rows
        assert rows and all(t.revoked for t in rows)
        assert "revoked=true" in list_requests(frozen_sim)[-1].query
        await pilot.press("enter")  # back to any
        await settle(pilot)

        app.screen.query_one("#filter-expiring", CycleField).focus()
        await pilot.press("enter", "enter")  # any -> 1d -> 7d
        await settle(pilot)
        rows = app.screen.query_one(TokenTable).rows
        assert rows
        for token in rows:
            left = token.expires_at and (token.expires_at - clock().date())
            assert left is not None and timedelta(days=1) <= left <= timedelta(days=7)
        query = list_requests(frozen_sim)[-1].query
        assert "expires_before=" in query and "expires_after=" in query


async def test_scope_filter_keeps_the_tokens_holding_that_scope(frozen_sim, clock) -> None:
    """The scope field (abbreviated as in the Scopes column) filters locally, as the CLI's
    ``--scope`` does: no request, and back to every token on "any"."""
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        total = len(table_names(app))
        requests = len(list_requests(frozen_sim))
        field = app.screen.query_one("#filter-scope", CycleField)
        field.focus()
        await pilot.press("enter", "enter")  # any -> api -> r_api
        await settle(pilot)
        assert "scope: r_api" in str(field.render())
        rows = app.screen.query_one(TokenTable).rows
        holders = [t for t in frozen_sim.state.tokens.values() if "read_api" in t.scopes]
        assert rows and len(rows) < total
        assert all("read_api" in t.scopes for t in rows)
        assert {t.id for t in rows} <= {t.id for t in holders}
        assert "shown" in header_text(app)
        assert len(list_requests(frozen_sim)) == requests  # filtered locally
        await pilot.press("left", "left")  # back to any
        await settle(pilot)
        assert len(table_names(app)) == total


async def test_custom_expiring_window(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#filter-expiring", CycleField)
        field.focus()
        field.set_value("c")
        await pilot.pause()
        days = app.screen.query_one("#filter-days", Input)
        assert days.display
        days.focus()
        await pilot.press("3", "enter")
        await settle(pilot)
        rows = app.screen.query_one(TokenTable).rows
        assert all(t.expires_at and 1 <= (t.expires_at - clock().date()).days <= 3 for t in rows)


async def test_a_bad_typed_date_shows_a_message_and_sends_nothing(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        requests = len(list_requests(frozen_sim))
        field = app.screen.query_one("#created-from", Input)
        field.focus()
        await pilot.press(*"2026-13-01", "enter")
        await pilot.pause()
        message = app.screen.query_one("#filter-message", Label)
        assert message.display
        assert "created from" in str(message.render()) and "YYYY-MM-DD" in str(message.render())
        assert field.has_class("-invalid")
        assert len(list_requests(frozen_sim)) == requests
        # "to" before "from" is refused too.
        field.value = ""
        await pilot.press(*"2026-05-01")
        app.screen.query_one("#created-to", Input).focus()
        await settle(pilot)  # leaving a valid "from" applies it
        requests = len(list_requests(frozen_sim))
        await pilot.press(*"2026-04-01", "enter")
        await pilot.pause()
        assert "'from'" in str(message.render())
        assert len(list_requests(frozen_sim)) == requests


async def test_a_good_date_range_filters_on_the_server_and_locally(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        total = len(table_names(app))
        app.screen.query_one("#created-from", Input).focus()
        since = (clock() - timedelta(days=90)).date()
        await pilot.press(*since.isoformat(), "enter")
        await settle(pilot)
        rows = app.screen.query_one(TokenTable).rows
        assert rows and len(rows) < total
        assert all(t.created_at.date() >= since for t in rows)
        assert f"created_after={since.isoformat()}" in list_requests(frozen_sim)[-1].query
        assert not app.screen.query_one("#filter-message", Label).display


async def test_detail_pane_follows_the_cursor(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        await pilot.press("down", "j", "j", "k")
        token = table.cursor_token
        assert table.cursor == 2 and token is app.selected_token()
        text = app.screen.query_one(TokenDetail).plain_text
        assert token.name in text and str(token.id) in text
        assert token_state(token, clock()) in text
        from tokentui.gitlab.scopes import SCOPE_MEANINGS

        for scope in token.scopes:
            assert scope in text and SCOPE_MEANINGS[scope] in text


async def test_enter_opens_the_full_detail_and_esc_returns(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#detail").display  # compact: no pane
        await pilot.press("enter")
        assert isinstance(app.screen, TokenDetailScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, TokensScreen)


async def test_self_token_is_marked_with_its_associations(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock, source_choice=("mine", None))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        assert table.select_token(app.self_token.id)
        await settle(pilot)
        assert app.associations is not None
        text = app.screen.query_one(TokenDetail).plain_text
        assert "in use by tokentui" in text and "reaches" in text


async def test_sort_cycles_and_reverses(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "sort urgency" in header_text(app)
        await pilot.press("s")  # expiry
        rows = app.screen.query_one(TokenTable).rows
        dated = [t.expires_at for t in rows if t.expires_at]
        assert dated == sorted(dated)
        await pilot.press("s")  # name
        names = [n.casefold() for n in table_names(app)]
        assert names == sorted(names) and "sort name ↑" in header_text(app)
        await pilot.press("S")
        assert [n.casefold() for n in table_names(app)] == sorted(names, reverse=True)
        assert "sort name ↓" in header_text(app)


async def test_y_copies_the_name_and_ctrl_r_reloads(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "y")
        assert app.clipboard == app.selected_token().name
        before = len(list_requests(frozen_sim))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(list_requests(frozen_sim)) > before


async def test_non_admin_defaults_to_own_tokens_and_all_falls_back(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, as_user="user", clock=clock, source_choice=("all", None))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.store.source == PersonalTokens(user_id=2, mine=True)
        assert {t.user_id for t in app.store.view} == {2}
        assert "my tokens" in header_text(app)


async def test_a_rejected_credential_shows_the_unauthorized_screen(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, as_user="glpat-not-a-real-token-000000", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, UnauthorizedScreen))
        assert isinstance(app.screen, UnauthorizedScreen)
        text = str(app.screen.query_one("#unauthorized-text", Static).render())
        assert "401" in text and "tokentui auth login" in text
        await pilot.press("q")
    assert app.return_code == 2


async def test_a_refused_permission_is_not_mistaken_for_a_dead_credential(
    frozen_sim, clock
) -> None:
    # GitLab answers 401 (not 403) when a non-admin lists another user's tokens.
    app = sim_app(frozen_sim, as_user="user", clock=clock, source_choice=("user", "3"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: any("refused" in (n.title or "") for n in app._notifications))
        await settle(pilot)
        assert not isinstance(app.screen, UnauthorizedScreen)
        note = next(n for n in app._notifications if "refused" in (n.title or ""))
        assert "credential still works" in note.message
        assert frozen_sim.requests("GET", "/personal_access_tokens/self")


async def test_a_credential_revoked_mid_session_shows_the_unauthorized_screen(
    frozen_sim, clock
) -> None:
    app = sim_app(frozen_sim, as_user="maintainer", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        async with GitLabClient(frozen_sim.url, frozen_sim.maintainer_token) as other:
            await other.revoke_self()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, UnauthorizedScreen))
        assert isinstance(app.screen, UnauthorizedScreen)
        assert "revoked" in str(app.screen.query_one("#unauthorized-text", Static).render())


async def test_unreachable_server_exits_with_a_message() -> None:
    from tokentui.tui.app import make_app

    async def no_wait(delay: float) -> None:
        return None

    app = make_app(GitLabClient("http://127.0.0.1:9", "glpat-x", sleep=no_wait))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.exit_message)
    assert app.exit_message and "127.0.0.1:9" in app.exit_message
    assert app.return_code == 2


async def test_nothing_listening_is_said_at_once_without_retries() -> None:
    """A refused connection is no transient fault: the app stops with the message after one
    attempt per request, never waiting to retry (issue 11, item 16)."""
    from tokentui.tui.app import make_app

    waits: list[float] = []

    async def record_wait(delay: float) -> None:
        waits.append(delay)

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(GitLabClient(f"http://127.0.0.1:{port}", "glpat-x", sleep=record_wait))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.exit_message)
    assert app.exit_message and f"127.0.0.1:{port} (connection refused)" in app.exit_message
    assert app.return_code == 2
    assert waits == []


# --- countdown ------------------------------------------------------------------------------


def row_text(table: TokenTable, index: int) -> str:
    table.scroll_to(y=0, animate=False, immediate=True)
    return table.render_line(index + 1).text


async def test_countdown_ticks_from_the_clock_and_flips_at_midnight(frozen_sim) -> None:
    clock = FrozenClock(FROZEN_NOW)
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        # Urgency order: the first row is the active token closest to expiry.
        first = table.rows[0]
        midnight = FROZEN_NOW.replace(hour=0) + timedelta(days=1)
        assert first.expires_at == midnight.date()
        assert "12h 00m 00s left" in row_text(table, 0) and "active" in row_text(table, 0)
        clock.advance(timedelta(seconds=1))
        app.screen.tick()
        assert "11h 59m 59s left" in row_text(table, 0)
        clock.set(midnight - timedelta(seconds=1))
        app.screen.tick()
        assert "1s left" in row_text(table, 0)
        clock.set(midnight)
        app.screen.tick()
        line = row_text(table, 0)
        assert "expired" in line and "active" not in line
        detail = app.screen.query_one(TokenDetail).plain_text
        assert "expired" in detail


@pytest.mark.parametrize(
    ("left", "text", "expected"),
    [
        (timedelta(days=70), "70d left", Band.LATER),
        (timedelta(days=59, hours=23), "59d 23h 00m left", Band.UNDER_60_DAYS),
        (timedelta(days=29, hours=1), "29d 01h 00m left", Band.UNDER_30_DAYS),
        (timedelta(days=6, hours=2), "6d 02h 00m left", Band.UNDER_7_DAYS),
        (timedelta(hours=23), "23h 00m 00s left", Band.UNDER_1_DAY),
        (-timedelta(days=3), "expired 3d ago", Band.EXPIRED),
    ],
)
async def test_countdown_text_and_colour_at_each_band(frozen_sim, left, text, expected) -> None:
    clock = FrozenClock(FROZEN_NOW)
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        token = table.rows[0]
        expiry = FROZEN_NOW.replace(hour=0) + timedelta(days=1)
        assert token.expires_at == expiry.date()
        clock.set(expiry - left)
        app.screen.tick()
        assert text in row_text(table, 0)
        assert band(token, clock()) is expected
        # The countdown cell carries the band's colour from the stylesheet.
        band_style = table.get_component_rich_style(
            f"token-table--band-{expected.value}", partial=True
        )
        cells = [seg for seg in table.render_line(1) if text in seg.text]
        assert cells and band_style.color is not None
        assert cells[0].style.color == band_style.color


async def test_an_api_error_becomes_a_notification_with_a_next_step(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock, source_choice=("project", "platform/nothing-here"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store.error is not None and app._notifications)
        messages = [n.message for n in app._notifications]
        assert any("Not Found" in m and "ctrl+r" in m for m in messages), messages
        assert isinstance(app.screen, TokensScreen)  # no crash, still usable
        table = app.screen.query_one(TokenTable)
        assert "loading failed" in table.render_line(1).text


async def test_every_main_action_is_in_the_command_palette(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = len(list_requests(frozen_sim))
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Reload tokens")
        await pilot.pause(0.3)  # the palette searches in a worker
        await pilot.press("enter")
        await settle(pilot)
        assert len(list_requests(frozen_sim)) > before
        from tokentui.tui.app import TokenCommands

        actions = {action for _, _, action in TokenCommands.COMMANDS}
        bindings = {b.action for b in TokensScreen.BINDINGS if b.action != "quit"}
        assert bindings <= actions


async def test_the_palette_says_which_actions_cannot_apply_now(frozen_sim, clock) -> None:
    """Rotate and revoke of a revoked token are dimmed in the palette with the reason the
    keys would give; for an active token they read as usual."""
    from textual.command import CommandPalette

    from tokentui.tui.app import TokenCommands

    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)

        async def palette_help() -> dict[str, str]:
            provider = TokenCommands(app.screen)
            return {str(hit.text): str(hit.help) async for hit in provider.discover()}

        assert table.select_token(next(t.id for t in table.rows if t.revoked))
        await pilot.pause()
        shown = await palette_help()
        reason = app.actions.rotate_refusal(table.cursor_token)
        assert reason and shown["Rotate token"] == f"not now: {reason}"
        assert shown["Revoke token"].startswith("not now: ")
        assert shown["Reload tokens"] == "Load the list again from GitLab (ctrl+r)"

        assert table.select_token(next(t.id for t in table.rows if t.active and not t.revoked))
        await pilot.pause()
        shown = await palette_help()
        assert shown["Rotate token"] == "Rotate the selected token (r)"
        # And the palette itself lists it, searchable as usual.
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_nothing_configured_opens_the_login_screen_then_the_list(frozen_sim, clock) -> None:
    from tokentui.tui.app import make_app
    from tokentui.tui.screens.login import LoginScreen

    app = make_app(None, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        app.screen.query_one("#url", Input).value = frozen_sim.url
        app.screen.query_one("#token", Input).value = frozen_sim.user_token
        app.screen.query_one("#token", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TokensScreen) and app.viewer)
        await settle(pilot)
        assert app.viewer.username == "alice" and app.profile_name
        assert app.save_credential is not None  # a stored credential can be self-rotated
        assert table_names(app) and {t.user_id for t in app.store.view} == {2}


async def test_giving_up_on_login_exits_with_a_message(clock) -> None:
    from tokentui.tui.app import make_app
    from tokentui.tui.screens.login import LoginScreen

    app = make_app(None, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 2 and "tokentui auth login" in app.exit_message


async def test_with_the_active_filter_a_token_leaves_when_it_expires(frozen_sim) -> None:
    clock = FrozenClock(FROZEN_NOW)
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#filter-state", CycleField).focus()
        await pilot.press("enter")  # active
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        first = table.rows[0]
        midnight = FROZEN_NOW.replace(hour=0) + timedelta(days=1)
        assert first.expires_at == midnight.date()
        app.screen.tick()
        clock.set(midnight)
        app.screen.tick()
        await pilot.pause()
        assert first.id not in {t.id for t in table.rows}
        assert all(token_state(t, clock()) == "active" for t in table.rows)


async def test_keys_typed_right_after_slash_land_in_the_filter(frozen_sim, clock) -> None:
    from textual import events

    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # All at once, as a paste or tmux send-keys delivers them (no pause between keys).
        for key, char in (("slash", "/"), ("d", "d"), ("e", "e"), ("p", "p")):
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert isinstance(app.screen, TokensScreen)  # "d" did not open the revoke dialog
        assert app.screen.query_one("#filter-text", Input).value == "dep"


async def test_cursor_stays_on_top_while_rows_stream_in_until_moved(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock)
    app.store.per_page = 20
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        assert table.cursor == 0 and table.scroll_offset.y == 0
        assert table.cursor_token is app.store.view[0]
        await pilot.press("down", "down")
        chosen = table.cursor_token
        await pilot.press("s")  # a new order: the cursor follows the token it is on
        assert table.cursor_token.id == chosen.id


async def test_the_footer_is_built_once_and_never_holds_a_key(
    frozen_sim, clock, monkeypatch
) -> None:
    """The footer's keys are mounted once at start-up, though the screen's bindings change
    several times meanwhile (Textual's footer rebuilt them on each change: five rebuilds in
    a row, repaints suspended during each); a change that shows no other key rebuilds
    nothing. And while a rebuild is under way a cursor key is still handled: Textual's footer
    had the screen await the rebuild, and the key, which bubbles through the screen to the
    app's bindings, waited (the first key after the first rows of a 100,000-token load:
    ~200-300 ms). Here a rebuild is held until the key has moved the cursor."""
    import asyncio

    from textual import events
    from textual.widgets import Footer as TextualFooter

    release = asyncio.Event()
    release.set()
    builds: list[bool] = []  # one per rebuild; True while held
    rebuild = TextualFooter.recompose

    async def counted_recompose(self) -> None:  # type: ignore[no-untyped-def]
        builds.append(not release.is_set())
        await release.wait()
        await rebuild(self)

    monkeypatch.setattr(TextualFooter, "recompose", counted_recompose)
    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        footer = app.screen.query_one(TextualFooter)
        assert table.cursor == 0 and app.focused is table
        assert builds == [False]
        app.screen.refresh_bindings()
        await settle(pilot)
        assert builds == [False]  # the same keys: nothing rebuilt

        release.clear()  # the next rebuild waits (as on a busy loop) until released
        footer.show_command_palette = not footer.show_command_palette
        app.screen.refresh_bindings()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30  # a bound against hanging, not a speed assertion
        try:
            # No pilot.pause() here: it waits for the screen's queue, which may be the one
            # held.
            while len(builds) < 2 and loop.time() < deadline:
                await asyncio.sleep(0.01)
            assert builds == [False, True], "the footer was not rebuilt for its new keys"
            key = events.Key("down", None)
            key.set_sender(app)
            app.post_message(key)
            while table.cursor != 1 and loop.time() < deadline:
                await asyncio.sleep(0.01)
            assert table.cursor == 1, "the key waited for the footer's keys to be remounted"
        finally:
            release.set()
        await settle(pilot)
        await wait_for(pilot, lambda: "Rotate" in app.export_screenshot())


async def test_the_in_use_mark_follows_a_new_self_token(frozen_sim, clock) -> None:
    app = sim_app(frozen_sim, clock=clock, source_choice=("mine", None))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        old = app.self_token
        other = next(t for t in table.rows if t.id != old.id)
        app.self_token = other  # what a self-rotation does with the new token
        await pilot.pause()
        from tokentui.tui.widgets.token_table import cell_text

        now = clock()
        marked = [t.id for t in table.rows if "●" in cell_text(t, "name", table.context, now)]
        assert marked == [other.id]
        assert table.select_token(other.id)
        await pilot.pause()
        line = table.cursor - round(table.scroll_offset.y) + 1  # line 0 is the header
        assert "●" in table.render_line(line).text


async def test_names_are_data_not_markup_or_escapes(frozen_sim, clock) -> None:
    hostile = "[bold red]pwn[/] \x1b[2J\u202eevil\nline"
    frozen_sim.issue_token(2, name=hostile, scopes=["api"], description="[link=x]d[/link]")
    app = sim_app(frozen_sim, clock=clock, source_choice=("user", "2"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        assert table.select_token(next(t.id for t in table.rows if t.name == hostile))
        await pilot.pause()
        line = table.render_line(table.cursor - round(table.scroll_offset.y) + 1).text
        assert "[bold red]pwn[/] ?[2J?" in line  # literal brackets, escapes neutralised
        assert "\x1b" not in line and "\u202e" not in line
        detail = app.screen.query_one(TokenDetail).plain_text
        assert "[bold red]pwn[/]" in detail and "[link=x]d[/link]" in detail
        assert "\x1b" not in detail


async def test_another_source_starts_at_its_top_and_a_reload_keeps_the_cursor(
    frozen_sim, clock
) -> None:
    from tokentui.gitlab.sources import PersonalTokens

    app = sim_app(frozen_sim, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        await pilot.press("down", "down", "down")
        kept = table.cursor_token
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert table.cursor_token.id == kept.id
        app.store.set_source(PersonalTokens(user_id=2))
        await settle(pilot)
        assert table.cursor == 0 and table.cursor_token is not None
        assert table.cursor_token.user_id == 2
