"""Dates and lifetimes end to end (issue 11, items 3, 4, 5 and the rotate dialog of 14).

The real app (and the real CLI) against the frozen simulator over loopback: a typed date is
the date GitLab gets (or is refused with a message), rotate keeps the token's lifetime by
default, and the countdown reads the same in the list, the detail, the dialogs and the CLI.
Cast: 1 root (admin), 2 alice, 3 bob, 4 carol.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from test_tui_typeahead import burst, quiet
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static
from tui_helpers import FROZEN_NOW, sim_app, wait_for, wait_loaded

from tokentui.cli.main import main
from tokentui.core.expiry import FrozenClock
from tokentui.tui.app import TokenApp
from tokentui.tui.screens.confirm import RotateDialog
from tokentui.tui.screens.create import CreateWizard
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.widgets.detail import TokenDetail
from tokentui.tui.widgets.expiry_picker import ExpiryPicker
from tokentui.tui.widgets.token_table import TokenTable

TODAY = FROZEN_NOW.date()
CAROL = 4
SIZE = (120, 40)


def issue(sim, name: str, *, lifetime_days: int | None, left: timedelta, **kwargs) -> int:
    """A carol token expiring after ``left`` from now, created ``lifetime_days`` before its
    expiry date; returns its id."""
    expires_at = (FROZEN_NOW + left).date()
    value = sim.issue_token(CAROL, name=name, scopes=("api",), expires_at=expires_at, **kwargs)
    record = sim.state.token_by_secret(value)
    if lifetime_days is not None:
        record.created_at = FROZEN_NOW.replace(
            year=expires_at.year, month=expires_at.month, day=expires_at.day
        ) - timedelta(days=lifetime_days)
    return record.id


def carol_app(sim, clock: FrozenClock | None = None) -> TokenApp:
    return sim_app(sim, clock=clock or FrozenClock(FROZEN_NOW), source_choice=("user", str(CAROL)))


def successor(sim, token_id: int):
    [new] = [t for t in sim.state.tokens.values() if t.previous_id == token_id]
    return new


def new_records(sim, before: set[int]) -> list:
    return [t for t in sim.state.tokens.values() if t.id not in before]


def dialog_text(screen) -> str:
    return "\n".join(str(w.render()) for w in screen.query(Static))


async def open_rotate(pilot: Pilot, app: TokenApp, token_id: int) -> RotateDialog:
    assert app.screen.table.select_token(token_id)
    await pilot.pause()
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, RotateDialog))
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, RotateDialog)
    return dialog


async def to_expiry_step(pilot: Pilot, app: TokenApp) -> CreateWizard:
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
    wizard = app.screen
    assert isinstance(wizard, CreateWizard)
    await wait_for(pilot, lambda: wizard.step == "name" and app.focused is not None)
    await pilot.press(*"nightly", "enter", "enter", "space", "enter")
    await wait_for(pilot, lambda: wizard.step == "expiry")
    return wizard


# --- item 3: a typed date is used or refused, never replaced ---------------------------------


@pytest.mark.parametrize("before_typing", [(), ("end",), ("end", "enter"), ("down",)])
async def test_wizard_creates_the_token_with_the_typed_date(frozen_sim, before_typing) -> None:
    """Typed on the presets list (any highlight) or after choosing "a date of my choice":
    the created token expires on the typed date, not on the highlighted preset's."""
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    before = set(frozen_sim.state.tokens)
    wanted = TODAY + timedelta(days=112)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        wizard = await to_expiry_step(pilot, app)
        await pilot.press(*before_typing)
        await pilot.press(*wanted.isoformat(), "enter")
        assert wizard.step == "review"
        assert f"{wanted.isoformat()} (in 112 days)" in str(wizard.review_text())
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
    (record,) = new_records(frozen_sim, before)
    assert record.expires_at == wanted


