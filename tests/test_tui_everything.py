"""The everything-I-manage source in the TUI, driven with Pilot against the simulator over
loopback HTTP: the first entry of ``t``, ``tokentui --everything``, progress and problems in the
header, ``P`` for the problems, ``esc``/``ctrl+c`` stopping a scan (and ``ctrl+c`` keeping its
usual meaning otherwise), ``ctrl+r`` scanning again, the auto-refresh, and writes on rows of
every kind going to each row's own endpoint.
"""

from __future__ import annotations

import asyncio

import httpx
from test_everything import expected_for_bob
from test_tui_actions import screen_text
from textual.widgets import OptionList, Static
from tui_helpers import settle, sim_app, wait_for

from tokentui.core.everything import Everything
from tokentui.gitlab.models import Token, TokenKind
from tokentui.tui.app import TokenApp
from tokentui.tui.screens.confirm import RevokeDialog, RotateDialog
from tokentui.tui.screens.problems import ProblemsScreen
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.screens.source_picker import SourcePicker
from tokentui.tui.screens.successor import SuccessorDialog

SIZE = (140, 40)


class HeldDeployLists(httpx.AsyncBaseTransport):
    """Real HTTP, except that deploy-token lists wait for :meth:`release`: a scan that cannot
    finish before the test has looked at it (and stopped it)."""

    def __init__(self) -> None:
        self._http = httpx.AsyncHTTPTransport()
        self._go = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/deploy_tokens"):
            await self._go.wait()
        return await self._http.handle_async_request(request)

    def release(self) -> None:
        self._go.set()

    async def aclose(self) -> None:
        await self._http.aclose()


def header(app: TokenApp) -> str:
    return str(app.screen.query_one("#header", Static).render())


def row(app: TokenApp, kind: TokenKind, where: str) -> Token:
    """A loaded row of ``kind`` whose resource path (or owner) is ``where``."""
    ownership = app.ownership
    for token in app.store.view:
        found = ownership.resource(token, app.store.source)
        place = found.path if found is not None else ownership.username(token.user_id)
        if ownership.kind(token, app.store.source) is kind and place == where and token.active:
            return token
    raise AssertionError(f"no active {kind} row in {where}")


async def test_the_picker_offers_it_first_and_the_list_holds_every_kind(sim) -> None:
    app = sim_app(sim, as_user="maintainer")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, SourcePicker))
        choices = app.screen.query_one("#source-choices", OptionList)
        assert choices.get_option_at_index(0).id == "everything"
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: isinstance(app.store.source, Everything))
        await settle(pilot)
        assert app.store.complete
        keys = {token.key for token in app.store.view}
        assert keys == set(expected_for_bob(sim))
        assert "everything I manage" in header(app) and "refreshed" in header(app)
        # The table says each row's kind: the scan placed them, nothing is pending.
        kinds = {app.row_context.kind_label(token) for token in app.store.view}
        assert {"deploy", "service account", "project", "group", "personal"} <= kinds
        assert not [r for r in sim.request_log if r.path.startswith("/api/v4/users/")]


async def test_a_scan_shows_progress_stops_on_esc_and_rescans_on_ctrl_r(sim) -> None:
    held = HeldDeployLists()  # the scan runs until the test lets it finish
    app = sim_app(sim, as_user="maintainer", source_choice=("everything", None), transport=held)
    async with app.run_test(size=SIZE) as pilot:
        # The projects are listed at once; their deploy-token lists take a while.
        await wait_for(pilot, lambda: "scanning 0 of 2 projects" in header(app))
        assert "(esc stops)" in header(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.store.stopped)
        assert not app.store.loading and not app.store.complete
        assert "scan stopped: incomplete" in header(app)
        assert any("Scan stopped" in n.message for n in app._notifications)
        held.release()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.store.complete and not app.store.stopped, (app.store.error, app.store.stopped)
        assert {t.key for t in app.store.view} == set(expected_for_bob(sim))
        assert "refreshed" in header(app)


async def test_ctrl_c_stops_a_scan_and_otherwise_keeps_its_meaning(sim) -> None:
    held = HeldDeployLists()
    app = sim_app(sim, as_user="maintainer", source_choice=("everything", None), transport=held)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store.loading and app.store.scan_progress is not None)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.store.stopped)
        assert app.is_running
        await pilot.press("ctrl+c")  # no scan: as before, the app says how to quit
        await wait_for(pilot, lambda: any("to quit" in n.message for n in app._notifications))
        assert app.is_running and app.store.stopped


