"""``tokentui list --everything`` and ``expiring --everything`` in process, against the simulator
over loopback HTTP: kind, resource and owner in JSON and CSV, ``--kind``, ``--expiring-within``,
problems on stderr with their count and exit code 3, and the flags checked before any request.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from test_cli import Run, cli  # noqa: F401 (the fixture)
from test_everything import expected_for_bob

from tokentui.cli.output import FIELDS


def test_list_everything_json_has_kind_resource_and_owner_of_every_row(cli, sim) -> None:  # noqa: F811
    result = cli("list", "--everything", "--json", token=sim.maintainer_token)
    assert result.code == 0, result.err
    records = result.json()
    assert isinstance(records, list)
    expected = expected_for_bob(sim)
    got = {}
    for record in records:
        assert list(record) == list(FIELDS)
        key = -record["id"] if record["kind"] == "deploy" else record["id"]
        where = record["resource"] or record["owner"]
        got[key] = (record["kind"], where)
    assert got == {key: (kind.value, where) for key, (kind, where) in expected.items()}
    deploy = next(r for r in records if r["kind"] == "deploy")
    assert deploy["resource_type"] in ("project", "group") and deploy["owner"] is None
    account = next(r for r in records if r["kind"] == "service_account")
    assert account["owner"].startswith("service_account_group_1_")
    # Stable order for scripts: by kind, then where the token lives, then id.
    kinds = [r["kind"] for r in records]
    assert kinds == sorted(kinds)
    assert "problem" not in result.err


def test_list_everything_kind_and_expiring_within_csv(cli, sim) -> None:  # noqa: F811
    today = sim.today()
    sim.issue_deploy_token("project", 1, name="soon-pull", expires_at=sim.now() + timedelta(days=5))
    result = cli(
        "list",
        "--everything",
        "--kind",
        "deploy",
        "--kind",
        "service-account",
        "--expiring-within",
        "30d",
        "--csv",
        token=sim.maintainer_token,
    )
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows and {r["kind"] for r in rows} <= {"deploy", "service_account"}
    assert "soon-pull" in {r["name"] for r in rows}
    for row in rows:
        assert row["expires_at"] and row["state"] == "active"
        assert today < date.fromisoformat(row["expires_at"])
        assert row["resource"] or row["owner"]
    every = cli("list", "--everything", "--json", token=sim.maintainer_token).json()
    assert isinstance(every, list)
    horizon = today + timedelta(days=30)
    wanted = {
        (r["kind"], r["id"])
        for r in every
        if r["kind"] in ("deploy", "service_account")
        and r["state"] == "active"
        and r["expires_at"]
        and today < date.fromisoformat(r["expires_at"]) <= horizon
    }
    assert {(r["kind"], int(r["id"])) for r in rows} == wanted


def test_expiring_everything_exit_codes(cli, sim) -> None:  # noqa: F811
    found = cli("expiring", "--everything", "--within", "400d", token=sim.maintainer_token)
    assert found.code == 1, found.err
    assert "of everything I manage expire within 400 days" in found.err
    nothing = cli("expiring", "--everything", "--within", "1d", "--json", token=sim.user_token)
    assert (nothing.code, nothing.json()) == (0, [])


def test_problems_go_to_stderr_with_a_count_and_exit_3(cli, sim) -> None:  # noqa: F811
    """A project whose deploy-token list keeps failing (a proxy's 503 on every try, past
    the client's retries) is listed on stderr as a problem; the rest is printed; exit 3."""
    sim.faults.proxy_error("GET", r"/projects/2/deploy_tokens", status=503, times=None)
    result = cli("list", "--everything", "--json", token=sim.maintainer_token)
    assert result.code == 3
    assert "tokentui: 1 problem: the list is incomplete" in result.err
    assert "project platform/web" in result.err
    names = {r["resource"] for r in result.json()}
    assert "platform/api" in names and "platform/web" not in names
    expiring = cli("expiring", "--everything", "--within", "1d", token=sim.maintainer_token)
    assert expiring.code in (1, 3) and "1 problem" in expiring.err


def test_flags_are_checked_before_any_request(cli, sim, capsys) -> None:  # noqa: F811
    for argv, words in (
        (("list", "--everything", "--kind", "robot"), "--kind 'robot' is not a token kind"),
        (("list", "--everything", "--max-rate", "0"), "--max-rate takes a positive number"),
        (("list", "--everything", "--concurrency", "0"), "--concurrency takes a number"),
        (("list", "--mine", "--concurrency", "4"), "only applies to the --everything scan"),
    ):
        before = len(sim.request_log)
        result = cli(*argv, token=sim.maintainer_token)
        assert result.code == 2 and words in result.err, result.err
        assert len(sim.request_log) == before
    with pytest.raises(SystemExit) as exited:  # argparse's own refusal
        cli("list", "--everything", "--mine", token=sim.maintainer_token)
    assert exited.value.code == 2
    assert "--mine: not allowed with argument --everything" in capsys.readouterr().err


def test_kind_filters_an_ordinary_source_too(cli, sim) -> None:  # noqa: F811
    result = cli("list", "--all", "--kind", "impersonation", "--json")
    assert result.code == 0, result.err
    records = result.json()
    assert records and {r["kind"] for r in records} == {"impersonation"}
    wanted = {r.id for r in sim.state.tokens.values() if r.impersonation}
    assert {r["id"] for r in records} == wanted
