"""The TUI login screen against the simulator: log in, a bad token, no keyring, cancel."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from textual.app import App
from textual.widgets import Checkbox, Input, Static

from tokentui.core import credentials
from tokentui.core.session import Connection
from tokentui.tui.screens.login import LoginScreen

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring
    from textual.pilot import Pilot

    from tokentui.simulator import Simulator


class Host(App[None]):
    """A bare app that opens the login screen and keeps what it returns."""

    def __init__(self, url: str | None = None) -> None:
        super().__init__()
        self.url = url
        self.results: list[Connection | None] = []

    def on_mount(self) -> None:
        self.push_screen(LoginScreen(url=self.url), callback=self.results.append)


async def submit(pilot: Pilot, token: str, *, click: bool = False, **fields: str) -> None:
    """Fill the form and log in with enter in the token field (or a click on "Log in")."""
    screen = pilot.app.screen
    assert isinstance(screen, LoginScreen)
    for name, value in fields.items():
        screen.query_one(f"#{name}", Input).value = value
    screen.query_one("#token", Input).value = token
    if click:
        await pilot.click("#login")
    else:
        screen.query_one("#token", Input).focus()
        await pilot.press("enter")
    await pilot.pause()  # the key/press is handled, the check worker started
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def error_text(app: App) -> str:
    return str(app.screen.query_one("#login-error", Static).render())


async def test_login_returns_a_connection_and_saves_the_profile(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = Host(url=sim.url)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        token_input = app.screen.query_one("#token", Input)
        assert token_input.password  # hidden input
        assert token_input.has_focus  # URL given: straight to the token
        await submit(pilot, sim.user_token, click=True, profile="sim")
        assert not isinstance(app.screen, LoginScreen)
        assert not token_input.value  # cleared once stored
    [conn] = app.results
    assert isinstance(conn, Connection)
    assert (conn.url, conn.profile, conn.token_origin) == (sim.url, "sim", "keyring")
    assert conn.token.get_secret_value() == sim.user_token
    assert memory_keyring.passwords == {("tokentui", "sim"): sim.user_token}
    doc = tomllib.loads((config_home / "config.toml").read_text())
    assert doc["default_profile"] == "sim"
    assert doc["profiles"]["sim"]["user"] == "alice"


async def test_a_bad_token_keeps_the_screen_with_a_message(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = Host()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#url", Input).has_focus
        await submit(pilot, "glpat-wrong", url=sim.url)
        assert isinstance(app.screen, LoginScreen)
        assert "401" in error_text(app) or "nauthorized" in error_text(app)
        assert not app.screen.query_one("#login").disabled  # can try again
        await submit(pilot, "glpat-x", url="ftp://nowhere")
        assert "not a GitLab URL" in error_text(app)
    assert app.results == []
    assert memory_keyring.passwords == {}
    assert not (config_home / "config.toml").exists()


@pytest.mark.usefixtures("no_keyring")
async def test_without_a_keyring_the_file_must_be_chosen(sim: Simulator, config_home: Path) -> None:
    app = Host(url=sim.url)
    async with app.run_test(size=(100, 50)) as pilot:
        await pilot.pause()
        notice = str(app.screen.query_one("#keyring-notice", Static).render())
        assert "No system keyring here" in notice
        assert "GITLAB_TOKEN" in notice
        await submit(pilot, sim.user_token)
        assert isinstance(app.screen, LoginScreen)
        assert "tick “Store the token in that file”" in error_text(app)
        assert not credentials.credentials_path().exists()
        app.screen.query_one("#insecure-storage", Checkbox).value = True
        await submit(pilot, sim.user_token)
        assert not isinstance(app.screen, LoginScreen), error_text(app)
    [conn] = app.results
    assert conn is not None and conn.token_origin == "file"
    assert credentials.load_token("default", "file").get_secret_value() == sim.user_token


@pytest.mark.usefixtures("memory_keyring")
async def test_escape_gives_up(config_home: Path) -> None:
    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
