"""Dialogs that can destroy something default to the safe choice (issue 11, items 1, 2, 10, 11,
13 and the TUI part of 15), against the simulator over loopback.

- The reveal screen never loses the new value to ``enter``, ``esc``, ``q`` or ``y``, typed one
  by one or as one burst; only ``x`` on the "Leave without copying?" question leaves uncopied.
- After tokentui rotates its own credential, the reveal says where the new value went.
- ``esc`` in the wizard asks before discarding what was entered.
- After a create or a rotate the list's cursor is on the new token.
- The revoke dialog's default is not to revoke; ``x`` revokes.
- Every dialog and the wizard show their own keys in the footer, not the list's.

Cast: 1 root (admin), 2 alice, 4 carol.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest
from pydantic import SecretStr
from test_self_rotation import login_profile
from test_tui_typeahead import burst, quiet
from textual.pilot import Pilot
from textual.selection import Selection
from textual.widgets import Footer, Input, Static
from textual.widgets._footer import FooterKey
from tui_helpers import FROZEN_NOW, TerminalClipboard, sim_app, wait_for, wait_loaded

from tokentui.cli.commands.common import connect
from tokentui.cli.commands.tui import app_options
from tokentui.core import credentials
from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.confirm import RevokeDialog, RotateDialog
from tokentui.tui.screens.create import CreateWizard, DiscardDialog
from tokentui.tui.screens.help import HelpScreen
from tokentui.tui.screens.reveal import LeaveDialog, RevealScreen
from tokentui.tui.widgets.detail import TokenDetail

SIZE = (120, 40)
TODAY = FROZEN_NOW.date()
CAROL = 4


def issue(sim, name: str, days: int) -> int:
    """A token of carol's on the server; returns its id."""
    value = sim.issue_token(CAROL, name=name, scopes=("api",), expires_at=TODAY + timedelta(days))
    return sim.token_record(value).id


def carol_app(sim) -> TokenApp:
    return sim_app(sim, clock=FrozenClock(FROZEN_NOW), source_choice=("user", str(CAROL)))


async def select(pilot: Pilot, app: TokenApp, token_id: int) -> None:
    """Put the list's cursor on a token (as the arrow keys would)."""
    assert app.screen.table.select_token(token_id), f"token {token_id} is not listed"
    await pilot.pause()
    assert app.selected_token().id == token_id


async def rotate(pilot: Pilot, app: TokenApp, token_id: int) -> RevealScreen:
    """Rotate ``token_id`` with the dialog's default expiry; the reveal screen."""
    await select(pilot, app, token_id)
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, RotateDialog))
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
    await app.workers.wait_for_complete()
    reveal = app.screen
    assert isinstance(reveal, RevealScreen)
    return reveal


def shown_value(reveal: RevealScreen) -> str:
    """The value the reveal screen shows ("" once it is gone)."""
    widgets = reveal.query("#reveal-value")
    return str(widgets.first(Static).render()) if widgets else ""


def successor(sim, token_id: int):
    [new] = [t for t in sim.state.tokens.values() if t.previous_id == token_id]
    return new


def footer_keys(app: TokenApp) -> dict[str, str]:
    """``{description: key}`` of the footer painted on the terminal's last line; it must be
    the top screen's own footer."""
    screen = app.screen
    footer = screen.query_one(Footer)
    widget, _ = screen.get_widget_at(1, app.size.height - 1)
    assert widget is footer or footer in widget.ancestors, widget
    return {key.description: key.key for key in footer.query(FooterKey)}


async def wait_footer(pilot: Pilot, app: TokenApp) -> dict[str, str]:
    await wait_for(pilot, lambda: app.screen.query(Footer) and app.screen.query(FooterKey))
    await pilot.pause()
    return footer_keys(app)


# --- item 1: the show-once value -------------------------------------------------------------


