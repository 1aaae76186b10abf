"""The first requests go out together (issue 6, P1/P2): a list whose requests do not depend
on the viewer starts while ``GET /user`` is on its way, page 1 is never asked twice, and a
list the viewer may not see is still refused.

The simulator delays ``GET /user`` more than the rest; its request log records answers in the
order they left, so a list answered before ``/user`` proves it was sent without waiting.
The scripting CLI's side is in ``test_cli.py`` (its ``cli`` fixture).
"""

from __future__ import annotations

import asyncio
import sys

import httpx
from pty_terminal import PtyProcess
from test_hostile_scrollback import child_env
from tui_helpers import settle, sim_app

from tokentui.simulator import Simulator

SLOW_USER_MS = 600
LIST_PATH = "/api/v4/personal_access_tokens"


def answered(sim: Simulator) -> list[str]:
    """What was answered, in order: ``user``, ``self`` or ``list p<page>``."""
    order = []
    for entry in sim.request_log:
        if entry.path.endswith("/user"):
            order.append("user")
        elif entry.path.endswith("/personal_access_tokens/self"):
            order.append("self")
        elif entry.path == LIST_PATH:
            page = dict(p.split("=", 1) for p in entry.query.split("&") if "=" in p)
            order.append(f"list p{page.get('page', '1')}")
    return order


class SendAfter(httpx.AsyncBaseTransport):
    """Real HTTP, except that a request whose path ends with ``path`` is sent only once the
    simulator has answered ``after`` (a label of :func:`answered`). An app that waited for
    that request before sending ``after`` would hang (and the test fail on its bound), so the
    order is an event, not a race against a delay."""

    def __init__(self, sim: Simulator, path: str, after: str) -> None:
        self._http = httpx.AsyncHTTPTransport()
        self.sim, self.path, self.after = sim, path, after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(self.path):
            while self.after not in answered(self.sim):
                await asyncio.sleep(0.01)
        return await self._http.handle_async_request(request)

    async def aclose(self) -> None:
        await self._http.aclose()


def slow_user(sim: Simulator) -> None:
    sim.faults.slow_down(r"/user$", SLOW_USER_MS)
    sim.request_log.clear()


# --- the TUI ------------------------------------------------------------------------------------


async def test_tui_sends_viewer_token_in_use_and_page_one_together(sim: Simulator) -> None:
    slow_user(sim)
    app = sim_app(sim, source_choice=("all", None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.store.complete and len(app.store.index) > 0
        assert app.self_token is not None
    order = answered(sim)
    assert order.index("list p1") < order.index("user")
    assert order.index("self") < order.index("user")
    assert order.count("list p1") == 1


async def test_tui_default_source_waits_for_the_viewer_but_not_for_the_token_in_use(
    sim: Simulator,
) -> None:
    sim.request_log.clear()
    held = SendAfter(sim, "/personal_access_tokens/self", after="list p1")
    app = sim_app(sim, as_user="user", transport=held)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.store.source is not None and app.store.source.label == "my tokens"
    order = answered(sim)
    assert order.index("user") < order.index("list p1") < order.index("self")


async def test_tui_not_admin_with_all_falls_back_without_asking_page_one_twice(
    sim: Simulator,
) -> None:
    slow_user(sim)
    app = sim_app(sim, as_user="user", source_choice=("all", None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.store.source is not None and app.store.source.label == "my tokens"
        viewer = app.viewer
        assert viewer is not None
        assert {t.user_id for t in app.store.view_sequence()} == {viewer.id}
    # The early page 1 (every user's tokens) was not used: the own list was asked after /user.
    order = answered(sim)
    assert order.index("user") < len(order) - 1
    assert "list p1" in order[order.index("user") + 1 :]


def test_tokentui_command_starts_the_list_before_textual_is_up(sim: Simulator, tmp_path) -> None:
    """The real ``tokentui --all`` on a terminal: page 1 and the token in use are answered
    before the (slowed) viewer, the rows appear, and it quits cleanly."""
    slow_user(sim)
    argv = [sys.executable, "-m", "tokentui.cli", "--url", sim.url, "--all"]
    with PtyProcess(argv, child_env(sim, tmp_path)) as term:
        term.wait_for(lambda: "(admin)" in term.text() and "active" in term.text(), "the rows")
        term.send("q")
        assert term.wait_exit() == 0
    order = answered(sim)
    assert order.index("list p1") < order.index("user")
    assert order.index("self") < order.index("user")
    assert order.count("list p1") == 1