async def test_problems_show_in_the_header_and_on_p(sim) -> None:
    sim.faults.proxy_error("GET", r"/projects/2/deploy_tokens", status=503, times=None)
    app = sim_app(sim, as_user="maintainer", source_choice=("everything", None))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "1 problem (P)" in header(app)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen))
        text = screen_text(app)
        assert "1 problem: not read" in text and "project platform/web" in text
        assert "Service Temporarily Unavailable" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ProblemsScreen))
        assert {t.key for t in app.store.view} == {
            key for key, (_, where) in expected_for_bob(sim).items() if where != "platform/web"
        }


async def test_writes_go_to_each_rows_own_endpoint(sim) -> None:
    app = sim_app(sim, as_user="maintainer", source_choice=("everything", None))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        deploy = row(app, TokenKind.DEPLOY, "platform/api")
        project = row(app, TokenKind.PROJECT, "platform/web")
        group = row(app, TokenKind.GROUP, "platform")

        app.actions.revoke(deploy)
        await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
        await pilot.press("x")
        await settle(pilot)
        assert deploy.id not in sim.state.deploy_tokens  # GitLab deletes a deploy token

        app.actions.revoke(project)
        await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
        await pilot.press("x")
        await settle(pilot)
        assert sim.state.tokens[project.id].revoked

        app.actions.rotate(group)
        await wait_for(pilot, lambda: isinstance(app.screen, RotateDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        assert sim.state.tokens[group.id].revoked

        # GitLab cannot rotate a deploy token: r says so and offers a successor (cancelled).
        app.actions.rotate(app.store.get(row(app, TokenKind.DEPLOY, "platform").key))
        await wait_for(pilot, lambda: isinstance(app.screen, SuccessorDialog))
        assert "GitLab cannot rotate deploy tokens" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SuccessorDialog))
        app.actions.new_token()  # a new token needs one place: the source says which
        await wait_for(
            pilot, lambda: any("belongs to one place" in n.message for n in app._notifications)
        )
    writes = [(r.method, r.path) for r in sim.request_log if r.method in ("POST", "DELETE")]
    assert writes == [
        ("DELETE", f"/api/v4/projects/platform%2Fapi/deploy_tokens/{deploy.id}"),
        ("DELETE", f"/api/v4/projects/platform%2Fweb/access_tokens/{project.id}"),
        ("POST", f"/api/v4/groups/platform/access_tokens/{group.id}/rotate"),
    ]


async def test_the_refresh_every_scans_again_by_itself(sim) -> None:
    app = sim_app(sim, as_user="maintainer", source_choice=("everything", None))
    app.refresh_every = 0.2

    def scans() -> int:
        return len([r for r in sim.request_log if r.path == "/api/v4/groups"])

    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: scans() >= 3)
        await wait_for(pilot, lambda: app.store.complete and "refreshed" in header(app))


def test_the_refresh_interval_comes_from_the_flag_or_the_profile(config_home, capsys) -> None:
    import argparse

    import pytest

    from tokentui.cli.commands.tui import refresh_interval
    from tokentui.cli.main import main
    from tokentui.core import config
    from tokentui.core.session import Connection

    config_home.mkdir(parents=True, exist_ok=True)
    (config_home / "config.toml").write_text(
        '[profiles.work]\nurl = "https://gitlab.example.com"\nrefresh_every = "15m"\n'
    )
    profile = config.load_settings().get("work")
    assert profile.refresh_every == 900
    assert profile.to_toml()["refresh_every"] == "900s"
    conn = Connection("https://gitlab.example.com", "x", profile="work")  # type: ignore[arg-type]
    assert refresh_interval(argparse.Namespace(refresh_every=None), conn) == 900
    assert refresh_interval(argparse.Namespace(refresh_every="1h"), conn) == 3600
    assert refresh_interval(argparse.Namespace(refresh_every=None), None) is None
    # Too often, or not an interval: said before anything starts.
    assert main(["--refresh-every", "5s"]) == 2
    assert "--refresh-every: '5s' is too often; the minimum is 30s" in capsys.readouterr().err
    (config_home / "config.toml").write_text(
        '[profiles.work]\nurl = "https://gitlab.example.com"\nrefresh_every = "soon"\n'
    )
    with pytest.raises(config.ConfigError, match="refresh_every: 'soon' is not an interval"):
        config.load_settings()
