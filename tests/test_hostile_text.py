"""Hostile conditions, part 3: server-supplied text is data (issue 7).

Token names and descriptions holding Rich markup, ANSI escapes, OSC sequences (an OSC 52
clipboard write, an OSC 8 hyperlink, their 8-bit C1 forms), very long text, emoji and
right-to-left text go through the real CLI (table, JSON, CSV, detail) and the real TUI (table,
detail pane, full detail, rotate/revoke dialogs). Every output is checked for raw control
characters, and the text is shown literally: markup is not interpreted, JSON parses back to the
exact text, CSV neutralises formula cells.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hostile_helpers import TERMINAL_CONTROLS, cli_runner
from textual.widgets import Static
from tui_helpers import FROZEN_NOW

from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.confirm import RevokeDialog, RotateDialog
from tokentui.tui.screens.token_detail import TokenDetailScreen
from tokentui.tui.widgets.token_table import TokenTable

DAVE = 5
MARKUP = "[bold red]pwned[/] [link=https://evil.example]click[/link]"
ANSI = "\x1b[31mred\x1b[0m\x1b[2J\x1b[H"
OSC52 = "clip\x1b]52;c;ZXZpbCBwYXlsb2Fk\x07board"
OSC8 = "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"
C1 = "c1\x9b31m\x9d52;c;ZXZpbA==\x9c"
LONG = "L" * 250 + "-tail"
EMOJI = "🔑 deploy 🚀 key"
RTL = "שלום עולם token"
BIDI = "invoice\u202egpj.exe"
NEWLINES = "line1\nline2\r\tend"

NAMES = {
    "markup": MARKUP,
    "ansi": ANSI,
    "osc52": OSC52,
    "osc8": OSC8,
    "c1": C1,
    "long": LONG,
    "emoji": EMOJI,
    "rtl": RTL,
    "bidi": BIDI,
    "newlines": NEWLINES,
}
FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1:A9)"]


def assert_no_controls(text: str) -> None:
    found = [repr(c) for c in TERMINAL_CONTROLS if c in text]
    assert not found, f"raw terminal control characters in output: {found}"
    assert "\u202e" not in text, "a bidi override reached the output"


@pytest.fixture
def evil_sim(frozen_sim):
    """Dave owns one token per hostile name; each description is hostile too."""
    ids: dict[str, int] = {}
    for key, name in NAMES.items():
        value = frozen_sim.issue_token(DAVE, name=name, scopes=("api",), description=ANSI + OSC52)
        ids[key] = frozen_sim.token_record(value).id
    for formula in FORMULAS:
        frozen_sim.issue_token(DAVE, name=formula, scopes=("read_api",), description=formula)
    frozen_sim.ids = ids
    return frozen_sim


# --- CLI -------------------------------------------------------------------------------------


def test_cli_table_shows_hostile_names_literally(evil_sim, monkeypatch, capsys) -> None:
    run = cli_runner(monkeypatch, capsys, evil_sim)
    result = run("list", "--user", str(DAVE))
    assert result.code == 0, result.err
    assert_no_controls(result.out)
    assert_no_controls(result.err)
    assert MARKUP in result.out  # not interpreted, not stripped
    assert EMOJI in result.out and "שלום עולם" in result.out
    assert "\\x1b]52;c;" in result.out  # the OSC 52 is shown as visible escapes
    assert "\\u202e" in result.out
    assert LONG in result.out  # piped: the full text


def test_cli_json_round_trips_hostile_text_without_raw_controls(
    evil_sim, monkeypatch, capsys
) -> None:
    run = cli_runner(monkeypatch, capsys, evil_sim)
    result = run("list", "--user", str(DAVE), "--json")
    assert result.code == 0, result.err
    assert_no_controls(result.out)
    rows = {row["id"]: row for row in json.loads(result.out)}
    for key, token_id in evil_sim.ids.items():
        assert rows[token_id]["name"] == NAMES[key]
        assert rows[token_id]["description"] == ANSI + OSC52


def test_cli_csv_neutralises_formulas_and_carries_no_raw_controls(
    evil_sim, monkeypatch, capsys
) -> None:
    run = cli_runner(monkeypatch, capsys, evil_sim)
    result = run("list", "--user", str(DAVE), "--csv")
    assert result.code == 0, result.err
    assert_no_controls(result.out)
    rows = list(csv.DictReader(io.StringIO(result.out)))
    names = {row["name"] for row in rows}
    for formula in FORMULAS:
        assert "'" + formula in names
        assert formula not in names
    descriptions = {row["description"] for row in rows}
    assert all(not d.startswith(("=", "+", "-", "@")) for d in descriptions)
    assert MARKUP in names and EMOJI in names


@pytest.mark.parametrize("key", ["osc52", "markup", "bidi", "newlines"])
def test_cli_show_detail_is_literal(evil_sim, monkeypatch, capsys, key: str) -> None:
    run = cli_runner(monkeypatch, capsys, evil_sim)
    result = run("show", str(evil_sim.ids[key]))
    assert result.code == 0, result.err
    assert_no_controls(result.out)
    if key == "markup":
        assert MARKUP in result.out


def test_cli_rotate_summary_on_stderr_is_literal(evil_sim, monkeypatch, capsys) -> None:
    run = cli_runner(monkeypatch, capsys, evil_sim)
    result = run("rotate", str(evil_sim.ids["osc52"]))
    assert result.code == 0, result.err
    assert_no_controls(result.err)
    assert "\\x1b]52" in result.err


# --- TUI ---------------------------------------------------------------------------------------


def screen_text(app: TokenApp) -> str:
    """Everything the compositor would paint now (the top screen), as text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def evil_app(sim) -> TokenApp:
    client = GitLabClient(sim.url, sim.admin_token)
    return make_app(client, clock=FrozenClock(FROZEN_NOW), source_choice=("user", str(DAVE)))


