"""The TUI actions end to end: the real app (``make_app``) against the simulator over loopback.

Create wizard, show-once reveal, rotate, revoke, refusals, source picker and help, each
asserting what changed on the server (``sim.state``, ``sim.requests``) and on screen.
Cast: 1 root (admin), 2 alice, 3 bob (Maintainer of platform/api, Owner of group platform),
4 carol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static
from tui_helpers import TerminalClipboard, wait_for

from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import NotFound, ValidationFailed
from tokentui.gitlab.models import NewToken
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.confirm import ConfirmDialog, RevokeDialog, RotateDialog
from tokentui.tui.screens.create import CreateWizard, step_for_error
from tokentui.tui.screens.help import HelpScreen
from tokentui.tui.screens.outcome import OutcomeDialog
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.screens.source_picker import SourcePicker
from tokentui.tui.widgets.expiry_picker import ExpiryPicker
from tokentui.tui.widgets.scope_picker import ScopePicker

#: The simulator's frozen clock (``frozen_sim`` in conftest).
FROZEN_NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
TODAY = FROZEN_NOW.date()
ALICE, BOB, CAROL = 2, 3, 4

MakeApp = Callable[..., TokenApp]


@pytest.fixture
async def app_factory(frozen_sim, frozen_now) -> AsyncIterator[MakeApp]:
    """``app_factory(token, source=("project", "platform/api"), clock=...)``: a TokenApp on
    the frozen simulator; clients are closed at the end."""
    assert frozen_now == FROZEN_NOW
    clients: list[GitLabClient] = []

    def make(token: str, source: tuple[str, str | None] | None = None, **kwargs) -> TokenApp:
        client = GitLabClient(frozen_sim.url, token)
        clients.append(client)
        kwargs.setdefault("clock", FrozenClock(FROZEN_NOW))
        return make_app(client, source_choice=source, **kwargs)

    yield make
    for client in clients:
        await client.aclose()


async def settle(pilot: Pilot, app: TokenApp) -> None:
    """Let every worker (start, loads, actions) finish and the screen catch up."""
    for _ in range(4):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def dialog_text(app: TokenApp) -> str:
    """The text of the screen on top only (a dialog, without the list under it)."""
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


def screen_text(app: TokenApp) -> str:
    """All text of every widget of every screen on the stack."""
    parts: list[str] = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=True):
            if isinstance(widget, Static):
                parts.append(str(widget.render()))
            if isinstance(widget, Input):
                parts.append(widget.value)
    return "\n".join(parts)


def new_records(sim, before: set[int]):
    """Tokens the server has now that it did not have in ``before``."""
    return [t for t in sim.state.tokens.values() if t.id not in before]


def writes(sim) -> list:
    """POST and DELETE requests the server received."""
    return [r for r in sim.request_log if r.method in ("POST", "DELETE")]


async def fill_name(pilot: Pilot, name: str, description: str = "") -> None:
    await pilot.press(*name, "enter")
    if description:
        await pilot.press(*description)
    await pilot.press("enter")


def toggle_scopes(wizard: CreateWizard, scopes: tuple[str, ...]) -> None:
    picker = wizard.query_one(ScopePicker)
    for scope in scopes:
        picker.select(scope)


# --- create ----------------------------------------------------------------------------------


async def test_wizard_creates_project_token_with_choices(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.maintainer_token, source=("project", "platform/api"))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        clipboard = TerminalClipboard(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        assert wizard.steps == ("name", "scopes", "expiry", "access", "review")
        await fill_name(pilot, "ci-deploy", "deploys the api")
        assert wizard.step == "scopes"
        # Only project-token scopes are offered (no read_user, no admin scopes).
        offered = wizard.query_one(ScopePicker).allowed
        assert "read_user" not in offered and "sudo" not in offered and "api" in offered
        await pilot.press("down", "space")  # read_api
        toggle_scopes(wizard, ("read_repository",))
        await pilot.press("ctrl+n")
        assert wizard.step == "expiry"
        wizard.query_one(ExpiryPicker).select_days(90)
        await pilot.press("ctrl+n")
        assert wizard.step == "access"
        access = wizard.query_one("#access", OptionList)
        assert access.get_option_at_index(access.highlighted).id == "level-40"  # default
        await pilot.press("up", "enter")  # Developer (30)
        assert wizard.step == "review"
        review = str(wizard.query_one("#review", Static).render())
        assert "ci-deploy" in review and "read_api, read_repository" in review
        assert "Developer (30)" in review
        await pilot.press("ctrl+n")
        await settle(pilot, app)

        created = new_records(frozen_sim, before)
        assert len(created) == 1
        record = created[0]
        assert record.name == "ci-deploy"
        assert record.description == "deploys the api"
        assert record.scopes == ("read_api", "read_repository")
        assert record.expires_at == TODAY + timedelta(days=90)
        assert (record.resource_type, record.resource_id) == ("project", 1)
        assert frozen_sim.state.bot_access_level(record) == 30

        reveal = app.screen
        assert isinstance(reveal, RevealScreen)
        await pilot.press("y")
        value = clipboard.last
        assert app.clipboard == ""  # sent to the terminal, kept nowhere in the app
        # The copied value is the new token's secret (the server knows it by its digest).
        assert frozen_sim.state.token_by_secret(value) is record
        assert "Copied" in str(reveal.query_one("#reveal-status", Static).render())
        assert "set-clipboard on" in str(reveal.query_one("#reveal-status", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, RevealScreen)
        # Gone: no widget shows it, the store keeps only the public token.
        assert value not in screen_text(app)
        stored = app.store.get(record.id)
        assert stored is not None and not isinstance(stored, NewToken)
        assert all(not isinstance(t, NewToken) for t in app.store.view)


async def test_back_and_forward_keep_input(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.maintainer_token, source=("group", "platform"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        await fill_name(pilot, "nightly", "backups")
        toggle_scopes(wizard, ("read_api",))
        await pilot.press("ctrl+n")
        wizard.query_one(ExpiryPicker).set_custom((TODAY + timedelta(days=45)).isoformat())
        await pilot.press("ctrl+n")
        assert wizard.step == "access"
        for _ in range(3):
            await pilot.press("ctrl+b")
        assert wizard.step == "name"
        assert wizard.query_one("#name", Input).value == "nightly"
        assert wizard.query_one("#description", Input).value == "backups"
        for _ in range(3):
            await pilot.press("ctrl+n")
        assert wizard.step == "access"
        request = wizard.build_request()
        assert request.scopes == ("read_api",)
        assert request.expires_at == TODAY + timedelta(days=45)
        assert request.description == "backups"


async def test_wizard_checks_each_step_before_going_on(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.maintainer_token, source=("project", "platform/api"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        await pilot.press("ctrl+n")
        assert wizard.step == "name"
        assert "name is required" in str(wizard.query_one("#error-name", Static).render())
        await fill_name(pilot, "x")
        await pilot.press("ctrl+n")
        assert wizard.step == "scopes"
        assert "at least one scope" in str(wizard.query_one("#error-scopes", Static).render())
        toggle_scopes(wizard, ("api",))
        await pilot.press("ctrl+n")
        wizard.query_one(ExpiryPicker).set_custom((TODAY + timedelta(days=366)).isoformat())
        await pilot.press("ctrl+n")
        assert wizard.step == "expiry"
        error = str(wizard.query_one("#error-expiry", Static).render())
        assert (TODAY + timedelta(days=365)).isoformat() in error
        wizard.query_one(ExpiryPicker).set_custom("2027-02-30")
        await pilot.press("ctrl+n")
        assert "not a date" in str(wizard.query_one("#error-expiry", Static).render())
    assert writes(frozen_sim) == []


async def test_server_refusal_lands_on_access_step(frozen_sim, app_factory) -> None:
    # dave is a Maintainer of platform/web: GitLab refuses an Owner token from him.
    dave = frozen_sim.issue_token(5, name="dave-cli", scopes=("api",))
    app = app_factory(dave, source=("project", "platform/web"))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        await fill_name(pilot, "too-strong")
        toggle_scopes(wizard, ("api",))
        await pilot.press("ctrl+n", "ctrl+n")
        assert wizard.step == "access"
        await pilot.press("down", "enter")  # Owner (50)
        assert wizard.build_request().access_level == 50
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        assert app.screen is wizard, "the wizard stays open"
        assert wizard.step == "access"
        error = str(wizard.query_one("#error-access", Static).render())
        assert "Access level of the token contains permissions not held" in error
        assert wizard.query_one("#name", Input).value == "too-strong"
        assert new_records(frozen_sim, before) == []
        # Fix it on that step and create.
        await pilot.press("up", "enter", "ctrl+n")
        await settle(pilot, app)
        assert isinstance(app.screen, RevealScreen)
        [record] = new_records(frozen_sim, before)
        assert frozen_sim.state.bot_access_level(record) == 40


async def test_server_expiry_refusal_lands_on_expiry_step(frozen_sim, app_factory) -> None:
    # This machine's clock is a day ahead of GitLab's: its "365 days" is 366 for the server.
    clock = FrozenClock(FROZEN_NOW + timedelta(days=1))
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)), clock=clock)
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        await fill_name(pilot, "long-lived")
        toggle_scopes(wizard, ("read_api",))
        await pilot.press("ctrl+n")
        wizard.query_one(ExpiryPicker).select_days(365)
        await pilot.press("ctrl+n")
        assert wizard.step == "review"
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        assert app.screen is wizard
        assert wizard.step == "expiry"
        error = str(wizard.query_one("#error-expiry", Static).render())
        assert "Expiration date must be before" in error
        assert new_records(frozen_sim, before) == []


async def test_admin_creates_for_a_user_from_all_tokens(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.admin_token, source=("all", None))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        assert wizard.steps[0] == "target"
        target = wizard.query_one("#target-user", Input)
        assert target.value == "1"
        target.value = str(CAROL)
        await pilot.press("enter")
        assert wizard.step == "name"
        await fill_name(pilot, "carol-ci")
        # A personal token for a user offers every scope, read_user included.
        assert "read_user" in wizard.query_one(ScopePicker).allowed
        toggle_scopes(wizard, ("read_user",))
        await pilot.press("ctrl+n", "ctrl+n")  # default expiry: 30 days
        assert wizard.step == "review"
        review = str(wizard.query_one("#review").render())
        assert "personal tokens of" in review and "user 4" in review
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        [record] = new_records(frozen_sim, before)
        assert (record.user_id, record.name, record.scopes) == (CAROL, "carol-ci", ("read_user",))
        assert record.expires_at == TODAY + timedelta(days=30)
        assert isinstance(app.screen, RevealScreen)
        # Leaving without copying asks first; "n" stays, then leaving for real works.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "You will not see this value again" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, RevealScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, RevealScreen | ConfirmDialog)
        assert app.store.get(record.id) is not None


async def test_self_service_offers_two_scopes_and_the_web_url(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.user_token, source=("mine", None))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        await fill_name(pilot, "my agent")
        assert wizard.query_one(ScopePicker).allowed == ("k8s_proxy", "self_rotate")
        toggle_scopes(wizard, ("k8s_proxy",))
        await pilot.pause()
        url = str(wizard.query_one("#web-url", Static).render())
        assert "/-/user_settings/personal_access_tokens?name=my%20agent&scopes=k8s_proxy" in url
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await settle(pilot, app)
        [record] = new_records(frozen_sim, before)
        assert (record.user_id, record.scopes) == (ALICE, ("k8s_proxy",))


# --- rotate ----------------------------------------------------------------------------------


async def select(pilot: Pilot, app: TokenApp, token_id: int) -> None:
    """Put the table cursor on a token (as the arrow keys would)."""
    assert app.screen.table.select_token(token_id), f"token {token_id} is not listed"
    await pilot.pause()
    assert app.selected_token().id == token_id


def issue(sim, user_id: int, name: str, **kwargs) -> int:
    """A token made on the server; returns its id."""
    value = sim.issue_token(user_id, name=name, scopes=("api",), **kwargs)
    return sim.state.token_by_secret(value).id


async def test_rotate_changes_the_server_and_reveals(frozen_sim, app_factory) -> None:
    token_id = issue(
        frozen_sim, CAROL, "rotate-me", expires_at=TODAY + timedelta(days=3),
        last_used_at=FROZEN_NOW - timedelta(hours=2),
    )  # fmt: skip
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        clipboard = TerminalClipboard(app)
        await select(pilot, app, token_id)
        # The owners' names load on a tick: the dialog names carol only once hers arrived.
        await wait_for(pilot, lambda: CAROL in app.user_names)
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RotateDialog)
        text = screen_text(app)
        assert "rotate-me" in text and "stops working at once" in text
        assert "carol" in text and "2h ago" in text
        assert "It was used 2h ago" in text  # recent use is called out
        # Default: the token's lifetime (made today, expiring in 3 days); pick 30.
        assert dialog.query_one(ExpiryPicker).chosen()[0] == TODAY + timedelta(days=3)
        await pilot.press("down", "down", "y")
        await settle(pilot, app)

        old = frozen_sim.state.tokens[token_id]
        assert old.revoked
        [new] = [t for t in frozen_sim.state.tokens.values() if t.previous_id == token_id]
        assert new.expires_at == TODAY + timedelta(days=30)
        assert not new.revoked
        assert isinstance(app.screen, RevealScreen)
        await pilot.press("y")
        assert frozen_sim.state.token_by_secret(clipboard.last) is new
        await pilot.press("enter")
        await pilot.pause()
        assert app.store.get(token_id).revoked
        assert app.store.get(new.id) is not None


async def test_rotate_to_a_typed_date(frozen_sim, app_factory) -> None:
    """The rotate dialog takes a date of one's choice, as the wizard does: end, enter (to the
    date box), the date, enter; a date past GitLab's 365-day limit is refused first."""
    token_id = issue(frozen_sim, CAROL, "rotate-to-date", expires_at=TODAY + timedelta(days=3))
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    wanted = TODAY + timedelta(days=123)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RotateDialog)
        await pilot.press("end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RotateDialog)  # not rotated: the date box has the focus
        too_late = (TODAY + timedelta(days=400)).isoformat()
        await pilot.press(*too_late, "enter")
        await pilot.pause()
        assert isinstance(app.screen, RotateDialog)
        assert "365" in screen_text(app)
        assert not frozen_sim.state.tokens[token_id].revoked
        app.screen.query_one("#expiry-date", Input).value = ""
        await pilot.press(*wanted.isoformat(), "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, RevealScreen)
    [new] = [t for t in frozen_sim.state.tokens.values() if t.previous_id == token_id]
    assert new.expires_at == wanted
    assert frozen_sim.state.tokens[token_id].revoked


async def test_rotate_and_revoke_cancel_change_nothing(frozen_sim, app_factory) -> None:
    token_id = issue(frozen_sim, CAROL, "keep-me", expires_at=TODAY + timedelta(days=20))
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RotateDialog)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, RevokeDialog)
        await pilot.press("escape")
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, RevokeDialog)
        await pilot.press("n")
        await settle(pilot, app)
    assert writes(frozen_sim) == []
    assert not frozen_sim.state.tokens[token_id].revoked


