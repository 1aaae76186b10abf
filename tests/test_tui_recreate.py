"""Recreate (issue 14): ``c`` on an expired or revoked token opens the create wizard filled with
its name, description, scopes and access level (and the default expiry), for its own source;
on an active token it says why not (rotate instead); deploy rows are refused with what to do.
The real app against the simulator over loopback HTTP, asserted on the server."""

from __future__ import annotations

from datetime import timedelta

import test_tui_hygiene as shared
from conftest import FROZEN_NOW
from textual.widgets import Input
from tui_helpers import wait_for

from tokentui.gitlab.models import DeployToken
from tokentui.tui.screens.create import CreateWizard
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.widgets.scope_picker import ScopePicker

TODAY = FROZEN_NOW.date()
CAROL = shared.CAROL
seed, settle, table = shared.seed, shared.settle, shared.table
#: The same fixtures as the findings' tests (a small frozen simulator, the app on it).
frozen_sim = shared.frozen_sim
app_factory = shared.app_factory


async def test_c_recreates_an_expired_token_with_its_settings(frozen_sim, app_factory):
    ids = seed(frozen_sim)
    app = app_factory(source=("all", None))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert table(app).select_token(ids["gone"])
        gone = app.store.get(ids["gone"])
        # Every user's list: the token's owner (and so its kind and list) is looked up first.
        await wait_for(pilot, lambda: app.row_context.kind(gone) is not None)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        assert wizard.query_one("#name", Input).value == "gone"
        assert wizard.query_one("#description", Input).value == "nightly mirror"
        assert wizard.query_one(ScopePicker).chosen() == ("read_api", "write_repository")
        # Through every step with enter: name, description, scopes, the default expiry, review.
        await pilot.press("enter", "enter", "enter", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        [record] = [t for t in frozen_sim.state.tokens.values() if t.id not in before]
        assert (record.name, record.description, record.user_id) == (
            "gone",
            "nightly mirror",
            CAROL,
        )
        assert record.scopes == ("read_api", "write_repository")
        assert record.expires_at == TODAY + timedelta(days=30)
        posts = [r.path for r in frozen_sim.requests("POST")]
        assert posts == [f"/api/v4/users/{CAROL}/personal_access_tokens"]


async def test_c_recreates_a_revoked_project_token_with_its_access_level(frozen_sim, app_factory):
    value = frozen_sim.issue_resource_token(
        "project",
        1,
        name="deployer",
        scopes=("read_repository",),
        access_level=30,
        revoked=True,
    )
    old = frozen_sim.token_record(value)
    app = app_factory(frozen_sim.maintainer_token, source=("project", "platform/api"))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert table(app).select_token(old.id)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        assert app.screen.steps == ("name", "scopes", "expiry", "access", "review")
        await pilot.press("enter", "enter", "enter", "enter", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
        [record] = [t for t in frozen_sim.state.tokens.values() if t.id not in before]
        assert (record.name, record.scopes) == ("deployer", ("read_repository",))
        assert (record.resource_type, record.resource_id) == ("project", 1)
        assert frozen_sim.state.bot_access_level(record) == 30


async def test_c_on_an_active_or_deploy_token_says_why_not(frozen_sim, app_factory):
    ids = seed(frozen_sim)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert table(app).select_token(ids["tidy"])
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, CreateWizard)
        [note] = [n.message for n in app._notifications]
        assert "is active: rotate it with r instead" in note
        deploy = DeployToken(id=9, name="registry", username="gitlab+deploy-token-9").as_row(
            "project", 1
        )
        _, reason = app.actions.recreate_target(deploy)
        # An active deploy token: r makes its successor (c recreates expired ones).
        assert reason is not None and "r creates a successor" in reason
    assert frozen_sim.requests("POST") == []
