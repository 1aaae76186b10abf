"""One rule for server text on a terminal (``tokentui/gitlab/terminal_text.py``), and both fronts
agreeing on it.

The rule is checked against the Unicode categories of the running Python; a catalogue of
hostile strings goes through the real CLI (``list`` as a table, CSV and JSON, ``show``) and the
real TUI (table row, detail pane, everything painted) against the simulator, and no output may
hold an unsafe character; normal text (accents, CJK, Arabic and Hebrew letters, emoji with
their joiners and tags) comes through unchanged. GitLab's own error messages are server text
too: a hostile one reaches the user escaped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hostile_helpers import cli_runner
from tui_helpers import FROZEN_NOW, settle, sim_app, wait_for

from tokentui.cli import output
from tokentui.core.expiry import FrozenClock
from tokentui.gitlab import terminal_text
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import NotFound
from tokentui.gitlab.models import Token
from tokentui.gitlab.terminal_text import clean, escape, escape_json, is_safe, unsafe_characters
from tokentui.simulator.server import BackgroundServer
from tokentui.tui.screens.confirm import RevokeDialog, RotateDialog
from tokentui.tui.widgets.token_table import COLUMNS, RowContext, TokenTable, cell_text

DAVE = 5
ENGLAND = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"

#: Server text a terminal would interpret, reorder, hide or fail to encode.
HOSTILE = {
    "ansi-csi": "\x1b[31mred\x1b[0m\x1b[2J\x1b[H",
    "osc52-clipboard": "clip\x1b]52;c;ZXZpbCBwYXlsb2Fk\x07board",
    "osc8-link": "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "c1-8bit": "c1\x9b31m\x9d52;c;ZXZpbA==\x9c",
    "bidi-override": "invoice\u202egpj.exe",
    "bidi-embed-isolate-marks": "a\u202ab\u202cc\u2067d\u2069e\u200ef\u200fg\u061ch",
    "zero-width": "ad\u200bmin\u2060x\ufeffy\u00adz",
    "line-separators": "one\u2028two\u2029three",
    "nul-del": "nul\x00del\x7f",
    "tab-newline-cr-bs-bel": "line1\nline2\r\tend\x08\x07",
    "lone-surrogate": "half\ud800pair",
    "tag-smuggling": "look\U000e0068\U000e0069",
    "broken-flag": "🏴\U000e0067\U000e0062",
}
#: Over HTTP: GitLab (Ruby, UTF-8) never sends a lone surrogate, and the client refuses a body
#: holding one as invalid JSON, so that case goes through the renderers directly.
OVER_HTTP = {key: text for key, text in HOSTILE.items() if key != "lone-surrogate"}

#: Text that must come through exactly as it is (Rich markup included: it is only text).
NORMAL = {
    "markup": "[bold red]pwned[/] [link=https://evil.example]x[/link]",
    "accents": "café déploiement ñandú Ærøskøbing",
    "cjk": "デプロイ鍵 部署密钥 배포",
    "arabic": "مفتاح النشر",
    "hebrew": "שלום עולם",
    "persian-zwnj": "می\u200cخواهم",
    "emoji": "🔑 deploy 🚀",
    "zwj-family": "👨\u200d👩\u200d👧\u200d👦 family",
    "flag-england": f"{ENGLAND} flag",
    "keycap-skin-tone": "#\ufe0f\u20e3 👍🏽",
    "spaces": "no\u00a0break ideographic\u3000space",
}

# Each visible escape the CLI writes stands for one character the TUI shows as "?".
_ESCAPE = re.compile(r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8}")


def no_unsafe(text: str, *, newlines: bool = True) -> None:
    """``text`` (an output) holds no unsafe character; line ends are allowed when it is
    several lines."""
    found = unsafe_characters(text.replace("\n", "") if newlines else text)
    assert not found, f"unsafe characters in output: {found!r}"


# --- the rule ---------------------------------------------------------------------------------


def test_rule_is_the_documented_unicode_categories() -> None:
    """Unsafe = every Cc, Cf, Cs, Zl, Zp character but ZWNJ and ZWJ (for this Python's
    Unicode database); every unsafe character is unprintable (the fast path relies on it)."""
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    expected = {
        c
        for c in everything
        if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") and c not in "\u200c\u200d"
    }
    listed = {chr(c) for low, high in terminal_text.UNSAFE_RANGES for c in range(low, high + 1)}
    found = unsafe_characters(everything)
    assert len(found) == len(set(found))
    assert set(found) == listed
    # The table may list format characters of newer Unicode versions (unassigned here).
    assert expected <= listed
    assert all(unicodedata.category(c) == "Cn" for c in listed - expected)
    assert not any(c.isprintable() for c in listed)


@pytest.mark.parametrize("key", HOSTILE)
def test_both_renderings_replace_exactly_the_unsafe_characters(key: str) -> None:
    text = HOSTILE[key]
    unsafe = unsafe_characters(text)
    assert unsafe and not is_safe(text)
    escaped, cleaned = escape(text), clean(text)
    no_unsafe(escaped, newlines=False)
    no_unsafe(cleaned, newlines=False)
    # The same characters, in the same places: each CLI escape is a TUI "?".
    assert _ESCAPE.sub("?", escaped) == cleaned
    assert cleaned.count("?") == len(unsafe)
    # JSON: every unsafe character escaped, the exact text parses back.
    data = {"name": text, "list": [text]}
    json_text = escape_json(json.dumps(data, ensure_ascii=False, indent=2))
    no_unsafe(json_text)
    assert json.loads(json_text) == data


@pytest.mark.parametrize("key", NORMAL)
def test_normal_text_is_unchanged(key: str) -> None:
    text = NORMAL[key]
    assert unsafe_characters(text) == [] and is_safe(text)
    assert escape(text) == text and clean(text) == text
    json_text = json.dumps(text, ensure_ascii=False)
    assert escape_json(json_text) == json_text


def test_visible_escapes_name_the_character() -> None:
    assert escape("\x1b\x9b\u202e\U000e0041\ud800") == "\\x1b\\x9b\\u202e\\U000e0041\\ud800"
    assert clean(None) == "" and clean("") == ""
    # A flag keeps its tags; tags after it (not part of it) do not.
    assert clean(ENGLAND + "\U000e0041") == ENGLAND + "?"


# --- both fronts, end to end ------------------------------------------------------------------


@pytest.fixture
def catalogue_sim(frozen_sim):
    """Dave owns one token per hostile and per normal name (descriptions the same text)."""
    ids: dict[str, int] = {}
    for key, name in {**OVER_HTTP, **NORMAL}.items():
        value = frozen_sim.issue_token(DAVE, name=name, scopes=("api",), description=name)
        ids[key] = frozen_sim.token_record(value).id
    frozen_sim.ids = ids
    return frozen_sim


def test_cli_outputs_carry_no_unsafe_character(catalogue_sim, monkeypatch, capsys) -> None:
    run = cli_runner(monkeypatch, capsys, catalogue_sim)
    table = run("list", "--user", str(DAVE))
    assert table.code == 0, table.err
    no_unsafe(table.out)
    no_unsafe(table.err)
    for key, name in {**OVER_HTTP, **NORMAL}.items():
        assert escape(name) in table.out, key

    as_csv = run("list", "--user", str(DAVE), "--csv")
    assert as_csv.code == 0, as_csv.err
    no_unsafe(as_csv.out)
    names = {row["name"] for row in csv.DictReader(io.StringIO(as_csv.out))}
    assert {escape(name) for name in OVER_HTTP.values()} <= names
    assert set(NORMAL.values()) <= names

    as_json = run("list", "--user", str(DAVE), "--json")
    assert as_json.code == 0, as_json.err
    no_unsafe(as_json.out)
    rows = {row["id"]: row for row in json.loads(as_json.out)}
    for key, token_id in catalogue_sim.ids.items():
        expected = {**OVER_HTTP, **NORMAL}[key]
        assert rows[token_id]["name"] == expected
        assert rows[token_id]["description"] == expected

    for key in ("osc52-clipboard", "line-separators", "zwj-family"):
        shown = run("show", str(catalogue_sim.ids[key]))
        assert shown.code == 0, shown.err
        no_unsafe(shown.out)
        assert escape({**OVER_HTTP, **NORMAL}[key]) in shown.out


@pytest.mark.parametrize("key", HOSTILE)
def test_each_front_renders_a_token_safely(key: str) -> None:
    """The CLI's renderers and the TUI's cell text, on a token straight from the model (the
    lone surrogate cannot come over HTTP)."""
    text = HOSTILE[key]
    token = Token.model_validate(
        {
            "id": 9,
            "name": text,
            "description": text,
            "scopes": ["api", text],
            "created_at": "2026-01-02T03:04:05.678Z",
            "expires_at": "2026-12-31",
            "last_used_ips": [text],
            "user_id": 2,
            "active": True,
        }
    )
    out = io.StringIO()
    output.write_table([token], FROZEN_NOW, out, width=300, color=False)
    output.write_detail(token, FROZEN_NOW, out)
    output.write_csv([output.token_record(token, FROZEN_NOW)], out)
    no_unsafe(out.getvalue())
    assert escape(text) in out.getvalue()
    as_json = output.dumps_json([output.token_record(token, FROZEN_NOW)])
    no_unsafe(as_json)
    assert json.loads(as_json)[0]["name"] == text
    ctx = RowContext(clock=FrozenClock(FROZEN_NOW), user_names={2: text})
    for column in COLUMNS:
        no_unsafe(cell_text(token, column.key, ctx, FROZEN_NOW), newlines=False)
    assert cell_text(token, "name", ctx, FROZEN_NOW) == clean(text)


def painted(app) -> str:
    """Everything the compositor would paint now, as text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_tui_rows_and_detail_carry_no_unsafe_character(catalogue_sim) -> None:
    app = sim_app(catalogue_sim, clock=FrozenClock(FROZEN_NOW), source_choice=("user", str(DAVE)))
    async with app.run_test(size=(180, 60)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TokenTable)
        for key, name in {**OVER_HTTP, **NORMAL}.items():
            assert table.select_token(catalogue_sim.ids[key]), key
            await pilot.pause()
            row = table.render_line(table.cursor - table.scroll_offset.y + 1).text
            detail = app.screen.detail.plain_text
            no_unsafe(row)
            no_unsafe(detail)
            no_unsafe(painted(app))
            # What the TUI shows is the CLI's text with each escape as "?".
            assert clean(name) in row, key
            assert clean(name) in detail, key
            if key in NORMAL:
                assert name in row and name in detail, key