async def test_rotate_outcome_unknown_says_so_and_reloads(frozen_sim, app_factory) -> None:
    token_id = issue(frozen_sim, CAROL, "lost-answer", expires_at=TODAY + timedelta(days=20))
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        frozen_sim.faults.drop_after_action("POST", r"/rotate$")
        await pilot.press("r", "y")
        await settle(pilot, app)
        assert not isinstance(app.screen, RevealScreen)
        # The token was read back: the dialog says it was rotated and its value lost.
        assert isinstance(app.screen, OutcomeDialog)
        assert "was rotated, but the new value is lost" in screen_text(app)
        # The rotate happened on the server; after the reload the list shows the truth.
        assert frozen_sim.state.tokens[token_id].revoked
        assert app.store.get(token_id).revoked
    # Never retried.
    assert len([r for r in frozen_sim.request_log if r.path.endswith("/rotate")]) == 1


async def test_self_rotation_switches_the_client(frozen_sim, app_factory) -> None:
    saved: list[SecretStr] = []
    app = app_factory(frozen_sim.admin_token, source=("mine", None), save_credential=saved.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        self_id = app.self_token.id
        await select(pilot, app, self_id)
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RotateDialog) and "tokentui itself uses" in dialog_text(app)
            ),
        )
        await pilot.press("y")
        await settle(pilot, app)
        assert frozen_sim.state.tokens[self_id].revoked
        assert isinstance(app.screen, RevealScreen)
        assert not app.screen.query("#reveal-warning")
        [value] = saved
        new = frozen_sim.state.token_by_secret(value.get_secret_value())
        assert app.self_token.id == new.id
        assert app.row_context.self_token_id == new.id  # the new row is marked "in use"
        await pilot.press("y", "enter")
        # The app goes on working with the new value.
        app.reload()
        await settle(pilot, app)
        assert app.store.error is None and app.store.view


