"""The TUI's ``r`` on a token with a delivery target (issue 15): the new value goes to the CI/CD
variable and is not shown; when delivery fails the reveal screen shows it once, saying why."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from tui_helpers import wait_for

from tokentui.core import config
from tokentui.core.config import DeliveryTarget
from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.confirm import RotateDialog
from tokentui.tui.screens.reveal import RevealScreen

CAROL = 4
OLD = "old-value-0123456789"


@pytest.fixture
async def carol_app(
    frozen_sim, frozen_now, tmp_path, monkeypatch
) -> AsyncIterator[Callable[[], TokenApp]]:
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(tmp_path / "config"))
    clients: list[GitLabClient] = []

    def make() -> TokenApp:
        client = GitLabClient(frozen_sim.url, frozen_sim.admin_token)
        clients.append(client)
        return make_app(client, clock=FrozenClock(frozen_now), source_choice=("user", str(CAROL)))

    yield make
    for client in clients:
        await client.aclose()


def with_target(sim, variable: str) -> int:
    value = sim.issue_token(
        CAROL, name="deliver-me", scopes=("api",), expires_at=sim.today() + timedelta(days=3)
    )
    token_id = sim.token_record(value).id
    settings = config.load_settings()
    settings.set_delivery(DeliveryTarget(sim.url, token_id, "project", "platform/api", variable))
    settings.save()
    return token_id


async def rotate(pilot: Pilot, app: TokenApp, token_id: int) -> None:
    await wait_for(pilot, lambda: app.store.source is not None and app.store.get(token_id))
    await wait_for(pilot, lambda: app.screen.table.select_token(token_id))
    await pilot.pause()
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, RotateDialog))
    await pilot.press("y")


async def test_rotate_delivers_and_shows_no_value(frozen_sim, carol_app) -> None:
    frozen_sim.add_variable("project", 1, "DEPLOY_TOKEN", OLD, masked=True, protected=True)
    token_id = with_target(frozen_sim, "DEPLOY_TOKEN")
    app = carol_app()
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        original = app.notify

        def record(message: str, **kw) -> None:
            notes.append(message)
            original(message, **kw)

        app.notify = record  # type: ignore[method-assign]
        await rotate(pilot, app, token_id)
        await wait_for(pilot, lambda: any(n.startswith("Rotated") for n in notes))
        assert not any(isinstance(s, RevealScreen) for s in app.screen_stack)
    variable = frozen_sim.variable("project", 1, "DEPLOY_TOKEN")
    new = frozen_sim.state.token_by_secret(variable.value)
    assert new is not None and new.previous_id == token_id
    assert (variable.masked, variable.protected) == (True, True)
    [note] = [n for n in notes if n.startswith("Rotated")]
    assert "delivered to variable DEPLOY_TOKEN of project platform/api" in note
    assert "checked: it holds the new value" in note
    assert variable.value not in note
    assert config.load_settings().delivery(frozen_sim.url, new.id) is not None


async def test_failed_delivery_reveals_the_value_once(frozen_sim, carol_app) -> None:
    token_id = with_target(frozen_sim, "MISSING")  # no such variable
    app = carol_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await rotate(pilot, app, token_id)
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        screen = app.screen
        assert isinstance(screen, RevealScreen)
        text = "\n".join(str(w.render()) for w in screen.query("Static"))
        assert "delivery to variable MISSING of project platform/api failed" in text
        assert "404 Variable Not Found" in text
        assert "This is the only time the value is shown" in text
    assert frozen_sim.state.tokens[token_id].revoked
    assert frozen_sim.requests("PUT") == []
