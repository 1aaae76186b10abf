"""Self-rotation against the simulator: rotate, store at once, switch, verify — and never lose
the new value, not even when storing fails or the caller is cancelled."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import SecretStr

from tokentui.cli.commands.common import connect
from tokentui.core import config, credentials, self_rotation
from tokentui.core.config import Profile
from tokentui.core.self_rotation import rotate_in_use
from tokentui.core.session import Connection
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import InsufficientScope, Unauthorized
from tokentui.gitlab.models import User
from tokentui.gitlab.sources import GroupTokens, ProjectTokens

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring

    from tokentui.simulator import Simulator


def login_profile(sim: Simulator, value: str, *, storage: config.Storage = "keyring") -> Connection:
    """A saved profile for ``sim`` holding ``value``, and the connection ``connect()`` makes."""
    settings = config.load_settings()
    settings.put(Profile("sim", sim.url, storage=storage))
    settings.save()
    credentials.save_token("sim", storage, SecretStr(value))
    return connect(argparse.Namespace(profile=None, url=None))


async def works(sim: Simulator, value: str) -> bool:
    """Does GitLab (the simulator) accept ``value`` right now?"""
    async with GitLabClient(sim.url, value) as client:
        try:
            await client.get_self_token()
        except Unauthorized:
            return False
    return True


@pytest.mark.usefixtures("config_home")
async def test_rotation_stores_the_new_value_where_the_old_one_was(
    sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    old = sim.user_token
    old_id = sim.token_record(old).id
    conn = login_profile(sim, old)
    async with conn.client() as client:
        result = await rotate_in_use(client, conn.save_token)
        # The client switched: it keeps working with the new value.
        me = await client.current_user()
    new = result.new_token.token.get_secret_value()
    assert (result.stored, result.store_error) == (True, None)
    assert (result.verified, result.verify_error) == (True, None)
    assert me.username == "alice"
    assert memory_keyring.passwords[("tokentui", "sim")] == new
    assert sim.token_record(old).revoked
    assert sim.token_record(new).id == result.new_token.id != old_id
    assert not await works(sim, old)
    assert await works(sim, new)
    # A fresh start finds the new value.
    assert connect(argparse.Namespace(profile=None, url=None)).token.get_secret_value() == new


@pytest.mark.usefixtures("config_home")
async def test_the_order_is_rotate_then_store_then_verify(
    sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    conn = login_profile(sim, sim.user_token)
    seen: list[str] = []

    def save(value: SecretStr) -> None:
        # Called once GitLab has rotated: exactly one rotate request so far, no check yet.
        seen.append("save")
        assert len(sim.requests("POST", "/self/rotate")) == 1
        assert sim.token_record(sim.user_token).revoked
        assert not sim.requests("GET", "/personal_access_tokens/self")
        conn.save_token(value)

    async with conn.client() as client:
        result = await rotate_in_use(client, save)
    assert seen == ["save"]
    assert result.stored and result.verified
    checks = sim.requests("GET", "/personal_access_tokens/self")
    assert len(checks) == 1
    assert checks[0].status == 200


@pytest.mark.usefixtures("config_home")
async def test_a_failed_store_returns_the_value_and_the_session_goes_on(
    sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    old = sim.user_token
    conn = login_profile(sim, old)
    memory_keyring.write_error = RuntimeError("the collection is locked")
    async with conn.client() as client:
        result = await rotate_in_use(client, conn.save_token)
        assert (await client.current_user()).username == "alice"
    new = result.new_token.token.get_secret_value()
    assert not result.stored
    assert "the collection is locked" in result.store_error
    assert new not in result.store_error
    assert result.verified
    # The keyring still has the old (now revoked) value; the new one is only in the result.
    assert memory_keyring.passwords[("tokentui", "sim")] == old
    assert not await works(sim, old)
    assert await works(sim, new)


async def test_no_store_at_all(sim: Simulator) -> None:
    async with GitLabClient(sim.url, sim.user_token) as client:
        result = await rotate_in_use(client, None)
    assert not result.stored
    assert "no credential store" in result.store_error
    assert await works(sim, result.new_token.token.get_secret_value())


@pytest.mark.usefixtures("config_home")
async def test_a_gitlab_token_cannot_be_stored_so_it_is_handed_back(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_HOST", sim.url)
    monkeypatch.setenv("GITLAB_TOKEN", sim.user_token)
    conn = connect(argparse.Namespace(profile=None, url=None))
    async with conn.client() as client:
        result = await rotate_in_use(client, conn.save_token)
    assert not result.stored
    assert "GITLAB_TOKEN" in result.store_error
    assert await works(sim, result.new_token.token.get_secret_value())


class CancelAfterRotate(httpx.AsyncBaseTransport):
    """Real HTTP; cancels ``victim`` the moment GitLab's answer to a rotate has arrived (as when
    a TUI worker is cancelled or Ctrl+C lands right then)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.victim: asyncio.Task[object] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/self/rotate") and self.victim is not None:
            await response.aread()
            self.victim.cancel()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.usefixtures("config_home")
