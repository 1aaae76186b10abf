"""The command palette switches profiles (and logs in to a new one) in the running TUI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr
from textual.widgets import Input, Static
from tui_helpers import settle

from tokentui.core import config, credentials
from tokentui.core.config import Profile
from tokentui.core.session import connect_profile
from tokentui.tui.app import make_app
from tokentui.tui.screens.login import LoginScreen

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring
    from textual.pilot import Pilot

    from tokentui.simulator import Simulator


def save(profile: Profile, value: str) -> None:
    settings = config.load_settings()
    settings.put(profile)
    settings.save()
    credentials.save_token(profile.name, profile.storage, SecretStr(value))


def header(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#header", Static).render())


async def palette(pilot: Pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause(0.3)  # the palette searches in a worker
    await pilot.press("enter")
    await pilot.pause()


def app_for(sim: Simulator, name: str):
    conn = connect_profile(name)
    return make_app(
        conn.client(),
        clock=sim.now,
        save_credential=conn.save_token,
        profile_name=conn.profile,
        insecure=conn.insecure,
    )


async def test_switch_profile_from_the_palette(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    save(Profile("alice", sim.url, user="alice"), sim.user_token)
    save(Profile("bob", sim.url, user="bob"), sim.maintainer_token)
    app = app_for(sim, "alice")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert app.viewer.username == "alice"
        assert "(profile alice)" in header(pilot)
        alice_rows = {t.user_id for t in app.store.view}
        await palette(pilot, "switch profile bob")
        await settle(pilot)
        assert app.viewer.username == "bob"
        assert app.profile_name == "bob"
        assert "bob@" in header(pilot) and "(profile bob)" in header(pilot)
        assert {t.user_id for t in app.store.view} == {app.viewer.id} != alice_rows
        assert app.self_token is not None
        assert app.self_token.id == sim.token_record(sim.maintainer_token).id


async def test_log_in_to_another_gitlab_from_the_palette(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    save(Profile("default", sim.url, user="alice"), sim.user_token)
    app = app_for(sim, "default")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await palette(pilot, "log in to another")
        assert isinstance(app.screen, LoginScreen)
        screen = app.screen
        assert screen.query_one("#profile", Input).value == "profile-2"
        screen.query_one("#url", Input).value = sim.url
        screen.query_one("#token", Input).value = sim.admin_token
        screen.query_one("#token", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        assert app.viewer.username == "root"
        assert app.profile_name == "profile-2"
    settings = config.load_settings()
    assert settings.default_profile == "default"  # a second login does not take the default
    assert memory_keyring.passwords[("tokentui", "profile-2")] == sim.admin_token
