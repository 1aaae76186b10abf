"""Hostile conditions, secrets: no token value is left in the terminal after the TUI exits
(issue 7).

The real ``tokentui`` process runs on a 120x40 pseudo-terminal (``TERM=xterm-256color``)
against the simulator, as its admin (``GITLAB_TOKEN`` in the environment, never in argv), and
everything it writes is played into an emulated xterm with an alternate screen and a
scrollback (``tests/pty_terminal.py``). Keys typed on the terminal rotate a token (leaving the
reveal screen without copying), then rotate its successor (copying that value); each new
value is read off the alternate screen and checked against the server. After a normal quit,
the normal screen and its scrollback hold no part of either value, the shell prompt written
before the app started is back, and the only OSC 52 clipboard write in the whole stream is
the one the user asked for.
"""

from __future__ import annotations

import base64
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import pyte
import pytest
from pty_terminal import AlternateScreen, PtyProcess

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses a pseudo-terminal")

CAROL = 4
PROMPT = "$ tokentui --user 4"
VALUE = re.compile(r"glpat-[A-Za-z0-9_.-]{20,}")
OSC52 = re.compile(rb"\x1b\]52;[^\x07\x1b]*(?:\x07|\x1b\\)")
SLICE = 12
ENTER, ESCAPE = "\r", "\x1b"


def child_env(sim, tmp_path: Path) -> dict[str, str]:
    """The environment of the ``tokentui`` process: the simulator's admin credential, every
    directory tokentui could write inside ``tmp_path``, no keyring, an xterm."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITLAB_", "TOKENTUI_", "TEXTUAL", "XDG_"))
        and k not in ("COLUMNS", "LINES", "NO_COLOR")
    }
    for name in ("home", "config", "cache", "state", "data"):
        (tmp_path / name).mkdir()
    env.update(
        GITLAB_TOKEN=sim.admin_token,
        TERM="xterm-256color",
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        TOKENTUI_CONFIG_DIR=str(tmp_path / "config" / "tokentui"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def only_probe_is_active(sim, name: str) -> int:
    """Revoke carol's other tokens so the probe is the first row (urgency sort); its id."""
    value = sim.issue_token(
        CAROL, name=name, scopes=("read_api",), expires_at=sim.today() + timedelta(days=20)
    )
    with sim.state.lock:
        probe = sim.state.token_by_secret(value)
        for record in sim.state.tokens.values():
            if record.user_id == CAROL and record is not probe:
                record.revoked = True
        sim.state.touch()
    return probe.id


def detail_shows(term: PtyProcess, token_id: int) -> bool:
    """The detail pane shows token ``token_id`` (the table's cursor is on it)."""
    return re.search(rf"^ id +{token_id}\b", term.text(), re.MULTILINE) is not None


def value_on_screen(term: PtyProcess) -> str:
    """The one token value on the alternate screen."""
    found = set(VALUE.findall("\n".join(term.screen.alternate_lines())))
    assert len(found) == 1, found
    return found.pop()


def pieces(value: str) -> list[str]:
    """The value and every ``SLICE``-character slice of its secret part."""
    secret = value.removeprefix("glpat-")
    assert len(secret) >= SLICE
    return [value, *(secret[i : i + SLICE] for i in range(len(secret) - SLICE + 1))]


