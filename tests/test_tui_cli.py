"""``tokentui`` (the TUI command): bad flags and an unreachable server end with a clear message
on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run_tokentui(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITLAB_", "TOKENTUI_")) and k not in ("SSL_CERT_FILE",)
    }
    clean.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        TERM="xterm-256color",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "tokentui.cli", *args],
        capture_output=True,
        text=True,
        env=clean,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "a b"], "--user takes a user id or a username"),
        (["--project", "/"], "--project takes a numeric id or a full path"),
        (["--service-account", "platform"], "--service-account takes GROUP:USER_ID"),
        (["--demo", "--url", "http://x"], "--demo runs the bundled simulator"),
    ],
)
def test_bad_flags_are_refused_before_the_screen_opens(tmp_path, args, message) -> None:
    result = run_tokentui(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_server_is_reported_on_stderr(tmp_path) -> None:
    result = run_tokentui(tmp_path, "--url", "http://127.0.0.1:9", GITLAB_TOKEN="glpat-x")
    assert result.returncode == 2
    assert "tokentui: error:" in result.stderr and "127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_username_is_refused_before_the_screen_opens(tmp_path) -> None:
    result = run_tokentui(tmp_path, "--demo", "--user", "nobody-here")
    assert result.returncode == 2
    assert "no user named 'nobody-here'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_user_named_by_username_opens_on_their_tokens(sim, tmp_path) -> None:
    """``tokentui --user @carol``: the TUI opens on carol's personal tokens (the header names
    the source), the name looked up once before the list is asked for."""
    from pty_terminal import PtyProcess
    from test_hostile_scrollback import child_env

    carol = sim.state.user_by_username("carol")
    env = child_env(sim, tmp_path) | {"GITLAB_TOKEN": sim.admin_token}
    argv = [sys.executable, "-m", "tokentui.cli", "--url", sim.url, "--user", "@carol"]
    with PtyProcess(argv, env) as term:
        term.wait_for(lambda: "carol" in term.text() and "active" in term.text(), "carol's list")
        term.send("q")
        assert term.wait_exit() == 0
    lists = [r for r in sim.requests("GET") if r.path.endswith("/personal_access_tokens")]
    assert lists and all(f"user_id={carol.id}" in r.query for r in lists)


@pytest.mark.slow
def test_the_readme_demo_command_opens_the_tui_and_quits_cleanly(sim, tmp_path) -> None:
    """``tokentui --demo`` (the README's first command) on a real terminal: the demo list with
    its rows and countdowns, then ``q`` leaves with exit code 0 and the screen restored."""
    from pty_terminal import PtyProcess
    from test_hostile_scrollback import child_env

    env = child_env(sim, tmp_path)
    env.pop("GITLAB_TOKEN")  # the demo needs no credential
    argv = [sys.executable, "-m", "tokentui.cli", "--demo"]
    with PtyProcess(argv, env) as term:
        term.wait_for(lambda: "DEMO" in term.text() and "active" in term.text(), "the demo list")
        text = term.text()
        assert "root@simulator (admin)" in text and "Countdown" in text
        term.send("q")
        assert term.wait_exit() == 0
        assert not term.screen.alternate
