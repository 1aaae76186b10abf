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
        (["--user", "abc"], "--user takes a numeric user id"),
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