async def test_self_rotation_unsaved_value_gets_a_loud_warning(frozen_sim, app_factory) -> None:
    def broken_store(value: SecretStr) -> None:
        raise OSError("keyring locked")

    app = app_factory(frozen_sim.admin_token, source=("mine", None), save_credential=broken_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, app.self_token.id)
        await pilot.press("r", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, RevealScreen)
        warning = str(app.screen.query_one("#reveal-warning", Static).render())
        assert "NOT SAVED" in warning and "keyring locked" in warning


# --- revoke ----------------------------------------------------------------------------------


async def test_revoke_changes_the_server(frozen_sim, app_factory) -> None:
    token_id = issue(frozen_sim, BOB, "old-laptop", expires_at=TODAY + timedelta(days=40))
    app = app_factory(frozen_sim.admin_token, source=("user", str(BOB)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        await pilot.press("d")
        # An admin's list of a user may hold impersonation tokens: the kind shows once bob's
        # are looked up (a pending mark until then, never a guess). The dialog's own text: the
        # list's detail pane, under it, shows the kind too.
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, RevokeDialog) and "personal" in dialog_text(app),
        )
        text = dialog_text(app)
        assert "Revoke “old-laptop”?" in text and "personal" in text and "never" in text
        await pilot.press("x")
        await settle(pilot, app)
        assert frozen_sim.state.tokens[token_id].revoked
        assert app.store.get(token_id).revoked
        assert any("Revoked" in n.message for n in app._notifications)
    [delete] = [r for r in frozen_sim.request_log if r.method == "DELETE"]
    assert delete.path.endswith(f"/{token_id}")