async def test_enter_esc_and_q_never_lose_the_value_and_y_copies(frozen_sim) -> None:
    token_id = issue(frozen_sim, "keep-the-value", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clipboard = TerminalClipboard(app)
        reveal = await rotate(pilot, app, token_id)
        new = successor(frozen_sim, token_id)
        value = shown_value(reveal)
        assert frozen_sim.state.token_by_secret(value) is new

        # enter is Done: it asks; enter again is Stay (the safe default), and so on.
        for keys in (("enter", "enter"), ("escape", "escape"), ("q", "q"), ("enter", "n")):
            await pilot.press(keys[0])
            await wait_for(pilot, lambda: isinstance(app.screen, LeaveDialog))
            await pilot.press(keys[1])
            await wait_for(pilot, lambda: app.screen is reveal)
            assert shown_value(reveal) == value, keys
        assert clipboard.writes == []

        # y on the question copies, as on the reveal screen, and goes back to the value.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeaveDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is reveal)
        assert clipboard.last == value
        assert reveal.copied and "Copied" in str(reveal.query_one("#reveal-status").render())
        assert shown_value(reveal) == value
        # Copied: Done leaves without asking.
        await pilot.press("enter")
        await wait_for(pilot, lambda: reveal not in app.screen_stack)


async def test_only_x_on_the_question_leaves_without_copying(frozen_sim) -> None:
    token_id = issue(frozen_sim, "leave-it", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clipboard = TerminalClipboard(app)
        reveal = await rotate(pilot, app, token_id)
        value = shown_value(reveal)
        # x means nothing on the reveal screen itself (x x cannot lose the value).
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is reveal and shown_value(reveal) == value
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeaveDialog))
        dialog = app.screen
        hint = " ".join(str(s.render()) for s in dialog.query(".dialog-keys"))
        assert "enter/esc stay" in hint and "x leave without copying" in hint
        await pilot.press("x")
        await wait_for(pilot, lambda: reveal not in app.screen_stack)
        assert clipboard.writes == []
        assert not isinstance(app.screen, RevealScreen | LeaveDialog)


