"""Token kinds and owners (issue 11, items 6 and 7): every user's tokens hold personal,
impersonation, project-bot, group-bot and service-account tokens, and GitLab's list entity says
none of it. The TUI never paints a wrong kind (a pending mark until the owner is known), the
CLI resolves every kind before printing, and a bot token's owner is its project or group.

All against the simulator over loopback HTTP; waits are on events and screen content.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from tui_helpers import FROZEN_NOW, wait_for

from tokentui.cli.main import main
from tokentui.core.expiry import FrozenClock
from tokentui.core.ownership import Ownership
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import TokenKind
from tokentui.gitlab.sources import PersonalTokens
from tokentui.simulator.records import SERVICE_ACCOUNT
from tokentui.tui.app import make_app
from tokentui.tui.screens.confirm import RevokeDialog
from tokentui.tui.widgets.token_table import PENDING_KIND, TokenTable

CAROL = 4


@dataclass
class Cast:
    """One token of each kind, made on the server (ids), and what each must show."""

    ids: dict[str, int]
    kind: dict[str, str]  # JSON kind value
    resource: dict[str, str | None]


def make_cast(sim) -> Cast:
    """Personal and impersonation tokens of carol, a project-bot token of platform/api, a
    group-bot token of platform/infra and a platform service account's token, all expiring
    in 12 hours (so the default urgency sort shows them first)."""
    soon = sim.today() + timedelta(days=1)
    sa = next(
        u.id
        for u in sim.state.users.values()
        if u.user_type == SERVICE_ACCOUNT and u.provisioned_by_group_id == 1
    )
    values = {
        "personal": sim.issue_token(CAROL, name="kinds-personal", scopes=("api",), expires_at=soon),
        "impersonation": sim.issue_token(
            CAROL, name="kinds-impersonation", scopes=("api",), expires_at=soon, impersonation=True
        ),
        "project": sim.issue_resource_token(
            "project", 1, name="kinds-project", scopes=("api",), expires_at=soon
        ),
        "group": sim.issue_resource_token(
            "group", 2, name="kinds-group", scopes=("api",), expires_at=soon
        ),
        "service_account": sim.issue_token(
            sa, name="kinds-service-account", scopes=("api",), expires_at=soon
        ),
    }
    ids = {key: sim.state.token_by_secret(value).id for key, value in values.items()}
    return Cast(
        ids=ids,
        kind={key: key for key in ids},
        resource={
            "personal": None,
            "impersonation": None,
            "project": "platform/api",
            "group": "platform/infra",
            "service_account": None,
        },
    )


SHORT = {
    "personal": "personal",
    "impersonation": "imperson",
    "project": "project",
    "group": "group",
    "service_account": "svc acct",
}


def owner_lookups(sim, since: int) -> list[str]:
    """The paths of the requests after ``since`` in the log that are not token pages."""
    return [
        r.path
        for r in sim.request_log[since:]
        if not r.path.endswith(("/personal_access_tokens", "/api/v4/user"))
    ]


def lookup_budget(sim, token_ids: set[int]) -> int:
    """What placing the owners of ``token_ids`` may cost an administrator: one impersonation
    list per human owner, one GET per project or group, and one ``GET /users`` page per 100
    bots and per 100 humans (never one request per owner)."""
    owners = {sim.state.users[sim.state.tokens[i].user_id] for i in token_ids}
    humans = sum(1 for u in owners if not u.bot)
    resources = {
        (t.resource_type, t.resource_id)
        for i in token_ids
        if (t := sim.state.tokens[i]).resource_type
    }
    bots = sum(1 for u in sim.state.users.values() if u.bot)
    people = len(sim.state.users) - bots
    return humans + len(resources) + math.ceil(bots / 100) + math.ceil(people / 100)


# --- TUI --------------------------------------------------------------------------------------


async def test_tui_never_paints_a_wrong_kind_and_names_the_bots_resource(
    frozen_sim, monkeypatch
) -> None:
    cast = make_cast(frozen_sim)
    painted: dict[int, list[dict[str, str]]] = defaultdict(list)
    original = TokenTable._row_strip

    def recording(self, index, width, base):  # type: ignore[no-untyped-def]
        strip = original(self, index, width, base)
        keys = [column.key for column, _ in self._columns(width)]
        texts = [segment.text for segment in strip]
        painted[self.rows[index].id].append(dict(zip(keys, texts[0::2], strict=False)))
        return strip

    monkeypatch.setattr(TokenTable, "_row_strip", recording)
    client = GitLabClient(frozen_sim.url, frozen_sim.admin_token)
    app = make_app(client, clock=FrozenClock(FROZEN_NOW), source_choice=("all", None))
    try:
        async with app.run_test(size=(200, 50)) as pilot:

            def shown(key: str) -> dict[str, str] | None:
                rows = painted.get(cast.ids[key])
                return rows[-1] if rows else None

            def all_right() -> bool:
                for key, token_id in cast.ids.items():
                    kinds = [row["kind"].strip() for row in painted[token_id]]
                    # No frame ever shows another kind (bots never read "personal").
                    assert set(kinds) <= {SHORT[key], PENDING_KIND}, (key, set(kinds))
                return all(
                    (row := shown(key)) is not None and row["kind"].strip() == SHORT[key]
                    for key in cast.ids
                )

            await wait_for(pilot, all_right)
            for key, token_id in cast.ids.items():
                kinds = [row["kind"].strip() for row in painted[token_id]]
                # The first frame with the row shows its kind or the pending mark.
                assert kinds[0] in (SHORT[key], PENDING_KIND), (key, kinds[0])
            # A bot token's owner is its resource, in full on a wide terminal.
            await wait_for(
                pilot,
                lambda: (
                    shown("project")["owner"].strip() == "platform/api (project)"
                    and shown("group")["owner"].strip() == "platform/infra (group)"
                ),
            )
            assert shown("personal")["owner"].strip() == "@carol"
            assert shown("service_account")["owner"].strip().startswith("@service_account_")

            # The detail and the revoke dialog's facts say the same.
            table = app.screen.table
            assert table.select_token(cast.ids["project"])
            await wait_for(pilot, lambda: "platform/api (project)" in app.screen.detail.plain_text)
            assert "project" in app.screen.detail.plain_text
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
            facts = app.screen.owner, app.screen.kind
            assert facts == ("platform/api (project)", "project")
            await pilot.press("escape")
    finally:
        await client.aclose()


async def test_tui_owner_column_takes_the_room_it_needs(frozen_sim) -> None:
    """At 200 columns a long resource path is not cut (it was at 14 cells, whatever the
    width); at 120 the name keeps its room and the path is cut with an ellipsis."""
    group = frozen_sim.state.groups[2]
    group.full_path = "platform/infrastructure-and-operations"  # a long path, as real ones are
    frozen_sim.issue_resource_token(
        "group", 2, name="long-path", scopes=("api",), expires_at=frozen_sim.today() + timedelta(1)
    )
    client = GitLabClient(frozen_sim.url, frozen_sim.admin_token)
    app = make_app(client, clock=FrozenClock(FROZEN_NOW), source_choice=("group", "2"))
    expected = "platform/infrastructure-and-operations (group)"
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            table = app.screen.query_one(TokenTable)
            await wait_for(pilot, lambda: any(t.name == "long-path" for t in table.rows))

            def line_of(name: str) -> str:
                for y in range(1, table.size.height):
                    text = table.render_line(y).text
                    if name in text:
                        return text
                return ""

            await wait_for(pilot, lambda: expected in line_of("long-path"))
    finally:
        await client.aclose()


async def test_tui_owner_column_shows_a_bots_resource_whole_at_120_columns(frozen_sim) -> None:
    """At 120 columns a project bot's owner, ``platform/api-gateway (project)``, is shown
    whole (it was cut at 18 cells while the Created column kept its room)."""
    project = frozen_sim.state.projects[1]
    project.name = project.path = "api-gateway"
    project.path_with_namespace = "platform/api-gateway"
    frozen_sim.issue_resource_token(
        "project", 1, name="gateway", scopes=("api",), expires_at=frozen_sim.today() + timedelta(1)
    )
    client = GitLabClient(frozen_sim.url, frozen_sim.admin_token)
    app = make_app(client, clock=FrozenClock(FROZEN_NOW), source_choice=("all", None))
    expected = "platform/api-gateway (project)"
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(TokenTable)
            await wait_for(pilot, lambda: any(t.name == "gateway" for t in table.rows))

            def row_of_gateway() -> str:
                # The table's row as painted (the detail pane below also names the owner).
                for y in range(1, table.size.height):
                    text = table.render_line(y).text
                    if text.startswith("gateway "):
                        return text
                return ""

            await wait_for(pilot, lambda: expected in row_of_gateway())
            header = table.render_line(0).text
            for title in ("Name", "Owner", "Kind", "Expires", "Countdown", "State"):
                assert title in header, header
    finally:
        await client.aclose()


# --- CLI --------------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_against(sim, tmp_path, monkeypatch, capsys):
    """``run(*argv)`` runs tokentui in process against ``sim`` as the admin."""
    for name in ("GITLAB_TOKEN", "GITLAB_HOST", "TOKENTUI_PROFILE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))

    def run(*argv: str, token: str | None = None) -> Result:
        monkeypatch.setenv("GITLAB_HOST", sim.url)
        monkeypatch.setenv("GITLAB_TOKEN", token or sim.admin_token)
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def cli(frozen_sim, tmp_path, monkeypatch, capsys):
    """``cli(*argv)`` runs tokentui in process against the frozen simulator as the admin."""
    return cli_against(frozen_sim, tmp_path, monkeypatch, capsys)


def test_cli_list_all_json_and_csv_give_every_kind_and_resource(frozen_sim, cli) -> None:
    cast = make_cast(frozen_sim)
    result = cli("list", "--all", "--json")
    assert result.code == 0, result.err
    records = {r["id"]: r for r in json.loads(result.out)}
    for key, token_id in cast.ids.items():
        record = records[token_id]
        assert record["kind"] == cast.kind[key], key
        assert record["resource"] == cast.resource[key], key
        assert record["impersonation"] is (key == "impersonation"), key
    assert records[cast.ids["project"]]["resource_type"] == "project"
    assert records[cast.ids["project"]]["resource_id"] == 1
    assert records[cast.ids["personal"]]["owner"] == "carol"
    # Every token of the instance, not only the cast: the kind the server knows it by.
    wrong = {
        r["id"]: r["kind"]
        for r in records.values()
        if r["kind"] != frozen_sim.state.tokens[r["id"]].kind.value
    }
    assert wrong == {}

    result = cli("list", "--all", "--csv")
    assert result.code == 0, result.err
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(result.out))}
    for key, token_id in cast.ids.items():
        assert rows[token_id]["kind"] == cast.kind[key], key
        assert rows[token_id]["resource"] == (cast.resource[key] or ""), key


def test_cli_list_all_places_a_large_listings_owners_in_a_few_requests(
    sim_factory, tmp_path, monkeypatch, capsys
) -> None:
    """``list --all`` on 3,000 tokens (~750 owners, most of them bots): the owners cost a
    page of ``GET /users`` per 100 users, an impersonation list per human and a GET per
    project or group, never a ``GET /users/:id`` per owner; every kind, owner and resource is
    what the server knows."""
    sim = sim_factory(tokens=3000, clock=lambda: FROZEN_NOW)
    cli = cli_against(sim, tmp_path, monkeypatch, capsys)
    before = len(sim.request_log)
    result = cli("list", "--all", "--json")
    assert result.code == 0, result.err
    records = json.loads(result.out)
    assert len(records) == len(sim.state.tokens)
    for record in records:
        token = sim.state.tokens[record["id"]]
        owner = sim.state.users[token.user_id]
        assert record["kind"] == token.kind.value, record["id"]
        if token.resource_type == "project":
            path = sim.state.projects[token.resource_id].path_with_namespace
        elif token.resource_type == "group":
            path = sim.state.groups[token.resource_id].full_path
        else:
            path = None
        assert record["resource"] == path, record["id"]
        assert record["owner"] == (None if path else owner.username), record["id"]
    lookups = owner_lookups(sim, before)
    user_gets = [p for p in lookups if p.count("/") == 4 and "/users/" in p]
    assert user_gets == []
    assert len(lookups) <= lookup_budget(sim, {r["id"] for r in records}), sorted(set(lookups))


def test_cli_table_has_an_owner_column_with_the_resource(frozen_sim, cli) -> None:
    cast = make_cast(frozen_sim)
    result = cli("list", "--all", "--search", "kinds")
    assert result.code == 0, result.err
    lines = {line.split()[1]: line for line in result.out.splitlines()[1:]}
    assert result.out.splitlines()[0].split()[:4] == ["ID", "NAME", "OWNER", "KIND"]
    assert "platform/api (project)" in lines["kinds-project"]
    assert "platform/infra (group)" in lines["kinds-group"]
    assert "@carol" in lines["kinds-personal"] and " impersonation " in lines["kinds-impersonation"]
    assert " service account " in lines["kinds-service-account"]
    assert cast.ids


@pytest.mark.parametrize(
    "key", ["personal", "impersonation", "project", "group", "service_account"]
)
def test_cli_show_gives_the_kind_and_resource(frozen_sim, cli, key) -> None:
    cast = make_cast(frozen_sim)
    token_id = str(cast.ids[key])
    result = cli("show", token_id, "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert (record["kind"], record["resource"]) == (cast.kind[key], cast.resource[key])
    text = cli("show", token_id)
    assert text.code == 0, text.err
    lines = dict(line.split(":", 1) for line in text.out.splitlines())
    assert lines["kind"].strip() == cast.kind[key]
    if cast.resource[key]:
        assert lines["resource"].strip() == f"{cast.resource[key]} ({key})"


def test_cli_show_agrees_with_the_project_source(frozen_sim, cli) -> None:
    """``show ID`` and ``show ID --project 1`` say the same kind (one said personal)."""
    cast = make_cast(frozen_sim)
    token_id = str(cast.ids["project"])
    plain = json.loads(cli("show", token_id, "--json").out)
    scoped = json.loads(cli("show", token_id, "--project", "1", "--json").out)
    assert plain["kind"] == scoped["kind"] == "project"
    assert plain["resource"] == scoped["resource"] == "platform/api"


# --- the headless module ----------------------------------------------------------------------


async def test_one_lookup_per_distinct_user(frozen_sim) -> None:
    """The owners of a list are looked up once each, however many tokens they own."""
    cast = make_cast(frozen_sim)
    async with GitLabClient(frozen_sim.url, frozen_sim.admin_token) as client:
        viewer = await client.current_user()
        tokens = await client.list_tokens(PersonalTokens())
        ownership = Ownership()
        ownership.set_viewer(viewer)
        before = len(frozen_sim.request_log)
        await ownership.resolve(client, tokens, PersonalTokens())
        again = len(frozen_sim.request_log)
        await ownership.resolve(client, tokens, PersonalTokens())
        assert len(frozen_sim.request_log) == again  # cached
    lookups = [r.path for r in frozen_sim.request_log[before:again]]
    users = {t.user_id for t in tokens}
    user_gets = [p for p in lookups if p.count("/") == 4 and "/users/" in p]
    assert len(user_gets) == len(set(user_gets)) == len(users) - 1  # the viewer is known
    resources = [p for p in lookups if "/projects/" in p or "/groups/" in p]
    assert len(resources) == len(set(resources))
    kinds = {key: ownership.kind(t, PersonalTokens()) for t in tokens for key in cast.ids
             if t.id == cast.ids[key]}  # fmt: skip
    assert kinds == {key: TokenKind(key) for key in cast.ids}


def test_simulator_users_look_like_gitlabs(frozen_sim) -> None:
    """``GET /users/:id`` exposes ``bot`` (and, to an admin, ``provisioned_by_group_id``) but
    no ``user_type``: GitLab's REST user entities do not have it."""
    sa = next(u for u in frozen_sim.state.users.values() if u.user_type == SERVICE_ACCOUNT)
    headers = {"PRIVATE-TOKEN": frozen_sim.admin_token}
    body = httpx.get(f"{frozen_sim.url}/api/v4/users/{sa.id}", headers=headers).json()
    assert body["bot"] is True and "user_type" not in body
    assert body["provisioned_by_group_id"] == sa.provisioned_by_group_id