async def settle(pilot, app: TokenApp) -> None:
    for _ in range(4):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def test_tui_table_and_detail_render_hostile_text_literally(evil_sim) -> None:
    app = evil_app(evil_sim)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(TokenTable)
        for key, token_id in evil_sim.ids.items():
            assert table.select_token(token_id)
            await pilot.pause()
            painted = screen_text(app)
            assert_no_controls(painted)
            assert_no_controls(table.render_line(table.cursor - table.scroll_offset.y + 1).text)
            detail = app.screen.detail.plain_text
            assert_no_controls(detail)
            if key == "markup":
                # Literal brackets, in the table row and the detail pane.
                assert "[bold red]pwned[/]" in painted and "[bold red]pwned[/]" in detail
            if key == "emoji":
                assert "🔑 deploy 🚀 key" in detail
            if key == "rtl":
                assert "שלום עולם" in detail
        for formula in FORMULAS:
            assert formula in "\n".join(t.name for t in table.rows)


@pytest.mark.parametrize(
    "key",
    ["osc52", "markup", "osc8", "c1"],
)
async def test_tui_dialogs_and_full_detail_are_literal(evil_sim, key: str) -> None:
    app = evil_app(evil_sim)
    token_id = evil_sim.ids[key]
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        assert app.screen.query_one(TokenTable).select_token(token_id)
        await pilot.pause()
        for keys, screen_type in (
            (("enter",), TokenDetailScreen),
            (("r",), RotateDialog),
            (("d",), RevokeDialog),
        ):
            await pilot.press(*keys)
            await settle(pilot, app)
            assert isinstance(app.screen, screen_type)
            painted = screen_text(app)
            assert_no_controls(painted)
            for widget in app.screen.query(Static):
                assert_no_controls(str(widget.render()))
            if key == "markup":
                assert "[bold red]pwned[/]" in painted
            await pilot.press("escape")
            await settle(pilot, app)
        # Copying the name announces it literally too.
        await pilot.press("y")
        await pilot.pause()
        for note in app._notifications:
            assert_no_controls(note.message)
        assert evil_sim.state.tokens[token_id].revoked is False


async def test_tui_reveal_heading_and_notifications_are_literal(evil_sim) -> None:
    from tokentui.tui.screens.reveal import RevealScreen

    app = evil_app(evil_sim)
    token_id = evil_sim.ids["osc52"]
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        assert app.screen.query_one(TokenTable).select_token(token_id)
        await pilot.pause()
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, RevealScreen)
        assert_no_controls(screen_text(app))
        await pilot.press("y", "enter")
        await settle(pilot, app)
        new_id = max(t.id for t in app.store.index.tokens if t.name == OSC52)
        assert app.screen.query_one(TokenTable).select_token(new_id)
        await pilot.pause()
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.press("x")
        await settle(pilot, app)
        assert evil_sim.state.tokens[new_id].revoked
        assert any("Revoked" in n.message for n in app._notifications)
        for note in app._notifications:
            assert_no_controls(note.message)
        assert_no_controls(screen_text(app))


async def test_tui_service_account_names_are_literal(evil_sim) -> None:
    import httpx

    from tokentui.tui.screens.source_picker import SourcePicker

    response = httpx.post(
        f"{evil_sim.url}/api/v4/groups/1/service_accounts",
        headers={"PRIVATE-TOKEN": evil_sim.admin_token},
        json={"name": OSC52 + MARKUP},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    app = evil_app(evil_sim)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await settle(pilot, app)
        picker = app.screen
        assert isinstance(picker, SourcePicker)
        app.actions._submit_list_accounts(picker, "platform")
        await settle(pilot, app)
        painted = screen_text(app)
        assert "service_account_group_1" in painted
        assert_no_controls(painted)
