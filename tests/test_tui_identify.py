"""The TUI's ``i`` (issue 15, leak response): paste a value into a masked box, see what it is,
revoke it only with the deliberate ``x``; driven with Pilot against the real simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui_helpers import wait_for

from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.identify import IdentifyScreen

ALICE = 2
MakeApp = Callable[..., TokenApp]


@pytest.fixture
async def app_factory(frozen_sim, frozen_now) -> AsyncIterator[MakeApp]:
    clients: list[GitLabClient] = []

    def make(token: str) -> TokenApp:
        client = GitLabClient(frozen_sim.url, token)
        clients.append(client)
        return make_app(client, clock=FrozenClock(frozen_now))

    yield make
    for client in clients:
        await client.aclose()


def dialog_text(app: TokenApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def open_and_paste(pilot: Pilot, app: TokenApp, value: str) -> IdentifyScreen:
    await wait_for(pilot, lambda: app.viewer is not None and app.store.source is not None)
    await pilot.press("i")
    await wait_for(pilot, lambda: isinstance(app.screen, IdentifyScreen))
    screen = app.screen
    assert isinstance(screen, IdentifyScreen)
    box = screen.query_one(Input)
    assert box.password  # masked
    box.post_message(events.Paste(value))  # what a terminal's paste delivers
    await wait_for(pilot, lambda: box.value == value)
    await pilot.press("x")  # typed into the box, not the revoke key
    assert box.value == value + "x"
    await pilot.press("backspace", "enter")
    await wait_for(pilot, lambda: screen.identity is not None)
    return screen


async def test_identify_then_close_keeps_the_token(frozen_sim, app_factory) -> None:
    value = frozen_sim.issue_token(ALICE, name="leaked-laptop", scopes=["read_api"])
    app = app_factory(frozen_sim.admin_token)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_and_paste(pilot, app, value)
        text = dialog_text(app)
        assert "leaked-laptop" in text
        assert "alice (user 2)" in text
        assert "looked up with the value itself" in text
        assert "x revoke it" in text
        assert value not in text
        await pilot.press("enter")  # the safe default
        await wait_for(pilot, lambda: not isinstance(app.screen, IdentifyScreen))
        assert screen.identity is not None
    assert not frozen_sim.token_record(value).revoked
    assert frozen_sim.requests("DELETE") == []


async def test_identify_then_x_revokes_with_the_value_itself(frozen_sim, app_factory) -> None:
    value = frozen_sim.issue_token(ALICE, name="leaked-ci", scopes=["api"])
    app = app_factory(frozen_sim.admin_token)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        original = app.notify

        def record(message: str, **kw) -> None:
            notes.append(message)
            original(message, **kw)

        app.notify = record  # type: ignore[method-assign]
        await open_and_paste(pilot, app, value)
        await pilot.press("x")
        await wait_for(pilot, lambda: frozen_sim.token_record(value).revoked)
        await wait_for(pilot, lambda: any(n.startswith("Revoked") for n in notes))
    assert "Revoked with the value itself (DELETE /personal_access_tokens/self)." in notes
    [delete] = frozen_sim.requests("DELETE")
    assert delete.path.endswith("/personal_access_tokens/self")
    for entry in frozen_sim.request_log:
        assert value not in entry.path + entry.query


async def test_an_unknown_value_offers_no_revoke(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.admin_token)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_and_paste(pilot, app, "glpat-" + "q" * 20)
        assert "found       no" in dialog_text(app)
        assert "revoke" not in dialog_text(app).split("\n")[-1]
        await pilot.press("x")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, IdentifyScreen))
    assert frozen_sim.requests("DELETE") == []


async def test_the_palette_offers_it(frozen_sim, app_factory) -> None:
    from tokentui.tui.app import TokenCommands

    assert ("identify") in [action for _, _, action in TokenCommands.COMMANDS]
    app = app_factory(frozen_sim.admin_token)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.viewer is not None and app.store.source is not None)
        await app.screen.run_action("identify")
        await wait_for(pilot, lambda: isinstance(app.screen, IdentifyScreen))
