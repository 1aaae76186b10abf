"""Marks and bulk rotate/revoke in the TUI (issue 14): the real app against the simulator.

``space`` marks, ``a`` marks every token shown, ``v`` inverts, ``u`` clears; marks are kept by
``Token.key`` across filters, sorts and reloads, and the header counts them. ``d``/``r`` with
marks show a preview, ask for the number of tokens, send each write once through the
operations layer and list every token's outcome; the tests read the simulator's state and
request log. Cast: 1 root (admin), 4 carol.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui_helpers import TerminalClipboard, wait_for

from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.bulk import (
    BulkConfirmDialog,
    BulkResultsScreen,
    BulkRotateDialog,
    BulkTypedDialog,
    ValuesPathDialog,
)
from tokentui.tui.screens.confirm import ConfirmDialog
from tokentui.tui.screens.tokens import TokensScreen
from tokentui.tui.widgets.token_table import MARKED, cell_text

FROZEN_NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
TODAY = FROZEN_NOW.date()
CAROL = 4

MakeApp = Callable[..., TokenApp]


@pytest.fixture
async def app_factory(frozen_sim) -> AsyncIterator[MakeApp]:
    clients: list[GitLabClient] = []

    def make(token: str, source: tuple[str, str | None] | None = None, **kwargs) -> TokenApp:
        client = GitLabClient(frozen_sim.url, token)
        clients.append(client)
        return make_app(client, source_choice=source, clock=FrozenClock(FROZEN_NOW), **kwargs)

    yield make
    for client in clients:
        await client.aclose()


async def settle(pilot: Pilot, app: TokenApp) -> None:
    for _ in range(4):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def issue(sim, name: str, **kwargs) -> int:
    value = sim.issue_token(CAROL, name=name, scopes=("api",), **kwargs)
    return sim.state.token_by_secret(value).id


def header(app: TokenApp) -> str:
    return str(app.screen_stack[1].query_one("#header", Static).render())


def main(app: TokenApp) -> TokensScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, TokensScreen)
    return screen


def texts(app: TokenApp) -> str:
    parts = []
    for widget in app.screen.walk_children(with_self=True):
        if isinstance(widget, Static):
            parts.append(str(widget.render()))
    return "\n".join(parts)


def result_lines(app: TokenApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, BulkResultsScreen)
    return [line.text for line in screen.lines]


async def show_only(pilot: Pilot, app: TokenApp, text: str) -> None:
    """Type a name filter and go back to the list."""
    await pilot.press("slash", *text, "enter")
    await settle(pilot, app)
    assert app.focused is main(app).table


def deletes(sim) -> list[str]:
    return [r.path for r in sim.request_log if r.method == "DELETE"]


async def test_marks_are_kept_by_key_across_filters_sorts_and_reloads(
    frozen_sim, app_factory
) -> None:
    ids = [issue(frozen_sim, f"mark-{n}", expires_at=TODAY + timedelta(days=9)) for n in range(3)]
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        screen = main(app)
        table = screen.table
        assert table.select_token(ids[0])
        await pilot.press("space")
        marks = app.row_context.marks
        assert set(marks) == {ids[0]}
        assert "1 marked" in header(app)
        # The cursor went on to the next row; the marked row's name starts with the check.
        assert table.cursor_token is not None and table.cursor_token.id != ids[0]
        marked_row = app.store.get(ids[0])
        name = cell_text(marked_row, "name", app.row_context, FROZEN_NOW)
        assert name == f"{MARKED} mark-0"
        row = next(i for i, t in enumerate(table.rows) if t.id == ids[0])
        line = table.render_line(row - round(table.scroll_offset.y) + 1).text
        assert f"{MARKED} mark-0" in line
        # Mark every token shown: the filter narrows to the three.
        await show_only(pilot, app, "mark-")
        await pilot.press("a")
        assert set(marks) == set(ids) and "3 marked" in header(app)
        # Sort and reload: the rows are new objects, the marks stay (by key).
        await pilot.press("s", "S", "ctrl+r")
        await settle(pilot, app)
        assert set(marks) == set(ids) and "3 marked" in header(app)
        # Clear the filter, mark one more, invert among the shown ones only.
        await pilot.press("escape")
        await settle(pilot, app)
        shown = len(table.rows)
        assert shown > 3
        await pilot.press("v")
        assert len(marks) == shown - 3 and not set(ids) & set(marks)
        await pilot.press("u")
        assert not marks and "marked" not in header(app)
        # Help lists every marks key (the footer has no room for them at 80 columns).
        from tokentui.tui.screens.help import help_sections

        own = dict(help_sections(screen)[0])
        assert "mark shown, invert, unmark" in own["space, a, v, u"]
        # Another source starts with no marks.
        await pilot.press("a")
        assert len(marks) == shown
        app.store.set_source(app.store.source.__class__(user_id=1))
        await settle(pilot, app)
        assert not marks


async def test_bulk_revoke_previews_asks_for_the_count_and_reports_each_token(
    frozen_sim, app_factory
) -> None:
    ids = [issue(frozen_sim, f"bulk-{n}", expires_at=TODAY + timedelta(days=20)) for n in range(4)]
    gone = issue(frozen_sim, "bulk-gone", revoked=True)
    lost = ids[1]
    # The proxy loses the answer to one DELETE in the middle of the batch (GitLab acted).
    frozen_sim.faults.proxy_error("DELETE", rf"/personal_access_tokens/{lost}$", 502)
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await show_only(pilot, app, "bulk-")
        await pilot.press("a")
        assert "5 marked" in header(app)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTypedDialog))
        text = texts(app)
        assert "Revoke 4 tokens?" in text and "Skipped (1):" in text
        assert f"token {gone} “bulk-gone”: already revoked" in text
        assert "Kinds:" in text and "Resources:" in text
        # enter alone, and a wrong number, send nothing.
        await pilot.press("enter")
        await pilot.press("3", "enter")
        await pilot.pause()
        assert isinstance(app.screen, BulkTypedDialog)
        assert "Type 4 to revoke the 4 tokens" in texts(app)
        assert deletes(frozen_sim) == []
        app.screen.query_one("#bulk-count", Input).value = ""
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkResultsScreen))
        lines = result_lines(app)
        assert len(lines) == 5
        for token_id in ids:
            [line] = [line for line in lines if f"{token_id} “bulk-" in line]
            if token_id == lost:
                assert line.startswith("? unknown") and "was revoked" in line
            else:
                assert line.startswith("✓ revoked")
        assert lines[-1].startswith("– skipped") and "already revoked" in lines[-1]
        # The server: every one revoked, one DELETE each, none sent twice, none for bulk-gone.
        assert all(frozen_sim.state.tokens[i].revoked for i in ids)
        assert sorted(deletes(frozen_sim)) == sorted(
            f"/api/v4/personal_access_tokens/{i}" for i in ids
        )
        # Nothing to copy: esc leaves at once. The marks of done tokens are gone.
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, TokensScreen)
        assert set(app.row_context.marks) == {lost, gone}


async def test_one_marked_token_is_confirmed_with_x_and_enter_cancels(
    frozen_sim, app_factory
) -> None:
    token_id = issue(frozen_sim, "solo", expires_at=TODAY + timedelta(days=20))
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert main(app).table.select_token(token_id)
        await pilot.press("space", "d")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkConfirmDialog))
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, TokensScreen) and deletes(frozen_sim) == []
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkConfirmDialog))
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkResultsScreen))
        assert frozen_sim.state.tokens[token_id].revoked
        assert deletes(frozen_sim) == [f"/api/v4/personal_access_tokens/{token_id}"]


async def test_bulk_rotate_spreads_copies_and_writes_the_values(
    frozen_sim, app_factory, tmp_path
) -> None:
    cliff = TODAY + timedelta(days=5)
    ids = [issue(frozen_sim, f"cliff-{n}", expires_at=cliff) for n in range(3)]
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        clipboard = TerminalClipboard(app)
        await show_only(pilot, app, "cliff-")
        await pilot.press("a", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkRotateDialog))
        # same lifetime (default), 7 days, 30 days; then spread over 3 days.
        await pilot.press("down", "down", "tab", "3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTypedDialog))
        start = TODAY + timedelta(days=30)
        text = texts(app)
        assert "Rotate 3 tokens?" in text and f"spread over 3 days from {start}" in text
        for n in range(3):
            assert (start + timedelta(days=n)).isoformat() in text
        await pilot.press("3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkResultsScreen))
        lines = result_lines(app)
        assert all(line.startswith("✓ rotated") for line in lines)
        news = sorted(
            (t for t in frozen_sim.state.tokens.values() if t.previous_id in ids),
            key=lambda t: t.expires_at,
        )
        assert [t.expires_at for t in news] == [start + timedelta(days=n) for n in range(3)]
        assert all(frozen_sim.state.tokens[i].revoked for i in ids)
        rotates = [r.path for r in frozen_sim.request_log if r.path.endswith("/rotate")]
        assert sorted(rotates) == sorted(f"/api/v4/personal_access_tokens/{i}/rotate" for i in ids)
        # y copies the value of the line under the cursor, as the reveal screen does.
        await pilot.press("y")
        copied = frozen_sim.state.token_by_secret(clipboard.last)
        assert copied is not None and copied.previous_id in ids
        assert app.clipboard != clipboard.last  # kept nowhere in the app
        # Leaving with values not copied asks; enter stays.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BulkResultsScreen)
        # w writes them to a new 0600 file (never over an existing one).
        existing = tmp_path / "exists.json"
        existing.write_text("keep")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ValuesPathDialog))
        assert "plain text" in texts(app)
        app.screen.query_one("#values-path", Input).value = str(existing)
        await pilot.press("enter")
        await pilot.pause()
        assert "already exists" in texts(app) and existing.read_text() == "keep"
        target = tmp_path / "values.json"
        app.screen.query_one("#values-path", Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkResultsScreen))
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        records = json.loads(target.read_text())
        assert {r["id"] for r in records} == {t.id for t in news}
        for record in records:
            assert frozen_sim.state.token_by_secret(record["token"]).id == record["id"]
            assert set(record) == {"id", "name", "kind", "resource", "expires_at", "token"}
        # Written: esc leaves without asking; the values are dropped with the screen.
        screen = app.screen
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, TokensScreen) and screen.lines == []
        assert not app.row_context.marks
        assert all(app.store.get(t.id) is not None for t in news)


async def test_bulk_rotate_with_the_credential_in_use_rotates_it_last_and_stores_it(
    frozen_sim, app_factory
) -> None:
    saved: list = []
    app = app_factory(frozen_sim.admin_token, source=("mine", None), save_credential=saved.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        self_id = app.self_token.id
        others = [
            t.id
            for t in main(app).table.rows
            if t.id != self_id and not t.revoked and t.expires_at and t.expires_at > TODAY
        ][:2]
        assert len(others) == 2
        table = main(app).table
        for token_id in [self_id, *others]:
            assert table.select_token(token_id)
            await pilot.press("space")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkRotateDialog))
        await pilot.press("down", "enter")  # 7 days
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTypedDialog))
        assert "own credential is among them: it is rotated last" in texts(app)
        await pilot.press("3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkResultsScreen))
        assert all(line.startswith("✓ rotated") for line in result_lines(app))
        assert "tokentui's own credential: stored where the old one was" in "\n".join(
            result_lines(app)
        )
        # Rotated last (after every other token of the batch), its new value stored and used.
        paths = [r.path for r in frozen_sim.request_log if r.path.endswith("/rotate")]
        assert len(paths) == 3 and paths[-1].endswith("/personal_access_tokens/self/rotate")
        [value] = saved
        new = frozen_sim.state.token_by_secret(value.get_secret_value())
        assert new.previous_id == self_id and app.self_token.id == new.id
        assert all(frozen_sim.state.tokens[i].revoked for i in [self_id, *others])
        for _ in range(3):  # copy each value: leaving then needs no question
            await pilot.press("y", "down")
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, TokensScreen)
        app.reload()
        await settle(pilot, app)
        assert app.store.error is None and app.store.view