async def test_tui_dialogs_show_server_facts_safely(catalogue_sim) -> None:
    """The rotate and revoke dialogs list scopes, last-used IPs and the owner's username:
    server text too."""
    hostile = HOSTILE["osc52-clipboard"] + HOSTILE["bidi-override"]
    record = catalogue_sim.state.tokens[catalogue_sim.ids["ansi-csi"]]
    record.scopes = ("api", hostile)
    record.last_used_ips = [hostile, "10.0.0.1"]
    record.last_used_at = FROZEN_NOW - timedelta(hours=2)
    catalogue_sim.state.users[DAVE].username = "dave" + HOSTILE["c1-8bit"]
    app = sim_app(catalogue_sim, clock=FrozenClock(FROZEN_NOW), source_choice=("user", str(DAVE)))
    async with app.run_test(size=(180, 60)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(TokenTable).select_token(record.id)
        await wait_for(pilot, lambda: DAVE in app.user_names)  # the owners' names load on a tick
        for key, dialog in (("r", RotateDialog), ("d", RevokeDialog)):
            await pilot.press(key)
            await wait_for(pilot, lambda dialog=dialog: isinstance(app.screen, dialog))
            await pilot.pause()
            shown = painted(app)
            no_unsafe(shown)
            assert clean(hostile) in shown and "10.0.0.1" in shown
            assert "dave" + clean(HOSTILE["c1-8bit"]) in shown
            await pilot.press("escape")
            await wait_for(pilot, lambda dialog=dialog: not isinstance(app.screen, dialog))
    assert not record.revoked


# --- GitLab's own messages --------------------------------------------------------------------

HOSTILE_MESSAGE = "404 \x1b]52;c;ZXZpbA==\x07 Not\u202e Found\x9b2J"


async def _hostile_gitlab(scope, receive, send) -> None:
    """Answers every request with a 404 whose GitLab message holds escape sequences."""
    if scope["type"] != "http":
        return
    body = json.dumps({"message": HOSTILE_MESSAGE}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def hostile_gitlab() -> Iterator[str]:
    server = BackgroundServer(_hostile_gitlab)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


async def test_gitlab_error_message_is_escaped_in_the_error(hostile_gitlab) -> None:
    async with GitLabClient(hostile_gitlab, "glpat-not-a-real-value") as client:
        with pytest.raises(NotFound) as caught:
            await client.current_user()
    message = str(caught.value)
    no_unsafe(message, newlines=False)
    assert escape(HOSTILE_MESSAGE) in message
    assert caught.value.gitlab_message == {"message": HOSTILE_MESSAGE}  # the data stays exact


def test_gitlab_error_message_is_escaped_on_the_cli(
    hostile_gitlab, catalogue_sim, monkeypatch, capsys
) -> None:
    run = cli_runner(monkeypatch, capsys, catalogue_sim)
    result = run("list", url=hostile_gitlab)
    assert result.code != 0
    no_unsafe(result.err)
    assert "\\x1b]52;c;" in result.err
