"""``tokentui identify`` (issue 15, leak response), in process against the real simulator over
loopback HTTP, plus two runs on a real pseudo-terminal (the hidden prompt and the y/N question).

The value comes from stdin here (a pipe); the tests check what it says, the exit codes, the
server state after ``--revoke``, and that the value never reaches stdout, stderr or a request
line."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import pytest
from cli_helpers import Run, clean_environment, run_tokentui

from tokentui.simulator import Simulator

ALICE, BOB = 2, 3


@pytest.fixture
def run(sim: Simulator, tmp_path, monkeypatch, capsys):
    """``run(*argv, stdin=VALUE, token=credential or None)``: tokentui in process."""
    clean_environment(monkeypatch, tmp_path / "config")

    def invoke(*argv: str, stdin: str = "", token: str | None = "admin") -> Run:
        credential = sim.admin_token if token == "admin" else token
        result = run_tokentui(
            monkeypatch, capsys, argv, url=sim.url, token=credential, stdin=stdin + "\n"
        )
        if stdin.strip():
            assert stdin.strip() not in result.out + result.err
        return result

    return invoke


def no_value_in_requests(sim: Simulator, value: str) -> None:
    for entry in sim.request_log:
        assert value not in entry.path + entry.query


def test_a_personal_token_is_described_by_itself(sim: Simulator, run) -> None:
    value = sim.issue_token(ALICE, name="laptop", scopes=["read_api"])
    token_id = sim.token_record(value).id
    result = run("identify", stdin=value, token=None)  # no credential configured at all
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == (
        "value:      glpat-… (personal, project, group or impersonation token; "
        "legacy or unrecognised shape)"
    )
    assert (
        "found:      yes, looked up with the value itself (GET /personal_access_tokens/self)"
        in lines
    )
    assert "kind:       personal access token" in lines
    assert "name:       laptop" in lines
    assert f"id:         {token_id}" in lines
    assert f"owner:      alice (user {ALICE})" in lines
    assert "scopes:     read_api" in lines
    assert "state:      active" in lines
    assert any(line.startswith("last IPs:   127.0.0.1") for line in lines)
    assert not sim.token_record(value).revoked
    assert sim.requests("DELETE") == []
    no_value_in_requests(sim, value)


def test_a_project_token_names_its_project(sim: Simulator, run) -> None:
    value = sim.issue_resource_token("project", 1, name="ci-bot", scopes=["read_api"])
    result = run("identify", "--json", stdin=value, token=None)
    data = json.loads(result.out)
    assert result.code == 0
    assert (data["kind"], data["resource"], data["state"]) == (
        "project access token",
        "platform/api (project)",
        "active",
    )
    assert data["scopes"] == ["read_api"]
    assert value not in result.out


def test_scopes_too_narrow_to_read_the_owner(sim: Simulator, run) -> None:
    value = sim.issue_token(ALICE, name="git-only", scopes=["read_repository"])
    alone = run("identify", stdin=value, token=None)
    assert alone.code == 0
    assert f"owner:      user {ALICE}" in alone.out
    assert f"note:       the owner (user {ALICE}) could not be read with these scopes" in alone.out
    # With a configured credential, the owner is read with it instead.
    helped = run("identify", stdin=value)
    assert f"owner:      alice (user {ALICE})" in helped.out


def test_revoke_with_the_value_itself(sim: Simulator, run) -> None:
    value = sim.issue_token(ALICE, name="leaked", scopes=["read_api"])
    result = run("identify", "--revoke", stdin=value, token=None)
    assert result.code == 0
    assert sim.token_record(value).revoked
    assert (
        "tokentui: revoked with the value itself (DELETE /personal_access_tokens/self)"
        in result.err
    )
    [delete] = sim.requests("DELETE")
    assert delete.path.endswith("/personal_access_tokens/self")
    no_value_in_requests(sim, value)


def test_an_expired_token_is_found_and_revoked_by_an_admin(sim: Simulator, run) -> None:
    value = sim.issue_token(
        ALICE, name="old", scopes=["api"], expires_at=sim.today() - timedelta(days=2)
    )
    result = run("identify", "--revoke", stdin=value)
    assert result.code == 0, result.err
    assert "found:      yes, looked up with an administrator's credential (POST /admin/token)" in (
        result.out
    )
    assert "state:      expired" in result.out
    assert "note:       the value itself cannot be used: GitLab says it has expired" in result.out
    # The admin revokes it by id first (its own credential, not the value).
    token_id = sim.token_record(value).id
    assert f"tokentui: revoked by id {token_id} with your configured credential" in result.err
    assert sim.token_record(value).revoked
    no_value_in_requests(sim, value)


def test_a_deploy_token_needs_an_admin(sim: Simulator, run) -> None:
    value = sim.issue_deploy_token("project", 1, name="registry")
    as_user = run("identify", stdin=value, token=sim.user_token)
    assert as_user.code == 1
    assert "found:      no" in as_user.out
    assert "note:       a deploy token cannot describe itself through the REST API" in as_user.out
    assert (
        "note:       your credential is not an administrator's: POST /admin/token is not open"
        in as_user.out
    )
    as_admin = run("identify", "--revoke", stdin=value)
    assert as_admin.code == 0
    assert "kind:       deploy token" in as_admin.out
    assert "name:       registry" in as_admin.out
    assert "tokentui: revoked with an administrator's credential (DELETE /admin/token)" in (
        as_admin.err
    )
    assert sim.deploy_token_record(value).revoked
    no_value_in_requests(sim, value)


def test_an_unknown_value(sim: Simulator, run) -> None:
    result = run("identify", stdin="glpat-" + "q" * 20)
    assert result.code == 1
    assert "found:      no" in result.out
    assert "GitLab knows no token with this value" in result.out


def test_a_value_on_the_command_line_is_refused_and_not_repeated(sim: Simulator, run) -> None:
    value = sim.issue_token(ALICE, name="leaked", scopes=["api"])
    result = run("identify", value)
    assert result.code == 2
    assert value not in result.out + result.err
    assert "pipe it instead" in result.err
    assert sim.request_log == []
    other = run("identify", "--revoke", "hello")
    assert other.code == 2 and "identify takes no arguments" in other.err


def test_empty_input(sim: Simulator, run) -> None:
    result = run("identify", stdin="")
    assert (result.code, result.err.strip()) == (2, "tokentui: error: no token given")


@pytest.mark.slow
@pytest.mark.parametrize("answer", ["", "y"])
def test_on_a_terminal_hidden_prompt_and_a_question_defaulting_to_no(
    sim: Simulator, tmp_path, answer: str
) -> None:
    from pty_terminal import PtyProcess
    from test_hostile_scrollback import child_env

    value = sim.issue_token(ALICE, name="pasted", scopes=["api"])
    env = child_env(sim, tmp_path)
    argv = [sys.executable, "-m", "tokentui.cli", "identify", "--url", sim.url]
    with PtyProcess(argv, env) as term:
        term.wait_for_text("Token (input hidden):")
        term.send(value + "\r")
        term.wait_for_text("[y/N]")
        assert "name:       pasted" in term.text()
        term.send(answer + "\r")
        code = term.wait_exit()
        raw = bytes(term.raw)
    assert code == 0
    assert value.encode() not in raw  # the prompt did not echo it
    assert sim.token_record(value).revoked is (answer == "y")


def test_an_impersonation_token_cannot_revoke_itself_so_the_admin_does(sim: Simulator, run) -> None:
    value = sim.issue_token(ALICE, name="support", scopes=["api"], impersonation=True)
    result = run("identify", "--revoke", stdin=value)
    assert result.code == 0, result.err
    token_id = sim.token_record(value).id
    assert "tokentui: tried with the value itself (DELETE /personal_access_tokens/self): " in (
        result.err
    )
    assert "Not permitted to revoke" in result.err
    assert f"tokentui: revoked by id {token_id} with your configured credential" in result.err
    assert sim.token_record(value).revoked
    deletes = [r.path for r in sim.requests("DELETE")]
    assert deletes[0].endswith("/personal_access_tokens/self")
    assert deletes[1].endswith(f"/personal_access_tokens/{token_id}")


def test_nothing_can_revoke_an_expired_value_without_an_admin(sim: Simulator, run) -> None:
    value = sim.issue_token(
        ALICE, name="old", scopes=["api"], expires_at=sim.today() - timedelta(days=2)
    )
    result = run("identify", "--revoke", stdin=value, token=None)
    assert result.code == 2
    assert result.err.strip().endswith(
        "tokentui: error: the token was not revoked: no way to revoke it from here: the value "
        "cannot be used, and no administrator's credential is configured"
    )
    assert sim.requests("DELETE") == []


def test_the_debug_log_never_holds_the_value(sim: Simulator, run, tmp_path, monkeypatch) -> None:
    from tokentui.core import logging_setup

    logs = tmp_path / "logs"
    monkeypatch.setenv(logging_setup.LOG_DIR_ENV, str(logs))
    monkeypatch.setenv("TOKENTUI_DEBUG", "1")
    expired = sim.issue_token(
        ALICE, name="old", scopes=["api"], expires_at=sim.today() - timedelta(days=2)
    )
    live = sim.issue_token(ALICE, name="live", scopes=["api"])
    deploy = sim.issue_deploy_token("project", 1, name="registry")
    try:
        for value in (expired, live, deploy):
            assert run("identify", "--revoke", stdin=value).code == 0
    finally:
        logging_setup.disable_debug_log()
    log = logs / logging_setup.LOG_FILE
    assert log.is_file() and "/admin/token" in log.read_text()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert all(v.encode() not in data for v in (expired, live, deploy)), path


@pytest.mark.parametrize("flag", ["--token", "--token=", "--private-token="])
def test_an_unknown_option_with_a_value_is_not_repeated(sim: Simulator, run, flag: str) -> None:
    value = sim.issue_token(ALICE, name="leaked", scopes=["api"])
    argv = [flag + value] if flag.endswith("=") else [flag, value]
    result = run("identify", *argv)
    assert result.code == 2
    assert value not in result.out + result.err
    assert "unrecognized option(s) (" in result.err and "pipe it instead" in result.err
    assert sim.request_log == []
