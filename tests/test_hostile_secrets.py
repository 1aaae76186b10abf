"""Hostile conditions, part 4: secrets never leak (issue 7).

Tokens are created and rotated through the CLI and the TUI with the debug log on, every
directory tokentui may write (config, cache, state/log, screenshots) isolated in ``tmp_path``;
then every file there, the captured stdout/stderr (except the one place a value is meant to be
printed: the new value alone on the CLI's stdout) and what the TUI keeps after the reveal
screen closed are searched for the values. No ``--token`` flag exists; TLS verification is on
by default and turning it off is loud.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hostile_helpers import Sleeps, cli_runner
from textual.widgets import Static
from tui_helpers import FROZEN_NOW, TerminalClipboard

from tokentui.cli.main import main
from tokentui.core import logging_setup
from tokentui.core.expiry import FrozenClock
from tokentui.core.session import Connection
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.connection import TLSOptions
from tokentui.gitlab.models import NewToken
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.confirm import RotateDialog
from tokentui.tui.screens.create import CreateWizard
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.widgets.scope_picker import ScopePicker

CAROL = 4


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every directory tokentui could write, inside ``tmp_path``; the debug log on."""
    dirs = {
        "home": tmp_path / "home",
        "config": tmp_path / "xdg-config",
        "cache": tmp_path / "xdg-cache",
        "state": tmp_path / "xdg-state",
        "data": tmp_path / "xdg-data",
        "screenshots": tmp_path / "screenshots",
    }
    for path in dirs.values():
        path.mkdir()
    monkeypatch.setenv("HOME", str(dirs["home"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["cache"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs["state"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(dirs["config"] / "tokentui"))
    monkeypatch.delenv(logging_setup.LOG_DIR_ENV, raising=False)
    yield dirs
    logging_setup.disable_debug_log()


def files_holding(root: Path, values: list[str]) -> list[str]:
    """Files under ``root`` whose bytes contain one of ``values``."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits.extend(f"{path} holds {v[:10]}…" for v in values if v.encode() in data)
    return hits


def debug_log() -> Path:
    return logging_setup.log_dir() / logging_setup.LOG_FILE


# --- the debug log itself ----------------------------------------------------------------------


def test_debug_log_goes_to_the_user_log_dir_and_redacts(private_dirs) -> None:
    path = logging_setup.enable_debug_log()
    assert path.is_relative_to(private_dirs["state"])  # platformdirs: $XDG_STATE_HOME/…/log
    assert path.stat().st_mode & 0o777 == 0o600
    value = "glpat-Zx9yW8vU7tS6rQ5pO4nM"
    custom = "instance-prefix-0123456789abcdef"
    log = logging.getLogger("tokentui.test")
    log.debug("headers %s", {"PRIVATE-TOKEN": custom, "Accept": "application/json"})
    log.info("body %s", f'{{"token": "{custom}", "name": "ci"}}')
    log.warning("Authorization: Bearer %s", custom)
    try:
        raise ValueError(f"bad value {value}")
    except ValueError:
        log.exception("failed with %s", value)
    logging_setup.disable_debug_log()
    text = path.read_text()
    assert value not in text and custom not in text
    assert text.count(logging_setup.REDACTED) >= 5
    assert "application/json" in text and "ValueError" in text


def test_debug_flag_and_env_turn_the_log_on(sim, private_dirs, monkeypatch, capsys) -> None:
    run = cli_runner(monkeypatch, capsys, sim)
    result = run("--debug", "list", "--mine")
    assert result.code == 0, result.err
    assert f"debug log: {debug_log()}" in result.err
    text = debug_log().read_text()
    assert "GET" in text and "/api/v4/user" in text
    assert sim.admin_token not in text
    logging_setup.disable_debug_log()
    monkeypatch.setenv("TOKENTUI_DEBUG", "1")
    result = run("list", "--mine")
    assert "debug log:" in result.err


# --- CLI: create and rotate with the debug log on ---------------------------------------------


def test_cli_create_and_rotate_leave_no_value_anywhere(sim, private_dirs, monkeypatch, capsys):
    run = cli_runner(monkeypatch, capsys, sim)
    monkeypatch.setenv("TOKENTUI_DEBUG", "1")
    values: list[str] = []
    outputs: list[str] = []

    def value_from(result) -> str:
        assert result.code == 0, result.err
        out = result.out.strip()
        if out.startswith("{"):
            import json

            out = json.loads(out)["token"]
        values.append(out)
        outputs.append(result.err)
        return out

    first = value_from(
        run("create", "--user", str(CAROL), "--name", "s1", "--scope", "api", "--description", "d")
    )
    record = sim.token_record(first)
    second = value_from(run("rotate", str(record.id), "--json"))
    third = value_from(run("rotate", "self", token=second))  # GITLAB_TOKEN: printed, not stored
    # The rotated-away value: one clear 401, and no rotate is sent with it (GitLab's reuse
    # detection would revoke the newest value of its family).
    posts = len(sim.requests("POST"))
    failed = run("rotate", str(record.id), token=first)
    assert failed.code == 2 and "revoked" in failed.err
    assert len(sim.requests("POST")) == posts
    outputs.append(failed.out + failed.err)
    listing = run("list", "--user", str(CAROL), "--json", token=third)
    outputs.append(listing.out + listing.err)
    assert sim.token_record(third).active(sim.today())
    logging_setup.disable_debug_log()

    assert debug_log().is_file() and debug_log().stat().st_size > 0
    for root in private_dirs.values():
        assert files_holding(root, [*values, sim.admin_token]) == []
    for text in outputs:
        assert all(v not in text for v in values), text
    assert sim.admin_token not in "".join(outputs)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["list"],
        ["show", "1"],
        ["create", "--name", "n", "--scope", "api"],
        ["rotate", "1"],
        ["revoke", "1", "--yes"],
        ["expiring"],
        ["auth", "login"],
        ["auth", "status"],
    ],
)
def test_there_is_no_token_flag(command: list[str], capsys) -> None:
    for flag in ("--token", "--private-token", "--tok"):
        with pytest.raises(SystemExit) as info:
            main([*command, flag, "glpat-should-not-be-accepted"])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "error:" in err and ("unrecognized arguments" in err or "invalid choice" in err)


# --- TUI: create and rotate with the debug log on ----------------------------------------------


def screen_text(app: TokenApp) -> str:
    parts = [strip.text for strip in app.screen._compositor.render_strips()]
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=True):
            if isinstance(widget, Static):
                parts.append(str(widget.render()))
    return "\n".join(parts)


async def settle(pilot, app: TokenApp) -> None:
    for _ in range(4):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def record_workers(app: TokenApp) -> list:
    """Every worker the app or any of its screens starts (``run_worker`` and ``@work``)."""
    workers: list = []
    add_worker = app.workers.add_worker

    def recording(worker, *args, **kwargs):
        workers.append(worker)
        return add_worker(worker, *args, **kwargs)

    app.workers.add_worker = recording  # type: ignore[method-assign]
    return workers


async def take_value(pilot, app: TokenApp) -> str:
    """Copy the value from the reveal screen (to the terminal's clipboard), then leave it."""
    assert isinstance(app.screen, RevealScreen)
    clipboard = TerminalClipboard(app)
    await pilot.press("y")
    value = clipboard.last
    assert value.startswith("glpat-")
    await pilot.press("enter")
    await settle(pilot, app)
    assert not isinstance(app.screen, RevealScreen)
    return value


async def test_tui_create_and_rotate_leave_no_value_anywhere(frozen_sim, private_dirs) -> None:
    sim = frozen_sim
    logging_setup.enable_debug_log()
    client = GitLabClient(sim.url, sim.maintainer_token, sleep=Sleeps())
    app = make_app(client, clock=FrozenClock(FROZEN_NOW), source_choice=("project", "platform/api"))
    workers = record_workers(app)
    values: list[str] = []
    shots = private_dirs["screenshots"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        await pilot.press(*"secret-test", "enter", "enter")
        wizard.query_one(ScopePicker).select("read_api")
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n")
        await settle(pilot, app)
        values.append(await take_value(pilot, app))
        created = sim.token_record(values[0])
        app.save_screenshot(path=str(shots), filename="after-create.svg")

        assert app.screen.table.select_token(created.id)
        await pilot.pause()
        await pilot.press("r")
        await settle(pilot, app)
        assert isinstance(app.screen, RotateDialog)
        app.save_screenshot(path=str(shots), filename="rotate-dialog.svg")
        await pilot.press("y")
        await settle(pilot, app)
        values.append(await take_value(pilot, app))
        app.save_screenshot(path=str(shots), filename="after-rotate.svg")
        await pilot.press("enter")  # the full detail of the rotated token
        await settle(pilot, app)
        app.save_screenshot(path=str(shots), filename="detail.svg")
        painted = screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        stored = [t for t in app.store.index.tokens]
        assert all(not isinstance(t, NewToken) for t in stored)
        store_dump = "".join(t.model_dump_json() for t in stored)
        kept = app.clipboard  # Textual's own copy of what was copied
    logging_setup.disable_debug_log()

    assert sim.token_record(values[1]).active(sim.today())
    assert len(list(shots.glob("*.svg"))) == 4
    for value in values:
        assert value not in painted
        assert value not in store_dump
        assert value not in kept
        for worker in workers:
            described = f"{worker!r} {worker.name} {worker.description} {worker.result!r}"
            assert value not in described
            assert worker.error is None or value not in str(worker.error)
    assert debug_log().stat().st_size > 0
    for root in private_dirs.values():
        assert files_holding(root, [*values, sim.maintainer_token]) == []


# --- TLS ----------------------------------------------------------------------------------------


def test_tls_verification_is_on_by_default() -> None:
    assert TLSOptions().verify is True
    assert Connection("https://gitlab.example.com", token=None).tls.verify is True  # type: ignore[arg-type]
    assert not Connection("https://gitlab.example.com", token=None).insecure  # type: ignore[arg-type]


async def test_tui_header_is_loud_when_tls_verification_is_off(frozen_sim) -> None:
    client = GitLabClient(frozen_sim.url, frozen_sim.admin_token)
    app = make_app(client, clock=FrozenClock(FROZEN_NOW), insecure=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        header = str(app.screen.query_one("#header", Static).render())
        assert "TLS NOT VERIFIED" in header


def test_a_real_process_with_the_debug_log_prints_the_value_only_on_stdout(
    sim, private_dirs
) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "TOKENTUI_"))}
    env.update(
        GITLAB_HOST=sim.url,
        GITLAB_TOKEN=sim.admin_token,
        TOKENTUI_DEBUG="1",
        TOKENTUI_CONFIG_DIR=str(private_dirs["config"] / "tokentui"),
        HOME=str(private_dirs["home"]),
        XDG_STATE_HOME=str(private_dirs["state"]),
        XDG_CACHE_HOME=str(private_dirs["cache"]),
        XDG_CONFIG_HOME=str(private_dirs["config"]),
    )
    done = subprocess.run(
        [sys.executable, "-m", "tokentui.cli", "create", "--user", str(CAROL), "--name", "proc",
         "--scope", "read_api"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    value = done.stdout.strip()
    assert sim.token_record(value).name == "proc"
    assert value not in done.stderr and "debug log:" in done.stderr
    log = private_dirs["state"] / "tokentui" / "log" / logging_setup.LOG_FILE
    assert log.is_file() and "POST" in log.read_text()
    for root in private_dirs.values():
        assert files_holding(root, [value, sim.admin_token]) == []


async def test_tui_login_keeps_the_value_in_the_keyring_only(sim, private_dirs) -> None:
    """Logging in from the TUI (nothing configured): the typed value reaches the keyring (where
    the user asked) and nowhere else: no file, no log line, no worker description."""
    import keyring
    from textual.widgets import Input

    from tokentui.tui.screens.login import LoginScreen

    logging_setup.enable_debug_log()
    value = sim.issue_token(CAROL, name="typed-in", scopes=("api",))
    app = make_app(None, clock=sim.now, login_url=sim.url)
    workers = record_workers(app)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        screen.query_one("#profile", Input).value = "work"
        screen.query_one("#token", Input).value = value
        screen.query_one("#token", Input).focus()
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause()
            if app.viewer is not None and not app.store.loading:
                break
        await app.workers.wait_for_complete()
        assert app.viewer is not None and app.viewer.id == CAROL
        assert any(w.group == "login" for w in workers)
        described = [f"{w!r} {w.name} {w.description} {w.result!r}" for w in workers]
        painted = "\n".join(s.text for s in app.screen._compositor.render_strips())
    logging_setup.disable_debug_log()
    assert keyring.get_password("tokentui", "work") == value
    assert all(value not in d for d in described)
    assert value not in painted
    assert debug_log().stat().st_size > 0
    for root in private_dirs.values():
        assert files_holding(root, [value]) == []