async def test_choosing_a_date_of_my_choice_puts_the_cursor_in_the_date_box(frozen_sim) -> None:
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        wizard = await to_expiry_step(pilot, app)
        await pilot.press("end")
        assert app.focused is wizard.query_one("#expiry-date", Input)
        await pilot.press("up")  # back to the list, on the last preset
        assert app.focused is wizard.query_one("#expiry-options")
        assert wizard.query_one(ExpiryPicker).chosen()[0] == TODAY + timedelta(days=365)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-11-01", "is not in the future"),
        ("2027-11-24", "more than 365 days away; the last allowed date is 2027-11-23"),
        ("2027-02-30", "is not a date"),
        ("15.3.2027", "is not a date"),
    ],
)
async def test_wizard_refuses_a_bad_typed_date_with_a_message(frozen_sim, typed, message) -> None:
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        wizard = await to_expiry_step(pilot, app)
        await pilot.press(*typed, "enter")
        assert wizard.step == "expiry"
        assert message in str(wizard.query_one("#error-expiry", Static).render())
        assert wizard.query_one("#expiry-date", Input).value == typed  # kept, not replaced
    assert new_records(frozen_sim, before) == []


async def test_wizard_typed_date_as_a_burst(frozen_sim) -> None:
    """The whole wizard, the date typed straight on the presets list, as one burst."""
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    before = set(frozen_sim.state.tokens)
    wanted = TODAY + timedelta(days=77)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        burst(
            app,
            "n",
            list("burst-date"),
            "enter",
            "enter",
            "space",
            "enter",  # -> expiry, 30 days highlighted
            list(wanted.isoformat()),
            "enter",  # -> review
            "enter",  # create
        )
        await quiet(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
    (record,) = new_records(frozen_sim, before)
    assert record.name == "burst-date" and record.expires_at == wanted


@pytest.mark.parametrize("as_burst", [False, True])
async def test_rotate_dialog_rotates_to_the_typed_date(frozen_sim, as_burst) -> None:
    token_id = issue(frozen_sim, "typed", lifetime_days=90, left=timedelta(days=5))
    app = carol_app(frozen_sim)
    wanted = TODAY + timedelta(days=200)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await open_rotate(pilot, app, token_id)
        if as_burst:
            burst(app, list(wanted.isoformat()), "enter")
            await quiet(pilot)
        else:
            await pilot.press(*wanted.isoformat(), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
    assert successor(frozen_sim, token_id).expires_at == wanted
    [rotate] = [r for r in frozen_sim.request_log if r.path.endswith("/rotate")]
    assert rotate.method == "POST"


async def test_rotate_dialog_refuses_a_bad_typed_date(frozen_sim) -> None:
    token_id = issue(frozen_sim, "refused", lifetime_days=90, left=timedelta(days=5))
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        dialog = await open_rotate(pilot, app, token_id)
        await pilot.press(*"2027-13-01", "enter")
        assert app.screen is dialog
        assert "is not a date" in str(dialog.query_one("#rotate-error", Static).render())
    assert not frozen_sim.state.tokens[token_id].revoked
    assert [r for r in frozen_sim.request_log if r.method == "POST"] == []


@pytest.mark.parametrize("as_burst", [False, True])
async def test_letters_typed_in_the_rotate_dialogs_date_box_are_text(frozen_sim, as_burst) -> None:
    """``y`` confirms and ``n`` cancels the rotate dialog, but not while the date box has the
    cursor: there they are typed (the date is then refused with a message, never replaced)."""
    token_id = issue(frozen_sim, "letters", lifetime_days=90, left=timedelta(days=5))
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        dialog = await open_rotate(pilot, app, token_id)
        box = dialog.query_one("#expiry-date", Input)
        await pilot.press("end")  # "a date of my choice": the cursor goes to the date box
        await wait_for(pilot, lambda: box.has_focus)
        if as_burst:
            burst(app, list("nyy"))
            await quiet(pilot)
        else:
            await pilot.press(*"nyy")
        assert app.screen is dialog
        assert box.value == "nyy"
        await pilot.press("enter")
        error = dialog.query_one("#rotate-error", Static)
        await wait_for(pilot, lambda: "'nyy' is not a date" in str(error.render()))
        assert app.screen is dialog
        # On the list again, y confirms (here: the typed date is still refused).
        await pilot.press("up")
        await wait_for(pilot, lambda: not box.has_focus)
        await pilot.press("n")
        await wait_for(pilot, lambda: dialog not in app.screen_stack)
    assert not frozen_sim.state.tokens[token_id].revoked
    assert [r for r in frozen_sim.request_log if r.path.endswith("/rotate")] == []


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_rotate_dialog_buttons_stay_on_screen_with_a_typed_date(frozen_sim, size) -> None:
    token_id = issue(frozen_sim, "small", lifetime_days=90, left=timedelta(days=5))
    app = carol_app(frozen_sim)
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot)
        dialog = await open_rotate(pilot, app, token_id)
        await pilot.press(*"2030-01-01", "enter")  # refused: the error line shows too
        await pilot.pause()
        assert "more than 365 days" in str(dialog.query_one("#rotate-error", Static).render())
        screen = dialog.region
        for widget in (
            *dialog.query(Button),
            dialog.query_one("#expiry-date"),
            dialog.query_one("#rotate-error"),
        ):
            assert widget.region.height > 0, widget
            assert screen.contains_region(widget.region), (widget, widget.region, screen)


# --- item 4: rotate keeps the token's lifetime by default ------------------------------------


@pytest.mark.parametrize(("lifetime", "expected"), [(270, 270), (500, 365)])
async def test_rotate_defaults_to_the_same_lifetime(frozen_sim, lifetime, expected) -> None:
    """A 9-month token rotated with one ``y`` lives 9 months again (capped at 365 days)."""
    token_id = issue(frozen_sim, "nine-months", lifetime_days=lifetime, left=timedelta(days=20))
    app = carol_app(frozen_sim)
    wanted = TODAY + timedelta(days=expected)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        dialog = await open_rotate(pilot, app, token_id)
        text = str(dialog.query_one("#expiry-options").get_option_at_index(0).prompt)
        assert f"same lifetime as now: {expected} days" in text and wanted.isoformat() in text
        assert dialog.query_one(ExpiryPicker).chosen()[0] == wanted
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
    assert successor(frozen_sim, token_id).expires_at == wanted


async def test_rotate_without_expiry_defaults_to_seven_days(frozen_sim) -> None:
    value = frozen_sim.issue_token(CAROL, name="forever", scopes=("api",), expires_at=None)
    token_id = frozen_sim.state.token_by_secret(value).id
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        dialog = await open_rotate(pilot, app, token_id)
        assert "same lifetime" not in dialog_text(dialog)
        assert dialog.query_one(ExpiryPicker).chosen()[0] == TODAY + timedelta(days=7)


@pytest.fixture
def frozen_cli(frozen_sim, tmp_path, monkeypatch, capsys):
    """``frozen_cli(*argv)`` runs tokentui in process against the frozen simulator (as the
    admin) with the CLI's clock frozen too; returns (code, stdout, stderr)."""
    for name in ("GITLAB_TOKEN", "GITLAB_HOST", "TOKENTUI_PROFILE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GITLAB_HOST", frozen_sim.url)
    monkeypatch.setenv("GITLAB_TOKEN", frozen_sim.admin_token)
    monkeypatch.setenv("COLUMNS", "200")
    clock = FrozenClock(FROZEN_NOW)
    monkeypatch.setattr("tokentui.cli.commands.tokens._now", clock)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    run.clock = clock  # type: ignore[attr-defined]
    return run


def test_cli_rotate_without_duration_keeps_the_lifetime(frozen_sim, frozen_cli) -> None:
    token_id = issue(frozen_sim, "cli-nine", lifetime_days=270, left=timedelta(days=20))
    code, out, err = frozen_cli("rotate", str(token_id))
    assert code == 0, err
    new = frozen_sim.state.token_by_secret(out.strip())
    assert new.previous_id == token_id
    assert new.expires_at == TODAY + timedelta(days=270)


# --- item 5: one countdown text everywhere, ticking, revoked, the under-a-day band -----------


def row_text(table: TokenTable, token_id: int) -> str:
    index = next(i for i, t in enumerate(table.rows) if t.id == token_id)
    return table._row_strip(index, table.size.width, table.rich_style).text


COUNTDOWNS = [
    (timedelta(hours=16, minutes=39, seconds=51), False, "16h 39m 51s left"),
    (timedelta(days=3, hours=4, minutes=12), False, "3d 04h 12m left"),
    (timedelta(days=40), False, "40d 00h 00m left"),
    (timedelta(days=200, hours=3), False, "200d left"),
    (timedelta(days=3), True, "revoked"),
]


def countdown_token(sim, left: timedelta, revoked: bool):
    """A carol token and the instant at which ``left`` remains before its expiry."""
    expires_at = (FROZEN_NOW + timedelta(days=left.days + 1)).date()
    value = sim.issue_token(
        CAROL, name="same-text", scopes=("api",), expires_at=expires_at, revoked=revoked
    )
    token = sim.state.token_by_secret(value)
    midnight = FROZEN_NOW.replace(
        year=expires_at.year, month=expires_at.month, day=expires_at.day, hour=0
    )
    return token, midnight - left


@pytest.mark.parametrize(("left", "revoked", "text"), COUNTDOWNS)
def test_cli_show_and_list_print_the_countdown(frozen_sim, frozen_cli, left, revoked, text):
    token, at = countdown_token(frozen_sim, left, revoked)
    frozen_cli.clock.set(at)
    code, out, err = frozen_cli("show", str(token.id))
    assert code == 0, err
    assert f"countdown:      {text}\n" in out
    code, out, err = frozen_cli("list", "--user", str(CAROL))
    assert code == 0, err
    line = next(line for line in out.splitlines() if "same-text" in line)
    assert text in line
    assert ":" not in text  # never a clock time


@pytest.mark.parametrize(("left", "revoked", "text"), COUNTDOWNS)
async def test_list_detail_and_dialog_show_the_countdown(frozen_sim, left, revoked, text):
    """The same text as the CLI's (the test above) for the same token at the same clock."""
    token, at = countdown_token(frozen_sim, left, revoked)
    clock = FrozenClock(at)
    app = carol_app(frozen_sim, clock)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot)
        table = app.screen.query_one(TokenTable)
        assert table.select_token(token.id)
        await pilot.pause()
        app.screen.tick()
        await pilot.pause()
        row = row_text(table, token.id)
        assert text in row
        if revoked:  # the countdown cell says it too, not only the state column
            assert row.count("revoked") == 2, row
        detail = app.screen.query_one(TokenDetail).plain_text
        assert re.search(rf"countdown\s+{text}\s*$", detail, re.MULTILINE), detail
        if not revoked:
            dialog = await open_rotate(pilot, app, token.id)
            expires = token.expires_at.isoformat()
            assert f"{expires} ({text})" in dialog_text(dialog)