@pytest.mark.parametrize(
    "keys",
    [
        ("enter", "enter", "enter"),
        ("enter", "enter", "enter", "enter"),
        ("escape", "escape"),
        ("q", "q", "q"),
        ("enter", "y"),
        ("enter", "y", "y"),
    ],
)
async def test_keys_typed_ahead_on_the_reveal_keep_the_value(frozen_sim, keys) -> None:
    """A burst (fast typing, a paste, tmux send-keys) goes key by key to the screen on top;
    none of these keys leaves the value unseen."""
    token_id = issue(frozen_sim, "typed-ahead", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clipboard = TerminalClipboard(app)
        reveal = await rotate(pilot, app, token_id)
        value = shown_value(reveal)
        burst(app, *keys)
        await quiet(pilot)
        assert reveal in app.screen_stack
        assert shown_value(reveal) == value
        if "y" in keys:
            assert clipboard.last == value
        else:
            assert clipboard.writes == []


async def test_y_enter_leaves_once_the_value_was_copied(frozen_sim) -> None:
    token_id = issue(frozen_sim, "copied-then-done", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clipboard = TerminalClipboard(app)
        reveal = await rotate(pilot, app, token_id)
        value = shown_value(reveal)
        burst(app, "y", "enter")
        await quiet(pilot)
        assert clipboard.last == value
        assert reveal not in app.screen_stack


async def test_a_copied_value_goes_to_the_terminal_and_stays_nowhere_in_the_app(
    frozen_sim,
) -> None:
    """``y`` (and ``ctrl+c`` on a mouse selection) send the value to the terminal's clipboard
    (OSC 52); Textual's own clipboard (``App.clipboard``, kept for the whole session) never
    holds it."""
    token_id = issue(frozen_sim, "copy-not-kept", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clipboard = TerminalClipboard(app)
        reveal = await rotate(pilot, app, token_id)
        value = shown_value(reveal)
        await pilot.press("y")
        await wait_for(pilot, lambda: reveal.copied)
        assert clipboard.writes == [value]
        assert value not in app.clipboard and value not in app._clipboard

        # A mouse selection of the value, copied with ctrl+c, goes the same way.
        reveal.selections = {reveal.query_one("#reveal-value"): Selection(None, None)}
        await pilot.pause()
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: len(clipboard.writes) == 2)
        assert clipboard.last == value
        assert value not in app.clipboard and value not in app._clipboard

        await pilot.press("enter")
        await wait_for(pilot, lambda: reveal not in app.screen_stack)
        assert value not in app.clipboard


# --- item 2: where a self-rotated credential went --------------------------------------------


async def rotate_self(pilot: Pilot, app: TokenApp) -> RevealScreen:
    await wait_loaded(pilot)
    old_id = app.self_token.id
    reveal = await rotate(pilot, app, old_id)
    await wait_for(pilot, lambda: app.self_token.id != old_id)
    return reveal


def advice(reveal: RevealScreen) -> str:
    """What the reveal screen says around the value (not the loud warning)."""
    return "\n".join(str(w.render()) for w in reveal.query(".dialog-text"))


@pytest.mark.usefixtures("config_home")
@pytest.mark.parametrize("storage", ["keyring", "file"])
async def test_self_rotation_says_where_tokentui_stored_the_value(frozen_sim, storage) -> None:
    conn = login_profile(frozen_sim, frozen_sim.user_token, storage=storage)
    assert conn.token_origin == storage
    app = make_app(
        conn.client(),
        clock=FrozenClock(FROZEN_NOW),
        source_choice=("mine", None),
        **app_options(conn),
    )
    async with app.run_test(size=SIZE) as pilot:
        reveal = await rotate_self(pilot, app)
        value = shown_value(reveal)
        text = advice(reveal)
        assert "store it where it will be used" not in text
        assert "tokentui stored the new value in" in text
        if storage == "keyring":
            assert "system keyring (profile “sim”)" in text
        else:
            assert f"{credentials.credentials_path()} (mode 0600, profile “sim”)" in text
        assert not reveal.query("#reveal-warning")
    # It really is there.
    stored = credentials.load_token("sim", storage)
    assert stored is not None and stored.get_secret_value() == value
    await app.client.aclose()


@pytest.mark.usefixtures("config_home")
async def test_self_rotation_with_gitlab_token_says_to_update_it(frozen_sim, monkeypatch) -> None:
    monkeypatch.setenv("GITLAB_HOST", frozen_sim.url)
    monkeypatch.setenv("GITLAB_TOKEN", frozen_sim.user_token)
    conn = connect(argparse.Namespace(profile=None, url=None))
    assert conn.token_origin == "GITLAB_TOKEN"
    app = make_app(
        conn.client(),
        clock=FrozenClock(FROZEN_NOW),
        source_choice=("mine", None),
        **app_options(conn),
    )
    async with app.run_test(size=SIZE) as pilot:
        reveal = await rotate_self(pilot, app)
        text = advice(reveal)
        assert "tokentui did not store it" in text and "update GITLAB_TOKEN" in text
        assert "NOT SAVED" in str(reveal.query_one("#reveal-warning", Static).render())
    await app.client.aclose()


async def test_self_rotation_whose_store_failed_does_not_claim_it_was_stored(frozen_sim) -> None:
    def broken(value: SecretStr) -> None:
        raise OSError("keyring locked")

    client = GitLabClient(frozen_sim.url, frozen_sim.user_token)
    app = make_app(
        client,
        clock=FrozenClock(FROZEN_NOW),
        source_choice=("mine", None),
        save_credential=broken,
        profile_name="sim",
        credential_origin="keyring",
    )
    async with app.run_test(size=SIZE) as pilot:
        reveal = await rotate_self(pilot, app)
        text = advice(reveal)
        assert "stored" not in text and "copy it now" in text
        warning = str(reveal.query_one("#reveal-warning", Static).render())
        assert "NOT SAVED" in warning and "keyring locked" in warning
    await client.aclose()


async def test_self_rotation_in_the_demo_says_nothing_is_stored() -> None:
    from tokentui.tui.demo import make_demo_app

    app = make_demo_app(clock=FrozenClock(FROZEN_NOW), tokens=30, source_choice=("mine", None))
    async with app.run_test(size=SIZE) as pilot:
        reveal = await rotate_self(pilot, app)
        assert "demo stores no credential" in advice(reveal)
        assert "store it where it will be used" not in advice(reveal)
    await app.client.aclose()


async def test_a_rotation_of_another_token_keeps_the_usual_advice(frozen_sim) -> None:
    token_id = issue(frozen_sim, "someone-elses", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        reveal = await rotate(pilot, app, token_id)
        assert "store it where it will be used" in advice(reveal)


# --- item 10: esc in the wizard --------------------------------------------------------------


async def test_esc_in_the_wizard_asks_before_discarding(frozen_sim) -> None:
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        # Nothing typed on the first step: esc just closes.
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CreateWizard))

        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        await pilot.press(*"half-done", "enter", "enter")  # name, no description -> scopes
        assert wizard.step == "scopes"
        for stay in ("enter", "escape", "n"):
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, DiscardDialog))
            await pilot.press(stay)
            await wait_for(pilot, lambda: app.screen is wizard)
            assert wizard.step == "scopes", stay
            assert wizard.query_one("#name", Input).value == "half-done"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DiscardDialog))
        await pilot.press("x")
        await wait_for(pilot, lambda: wizard not in app.screen_stack)
    assert not [r for r in frozen_sim.request_log if r.method == "POST"]


