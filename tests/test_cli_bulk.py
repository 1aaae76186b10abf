"""``tokentui revoke ID ID ...`` and ``tokentui rotate ID ID ... [--spread] [--json]``
(issue 14), in process against the simulator; outcomes checked in its state and request log.
One id keeps the one-token behaviour (tests/test_cli.py)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from test_cli import Result, Run, cli  # noqa: F401  (the fixture)

from tokentui.cli.commands import tokens as token_commands

CAROL = 4


def issue(sim, name: str, **kwargs) -> int:
    kwargs.setdefault("expires_at", sim.now().date() + timedelta(days=20))
    value = sim.issue_token(CAROL, name=name, scopes=("api",), **kwargs)
    return sim.state.token_by_secret(value).id


def deletes(sim) -> list[str]:
    return [r.path for r in sim.request_log if r.method == "DELETE"]


def rotates(sim) -> list[str]:
    return [r.path for r in sim.request_log if r.method == "POST" and r.path.endswith("/rotate")]


def test_revoke_many_with_yes_revokes_each_once_and_skips_the_revoked(sim, cli: Run) -> None:  # noqa: F811
    ids = [issue(sim, f"many-{n}") for n in range(3)]
    gone = issue(sim, "many-gone", revoked=True)
    result = cli("revoke", *map(str, ids), str(gone), "--yes")
    assert result.code == 0, result.err
    assert all(sim.state.tokens[i].revoked for i in ids)
    assert sorted(deletes(sim)) == sorted(f"/api/v4/personal_access_tokens/{i}" for i in ids)
    assert f"skipped token {gone} “many-gone”: already revoked" in result.err
    for token_id in ids:
        assert f"revoked token {token_id} 'many-" in result.err
    assert result.out == ""


def test_revoke_many_refuses_without_a_terminal_or_yes(sim, cli: Run) -> None:  # noqa: F811
    ids = [issue(sim, f"ask-{n}") for n in range(2)]
    result = cli("revoke", *map(str, ids))
    assert result.code == 2 and "refusing to revoke 2 tokens" in result.err
    assert "--yes" in result.err and deletes(sim) == []


def test_revoke_many_on_a_terminal_needs_the_typed_count(sim, cli: Run, monkeypatch) -> None:  # noqa: F811
    ids = [issue(sim, f"typed-{n}") for n in range(3)]
    monkeypatch.setattr(token_commands, "_on_terminal", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    result = cli("revoke", *map(str, ids))
    assert result.code == 1 and "Type 3 (the number of tokens)" in result.err
    assert "Revoke 3 tokens." in result.err and "not revoked" in result.err
    assert deletes(sim) == []
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n"))
    result = cli("revoke", *map(str, ids))
    assert result.code == 0, result.err
    assert all(sim.state.tokens[i].revoked for i in ids)


def test_a_fault_in_the_middle_of_a_revoke_batch_is_reported_exactly(sim, cli: Run) -> None:  # noqa: F811
    ids = [issue(sim, f"fault-{n}") for n in range(4)]
    lost = ids[2]
    sim.faults.proxy_error("DELETE", rf"/personal_access_tokens/{lost}$", 502)
    result = cli("revoke", *map(str, ids), "--yes")
    assert result.code == 2
    assert f"outcome unknown for token {lost} 'fault-2'" in result.err
    assert f"Token {lost} “fault-2” was revoked." in result.err
    for token_id in ids:
        if token_id != lost:
            assert f"revoked token {token_id} 'fault-" in result.err
    assert all(sim.state.tokens[i].revoked for i in ids)
    # One DELETE per token: the lost one was read back, never sent again.
    assert sorted(deletes(sim)) == sorted(f"/api/v4/personal_access_tokens/{i}" for i in ids)


def test_rotate_many_spreads_and_prints_json_lines(sim, cli: Run) -> None:  # noqa: F811
    cliff = sim.now().date() + timedelta(days=3)
    ids = [issue(sim, f"spread-{n}", expires_at=cliff) for n in range(3)]
    result = cli("rotate", *map(str, ids), "--duration", "30d", "--spread", "6d", "--json")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [row["rotated_from_id"] for row in rows] == ids
    start = datetime.now(UTC).date() + timedelta(days=30)
    expected = [start + timedelta(days=n) for n in (0, 2, 4)]
    assert sorted(row["expires_at"] for row in rows) == [d.isoformat() for d in expected]
    for row in rows:
        new = sim.state.token_by_secret(row["token"])
        assert new is not None and new.id == row["id"] and new.previous_id == row["rotated_from_id"]
        assert row["token"] not in result.err  # values on stdout only
    assert all(sim.state.tokens[i].revoked for i in ids)
    assert sorted(rotates(sim)) == sorted(f"/api/v4/personal_access_tokens/{i}/rotate" for i in ids)


def test_rotate_many_reports_skips_with_exit_2(sim, cli: Run) -> None:  # noqa: F811
    live = [issue(sim, f"mixed-{n}") for n in range(2)]
    gone = issue(sim, "mixed-gone", revoked=True)
    result = cli("rotate", str(live[0]), str(gone), str(live[1]), "--duration", "7d")
    assert result.code == 2
    lines = result.out.splitlines()
    assert [int(line.split()[0]) for line in lines] == live
    for line in lines:
        assert sim.state.token_by_secret(line.split()[1]) is not None
    assert f"skipped token {gone} “mixed-gone”: revoked" in result.err
    assert sorted(rotates(sim)) == sorted(
        f"/api/v4/personal_access_tokens/{i}/rotate" for i in live
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rotate", "3", "self"], "'self' cannot be combined"),
        (["revoke", "self", "4", "--yes"], "'self' cannot be combined"),
        (["rotate", "3", "4", "--spread", "0d"], "--spread"),
        (["rotate", "3", "4", "--duration", "360d", "--spread", "14d"], "365-day maximum"),
        (["rotate", "3", "4", "--dry-run"], "--dry-run shows one token's rotation"),
    ],
)
def test_bad_many_token_arguments_are_refused_before_any_request(
    sim,
    cli: Run,  # noqa: F811
    argv: list[str],
    message: str,
) -> None:
    before = len(sim.request_log)
    result: Result = cli(*argv)
    assert result.code == 2 and message in result.err, result.err
    assert "Traceback" not in result.err
    assert len(sim.request_log) == before


def test_rotate_many_of_an_unknown_id_sends_nothing(sim, cli: Run) -> None:  # noqa: F811
    live = issue(sim, "real")
    result = cli("rotate", str(live), "987654")
    assert result.code == 2 and "there is no token 987654" in result.err
    assert rotates(sim) == [] and not sim.state.tokens[live].revoked


def test_a_lost_rotate_answer_mid_batch_is_read_back_not_resent(sim, cli: Run) -> None:  # noqa: F811
    ids = [issue(sim, f"rot-fault-{n}") for n in range(3)]
    lost = ids[1]
    sim.faults.proxy_error("POST", rf"/personal_access_tokens/{lost}/rotate$", 502)
    result = cli("rotate", *map(str, ids), "--duration", "14d", "--json")
    assert result.code == 2
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [row["rotated_from_id"] for row in rows] == [ids[0], ids[2]]
    [successor] = [t for t in sim.state.tokens.values() if t.previous_id == lost]
    assert f"outcome unknown for token {lost} 'rot-fault-1'" in result.err
    assert f"Rotate token {successor.id} to get a value you can use" in result.err
    assert sorted(rotates(sim)) == sorted(f"/api/v4/personal_access_tokens/{i}/rotate" for i in ids)