async def test_countdowns_in_the_rotate_dialog_and_detail_tick(frozen_sim) -> None:
    token_id = issue(frozen_sim, "ticking", lifetime_days=30, left=timedelta(hours=12))
    clock = FrozenClock(FROZEN_NOW)
    app = carol_app(frozen_sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.screen.table.select_token(token_id)
        await pilot.pause()
        detail = app.screen.query_one(TokenDetail)
        clock.advance(timedelta(seconds=5))
        await wait_for(pilot, lambda: "11h 59m 55s left" in detail.plain_text)
        dialog = await open_rotate(pilot, app, token_id)
        clock.advance(timedelta(seconds=5))
        await wait_for(pilot, lambda: "11h 59m 50s left" in dialog_text(dialog))


async def test_under_a_day_stands_out_on_the_cursor_row(frozen_sim) -> None:
    soon = issue(frozen_sim, "soon", lifetime_days=30, left=timedelta(hours=12))
    later = issue(frozen_sim, "later", lifetime_days=90, left=timedelta(days=45))
    app = carol_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        table = app.screen.query_one(TokenTable)

        def countdown_style(token_id: int):
            assert table.select_token(token_id)
            index = table.cursor
            strip = table._row_strip(index, table.size.width, table.rich_style)
            name_style = next(s.style for s in strip if "soon" in s.text or "later" in s.text)
            cell = next(s.style for s in strip if s.text.strip().endswith("left"))
            return name_style, cell

        table.focus()
        await pilot.pause()
        plain, soon_cell = countdown_style(soon)
        _, later_cell = countdown_style(later)
        # The cursor's plain cells share one background; the under-a-day cell has its own.
        assert soon_cell.bgcolor is not None and soon_cell.bgcolor != plain.bgcolor
        assert soon_cell.bold
        assert later_cell.bgcolor == plain.bgcolor