async def test_a_name_typed_on_the_first_step_is_not_dropped_by_esc(frozen_sim) -> None:
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        await pilot.press(*"typed", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DiscardDialog))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is wizard)
        assert wizard.query_one("#name", Input).value == "typed"


async def test_esc_esc_typed_ahead_in_the_wizard_keeps_it_open(frozen_sim) -> None:
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        burst(app, "n", list("fast-hands"), "enter", "enter", "escape", "escape")
        await quiet(pilot)
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        assert wizard.step == "scopes"
        assert wizard.query_one("#name", Input).value == "fast-hands"


# --- item 11: the cursor lands on the new token ----------------------------------------------


def detail_token_id(app: TokenApp) -> int | None:
    token = app.screen_stack[1].query_one(TokenDetail).token
    return token.id if token is not None else None


async def test_after_rotate_the_cursor_is_on_the_new_token(frozen_sim) -> None:
    token_id = issue(frozen_sim, "rotate-me", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await rotate(pilot, app, token_id)
        new = successor(frozen_sim, token_id)
        await pilot.press("y", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RevealScreen))
        await wait_for(pilot, lambda: detail_token_id(app) == new.id)
        assert app.selected_token().id == new.id


async def test_after_create_the_cursor_is_on_the_new_token(frozen_sim) -> None:
    issue(frozen_sim, "soon", 2)
    issue(frozen_sim, "later", 200)
    app = carol_app(frozen_sim)
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("down")  # a cursor the user moved
        moved_to = app.selected_token().id
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        # name, no description, the first scope, 30 days, review, create
        await pilot.press(*"brand-new", "enter", "enter", "space", "enter", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        [record] = [t for t in frozen_sim.state.tokens.values() if t.id not in before]
        await pilot.press("y", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RevealScreen))
        await wait_for(pilot, lambda: detail_token_id(app) == record.id)
        assert app.selected_token().id == record.id != moved_to


# --- item 15 (TUI): revoke defaults to not revoking ------------------------------------------


