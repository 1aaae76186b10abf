"""Writes whose outcome is unknown (issue 11, item 17).

A proxy's 502/504 to a POST/DELETE, after GitLab acted or before: the write is never sent
again; the token is read back and the user told what happened (rotated with a lost value and
the successor to rotate; not rotated, safe to try again; revoked or not; created or not); a
proxy's HTML page is summarised by its title. Everything against the real simulator over
loopback HTTP (``sim.faults.proxy_error``), the CLI in process, the TUI through Pilot.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_cli import cli  # noqa: F401  (fixture)
from test_tui_actions import (
    CAROL,
    FROZEN_NOW,
    TODAY,
    app_factory,  # noqa: F401  (fixture)
    fill_name,
    issue,
    new_records,
    screen_text,
    select,
    settle,
    toggle_scopes,
)
from textual.widgets import Static

from tokentui.core.write_outcome import Finding
from tokentui.gitlab import errors
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.sources import PersonalTokens
from tokentui.tui.screens.confirm import RevokeDialog, RotateDialog
from tokentui.tui.screens.create import CreateWizard
from tokentui.tui.screens.outcome import OutcomeDialog
from tokentui.tui.screens.reveal import RevealScreen

HTML_MARKS = ("<html", "<center", "<body", "<!DOCTYPE", "nginx</center>")


async def instant(delay: float) -> None:
    """A retry wait that does not wait."""


def posts(sim, suffix: str) -> list:
    return [r for r in sim.request_log if r.method == "POST" and r.path.endswith(suffix)]


def writes(sim) -> list:
    return [r for r in sim.request_log if r.method in ("POST", "DELETE", "PUT", "PATCH")]


def carol_token(sim, name: str) -> int:
    value = sim.issue_token(CAROL, name=name, scopes=("api",))
    return sim.token_record(value).id


def successors_of(sim, token_id: int) -> list:
    return [t for t in sim.state.tokens.values() if t.previous_id == token_id]


# --- the API layer --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 504])
@pytest.mark.parametrize("acted", [True, False])
async def test_a_proxy_error_on_a_write_is_outcome_unknown_and_never_resent(
    sim, status: int, acted: bool
) -> None:
    token_id = carol_token(sim, "behind-nginx")
    sim.faults.proxy_error("POST", r"/rotate$", status, after_action=acted)
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant) as client:
        with pytest.raises(errors.OutcomeUnknown) as info:
            await client.rotate_token(PersonalTokens(user_id=CAROL), token_id)
    err = info.value
    assert err.status == status
    assert err.where == f"POST /personal_access_tokens/{token_id}/rotate"
    title = {502: "502 Bad Gateway", 504: "504 Gateway Time-out"}[status]
    assert f"titled “{title}”" in str(err)
    assert not any(mark in str(err) for mark in HTML_MARKS), str(err)
    assert len(posts(sim, "/rotate")) == 1
    assert sim.state.tokens[token_id].revoked is acted


async def test_a_503_on_a_write_is_a_plain_server_error_and_an_html_read_is_summarised(
    sim,
) -> None:
    token_id = carol_token(sim, "maintenance")
    sim.faults.proxy_error("DELETE", r"/personal_access_tokens/\d+$", 503, after_action=False)
    sim.faults.proxy_error("GET", r"/user$", 502, after_action=False, times=None)
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant) as client:
        with pytest.raises(errors.ServerError) as refused:
            await client.revoke_token(PersonalTokens(user_id=CAROL), token_id)
        with pytest.raises(errors.ServerError) as read:
            await client.current_user()
    assert not isinstance(refused.value, errors.OutcomeUnknown)
    assert "titled “503 Service Temporarily Unavailable”" in str(refused.value)
    assert "GitLab had a server error (HTTP 502) on GET /user" in str(read.value)
    assert "titled “502 Bad Gateway”" in str(read.value)
    for err in (refused.value, read.value):
        assert not any(mark in str(err) for mark in HTML_MARKS), str(err)
    # The read was retried as reads are; the write was sent once.
    assert len([r for r in sim.request_log if r.path.endswith("/user")]) > 1
    assert len(writes(sim)) == 1 and not sim.state.tokens[token_id].revoked


# --- the CLI --------------------------------------------------------------------------------


def test_cli_rotate_that_acted_names_the_successor_and_the_command(sim, cli) -> None:  # noqa: F811
    token_id = carol_token(sim, "deploy-key\x1b]52;c;aGk=\x07")
    sim.faults.proxy_error("POST", r"/rotate$", 502, after_action=True)
    result = cli("rotate", str(token_id), "--user", str(CAROL))
    [successor] = successors_of(sim, token_id)
    assert result.code == 2, result.err
    assert result.out == ""
    assert "Traceback" not in result.err
    assert "titled “502 Bad Gateway”" in result.err
    assert not any(mark in result.err for mark in HTML_MARKS), result.err
    assert "was rotated, but the new value is lost for good" in result.err
    # The name is server text: visible escapes, no raw control character.
    assert "deploy-key\\x1b]52;c;aGk=\\x07" in result.err and "\x1b" not in result.err
    assert f"successor, token {successor.id}" in result.err
    assert f"run: tokentui rotate {successor.id} --user {CAROL}" in result.err
    # Never re-sent, and no second write on the user's behalf.
    assert len(writes(sim)) == 1
    assert not sim.state.tokens[successor.id].revoked


def test_cli_rotate_of_a_project_token_that_acted(sim, cli) -> None:  # noqa: F811
    made = cli(
        "create", "--project", "platform/api", "--name", "bot-deploy", "--scope", "api",
        "--duration", "30d", "--json", token=sim.maintainer_token,
    )  # fmt: skip
    assert made.code == 0, made.err
    token_id = made.json()["id"]
    sim.faults.proxy_error("POST", r"/access_tokens/\d+/rotate$", 504, after_action=True)
    result = cli("rotate", str(token_id), "--project", "platform/api", token=sim.maintainer_token)
    [successor] = successors_of(sim, token_id)
    assert result.code == 2, result.err
    assert f"successor, token {successor.id}" in result.err
    assert f"run: tokentui rotate {successor.id} --project platform/api" in result.err
    assert len(posts(sim, "/rotate")) == 1


def test_cli_rotate_that_did_not_act_says_it_is_safe_to_try_again(sim, cli) -> None:  # noqa: F811
    token_id = carol_token(sim, "deploy-key")
    sim.faults.proxy_error("POST", r"/rotate$", 504, after_action=False)
    result = cli("rotate", str(token_id), "--user", str(CAROL))
    assert result.code == 2, result.err
    assert "was not rotated" in result.err and "safe to try again" in result.err
    assert "titled “504 Gateway Time-out”" in result.err
    assert not sim.state.tokens[token_id].revoked and not successors_of(sim, token_id)
    assert len(writes(sim)) == 1


@pytest.mark.parametrize("acted", [True, False])
def test_cli_revoke_reads_back(sim, cli, acted: bool) -> None:  # noqa: F811
    token_id = carol_token(sim, "old-laptop")
    sim.faults.proxy_error(
        "DELETE", rf"/personal_access_tokens/{token_id}$", 502, after_action=acted
    )
    result = cli("revoke", str(token_id), "--yes")
    assert result.code == 2, result.err
    if acted:
        assert f"Token {token_id} “old-laptop” was revoked." in result.err
    else:
        assert "was not revoked" in result.err and "safe to try again" in result.err
    assert sim.state.tokens[token_id].revoked is acted
    assert len(writes(sim)) == 1


@pytest.mark.parametrize("acted", [True, False])
def test_cli_create_looks_for_the_token_by_name_and_time(sim, cli, acted: bool) -> None:  # noqa: F811
    before = set(sim.state.tokens)
    sim.faults.proxy_error("POST", r"/personal_access_tokens$", 502, after_action=acted)
    result = cli("create", "--user", str(CAROL), "--name", "nightly", "--scope", "read_api")
    assert result.code == 2, result.err
    assert result.out == ""
    made = [t for t in sim.state.tokens.values() if t.id not in before]
    if acted:
        [record] = made
        assert "was created, but its value is lost for good" in result.err
        assert f"token {record.id}" in result.err and "Revoke" in result.err
    else:
        assert made == []
        assert "was not created" in result.err and "safe to try again" in result.err
    assert len(writes(sim)) == 1


@pytest.mark.parametrize("acted", [True, False])
def test_cli_self_rotation_with_a_lost_answer(sim, cli, acted: bool) -> None:  # noqa: F811
    value = sim.issue_token(CAROL, name="my-credential", scopes=("api",))
    record = sim.token_record(value)
    sim.faults.proxy_error("POST", r"/self/rotate$", 502, after_action=acted)
    result = cli("rotate", "self", token=value)
    assert result.code == 2, result.err
    assert result.out == ""
    if acted:
        assert "the stored credential" in result.err
        assert "no longer works" in result.err and "tokentui auth login" in result.err
    else:
        assert "was not rotated" in result.err and "safe to try again" in result.err
    assert sim.state.tokens[record.id].revoked is acted
    assert len(writes(sim)) == 1


# --- the TUI --------------------------------------------------------------------------------


def dialog_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def test_tui_rotate_that_acted_offers_the_successor_in_one_step(
    frozen_sim,
    app_factory,  # noqa: F811
) -> None:
    sim = frozen_sim
    token_id = issue(sim, CAROL, "ci-runner", expires_at=TODAY + timedelta(days=20))
    app = app_factory(sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        sim.faults.proxy_error("POST", r"/rotate$", 502, after_action=True)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RotateDialog)
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, OutcomeDialog)
        [successor] = successors_of(sim, token_id)
        text = dialog_text(app)
        assert "Rotated, but the new value is lost" in text
        assert f"successor, token {successor.id}" in text
        assert "titled “502 Bad Gateway”" in text
        assert not any(mark in text for mark in HTML_MARKS), text
        assert len(posts(sim, f"/{token_id}/rotate")) == 1  # never re-sent
        # One step: rotate the successor, and its new value is revealed.
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, RevealScreen)
        [newest] = successors_of(sim, successor.id)
        assert sim.state.tokens[successor.id].revoked and not newest.revoked
        shown = str(app.screen.query_one("#reveal-value", Static).render()).strip()
        assert sim.state.token_by_secret(shown).id == newest.id
    assert len(posts(sim, f"/{token_id}/rotate")) == 1
    assert len(posts(sim, f"/{successor.id}/rotate")) == 1


async def test_tui_rotate_that_did_not_act_says_safe_to_try_again(
    frozen_sim,
    app_factory,  # noqa: F811
) -> None:
    sim = frozen_sim
    token_id = issue(sim, CAROL, "ci-runner", expires_at=TODAY + timedelta(days=20))
    app = app_factory(sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        sim.faults.proxy_error("POST", r"/rotate$", 504, after_action=False)
        await pilot.press("r", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, OutcomeDialog)
        text = dialog_text(app)
        assert "Not rotated: safe to try again" in text and "still active" in text
        await pilot.press("enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, OutcomeDialog | RevealScreen)
    assert not sim.state.tokens[token_id].revoked and not successors_of(sim, token_id)
    assert len(writes(sim)) == 1


@pytest.mark.parametrize("acted", [True, False])
async def test_tui_revoke_reads_back(frozen_sim, app_factory, acted: bool) -> None:  # noqa: F811
    sim = frozen_sim
    token_id = issue(sim, CAROL, "old-laptop", expires_at=TODAY + timedelta(days=20))
    app = app_factory(sim.admin_token, source=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select(pilot, app, token_id)
        sim.faults.proxy_error("DELETE", rf"/{token_id}$", 502, after_action=acted)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, RevokeDialog)
        await pilot.press("x")
        await settle(pilot, app)
        assert isinstance(app.screen, OutcomeDialog)
        text = dialog_text(app)
        if acted:
            assert "Revoked" in text and "GitLab shows it revoked" in text
            assert app.store.get(token_id).revoked
        else:
            assert "Not revoked: safe to try again" in text
            assert not app.store.get(token_id).revoked
    assert sim.state.tokens[token_id].revoked is acted
    assert len(writes(sim)) == 1


@pytest.mark.parametrize("acted", [True, False])
async def test_tui_create_reads_back(frozen_sim, app_factory, acted: bool) -> None:  # noqa: F811
    sim = frozen_sim
    app = app_factory(sim.maintainer_token, source=("project", "platform/api"))
    before = set(sim.state.tokens)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        await fill_name(pilot, "answer-lost")
        toggle_scopes(wizard, ("read_api",))
        sim.faults.proxy_error("POST", r"/access_tokens$", 502, after_action=acted)
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n")
        await settle(pilot, app)
        assert isinstance(app.screen, OutcomeDialog)
        text = dialog_text(app)
        if acted:
            [record] = new_records(sim, before)
            assert "Created, but the value is lost" in text and f"token {record.id}" in text
            assert app.store.get(record.id) is not None
        else:
            assert new_records(sim, before) == []
            assert "Not created: safe to try again" in text
    assert len(writes(sim)) == 1


@pytest.mark.parametrize("acted", [True, False])
async def test_tui_self_rotation_with_a_lost_answer(
    frozen_sim,
    app_factory,  # noqa: F811
    acted: bool,
) -> None:
    sim = frozen_sim
    saved: list = []
    app = app_factory(sim.admin_token, source=("mine", None), save_credential=saved.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        self_id = app.self_token.id
        await select(pilot, app, self_id)
        sim.faults.proxy_error("POST", r"/self/rotate$", 502, after_action=acted)
        await pilot.press("r", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, OutcomeDialog)
        verdict = app.screen.verdict
        text = screen_text(app)
        if acted:
            assert verdict.finding is Finding.DONE and verdict.credential_dead
            assert "the stored credential no longer works" in text
            assert "tokentui auth login" in text
            # Nothing to rotate in one step: the only credential is dead.
            assert app.screen.offered is None
        else:
            assert verdict.finding is Finding.NOT_DONE
            assert "safe to try again" in text
    assert saved == []
    assert sim.state.tokens[self_id].revoked is acted
    assert len(writes(sim)) == 1
    assert FROZEN_NOW  # the app and the simulator share the frozen clock
