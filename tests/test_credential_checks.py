"""The credential checks both fronts share (``tokentui.gitlab.credential_check``), the
"expiring within" rule, and the CLI's confirmations, end to end against the simulator.

* Every rotate, from the CLI and from the TUI, asks ``GET /personal_access_tokens/self`` before
  the rotate request, and a rejected credential (rotated elsewhere) never reaches a rotate
  endpoint (GitLab's reuse detection would revoke its whole family).
* The CLI tells a bare 401 for a dead credential from one for "not allowed", like the TUI.
* "Expiring within N days" lists active tokens only, in ``list`` and in the TUI's filter.
* The rotate summary and the revoke question print a hostile name and scope escaped, once.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import timedelta

import httpx
import pytest
from hostile_helpers import Result, Run, cli_runner
from tui_helpers import FROZEN_NOW, settle, sim_app, wait_for

from tokentui.cli.commands import tokens as token_commands
from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.terminal_text import escape
from tokentui.tui.screens.confirm import RotateDialog
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.screens.unauthorized import UnauthorizedScreen
from tokentui.tui.widgets.filter_bar import CycleField
from tokentui.tui.widgets.token_table import TokenTable

ALICE, BOB, CAROL = 2, 3, 4
SELF_PATH = "/personal_access_tokens/self"
TODAY = FROZEN_NOW.date()


@pytest.fixture
def cli(sim, tmp_path, monkeypatch, capsys) -> Run:
    """``cli(*argv, token=...)``: tokentui's CLI in process against ``sim`` (admin by default),
    with an empty configuration directory."""
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return cli_runner(monkeypatch, capsys, sim)


def issue(sim, user_id: int, name: str, **kwargs) -> tuple[str, int]:
    """A token made on the server: its value and id."""
    kwargs.setdefault("expires_at", sim.today() + timedelta(days=30))
    value = sim.issue_token(user_id, name=name, scopes=kwargs.pop("scopes", ("api",)), **kwargs)
    return value, sim.token_record(value).id


def since(sim, mark: int) -> list[tuple[str, str]]:
    """(method, path) of every request after the first ``mark``."""
    return [(r.method, r.path) for r in sim.request_log[mark:]]


def first_index(requests: list[tuple[str, str]], method: str, path_end: str) -> int:
    for index, (m, path) in enumerate(requests):
        if m == method and path.endswith(path_end):
            return index
    raise AssertionError(f"no {method} …{path_end} in {requests}")


def rotate_elsewhere(sim, value: str) -> int:
    """Rotate the credential ``value`` as another program would (plain HTTP); the new id."""
    answer = httpx.post(
        f"{sim.url}/api/v4{SELF_PATH}/rotate", headers={"PRIVATE-TOKEN": value}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


# --- 1. the rotate pre-flight, CLI ------------------------------------------------------------


def test_cli_rotate_by_id_asks_for_the_token_in_use_first(sim, cli) -> None:
    _, token_id = issue(sim, CAROL, "by-id")
    mark = len(sim.request_log)
    result = cli("rotate", str(token_id))
    assert result.code == 0, result.err
    requests = since(sim, mark)
    assert first_index(requests, "GET", SELF_PATH) < first_index(
        requests, "POST", f"/personal_access_tokens/{token_id}/rotate"
    )


def test_cli_rotate_self_asks_for_the_token_in_use_first(sim, cli) -> None:
    value, _ = issue(sim, ALICE, "self")
    mark = len(sim.request_log)
    result = cli("rotate", "self", token=value)
    assert result.code == 0, result.err
    requests = since(sim, mark)
    assert first_index(requests, "GET", SELF_PATH) < first_index(
        requests, "POST", f"{SELF_PATH}/rotate"
    )


@pytest.mark.parametrize("target", ["self", "id"])
def test_cli_credential_rotated_elsewhere_never_reaches_a_rotate_endpoint(
    sim, cli, target: str
) -> None:
    value, _ = issue(sim, ALICE, "rotated-elsewhere")
    _, other = issue(sim, ALICE, "another")
    successor = rotate_elsewhere(sim, value)
    mark = len(sim.request_log)
    result = cli("rotate", "self" if target == "self" else str(other), token=value)
    assert result.code == 2 and "revoked" in result.err, result.err
    assert [r for r in since(sim, mark) if r[0] == "POST"] == []
    # Reuse detection was not triggered: the value that replaced it still works.
    assert not sim.state.tokens[successor].revoked
    assert not sim.state.tokens[other].revoked


# --- 1. the rotate pre-flight, TUI ------------------------------------------------------------


async def _open_rotate_dialog(pilot, app, token_id: int) -> None:
    await settle(pilot)
    assert app.screen.query_one(TokenTable).select_token(token_id)
    await pilot.pause()
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, RotateDialog))


async def test_tui_rotate_asks_for_the_token_in_use_first(frozen_sim) -> None:
    _, token_id = issue(frozen_sim, CAROL, "tui-by-id")
    app = sim_app(frozen_sim, clock=FrozenClock(FROZEN_NOW), source_choice=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_rotate_dialog(pilot, app, token_id)
        mark = len(frozen_sim.request_log)  # the start-up's own GET self is before this
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))
    requests = since(frozen_sim, mark)
    assert first_index(requests, "GET", SELF_PATH) < first_index(
        requests, "POST", f"/personal_access_tokens/{token_id}/rotate"
    )
    assert frozen_sim.state.tokens[token_id].revoked


async def test_tui_credential_rotated_elsewhere_never_reaches_a_rotate_endpoint(
    frozen_sim,
) -> None:
    value, _ = issue(frozen_sim, ALICE, "tui-session")
    _, other = issue(frozen_sim, ALICE, "tui-other")
    app = sim_app(
        frozen_sim, as_user=value, clock=FrozenClock(FROZEN_NOW), source_choice=("mine", None)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_rotate_dialog(pilot, app, other)
        successor = rotate_elsewhere(frozen_sim, value)
        mark = len(frozen_sim.request_log)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, UnauthorizedScreen))
        assert "revoked" in str(app.screen.query_one("#unauthorized-text").render())
    requests = since(frozen_sim, mark)
    first_index(requests, "GET", SELF_PATH)  # asked, and answered 401: nothing posted
    assert [r for r in requests if r[0] == "POST"] == []
    assert not frozen_sim.state.tokens[successor].revoked
    assert not frozen_sim.state.tokens[other].revoked


# --- 2. the CLI tells a dead credential from "not allowed" ------------------------------------


def _one_error_line(result: Result) -> str:
    assert result.code == 2, result.err
    assert result.err.startswith("tokentui: error: ") and len(result.err.splitlines()) == 1
    return result.err


@pytest.mark.parametrize("command", ["show", "rotate"])
def test_cli_live_credential_refused_says_not_allowed(sim, cli, command: str) -> None:
    _, bobs = issue(sim, BOB, "bobs")
    mark = len(sim.request_log)
    err = _one_error_line(cli(command, str(bobs), token=sim.user_token))  # alice
    assert "credential still works" in err and "not allowed" in err
    assert "auth login" not in err and "unknown to this instance" not in err
    assert ("GET", SELF_PATH) in [(m, p.removeprefix("/api/v4")) for m, p in since(sim, mark)]
    assert not sim.state.tokens[bobs].revoked


def test_cli_unknown_credential_says_it_is_not_accepted(sim, cli) -> None:
    err = _one_error_line(cli("show", "1", token="glpat-" + "0" * 20))
    assert "does not accept your token" in err and "401" in err
    assert "tokentui auth login" in err
    assert "not allowed" not in err and "or it may not do" not in err


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_cli_dead_credential_says_revoked_or_expired_and_the_next_step(
    sim, cli, state: str
) -> None:
    if state == "revoked":
        value, _ = issue(sim, ALICE, "dead", revoked=True)
    else:
        value, _ = issue(sim, ALICE, "dead", expires_at=sim.today() - timedelta(days=1))
    err = _one_error_line(cli("show", "1", token=value))
    assert state in err and "tokentui auth login" in err
    assert "not allowed" not in err


# --- 4. "expiring within" lists active tokens only --------------------------------------------


def test_cli_expiring_within_leaves_revoked_tokens_out(sim, cli) -> None:
    tomorrow = sim.today() + timedelta(days=1)
    issue(sim, CAROL, "soon-live", expires_at=tomorrow)
    issue(sim, CAROL, "soon-revoked", expires_at=tomorrow, revoked=True)
    listed = cli("list", "--user", str(CAROL), "--expiring-within", "7d", "--json")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    names = {row["name"] for row in rows}
    assert "soon-live" in names and "soon-revoked" not in names
    assert all(row["state"] == "active" for row in rows)
    monitored = cli("expiring", "--within", "7d", "--user", str(CAROL), "--json")
    assert monitored.code == 1, monitored.err
    assert {row["name"] for row in json.loads(monitored.out)} == names


async def test_tui_expiring_filter_leaves_revoked_tokens_out(frozen_sim) -> None:
    tomorrow = TODAY + timedelta(days=1)
    _, live = issue(frozen_sim, CAROL, "soon-live", expires_at=tomorrow)
    _, revoked = issue(frozen_sim, CAROL, "soon-revoked", expires_at=tomorrow, revoked=True)
    app = sim_app(frozen_sim, clock=FrozenClock(FROZEN_NOW), source_choice=("user", str(CAROL)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ids = {t.id for t in app.screen.query_one(TokenTable).rows}
        assert {live, revoked} <= ids  # both listed without the filter
        app.screen.query_one("#filter-expiring", CycleField).set_value(7)
        await pilot.pause()
        await settle(pilot)
        ids = {t.id for t in app.screen.query_one(TokenTable).rows}
        assert live in ids and revoked not in ids


# --- 5. the CLI's rotate summary and revoke question, hostile text -----------------------------

HOSTILE_NAME = "back\\slash \x1b[2J\u202eeman"
HOSTILE_SCOPE = "\x1b]52;c;aGk=\x07"


def _hostile_token(sim) -> int:
    _, token_id = issue(sim, CAROL, HOSTILE_NAME)
    sim.state.tokens[token_id].scopes = ("api", HOSTILE_SCOPE)
    return token_id


def _shown_safely(err: str) -> None:
    assert f"'{escape(HOSTILE_NAME)}'" in err, err
    assert escape(HOSTILE_SCOPE) in err, err
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "\\\\" not in err  # escaped once, not put through repr


def test_cli_rotate_summary_escapes_the_name_and_scopes(sim, cli) -> None:
    result = cli("rotate", str(_hostile_token(sim)))
    assert result.code == 0, result.err
    _shown_safely(result.err)


def test_cli_revoke_question_escapes_the_name_and_scopes(sim, cli, monkeypatch) -> None:
    token_id = _hostile_token(sim)
    monkeypatch.setattr(token_commands, "_on_terminal", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    result = cli("revoke", str(token_id))
    assert result.code == 1, result.err
    _shown_safely(result.err)
    assert not sim.state.tokens[token_id].revoked