async def test_the_revoke_dialog_defaults_to_not_revoking(frozen_sim) -> None:
    token_id = issue(frozen_sim, "precious", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await select(pilot, app, token_id)
        for keys in (("enter",), ("n",), ("escape",), ("y", "escape"), ("d", "escape")):
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
            dialog = app.screen
            await pilot.press(*keys)
            await wait_for(pilot, lambda dialog=dialog: dialog not in app.screen_stack)
            assert not frozen_sim.state.tokens[token_id].revoked, keys
        # Typed ahead: d d, d enter, d y never revoke.
        for keys in (("d", "d"), ("d", "enter"), ("d", "y")):
            burst(app, *keys)
            await quiet(pilot)
            assert not frozen_sim.state.tokens[token_id].revoked, keys
            if isinstance(app.screen, RevokeDialog):
                await pilot.press("escape")
                await wait_for(pilot, lambda: not isinstance(app.screen, RevokeDialog))
        assert not [r for r in frozen_sim.request_log if r.method == "DELETE"]

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
        dialog = app.screen
        labels = [str(b.label) for b in dialog.query("Button")]
        assert labels == ["Cancel (enter)", "Revoke (x)"]
        hint = str(dialog.query_one(".dialog-keys", Static).render())
        assert hint == "enter/n/esc cancel · x revoke"
        await pilot.press("x")
        await wait_for(pilot, lambda: frozen_sim.state.tokens[token_id].revoked)
        await app.workers.wait_for_complete()
    assert len([r for r in frozen_sim.request_log if r.method == "DELETE"]) == 1


# --- item 13: dialogs show their own keys ----------------------------------------------------


async def test_dialogs_and_the_wizard_show_their_own_keys_in_the_footer(frozen_sim) -> None:
    token_id = issue(frozen_sim, "footers", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await select(pilot, app, token_id)
        list_keys = await wait_footer(pilot, app)
        assert {"New", "Rotate", "Revoke", "Quit"} <= set(list_keys)

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
        assert await wait_footer(pilot, app) == {"Cancel": "enter", "Revoke": "x"}
        await pilot.press("escape")

        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        keys = await wait_footer(pilot, app)
        assert {"Cancel": "escape", "Next": "ctrl+n", "Back": "ctrl+b"}.items() <= keys.items()
        assert not {"New", "Rotate", "Revoke", "Quit"} & set(keys)
        await pilot.press(*"x", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DiscardDialog))
        assert await wait_footer(pilot, app) == {"Keep editing": "enter", "Discard": "x"}
        await pilot.press("x")
        await wait_for(pilot, lambda: not isinstance(app.screen, CreateWizard | DiscardDialog))

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RotateDialog))
        keys = await wait_footer(pilot, app)
        assert not {"New", "Rotate", "Revoke", "Quit"} & set(keys)
        assert "Cancel" in keys
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        assert await wait_footer(pilot, app) == {"Copy value": "y", "Done": "enter"}
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeaveDialog))
        assert await wait_footer(pilot, app) == {
            "Copy value": "y",
            "Stay": "enter",
            "Leave without copying": "x",
        }
        await pilot.press("x")


async def test_help_shows_its_own_keys_in_the_footer(frozen_sim) -> None:
    """``?`` opens help; its footer (the terminal's last line) says how to close and scroll
    it, not the list's keys, and those keys do it."""
    issue(frozen_sim, "help-footer", 20)
    app = carol_app(frozen_sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        await wait_for(pilot, lambda: help_screen.query(Footer) and help_screen.query(FooterKey))
        await pilot.pause()
        footer = help_screen.query_one(Footer)
        widget, _ = help_screen.get_widget_at(1, app.size.height - 1)
        assert widget is footer or footer in widget.ancestors, widget
        last_line = help_screen._compositor.render_strips()[-1].text
        assert "esc Close help" in last_line and "Scroll" in last_line, last_line
        for other in ("Rotate", "Revoke", "New", "Quit"):
            assert other not in last_line, last_line

        scroll = help_screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0  # at 80x24 the list is longer than the box
        await pilot.press("down")
        await wait_for(pilot, lambda: scroll.scroll_y == 1)
        await pilot.press("end")
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)
        await pilot.press("escape")
        await wait_for(pilot, lambda: help_screen not in app.screen_stack)