async def test_bulk_lookups_place_owners_from_user_lists(frozen_sim) -> None:
    """With many owners to place (the CLI's lists), an administrator places them from
    ``GET /users`` lists (bots and humans, 100 a page), not one ``GET /users/:id`` each: a
    few requests, the same kinds and resources."""
    make_cast(frozen_sim)
    async with GitLabClient(frozen_sim.url, frozen_sim.admin_token) as client:
        viewer = await client.current_user()
        tokens = await client.list_tokens(PersonalTokens())
        ownership = Ownership(bulk=True)
        ownership.set_viewer(viewer)
        before = len(frozen_sim.request_log)
        await ownership.resolve(client, tokens, PersonalTokens())
    lookups = owner_lookups(frozen_sim, before)
    assert "/api/v4/users" in lookups  # the lists were read
    assert [p for p in lookups if p.count("/") == 4 and "/users/" in p] == []  # no GET /users/:id
    assert len(lookups) <= lookup_budget(frozen_sim, {t.id for t in tokens})
    for token in tokens:
        record = frozen_sim.state.tokens[token.id]
        assert ownership.kind(token, PersonalTokens()) is TokenKind(record.kind.value), token.id
        resource = ownership.resource(token, PersonalTokens())
        if record.resource_type:
            table = (
                frozen_sim.state.projects
                if record.resource_type == "project"
                else (frozen_sim.state.groups)
            )
            item = table[record.resource_id]
            path = getattr(item, "path_with_namespace", None) or item.full_path
            assert resource is not None and resource.path == path, token.id
        else:
            assert resource is None, token.id
