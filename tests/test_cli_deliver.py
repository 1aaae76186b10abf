"""Delivering a rotated value to a CI/CD variable (issue 15): ``tokentui deliver set|list|unset``
and ``tokentui rotate`` with a target, in process against the real simulator. The tests check
the variable's value on the simulator, the config file (no secret), exit codes, and that the
value never reaches stderr (nor stdout when it was delivered)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cli_helpers import Run, clean_environment, run_tokentui

from tokentui.simulator import Simulator

ALICE = 2
OLD = "old-value-0123456789"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def run(sim: Simulator, config_dir: Path, monkeypatch, capsys):
    clean_environment(monkeypatch, config_dir)

    def invoke(*argv: str, token: str | None = None) -> Run:
        token = token or sim.admin_token
        return run_tokentui(monkeypatch, capsys, argv, url=sim.url, token=token, stdin="")

    return invoke


def alice_token(sim: Simulator) -> int:
    value = sim.issue_token(ALICE, name="deploy-bot", scopes=["read_registry"])
    return sim.token_record(value).id


def holder(sim: Simulator, value: str):
    """The token a variable's value belongs to, or None."""
    return sim.state.token_by_secret(value)


def test_set_list_unset_keep_no_secret(sim: Simulator, run, config_dir: Path) -> None:
    token_id = alice_token(sim)
    sim.add_variable("project", 1, "DEPLOY_TOKEN", OLD, masked=True, protected=True)
    made = run(
        "deliver", "set", str(token_id), "--project", "platform/api", "--variable", "DEPLOY_TOKEN"
    )
    assert made.code == 0, made.err
    assert made.err.startswith(
        f"tokentui: token {token_id}'s rotated values go to variable DEPLOY_TOKEN of project "
        "platform/api; a rotate write the new value to variable DEPLOY_TOKEN of project "
        "platform/api (masked, protected, scope *, kept)"
    )
    text = (config_dir / "config.toml").read_text()
    assert OLD not in text
    assert tomllib.loads(text)["deliveries"] == [
        {
            "url": sim.url,
            "token_id": token_id,
            "project": "platform/api",
            "variable": "DEPLOY_TOKEN",
        }
    ]
    listed = run("deliver", "list")
    assert listed.out == f"{token_id}\tvariable DEPLOY_TOKEN of project platform/api\n"
    assert run("deliver", "unset", str(token_id)).code == 0
    assert run("deliver", "list").out == ""
    assert run("deliver", "unset", str(token_id)).code == 2


def test_set_checks_the_variable(sim: Simulator, run, config_dir: Path) -> None:
    token_id = alice_token(sim)
    missing = run("deliver", "set", str(token_id), "--project", "1", "--variable", "NOPE")
    assert missing.code == 2
    assert "404 Variable Not Found" in missing.err
    bad = run("deliver", "set", str(token_id), "--group", "1", "--variable", "BAD-KEY")
    assert bad.code == 2 and "not a CI/CD variable key" in bad.err
    sim.add_variable("project", 1, "K", OLD)
    refused = run(
        "deliver", "set", str(token_id), "--project", "1", "--variable", "K", token=sim.user_token
    )
    assert refused.code == 2 and "403 Forbidden" in refused.err
    assert not (config_dir / "config.toml").exists()


def test_rotate_delivers_checks_and_prints_no_value(sim: Simulator, run, config_dir) -> None:
    token_id = alice_token(sim)
    sim.add_variable("project", 1, "DEPLOY_TOKEN", OLD, masked=True, protected=True)
    sim.add_variable("project", 1, "DEPLOY_TOKEN", OLD, environment_scope="staging")
    set_ = run(
        "deliver", "set", str(token_id), "--project", "platform/api",
        "--variable", "DEPLOY_TOKEN", "--environment-scope", "*",
    )  # fmt: skip
    assert set_.code == 0, set_.err
    rotated = run("rotate", str(token_id))
    assert rotated.code == 0, rotated.err
    assert rotated.out == ""
    variable = sim.variable("project", 1, "DEPLOY_TOKEN")
    new = holder(sim, variable.value)
    assert new is not None and new.previous_id == token_id and new.active(sim.today())
    assert (variable.masked, variable.protected) == (True, True)
    assert sim.variable("project", 1, "DEPLOY_TOKEN", "staging").value == OLD
    assert variable.value not in rotated.err
    assert rotated.err.strip() == (
        f"tokentui: rotated token {token_id} into {new.id} 'deploy-bot' "
        f"(expires {new.expires_at.isoformat()}); delivered to variable DEPLOY_TOKEN of "
        "project platform/api (scope *) (masked, protected, scope *) and checked: it holds the "
        "new value. The value was not printed."
    )
    [put] = sim.requests("PUT")
    assert (
        "filter%5Benvironment_scope%5D=%2A" in put.query or "filter[environment_scope]" in put.query
    )
    # The target follows the new token.
    listed = run("deliver", "list")
    assert listed.out.startswith(f"{new.id}\t")