# --- refusals --------------------------------------------------------------------------------


async def test_actions_that_cannot_apply_say_why(frozen_sim, app_factory) -> None:
    revoked = issue(frozen_sim, CAROL, "gone", revoked=True, expires_at=TODAY + timedelta(9))
    expired = issue(frozen_sim, CAROL, "stale", expires_at=TODAY - timedelta(days=2))
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, revoked)
        await pilot.press("r")
        await pilot.press("d")
        await select(pilot, app, expired)
        await pilot.press("r")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("“gone” is revoked" in m for m in messages), messages
        assert any("“gone” is already revoked" in m for m in messages), messages
        assert any("“stale” expired" in m for m in messages), messages
        assert app.screen is app.screen_stack[1]  # no dialog opened
        assert (
            app.actions.refusal("rotate", None) == "No token selected: move to a token in "
            "the list first."
        )
    assert writes(frozen_sim) == []


async def test_create_refused_where_the_api_cannot(frozen_sim, app_factory) -> None:
    # alice (not an admin) cannot create impersonation tokens, not even her own.
    app = app_factory(frozen_sim.user_token, source=("impersonation", str(ALICE)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, CreateWizard)
        assert any(
            "Only an administrator can create impersonation tokens" in n.message
            for n in app._notifications
        )


# --- source picker ---------------------------------------------------------------------------


async def test_source_picker_checks_and_switches(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.admin_token, source=("all", None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, SourcePicker)
        picker.choose("project")
        await pilot.pause()
        await pilot.press(*"platform/nothing", "enter")
        await settle(pilot, app)
        assert app.screen is picker
        error = str(picker.query_one("#source-error", Static).render())
        assert "no project 'platform/nothing'" in error
        assert app.store.source.label == "all tokens"
        picker.query_one("#source-value", Input).value = "1"
        await pilot.press("enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, SourcePicker)
        # Switched by id, shown by its full path.
        assert app.store.source.label == "project platform/api"
        assert app.store.view and all(t.resource_type == "project" for t in app.store.view)


async def test_source_picker_lists_service_accounts(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.admin_token, source=("all", None))
    accounts = [u for u in frozen_sim.state.users.values() if u.provisioned_by_group_id == 1]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        picker = app.screen
        picker.choose("service-account")
        await pilot.pause()
        await pilot.press(*"platform", "enter")
        await settle(pilot, app)
        listed = picker.query_one("#service-accounts", OptionList)
        assert listed.option_count == len(accounts) == 2
        await pilot.press("enter")
        await settle(pilot, app)
        source = app.store.source
        assert source.kind.value == "service_account"
        assert source.user_id in {a.id for a in accounts}


async def test_source_picker_for_a_regular_user(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.user_token)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        picker = app.screen
        offered = [c[0] for c in picker.choices]
        assert "all" not in offered and "impersonation" not in offered
        picker.choose("group")
        await pilot.pause()
        await pilot.press(*"data", "enter")
        await settle(pilot, app)
        # alice is no member of the private group data: GitLab says it does not exist.
        assert "no group 'data'" in str(picker.query_one("#source-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.store.source.label == "my tokens"


# --- help ------------------------------------------------------------------------------------


async def test_help_lists_the_screens_bindings(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.admin_token)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = dict(help_screen.rows)
        assert rows["n"] == "New" and rows["r"] == "Rotate" and rows["t"] == "Source"
        assert any(keys.startswith("d") and "del" in keys for keys in rows)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark", "q")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert app.is_running


async def test_create_outcome_unknown_says_so_and_reloads(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.maintainer_token, source=("project", "platform/api"))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        await fill_name(pilot, "answer-lost")
        toggle_scopes(wizard, ("read_api",))
        frozen_sim.faults.drop_after_action("POST", r"/access_tokens$")
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n")
        await settle(pilot, app)
        assert not isinstance(app.screen, CreateWizard | RevealScreen)
        # The token was looked for by name and time: the dialog says it was created.
        assert isinstance(app.screen, OutcomeDialog)
        assert "was created, but its value is lost" in screen_text(app)
        [record] = new_records(frozen_sim, before)
        # The reload shows what the server has: the token, whose value nobody saw.
        assert app.store.get(record.id) is not None
    assert len([r for r in frozen_sim.request_log if r.method == "POST"]) == 1


async def test_rotate_refused_by_gitlab_is_reported(frozen_sim, app_factory) -> None:
    token_id = issue(frozen_sim, CAROL, "stale-view", expires_at=TODAY + timedelta(days=20))
    app = app_factory(frozen_sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        # Someone revokes it on the web while the list still shows it active.
        frozen_sim.state.tokens[token_id].revoked = True
        await pilot.press("r", "y")
        await settle(pilot, app)
        assert app.is_running
        assert not isinstance(app.screen, RevealScreen)
        messages = [n.message for n in app._notifications]
        assert any("Token already revoked" in m for m in messages), messages


@pytest.mark.parametrize("kind", ["impersonation", "service-account"])
async def test_admin_creates_impersonation_and_service_account_tokens(
    frozen_sim, app_factory, kind
) -> None:
    if kind == "impersonation":
        owner, value = CAROL, str(CAROL)
    else:
        owner = min(u.id for u in frozen_sim.state.users.values() if u.provisioned_by_group_id == 1)
        value = f"platform:{owner}"
    app = app_factory(frozen_sim.admin_token, source=(kind, value))
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateWizard))
        wizard = app.screen
        assert wizard.steps == ("name", "scopes", "expiry", "review")
        await fill_name(pilot, f"{kind}-token")
        toggle_scopes(wizard, ("read_api",))
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await settle(pilot, app)
        assert isinstance(app.screen, RevealScreen)
    [record] = new_records(frozen_sim, before)
    assert (record.user_id, record.scopes) == (owner, ("read_api",))
    assert record.impersonation == (kind == "impersonation")
    assert record.kind.value == kind.replace("-", "_")


@pytest.mark.parametrize(
    ("err", "step"),
    [
        (ValidationFailed("x", status=400, field_errors={"scopes": ["is invalid"]}), "scopes"),
        (ValidationFailed("GitLab refused the input: name is missing", status=400), "name"),
        (ValidationFailed("Expiration date must be before 2027-11-23", status=422), "expiry"),
        (
            ValidationFailed("x", status=400, field_errors={"expires_at": ["can't be blank"]}),
            "expiry",
        ),
        (NotFound("404 User Not Found", status=404), "target"),
        (ValidationFailed("Access token limit reached", status=400), "review"),
    ],
)
def test_errors_map_to_their_step(err, step) -> None:
    steps = ("target", "name", "scopes", "expiry", "review")
    assert step_for_error(err, steps) == step


async def test_closing_the_picker_during_a_check_keeps_the_source(frozen_sim, app_factory) -> None:
    app = app_factory(frozen_sim.admin_token, source=("all", None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        app.screen.choose("project")
        await pilot.pause()
        frozen_sim.faults.latency_ms = 1500  # the check is still out when esc arrives
        await pilot.press(*"platform/api", "enter", "escape")
        await settle(pilot, app)
        frozen_sim.faults.latency_ms = 0
        assert not isinstance(app.screen, SourcePicker)
        assert app.store.source.label == "all tokens"
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_self_rotation_with_a_token_from_the_environment(frozen_sim, app_factory) -> None:
    # No profile to save into (GITLAB_TOKEN): the reveal says where the value must go.
    app = app_factory(frozen_sim.admin_token, source=("mine", None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        old_id = app.self_token.id
        await select(pilot, app, old_id)
        await pilot.press("r", "y")
        await settle(pilot, app)
        warning = str(app.screen.query_one("#reveal-warning", Static).render())
        assert "NOT SAVED" in warning and "GITLAB_TOKEN" in warning
        assert frozen_sim.state.tokens[old_id].revoked
        assert app.self_token.id != old_id


async def test_self_rotation_in_the_demo_needs_no_warning() -> None:
    from tokentui.tui.demo import make_demo_app

    app = make_demo_app(clock=FrozenClock(FROZEN_NOW), tokens=30, source_choice=("mine", None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        old_id = app.self_token.id
        await select(pilot, app, old_id)
        await pilot.press("r", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, RevealScreen)
        assert not app.screen.query("#reveal-warning")
        assert app.simulator.state.tokens[old_id].revoked
    await app.client.aclose()
