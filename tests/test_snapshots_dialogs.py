"""Snapshots of the action dialogs at 120x40 and 80x24, with a frozen clock.

The dialogs are shown over a small stand-in for the main screen (with the app's dialog styles
and the main screen's own key bindings, so its footer and the help list are the real ones),
so these pictures change only when a dialog or the main screen's keys change; the dialogs
inside the real app are covered by ``test_tui_actions.py``. The snapshot tests are plain sync
tests, as ``snap_compare`` needs. Update with
``pytest tests/test_snapshots_dialogs.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

import pytest
from pydantic import SecretStr
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tokentui.core.resources import styles_dir
from tokentui.gitlab.models import NewToken, Token
from tokentui.gitlab.sources import ProjectTokens
from tokentui.tui.screens.confirm import RevokeDialog, RotateDialog
from tokentui.tui.screens.create import CreateWizard
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.screens.source_picker import SourcePicker
from tokentui.tui.screens.tokens import TokensScreen
from tokentui.tui.widgets.scope_picker import ScopePicker

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]

#: A made-up value in GitLab's format, for the reveal screen (no real token anywhere).
DEMO_VALUE = "glpat-DEMO0nlyN0tARealT0ken.01.0w1fxq8zd"

TOKEN = Token(
    id=42,
    name="ci-deploy",
    description="Deploys platform/api from CI",
    created_at=NOW - timedelta(days=300),
    scopes=("api", "read_repository"),
    user_id=3,
    last_used_at=NOW - timedelta(hours=5, minutes=12),
    last_used_ips=("10.12.0.9", "203.0.113.7"),
    expires_at=date(2026, 12, 1),
)


class StandIn(Screen[None]):
    """A main screen with the main screen's own keys (``TokensScreen.BINDINGS``, the list
    itself, not a copy), so help lists what the real screen has. Its keys do nothing here."""

    BINDINGS: ClassVar[list[BindingType]] = TokensScreen.BINDINGS

    def compose(self) -> ComposeResult:
        yield Static("tokentui — the token list would be here", id="stand-in")
        yield Footer()


class DialogHost(App[None]):
    """Just enough app to show one dialog."""

    CSS_PATH: ClassVar = [styles_dir() / "dialogs.tcss"]

    def on_mount(self) -> None:
        self.push_screen(StandIn())


def no_submit(*_: object) -> None:
    """The snapshots never submit."""


async def no_blink(pilot: Pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_wizard_scope_step(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        wizard = CreateWizard(
            source=ProjectTokens(resource="platform/api"),
            viewer_id=1,
            viewer_is_admin=True,
            today=NOW.date(),
            base_url="https://gitlab.example.com",
            on_submit=no_submit,
        )
        await pilot.app.push_screen(wizard)
        await no_blink(pilot)
        await pilot.press(*"ci-deploy", "enter", *"deploys platform/api", "enter")
        picker = wizard.query_one(ScopePicker)
        picker.select("read_api")
        picker.select("read_repository")
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(DialogHost(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_reveal_screen(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        new = NewToken(
            **TOKEN.model_dump(exclude={"id", "expires_at", "last_used_at", "last_used_ips"}),
            id=401,
            expires_at=date(2026, 12, 23),
            token=SecretStr(DEMO_VALUE),
        )
        await pilot.app.push_screen(RevealScreen(new, heading="Created project token “ci-deploy”"))
        await pilot.press("y")
        await pilot.pause()

    assert snap_compare(DialogHost(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rotate_dialog(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        dialog = RotateDialog(TOKEN, now=NOW, owner="bob (user 3)", kind="personal")
        await pilot.app.push_screen(dialog)
        await pilot.pause()

    assert snap_compare(DialogHost(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_revoke_dialog(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        dialog = RevokeDialog(TOKEN, now=NOW, owner="bob (user 3)", kind="personal")
        await pilot.app.push_screen(dialog)
        await pilot.pause()

    assert snap_compare(DialogHost(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_source_picker(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        picker = SourcePicker(
            current=ProjectTokens(resource="platform/api"),
            viewer_is_admin=True,
            on_submit=no_submit,
            on_list_accounts=no_submit,
        )
        await pilot.app.push_screen(picker)
        await pilot.press("enter")  # project: asks for the path, prefilled with the current one
        await no_blink(pilot)

    assert snap_compare(DialogHost(), terminal_size=size, run_before=run_before)


async def test_the_stand_in_shows_the_main_screens_keys() -> None:
    """What the pictures show behind a dialog is the main screen's footer: each key the real
    ``TokensScreen`` shows, with its own description (one per action, as Textual groups them)."""
    async with DialogHost().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, StandIn)
        keys = pilot.app.screen.query_one(Footer).query("FooterKey")
        palette = pilot.app.COMMAND_PALETTE_BINDING  # the app's key, not the screen's
        shown = [(k.key, k.description) for k in keys if k.key != palette]
    expected = [(b.key.split(",")[0], b.description) for b in TokensScreen.BINDINGS if b.show]
    assert shown == expected