def test_rotate_json_has_no_value_when_delivered(sim: Simulator, run) -> None:
    import json

    token_id = alice_token(sim)
    sim.add_variable("group", 1, "T", OLD)
    run("deliver", "set", str(token_id), "--group", "platform", "--variable", "T")
    rotated = run("rotate", str(token_id), "--json")
    data = json.loads(rotated.out)
    assert "token" not in data
    assert data["delivery"]["result"] == "delivered"
    assert holder(sim, sim.variable("group", 1, "T").value).id == data["id"]


def test_a_hidden_variable_is_written_but_cannot_be_checked(sim: Simulator, run) -> None:
    token_id = alice_token(sim)
    sim.add_variable("project", 1, "HIDDEN", OLD, hidden=True)
    run("deliver", "set", str(token_id), "--project", "1", "--variable", "HIDDEN")
    rotated = run("rotate", str(token_id))
    assert rotated.code == 0 and rotated.out == ""
    assert (
        "it is a hidden variable, whose value GitLab never shows, so it could not be read back"
        in (rotated.err)
    )
    assert holder(sim, sim.variable("project", 1, "HIDDEN").value).previous_id == token_id


def test_failed_delivery_still_shows_the_value_once(sim: Simulator, run) -> None:
    token_id = alice_token(sim)
    sim.add_variable("project", 1, "GONE", OLD)
    run("deliver", "set", str(token_id), "--project", "1", "--variable", "GONE")
    sim.state.variables_of("project", 1).clear()  # someone deleted it since
    rotated = run("rotate", str(token_id))
    assert rotated.code == 3
    value = rotated.out.strip()
    new = holder(sim, value)
    assert new is not None and new.previous_id == token_id  # the printed value is the new one
    assert value not in rotated.err
    assert (
        "tokentui: error: delivery failed: delivery to variable GONE of project 1 failed: the "
        "variable could not be read: GitLab found nothing at GET /projects/1/variables/GONE: "
        "404 Variable Not Found. The new value is the one printed on stdout: put it there by hand."
    ) in rotated.err
    assert sim.requests("PUT") == []


def test_dry_run_sends_no_write(sim: Simulator, run) -> None:
    token_id = alice_token(sim)
    sim.add_variable("project", 1, "DEPLOY_TOKEN", OLD, masked=True)
    run("deliver", "set", str(token_id), "--project", "1", "--variable", "DEPLOY_TOKEN")
    before = len(sim.request_log)
    dry = run("rotate", str(token_id), "--dry-run", "--duration", "30d")
    assert dry.code == 0, dry.err
    assert dry.out == ""
    lines = dry.err.splitlines()
    assert lines[0].startswith(f"tokentui: dry run: would rotate token {token_id} 'deploy-bot' of ")
    assert "nothing was sent" in lines[0]
    assert lines[1] == (
        "tokentui: dry run: would write the new value to variable DEPLOY_TOKEN of project 1 "
        "(masked, scope *, kept) and then read it back to check"
    )
    assert all(r.method in ("GET", "HEAD") for r in sim.request_log[before:])
    assert sim.state.tokens[token_id].active(sim.today())
    assert sim.variable("project", 1, "DEPLOY_TOKEN").value == OLD
    plain = run("rotate", str(alice_token(sim)), "--dry-run")
    assert "it has no delivery target" in plain.err


def test_a_lost_answer_to_the_write_is_read_back_not_resent(sim: Simulator, run) -> None:
    token_id = alice_token(sim)
    sim.add_variable("project", 1, "DEPLOY_TOKEN", OLD)
    run("deliver", "set", str(token_id), "--project", "1", "--variable", "DEPLOY_TOKEN")
    sim.faults.proxy_error("PUT", r"/variables/", 502, after_action=True)
    rotated = run("rotate", str(token_id))
    assert rotated.code == 0, rotated.err
    assert rotated.out == ""
    assert "the answer was lost, but reading it back shows the new value" in rotated.err
    assert len(sim.requests("PUT")) == 1
    assert holder(sim, sim.variable("project", 1, "DEPLOY_TOKEN").value).previous_id == token_id


def test_the_debug_log_and_config_never_hold_the_value(
    sim: Simulator, run, tmp_path, monkeypatch
) -> None:
    from tokentui.core import logging_setup

    monkeypatch.setenv(logging_setup.LOG_DIR_ENV, str(tmp_path / "logs"))
    monkeypatch.setenv("TOKENTUI_DEBUG", "1")
    token_id = alice_token(sim)
    sim.add_variable("project", 1, "DEPLOY_TOKEN", OLD, masked=True)
    run("deliver", "set", str(token_id), "--project", "1", "--variable", "DEPLOY_TOKEN")
    try:
        assert run("rotate", str(token_id)).code == 0
    finally:
        logging_setup.disable_debug_log()
    value = sim.variable("project", 1, "DEPLOY_TOKEN").value
    assert (tmp_path / "logs" / logging_setup.LOG_FILE).is_file()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert value.encode() not in data and OLD.encode() not in data, path