@pytest.mark.slow
def test_no_value_stays_on_the_terminal_after_the_tui_exits(sim, tmp_path) -> None:
    probe_id = only_probe_is_active(sim, "scrollback-probe")
    argv = [sys.executable, "-m", "tokentui.cli", "--url", sim.url, "--user", str(CAROL)]
    assert all(sim.admin_token not in arg for arg in argv)
    env = child_env(sim, tmp_path)

    with PtyProcess(argv, env, columns=120, lines=40, before=PROMPT + "\r\n") as term:
        screen = term.screen
        term.wait_for(lambda: screen.alternate, "the alternate screen")
        term.wait_for(lambda: detail_shows(term, probe_id), "the probe's detail")

        # Rotate the probe; leave the reveal screen without copying (it asks first).
        term.send("r")
        term.wait_for_text("stops working at once")
        assert "scrollback-probe" in term.text()
        term.send("y")
        term.wait_for(lambda: VALUE.search(term.text()), "the rotated value")
        rotated = value_on_screen(term)
        first = sim.token_record(rotated)
        assert first.previous_id == probe_id and sim.state.tokens[probe_id].revoked
        term.send(ESCAPE)
        term.wait_for_text("Leave without copying?")
        term.send("x")
        term.wait_for(lambda: rotated not in term.text(), "the reveal screen to close")
        assert not OSC52.search(term.raw), "a clipboard write nobody asked for"

        # Rotate the new token in turn; copy its value (one OSC 52 write), then leave.
        term.wait_for(lambda: detail_shows(term, first.id), "the new token's detail")
        term.send("r")
        term.wait_for_text("stops working at once")
        term.send("y")
        term.wait_for(lambda: VALUE.search(term.text()), "the second rotated value")
        copied = value_on_screen(term)
        assert sim.token_record(copied).previous_id == first.id
        term.send("y")
        term.wait_for_text("Copied to the clipboard")
        term.send(ENTER)
        term.wait_for(lambda: copied not in term.text(), "the reveal screen to close")

        term.send("q")
        code = term.wait_exit()
        normal = screen.normal_lines()
        drawn = "".join(screen.normal_drawn)

    assert code == 0, "\n".join(normal)
    # The raw stream did carry both values: drawn on the alternate screen while the app ran.
    for value in (rotated, copied):
        assert value.encode() in term.raw
    # After exit, no part of either value on the normal screen or in its scrollback (lines
    # also joined whole, so a value wrapped over two lines is found too), nor drawn there at
    # any time (printed, then erased).
    kept = "".join(normal) + "\n" + "\n".join(normal)
    for value in (rotated, copied):
        assert [p for p in pieces(value) if p in kept] == [], "a value is on the normal screen"
        assert [p for p in pieces(value) if p in drawn] == [], "a value was drawn there"
    # The terminal is back as it was: the normal buffer, the prompt, the cursor below it.
    assert not screen.alternate, "the terminal was left on the alternate screen"
    assert [line.rstrip() for line in normal if line.strip()] == [PROMPT]
    assert (screen.cursor.x, screen.cursor.y) == (0, 1)
    # Exactly one clipboard write: the copy the user asked for, carrying that value.
    writes = OSC52.findall(term.raw)
    assert len(writes) == 1, writes
    payload = writes[0].split(b";", 2)[2].rstrip(b"\x07").removesuffix(b"\x1b\\")
    assert base64.b64decode(payload).decode() == copied


def test_the_emulated_terminal_keeps_the_alternate_screen_apart() -> None:
    """The emulator itself: what is drawn on the alternate screen (even scrolled off it) is
    gone after it is left; what is drawn on the normal screen, even erased, is seen."""
    screen = AlternateScreen(20, 4)
    stream = pyte.Stream(screen)
    stream.feed("$ run\r\n")
    stream.feed("\x1b[?1049h\x1b[Hsecret-1\r\n" + "line\r\n" * 10 + "secret-2")
    assert screen.alternate and "secret-2" in "".join(screen.alternate_lines())
    assert "secret" not in "".join(screen.normal_lines())
    stream.feed("\x1b[?1049l")
    assert not screen.alternate and screen.alternate_lines() == []
    assert [line.rstrip() for line in screen.normal_lines()] == ["$ run", "", "", ""]
    assert (screen.cursor.x, screen.cursor.y) == (0, 1)
    stream.feed("left\r\n" * 4 + "printed\r\x1b[2K")
    assert screen.history.top and screen.normal_lines()[0].rstrip() == "$ run"  # scrolled back
    assert "printed" not in "".join(screen.normal_lines())
    assert "printed" in "".join(screen.normal_drawn)
    # 47 switches without clearing or saving the cursor; 1047 clears on the way out.
    stream.feed("\x1b[?47hkept\x1b[?47l\x1b[?47h")
    assert "kept" in "".join(screen.alternate_lines())
    stream.feed("\x1b[?1047l\x1b[?1047h")
    assert "kept" not in "".join(screen.alternate_lines())
