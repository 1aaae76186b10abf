"""Snapshots of the main screen (frozen clock, in-process demo simulator, fixed sizes).

Plain sync tests, as ``snap_compare`` needs. Regenerate after an intended change with
``pytest tests/test_snapshots.py --snapshot-update`` and look at the report.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from tui_helpers import press, settle_then, snapshot_app

from tokentui.gitlab.errors import Unauthorized

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.mark.parametrize("size", SIZES)
def test_main_list(snap_compare, size) -> None:
    assert snap_compare(snapshot_app(), terminal_size=size, run_before=settle_then())


@pytest.mark.parametrize("size", SIZES)
def test_filter_in_use(snap_compare, size) -> None:
    steps = settle_then(press("slash", *"deploy"))
    assert snap_compare(snapshot_app(), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_full_detail(snap_compare, size) -> None:
    steps = settle_then(press("down", "down", "enter"))
    assert snap_compare(snapshot_app(), terminal_size=size, run_before=steps)


def test_sorted_by_name_descending(snap_compare) -> None:
    steps = settle_then(press("s", "s", "S"))
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=steps)


def test_bad_date_message(snap_compare) -> None:
    async def type_bad_date(pilot: Pilot) -> None:
        pilot.app.screen.query_one("#created-from").focus()
        await pilot.press(*"2026-02-30", "enter")

    steps = settle_then(type_bad_date)
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, size) -> None:
    """``?`` on the real main screen: the app's own keys first, Textual's generic ones last."""
    steps = settle_then(press("question_mark"))
    assert snap_compare(snapshot_app(), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_unauthorized(snap_compare, size) -> None:
    async def revoked(pilot: Pilot) -> None:
        pilot.app.show_unauthorized(
            Unauthorized("401 Unauthorized - Token is revoked", status=401, reason="revoked")
        )

    steps = settle_then(revoked)
    assert snap_compare(snapshot_app(), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_login_screen_when_nothing_is_configured(snap_compare, size, monkeypatch) -> None:
    from tokentui.tui.app import make_app

    # Only shown, never written (nothing is submitted): a fixed path keeps the picture stable.
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", "/home/you/.config/tokentui")

    app = make_app(None, login_url="https://gitlab.example.com")
    assert snap_compare(app, terminal_size=size, run_before=settle_login)


async def settle_login(pilot: Pilot) -> None:
    """Wait for the login screen, with the text cursor still (stable pictures)."""
    from textual.widgets import Input

    from tokentui.tui.screens.login import LoginScreen

    for _ in range(200):
        if isinstance(pilot.app.screen, LoginScreen):
            break
        await pilot.pause(0.01)
    assert isinstance(pilot.app.screen, LoginScreen)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()
