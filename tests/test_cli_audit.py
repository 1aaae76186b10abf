"""``tokentui audit`` (issue 14): every hygiene finding of a source, run in process against the
real simulator over loopback HTTP, with the clocks of both frozen at ``FROZEN_NOW``."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from cli_helpers import Run, clean_environment, run_tokentui
from conftest import FROZEN_NOW, SimFactory
from test_cli_usability import closed_port

from tokentui.cli.commands import audit
from tokentui.core.expiry import FrozenClock
from tokentui.simulator import Simulator

TODAY = FROZEN_NOW.date()
CAROL = 4


@pytest.fixture
def sim(sim_factory: SimFactory) -> Simulator:
    """Only the three credentials' tokens, the clock frozen."""
    return sim_factory(clock=lambda: FROZEN_NOW, tokens=0)


@pytest.fixture
def tokentui(sim, tmp_path, monkeypatch, capsys):
    """``tokentui(*argv, token=..., url=...)``: the command in process, as the admin."""
    clean_environment(monkeypatch, tmp_path / "config")
    monkeypatch.setattr(audit, "clock", FrozenClock(FROZEN_NOW))

    def run(*argv: str, token: str | None = None, url: str | None = None) -> Run:
        url = sim.url if url is None else url
        token = sim.admin_token if token is None else token
        return run_tokentui(monkeypatch, capsys, argv, url=url, token=token)

    return run


def carol_tokens(sim) -> dict[str, int]:
    now = sim.now()

    def issue(name: str, **kw) -> int:
        kw.setdefault("scopes", ("read_api",))
        kw.setdefault("expires_at", TODAY + timedelta(days=30))
        kw.setdefault("last_used_at", now - timedelta(days=1))
        return sim.token_record(sim.issue_token(CAROL, name=name, **kw)).id

    return {
        "clean": issue("clean"),
        "stale": issue("stale", last_used_at=now - timedelta(days=45)),
        "forever": issue("forever", expires_at=None, scopes=("api",)),
        "dead": issue("dead", expires_at=TODAY - timedelta(days=2)),
    }


def test_every_finding_is_a_line_and_findings_exit_1(sim, tokentui):
    ids = carol_tokens(sim)
    run = tokentui("audit", "--user", "carol")
    assert run.code == 1, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "HOLDER", "FLAG", "FINDING", "WHAT", "TO", "DO"]
    body = [line.split(maxsplit=4) for line in lines[1:-2]]
    assert {(int(b[0]), b[3]) for b in body} == {
        (ids["forever"], "F"),
        (ids["forever"], "B"),
        (ids["dead"], "E"),
    }
    assert "3 findings on 2 tokens." in run.out
    assert run.err == ""


def test_unused_for_overrides_the_threshold_and_json_carries_the_sentence(sim, tokentui):
    ids = carol_tokens(sim)
    run = tokentui("audit", "--user", str(CAROL), "--unused-for", "30d", "--json")
    assert run.code == 1, run.err
    records = json.loads(run.out)
    assert list(records[0]) == list(audit.FIELDS)
    stale = [r for r in records if r["id"] == ids["stale"]]
    assert [(r["finding"], r["flag"], r["kind"], r["owner"]) for r in stale] == [
        ("unused", "U", "personal", "carol")
    ]
    assert "45 days ago (more than 30)" in stale[0]["text"]


def test_the_config_file_sets_the_thresholds(sim, tokentui, tmp_path):
    ids = carol_tokens(sim)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[hygiene]\nunused_days = 40\n")
    run = tokentui("audit", "--user", "carol", "--csv")
    assert run.code == 1, run.err
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert {(int(r["id"]), r["finding"]) for r in rows} >= {(ids["stale"], "unused")}


def test_no_finding_exits_0(sim, tokentui):
    sim.issue_token(
        CAROL,
        name="tidy",
        scopes=("read_api",),
        expires_at=TODAY + timedelta(days=30),
        last_used_at=sim.now(),
    )
    run = tokentui("audit", "--user", "carol")
    assert (run.code, run.out, run.err) == (0, "No finding in user 4.\n", "")
    assert json.loads(tokentui("audit", "--user", "carol", "--json").out) == []


def test_a_blocked_owner_is_a_finding(sim, tokentui):
    ids = carol_tokens(sim)
    sim.state.users[CAROL].state = "banned"
    records = json.loads(tokentui("audit", "--user", "carol", "--json").out)
    blocked = {r["id"] for r in records if r["finding"] == "owner-blocked"}
    assert blocked == {ids["clean"], ids["stale"], ids["forever"]}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--unused-for", "soon"), "--unused-for: 'soon' is not a duration"),
        (("--json", "--csv"), "not allowed with argument"),
    ],
)
def test_bad_arguments_exit_2_before_any_request(sim, tokentui, argv, message):
    run = tokentui("audit", "--user", "carol", *argv)
    assert run.code == 2
    assert message in run.err
    assert run.out == ""
    assert sim.requests() == []


def test_a_bad_config_value_exits_2_with_the_key(sim, tokentui, tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[hygiene]\ncliff_tokens = 0\n")
    run = tokentui("audit", "--user", "carol")
    assert run.code == 2
    assert "cliff_tokens must be a whole number of tokens" in run.err
    assert "Traceback" not in run.err


def test_unreachable_and_401_exit_2_with_a_message(sim, tokentui):
    run = tokentui("audit", url=f"http://127.0.0.1:{closed_port()}")
    assert run.code == 2 and "Nothing answers" in run.err and run.out == ""
    run = tokentui("audit", token="glpat-not-a-real-token-000000")
    assert run.code == 2 and "tokentui: error:" in run.err and run.out == ""
