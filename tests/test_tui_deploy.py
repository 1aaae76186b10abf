"""Deploy tokens in the TUI (issue 13): the picker's source, the list (rows keyed apart from
access tokens), create through the wizard (deploy scopes only, username, never), revoke (GitLab
deletes it), and ``r``: GitLab cannot rotate them, so a successor is offered. The real app
against the served simulator (bob: Maintainer of platform/api, Owner of group platform)."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Static
from tui_helpers import TerminalClipboard, sim_app, wait_for, wait_loaded

from tokentui.gitlab.models import TokenKind
from tokentui.gitlab.scopes import DEPLOY_TOKEN_SCOPES
from tokentui.gitlab.sources import DeployTokens
from tokentui.tui.screens.confirm import RevokeDialog
from tokentui.tui.screens.create import CreateWizard
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.screens.source_picker import SourcePicker
from tokentui.tui.screens.successor import SuccessorDialog
from tokentui.tui.widgets.expiry_picker import NEVER, ExpiryPicker
from tokentui.tui.widgets.scope_picker import ScopePicker

PROJECT = ("project-deploy", "platform/api")


def deploy_ids(sim, project_id: int = 1) -> set[int]:
    return {
        t.id
        for t in sim.state.deploy_tokens.values()
        if (t.resource_type, t.resource_id) == ("project", project_id)
    }


def writes(sim) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.request_log if r.method in ("POST", "DELETE")]


async def test_the_picker_switches_to_a_projects_deploy_tokens(sim) -> None:
    app = sim_app(sim, as_user="maintainer")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, SourcePicker))
        picker = app.screen
        picker.choose("project-deploy")
        await pilot.pause()
        picker.query_one("#source-value", Input).value = "1"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.store.source, DeployTokens))
        await wait_loaded(pilot)
        assert app.store.source == DeployTokens(resource_type="project", resource="platform/api")
        rows = list(app.store.view)
        assert {t.id for t in rows} == deploy_ids(sim)
        assert all(t.is_deploy and app.row_context.kind(t) is TokenKind.DEPLOY for t in rows)
        assert "deploy" in app.screen.query_one("#table").render_line(1).text
        detail = app.screen.query_one("#detail").plain_text
        assert "settings/repository" in detail and "username" in detail
        assert "not known (GitLab does not say" in detail


async def test_the_wizard_creates_a_deploy_token_with_a_username_and_no_expiry(sim) -> None:
    app = sim_app(sim, as_user="maintainer", source_choice=PROJECT)
    before = deploy_ids(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        clipboard = TerminalClipboard(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        assert "access" not in wizard.steps
        assert not wizard.query_one("#description").display
        await pilot.press(*"registry-pull", "enter", *"puller", "enter")
        assert wizard.step == "scopes"
        assert tuple(wizard.query_one(ScopePicker).allowed) == DEPLOY_TOKEN_SCOPES
        wizard.query_one(ScopePicker).select("read_registry")
        await pilot.press("ctrl+n")
        assert wizard.step == "expiry"
        picker = wizard.query_one(ExpiryPicker)
        picker.options.highlighted = picker._option_ids().index(NEVER)
        await pilot.press("ctrl+n")
        review = str(wizard.query_one("#review", Static).render())
        assert "puller" in review and "never" in review
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        [made] = deploy_ids(sim) - before
        record = sim.state.deploy_tokens[made]
        assert (record.name, record.username, tuple(record.scopes)) == (
            "registry-pull",
            "puller",
            ("read_registry",),
        )
        assert record.expires_at is None
        await pilot.press("y")
        assert sim.state.deploy_token_by_secret(clipboard.last) is record
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RevealScreen))
        assert app.store.get(-made) is not None  # keyed as a deploy row


async def test_a_bad_username_is_refused_on_its_step_before_any_request(sim) -> None:
    app = sim_app(sim, as_user="maintainer", source_choice=PROJECT)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        await pilot.press(*"pull", "enter", *"bad name!", "enter")
        wizard = app.screen
        assert wizard.step == "name"
        assert "letters, digits" in str(wizard.query_one("#error-name", Static).render())
    assert not writes(sim)


async def test_revoke_deletes_it_and_says_so(sim) -> None:
    app = sim_app(sim, as_user="maintainer", source_choice=PROJECT)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        token = next(t for t in app.store.view if not t.revoked)
        assert app.screen.table.select_token(token.key)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
        text = str(app.screen.query_one(".warning", Static).render())
        assert "GitLab deletes a revoked deploy token" in text
        await pilot.press("x")
        await wait_for(pilot, lambda: token.id not in sim.state.deploy_tokens)
        await wait_for(pilot, lambda: app.store.get(token.key).revoked)
        assert any("GitLab deleted it" in n.message for n in app._notifications)
    assert writes(sim) == [("DELETE", f"/api/v4/projects/platform%2Fapi/deploy_tokens/{token.id}")]


async def test_r_offers_a_successor_and_keeps_the_old_token(sim) -> None:
    app = sim_app(sim, as_user="maintainer", source_choice=PROJECT)
    before = deploy_ids(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        old = next(t for t in app.store.view if t.active and not t.revoked)
        assert app.screen.table.select_token(old.key)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, SuccessorDialog))
        said = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "GitLab cannot rotate deploy tokens" in said
        assert "keeps working until you revoke it" in said
        app.screen.query_one(ExpiryPicker).select_days(90)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        [made] = deploy_ids(sim) - before
        new, kept = sim.state.deploy_tokens[made], sim.state.deploy_tokens[old.id]
        assert (new.name, new.username, tuple(new.scopes)) == (
            old.name,
            old.username,
            tuple(old.scopes),
        )
        assert new.expires_at is not None and not kept.revoked
        warning = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert f"Deploy token {old.id} still works" in warning
    assert [m for m, _ in writes(sim)] == ["POST"]  # no DELETE, no rotate


async def test_c_recreates_an_expired_deploy_token_with_its_settings(sim) -> None:
    """GitLab cannot rotate an expired deploy token: ``c`` makes a new one with the same
    name, username and scopes and a new expiry; the dialog and the reveal say it replaces a
    token that no longer works."""
    gone = sim.now() - timedelta(days=3)
    sim.issue_deploy_token(
        "project", 1, name="old-pull", username="puller", scopes=("read_registry",), expires_at=gone
    )
    before = deploy_ids(sim)
    app = sim_app(sim, as_user="maintainer", source_choice=PROJECT)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        old = next(t for t in app.store.view if t.name == "old-pull")
        assert not old.active
        assert app.screen.table.select_token(old.key)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, SuccessorDialog))
        said = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert f"Recreate deploy token {old.id}" in said and "no longer works" in said
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        [made] = deploy_ids(sim) - before
        new = sim.state.deploy_tokens[made]
        assert (new.name, new.username, tuple(new.scopes)) == (
            "old-pull",
            "puller",
            ("read_registry",),
        )
        assert new.expires_at is not None and new.expires_at > sim.now()
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert f"recreating deploy token {old.id}" in shown and "still works" not in shown
    assert [m for m, _ in writes(sim)] == ["POST"]
