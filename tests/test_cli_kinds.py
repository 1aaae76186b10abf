"""Kinds and resources on the command line (issue 13): ``--sort kind|resource`` and the
``kind``/``resource`` fields of ``list --json/--csv``, against the served simulator."""

from __future__ import annotations

import csv
import io

import pytest
from test_cli import cli  # noqa: F401  (the fixture)

KIND_ORDER = ["personal", "impersonation", "project", "group", "service_account", "deploy"]


def test_list_sorts_by_kind_and_by_resource(cli) -> None:  # noqa: F811
    rows = cli("list", "--all", "--sort", "kind", "--json").json()
    ranks = [KIND_ORDER.index(r["kind"]) if r["kind"] else 99 for r in rows]
    assert ranks == sorted(ranks) and len(set(ranks)) >= 3
    rows = cli("list", "--all", "--sort", "resource", "--json").json()

    def place(row: dict) -> str:
        return (row["resource"] or row["owner"] or "\U0010ffff").casefold()

    assert [place(r) for r in rows] == sorted(place(r) for r in rows)
    rows = cli("list", "--all", "--sort", "kind", "--reverse", "--json").json()
    ranks = [KIND_ORDER.index(r["kind"]) if r["kind"] else 99 for r in rows]
    assert ranks == sorted(ranks, reverse=True)


def test_list_csv_keeps_every_field_and_has_kind_and_resource(cli) -> None:  # noqa: F811
    text = cli("list", "--project", "platform/api", "--csv").out
    table = list(csv.DictReader(io.StringIO(text)))
    assert table and {"id", "name", "kind", "resource", "owner", "expires_at"} <= set(table[0])
    assert {row["kind"] for row in table} == {"project"}
    assert {row["resource"] for row in table} == {"platform/api"}


# --- deploy tokens: --project P --deploy (or --group G --deploy) ------------------------------


def _deploy_ids(sim, rtype: str = "project", rid: int = 1) -> set[int]:
    return {
        t.id
        for t in sim.state.deploy_tokens.values()
        if (t.resource_type, t.resource_id) == (rtype, rid)
    }


def _writes(sim) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.request_log if r.method in ("POST", "DELETE")]


def test_list_a_projects_deploy_tokens_with_their_kind_and_resource(sim, cli) -> None:  # noqa: F811
    result = cli(
        "list", "--project", "platform/api", "--deploy", "--json", token=sim.maintainer_token
    )
    assert result.code == 0, result.err
    rows = result.json()
    assert {r["id"] for r in rows} == _deploy_ids(sim)
    assert {(r["kind"], r["resource"], r["resource_type"]) for r in rows} == {
        ("deploy", "platform/api", "project")
    }
    # --deploy before --project works the same; a group's deploy tokens too.
    again = cli(
        "list", "--deploy", "--project", "platform/api", "--json", token=sim.maintainer_token
    )
    assert [r["id"] for r in again.json()] == [r["id"] for r in rows]
    group = cli("list", "--group", "platform", "--deploy", "--json", token=sim.maintainer_token)
    assert {r["id"] for r in group.json()} == _deploy_ids(sim, "group", 1)


def test_create_a_deploy_token_prints_its_value_alone(sim, cli) -> None:  # noqa: F811
    before = _deploy_ids(sim)
    result = cli(
        "create", "--project", "platform/api", "--deploy", "--name", "registry-pull",
        "--scope", "read_registry", "--username", "puller", "--no-expiry",
        token=sim.maintainer_token,
    )  # fmt: skip
    assert result.code == 0, result.err
    [made] = _deploy_ids(sim) - before
    record = sim.state.deploy_tokens[made]
    assert sim.state.deploy_token_by_secret(result.out.strip()) is record
    assert (record.username, record.expires_at, tuple(record.scopes)) == (
        "puller",
        None,
        ("read_registry",),
    )
    assert "created deploy token" in result.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scope", "api"], "not valid for a deploy token"),
        (["--scope", "read_registry", "--username", "bad name"], "--username"),
        (["--scope", "read_registry", "--access-level", "developer"], "no --access-level"),
    ],
)
def test_a_bad_deploy_create_is_refused_before_any_request(sim, cli, argv, message) -> None:  # noqa: F811
    result = cli(
        "create", "--project", "platform/api", "--deploy", "--name", "x", *argv,
        token=sim.maintainer_token,
    )  # fmt: skip
    assert result.code == 2 and message in result.err
    assert not _writes(sim)


def test_deploy_flags_need_a_deploy_source(sim, cli) -> None:  # noqa: F811
    result = cli("list", "--mine", "--deploy", token=sim.maintainer_token)
    assert result.code == 2 and "--deploy goes with --project or --group" in result.err
    result = cli("create", "--mine", "--name", "x", "--scope", "api", "--no-expiry")
    assert result.code == 2 and "--no-expiry applies to deploy tokens" in result.err
    assert not _writes(sim)


def test_rotate_creates_a_successor_and_keeps_the_old_one(sim, cli) -> None:  # noqa: F811
    old = next(
        t
        for t in sim.state.deploy_tokens.values()
        if (t.resource_type, t.resource_id) == ("project", 1)
        and not t.revoked
        and t.expires_at is None
    )
    before = _deploy_ids(sim)
    result = cli(
        "rotate", str(old.id), "--project", "platform/api", "--deploy", "--duration", "30d",
        token=sim.maintainer_token,
    )  # fmt: skip
    assert result.code == 0, result.err
    [made] = _deploy_ids(sim) - before
    new = sim.state.deploy_tokens[made]
    # The username GitLab shows for the old one (its default: gitlab+deploy-token-ID).
    username = old.username or f"gitlab+deploy-token-{old.id}"
    assert (new.name, new.username, tuple(new.scopes)) == (old.name, username, tuple(old.scopes))
    assert sim.state.deploy_token_by_secret(result.out.strip()) is new
    assert old.id in sim.state.deploy_tokens  # kept until revoked
    assert "GitLab cannot rotate deploy tokens" in result.err
    assert f"tokentui revoke {old.id} --project platform/api --deploy" in result.err
    assert [m for m, _ in _writes(sim)] == ["POST"]


def test_revoke_deletes_a_deploy_token(sim, cli) -> None:  # noqa: F811
    token_id = min(_deploy_ids(sim))
    result = cli(
        "revoke", str(token_id), "--project", "platform/api", "--deploy", "--yes",
        token=sim.maintainer_token,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert token_id not in sim.state.deploy_tokens
    assert f"revoked deploy token {token_id}" in result.err and "gone" in result.err
    assert _writes(sim) == [("DELETE", f"/api/v4/projects/platform%2Fapi/deploy_tokens/{token_id}")]