async def test_storing_runs_even_when_the_caller_is_cancelled(
    sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    conn = login_profile(sim, sim.user_token)
    transport = CancelAfterRotate()
    async with GitLabClient(conn.url, conn.token, transport=transport) as client:
        outer = asyncio.ensure_future(rotate_in_use(client, conn.save_token))
        transport.victim = outer
        with pytest.raises(asyncio.CancelledError):
            await outer
        # The shielded part finishes on its own: store, switch, verify.
        while self_rotation._IN_FLIGHT:
            await asyncio.sleep(0.01)
        assert (await client.get_self_token()).active
    assert sim.token_record(sim.user_token).revoked
    stored = memory_keyring.passwords[("tokentui", "sim")]
    assert stored != sim.user_token
    assert await works(sim, stored)


async def test_a_refused_rotation_changes_nothing(sim: Simulator) -> None:
    value = sim.issue_token(2, name="reader", scopes=["read_api"])
    saved: list[SecretStr] = []
    async with GitLabClient(sim.url, value) as client:
        with pytest.raises(InsufficientScope):
            await rotate_in_use(client, saved.append)
    assert saved == []
    assert await works(sim, value)


async def test_self_rotate_scope_is_enough_and_expiry_is_passed(sim: Simulator) -> None:
    value = sim.issue_token(2, name="rotator", scopes=["self_rotate", "read_api"])
    saved: list[SecretStr] = []
    wanted = sim.today() + timedelta(days=20)
    async with GitLabClient(sim.url, value) as client:
        result = await rotate_in_use(client, saved.append, expires_at=wanted)
    assert result.stored and result.verified
    assert result.new_token.expires_at == wanted
    assert saved[0].get_secret_value() == result.new_token.token.get_secret_value()
    assert result.new_token.name == "rotator"
    assert result.new_token.scopes == ("self_rotate", "read_api")


async def test_a_project_token_rotates_through_its_project(sim: Simulator) -> None:
    value = sim.issue_resource_token("project", 1, name="ci", scopes=["api"])
    async with GitLabClient(sim.url, value) as client:
        source = self_rotation.resource_source(await client.current_user())
        assert source == ProjectTokens(resource="1")
        result = await rotate_in_use(client, lambda v: None, source=source)
    assert result.verified
    assert sim.requests("POST", "/projects/1/access_tokens/self/rotate")
    assert result.new_token.access_level == 40
    assert not await works(sim, value)


def test_resource_source_from_bot_names() -> None:
    def user(name: str, bot: bool = True) -> User:
        return User(id=9, username=name, bot=bot)

    assert self_rotation.resource_source(user("group_3_bot_ab12")) == GroupTokens(resource="3")
    assert self_rotation.resource_source(user("project_12_bot_ff")) == ProjectTokens("12")
    assert self_rotation.resource_source(user("project_12_bot_ff", bot=False)) is None
    assert self_rotation.resource_source(user("service_account_group_1_ab")) is None
    assert self_rotation.resource_source(user("alice", bot=False)) is None
