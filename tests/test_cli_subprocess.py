"""The scripting CLI as real processes: no Textual import, stdout/stderr separation, exit codes,
and ``revoke`` asking on a real terminal (a pseudo-terminal)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses a pseudo-terminal")


@pytest.fixture
def env(sim, tmp_path) -> dict[str, str]:
    """A clean environment pointing at ``sim`` as its admin."""
    clean = {
        k: v
        for k, v in os.environ.items()
        # COLUMNS/LINES too: pytest-xdist's workers get COLUMNS=80, which would narrow tables.
        if not k.startswith(("GITLAB_", "TOKENTUI_")) and k not in ("NO_COLOR", "COLUMNS", "LINES")
    }
    clean.update(
        GITLAB_HOST=sim.url,
        GITLAB_TOKEN=sim.admin_token,
        TOKENTUI_CONFIG_DIR=str(tmp_path / "config"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )
    return clean


def tokentui(env: dict[str, str], *argv: str, token: str | None = None, encoding: str = "utf-8"):
    run_env = dict(env)
    if token is not None:
        run_env["GITLAB_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "tokentui.cli", *argv],
        env=run_env,
        capture_output=True,
        encoding=encoding,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_scripting_cli_never_imports_textual(sim, env) -> None:
    code = (
        "import sys\n"
        "from tokentui.cli.main import main\n"
        "code = main(['list', '--all', '--json'])\n"
        "assert code == 0, code\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print('TEXTUAL:' + ','.join(bad), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "TEXTUAL:\n" in result.stderr
    assert json.loads(result.stdout)


def test_create_value_alone_on_stdout_in_a_real_process(sim, env) -> None:
    result = tokentui(
        env, "create", "--user", "2", "--name", "from-a-process", "--scope", "read_api"
    )
    assert result.returncode == 0, result.stderr
    value = result.stdout.strip()
    assert result.stdout == value + "\n"
    assert value.startswith("glpat-") and value not in result.stderr
    assert sim.state.token_by_secret(value).name == "from-a-process"


def test_expiring_exit_codes_in_a_real_process(sim, env) -> None:
    for record in sim.state.tokens.values():
        if record.user_id == 5:
            record.revoked = True
    assert tokentui(env, "expiring", "--within", "14d", "--user", "5").returncode == 0
    soon = datetime.now(UTC).date() + timedelta(days=2)
    sim.issue_token(5, name="soon", scopes=("read_api",), expires_at=soon)
    found = tokentui(env, "expiring", "--within", "14d", "--user", "5", "--json")
    assert found.returncode == 1
    assert [row["name"] for row in json.loads(found.stdout)] == ["soon"]
    broken = tokentui(env, "expiring", token="glpat-00000000000000000000")
    assert broken.returncode == 2 and "Traceback" not in broken.stderr


def test_revoke_without_terminal_refuses_in_a_real_process(sim, env) -> None:
    target = next(t for t in sim.state.tokens.values() if t.user_id == 4 and not t.revoked)
    result = tokentui(env, "revoke", str(target.id))
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert not sim.state.tokens[target.id].revoked


def _revoke_on_a_terminal(env: dict[str, str], token_id: int, answer: bytes) -> tuple[int, str]:
    """Run ``revoke ID`` with stdin/stderr on a pseudo-terminal and type ``answer``."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokentui.cli", "revoke", str(token_id)],
        env=env,
        stdin=slave,
        stderr=slave,
        stdout=subprocess.PIPE,
    )
    os.close(slave)
    seen = b""
    try:
        while b"[y/N]" not in seen:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"no prompt; got {seen!r}"
            seen += os.read(master, 4096)
        os.write(master, answer)
        proc.wait(timeout=60)
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    return proc.returncode, seen.decode(errors="replace")


def test_revoke_asks_on_a_terminal(sim, env) -> None:
    target = next(t for t in sim.state.tokens.values() if t.user_id == 4 and not t.revoked)
    code, screen = _revoke_on_a_terminal(env, target.id, b"n\n")
    assert code == 1
    assert f"Revoke token {target.id}" in screen and "not revoked" in screen
    assert not sim.state.tokens[target.id].revoked
    code, screen = _revoke_on_a_terminal(env, target.id, b"y\n")
    assert code == 0, screen
    assert sim.state.tokens[target.id].revoked


def test_a_reader_that_goes_away_is_no_traceback(sim, env) -> None:
    """``tokentui list --json | head -c 100``: the pipe closes early; no traceback, exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokentui.cli", "list", "--all", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout.read(100).startswith(b"[")
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def _run_on_a_terminal(env: dict[str, str], *argv: str) -> tuple[int, str]:
    """Run tokentui with stdout on a pseudo-terminal; return its exit code and the screen."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokentui.cli", *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.DEVNULL,
    )
    os.close(slave)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, seen.decode(errors="replace")


def test_table_on_a_terminal_is_coloured_unless_no_color(sim, env) -> None:
    sim.issue_token(2, name="hostile\x1b]0;owned\x07name", scopes=("read_api",))
    code, screen = _run_on_a_terminal(env, "list", "--user", "2")
    assert code == 0
    assert "\x1b[32m" in screen or "\x1b[31m" in screen or "\x1b[33m" in screen
    assert "\x1b]0;owned" not in screen and "hostile\\x1b]0;owned\\x07name" in screen
    code, plain = _run_on_a_terminal({**env, "NO_COLOR": "1"}, "list", "--user", "2")
    assert code == 0
    assert "\x1b" not in plain
    assert "ID" in plain and "STATE" in plain


def test_a_non_utf8_stdout_gets_escapes_not_a_traceback(sim, env) -> None:
    sim.issue_token(2, name="clé 🔑 ключ", scopes=("read_api",))
    latin = {**env, "PYTHONIOENCODING": "latin-1"}
    as_json = tokentui(latin, "list", "--user", "2", "--json", encoding="latin-1")
    assert as_json.returncode == 0, as_json.stderr
    assert "clé 🔑 ключ" in {row["name"] for row in json.loads(as_json.stdout)}
    table = tokentui(latin, "list", "--user", "2", encoding="latin-1")
    assert table.returncode == 0, table.stderr
    assert "Traceback" not in table.stderr
    assert "clé \\U0001f511 \\u043a" in table.stdout


def test_progress_on_a_terminal_stderr_while_a_long_list_loads(sim, env) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokentui.cli", "list", "--all", "--json"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    try:
        out, _ = proc.communicate(timeout=120)
        screen = b""
        while select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0
    rows = json.loads(out)
    text = screen.decode()
    assert f"of {len(rows):,} tokens" in text and "tokentui: loaded" in text
    assert text.endswith("\r\x1b[K")  # the progress line is erased at the end
