"""How the app tells its screens that something landed (issue #12: screens import nothing of the
app; the app publishes signals they subscribe to, instead of walking its screen stack).

Each test holds one request back in the transport, opens a screen, then lets the answer land
while that screen is on top: what the screen shows must follow. Real HTTP to the simulator;
the tests wait for events (a held request, text on screen), never for time.
"""

from __future__ import annotations

import asyncio

import httpx
from textual.widgets import Static
from tui_helpers import FROZEN_NOW, sim_app, wait_for

from tokentui.core.expiry import FrozenClock
from tokentui.tui.app import TokenApp
from tokentui.tui.screens.confirm import RevokeDialog
from tokentui.tui.screens.token_detail import TokenDetailScreen
from tokentui.tui.widgets.detail import TokenDetail

CAROL = 4


class Hold(httpx.AsyncBaseTransport):
    """Real HTTP, except that a request whose path ends with ``path`` waits for
    :attr:`release` (``held`` counts those that arrived)."""

    def __init__(self, path: str) -> None:
        self._http = httpx.AsyncHTTPTransport()
        self.path = path
        self.held = 0
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(self.path):
            self.held += 1
            await self.release.wait()
        return await self._http.handle_async_request(request)

    async def aclose(self) -> None:
        await self._http.aclose()


def loaded(app: TokenApp) -> bool:
    return app.viewer is not None and app.store.complete and not app.store.loading


def reaches(pane: TokenDetail) -> list[str]:
    """The lines under "reaches (self/associations)" in a detail pane."""
    below = pane.plain_text.split("reaches (self/associations)\n")[1]
    return [line.strip() for line in below.splitlines()]


async def test_the_full_detail_follows_associations_that_land_while_it_is_open(
    frozen_sim,
) -> None:
    hold = Hold("/personal_access_tokens/self/associations")
    app = sim_app(
        frozen_sim,
        clock=FrozenClock(FROZEN_NOW),
        source_choice=("mine", None),
        transport=hold,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: loaded(app) and app.self_token is not None)
        assert app.screen.table.select_token(app.self_token.id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TokenDetailScreen))
        await wait_for(pilot, lambda: hold.held > 0)  # asked for, not answered yet
        pane = app.screen.query_one(TokenDetail)
        assert app.associations is None and reaches(pane) == ["loading…"]
        hold.release.set()
        await wait_for(pilot, lambda: reaches(pane) != ["loading…"])
        assert [line.split()[0] for line in reaches(pane)] == ["groups", "projects"]
        assert isinstance(app.screen, TokenDetailScreen)


async def test_a_dialog_names_the_owner_once_the_lookup_lands(frozen_sim) -> None:
    value = frozen_sim.issue_token(CAROL, name="carols-laptop", scopes=("api",))
    token_id = frozen_sim.state.token_by_secret(value).id
    hold = Hold(f"/users/{CAROL}")
    app = sim_app(
        frozen_sim,
        clock=FrozenClock(FROZEN_NOW),
        source_choice=("user", str(CAROL)),
        transport=hold,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: loaded(app) and hold.held > 0)
        assert app.screen.table.select_token(token_id)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
        facts = app.screen.query_one(".dialog-facts", Static)
        assert "carol" not in str(facts.render())  # not known yet: "user 4"
        hold.release.set()
        await wait_for(pilot, lambda: "carol" in str(facts.render()))
        assert isinstance(app.screen, RevokeDialog)
        await pilot.press("escape")  # the safe choice: nothing is revoked
    assert not frozen_sim.state.tokens[token_id].revoked
