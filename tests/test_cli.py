"""The scripting commands end to end, in process, against the simulator over loopback HTTP.

``tokentui.cli.main([...])`` runs with GITLAB_HOST/GITLAB_TOKEN set by monkeypatch and an
empty config directory; outcomes are checked in the simulator's state and request log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from test_startup_requests import answered, slow_user

from tokentui.cli.main import main
from tokentui.cli.output import FIELDS
from tokentui.core.expiry import expiry_instant, token_state
from tokentui.gitlab.models import Token

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def cli(sim, tmp_path, monkeypatch, capsys) -> Run:
    """``cli(*argv, token=...)`` runs tokentui in process against ``sim`` as that credential
    (the admin's by default) and returns its exit code, stdout and stderr."""
    for name in ("GITLAB_TOKEN", "GITLAB_HOST", "TOKENTUI_PROFILE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))

    def run(*argv: str, token: str | None = None, url: str | None = None) -> Result:
        monkeypatch.setenv("GITLAB_HOST", sim.url if url is None else url)
        monkeypatch.setenv("GITLAB_TOKEN", sim.admin_token if token is None else token)
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def api_get(sim, token: str, path: str, **params: object) -> httpx.Response:
    return httpx.get(
        f"{sim.url}/api/v4{path}", headers={"PRIVATE-TOKEN": token}, params=params, timeout=10
    )


def all_ids(sim, token: str, path: str = "/personal_access_tokens", **params: object) -> set[int]:
    """Every token id GitLab lists (direct HTTP, independent of tokentui)."""
    ids: set[int] = set()
    page = 1
    while page:
        response = api_get(sim, token, path, per_page=100, page=page, **params)
        response.raise_for_status()
        ids.update(item["id"] for item in response.json())
        page = int(response.headers.get("X-Next-Page") or 0)
    return ids


def writes(sim) -> list[object]:
    return [r for r in sim.request_log if r.method in ("POST", "DELETE", "PUT", "PATCH")]


def today() -> date:
    return datetime.now(UTC).date()


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.err and "Traceback" not in result.out


# --- list -------------------------------------------------------------------------------------


def test_list_json_is_every_token_of_the_source(sim, cli) -> None:
    result = cli("list", "--all", "--json")
    assert result.code == 0, result.err
    rows = result.json()
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == all_ids(sim, sim.admin_token)
    assert ids == sorted(ids)


def test_list_json_schema_field_by_field(sim, cli) -> None:
    before = datetime.now(UTC)
    result = cli("list", "--all", "--json")
    after = datetime.now(UTC)
    rows = result.json()
    assert rows, "the seeded simulator has tokens"
    for row in rows:
        assert tuple(row) == FIELDS
        record = sim.state.tokens[row["id"]]
        assert row["name"] == record.name
        assert row["description"] == record.description
        assert row["scopes"] == list(record.scopes)
        assert row["revoked"] is record.revoked
        assert row["user_id"] == record.user_id
        assert isinstance(row["active"], bool)
        assert row["kind"] in ("personal", "impersonation", "project", "group", "service_account")
        assert ISO_MS.match(row["created_at"])
        assert row["last_used_at"] is None or ISO_MS.match(row["last_used_at"])
        assert row["last_used_ips"] is None or isinstance(row["last_used_ips"], list)
        if record.expires_at is None:
            assert row["expires_at"] is None and row["expires_in_s"] is None
        else:
            assert row["expires_at"] == record.expires_at.isoformat()
            instant = expiry_instant(record.expires_at)
            second = timedelta(seconds=1)
            assert (instant - after) // second <= row["expires_in_s"]
            assert row["expires_in_s"] <= (instant - before) // second
        token = Token.model_validate(
            {**row, "created_at": row["created_at"], "expires_at": row["expires_at"]}
        )
        assert row["state"] in (token_state(token, before), token_state(token, after))
        if row["access_level"] is not None:
            assert row["access_level_name"] in (
                "Guest",
                "Planner",
                "Reporter",
                "Developer",
                "Maintainer",
                "Owner",
            )
    states = {row["state"] for row in rows}
    assert states == {"active", "expired", "revoked"}


def test_list_filters_match_the_server_truth(sim, cli) -> None:
    every = {row["id"]: row for row in cli("list", "--all", "--json").json()}
    revoked = {row["id"] for row in cli("list", "--all", "--revoked", "--json").json()}
    assert revoked == {i for i, row in every.items() if row["revoked"]}
    active = {row["id"] for row in cli("list", "--all", "--state", "active", "--json").json()}
    assert active == {i for i, row in every.items() if row["state"] == "active"}
    inactive = cli("list", "--all", "--state", "inactive", "--json").json()
    assert {row["id"] for row in inactive} == set(every) - active
    api = {row["id"] for row in cli("list", "--all", "--scope", "api", "--json").json()}
    assert api == {i for i, row in every.items() if "api" in row["scopes"]}
    soon = cli("list", "--all", "--expiring-within", "14d", "--json").json()
    assert soon, "the seed has tokens expiring within 14 days"
    for row in soon:  # active tokens only: a revoked one never "expires within" a window
        assert 0 < row["expires_in_s"] < 14 * 86_400 and not row["revoked"]
    expected_soon = {
        i
        for i, row in every.items()
        if row["expires_in_s"] is not None
        and 0 < row["expires_in_s"] < 14 * 86_400 - 60
        and not row["revoked"]
    }
    assert expected_soon <= {row["id"] for row in soon}
    cutoff = "2026-01-01"
    after = cli("list", "--all", "--created-after", cutoff, "--json").json()
    assert {row["id"] for row in after} == {
        i for i, row in every.items() if row["created_at"] >= "2026-01-01T00:00:00.000Z"
    }


def test_list_sort_and_reverse(cli) -> None:
    rows = cli("list", "--all", "--sort", "name", "--json").json()
    names = [row["name"].casefold() for row in rows]
    assert names == sorted(names)
    rows = cli("list", "--all", "--sort", "created", "--reverse", "--json").json()
    created = [row["created_at"] for row in rows]
    assert created == sorted(created, reverse=True)


def test_list_mine_for_a_regular_user(sim, cli) -> None:
    rows = cli("list", "--json", token=sim.user_token).json()
    alice = next(u for u in sim.state.users.values() if u.username == "alice")
    assert rows and {row["user_id"] for row in rows} == {alice.id}


def test_list_project_tokens(sim, cli) -> None:
    result = cli("list", "--project", "platform/api", "--json", token=sim.maintainer_token)
    assert result.code == 0, result.err
    rows = result.json()
    assert rows and {row["kind"] for row in rows} == {"project"}
    assert {row["id"] for row in rows} == all_ids(
        sim, sim.maintainer_token, "/projects/platform%2Fapi/access_tokens"
    )


def test_list_csv_header_and_neutralised_cells(sim, cli) -> None:
    sim.issue_token(2, name='=HYPERLINK("http://evil")', scopes=("read_api",))
    sim.issue_token(2, name="@SUM(1+1)", scopes=("read_api",))
    result = cli("list", "--user", "2", "--csv")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == ",".join(FIELDS)
    assert len(lines) - 1 == len(cli("list", "--user", "2", "--json").json())
    assert "'=HYPERLINK" in result.out and "'@SUM(1+1)" in result.out
    import csv
    import io

    for row in list(csv.reader(io.StringIO(result.out)))[1:]:
        assert not row[1].startswith(("=", "+", "-", "@"))


def test_list_table_plain_when_piped_and_text_literal(sim, cli) -> None:
    sim.issue_token(2, name="evil\x1b[2J[bold]x[/bold]", scopes=("read_api",))
    result = cli("list", "--user", "2")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "KIND", "STATE"]
    assert "\x1b" not in result.out
    assert "evil\\x1b[2J[bold]x[/bold]" in result.out


def test_list_non_admin_all_is_refused_clearly(sim, cli) -> None:
    result = cli("list", "--all", token=sim.user_token)
    assert result.code == 2
    assert "administrator" in result.err and "--mine" in result.err
    assert_no_traceback(result)


# --- show -------------------------------------------------------------------------------------


def test_show_by_id_and_self(sim, cli) -> None:
    some = next(iter(sim.state.tokens.values()))
    result = cli("show", str(some.id), "--json")
    assert result.code == 0, result.err
    row = result.json()
    assert tuple(row) == FIELDS and row["id"] == some.id and row["name"] == some.name
    text = cli("show", str(some.id))
    assert f"id:             {some.id}" in text.out and "scopes:" in text.out
    me = cli("show", "self", "--json", token=sim.user_token).json()
    assert sim.state.token_by_secret(sim.user_token).id == me["id"]


def test_show_unknown_id_is_a_clear_error(cli) -> None:
    result = cli("show", "99999999")
    assert result.code == 2
    assert result.err.startswith("tokentui: error: ")
    assert_no_traceback(result)


# --- create -----------------------------------------------------------------------------------


def test_create_prints_the_value_alone_on_stdout(sim, cli) -> None:
    result = cli("create", "--name", "cli-made", "--scope", "self_rotate", token=sim.user_token)
    assert result.code == 0, result.err
    value = result.out.strip()
    assert result.out == value + "\n" and value.startswith("glpat-")
    assert value not in result.err
    assert "cli-made" in result.err
    record = sim.state.token_by_secret(value)
    assert record is not None and record.name == "cli-made"
    assert record.scopes == ("self_rotate",)
    assert record.expires_at == today() + timedelta(days=30)
    # The printed value is a working credential.
    assert api_get(sim, value, "/personal_access_tokens/self").json()["id"] == record.id


def test_create_for_a_user_as_admin_json(sim, cli) -> None:
    result = cli(
        "create",
        "--user",
        "4",
        "--name",
        "for-carol",
        "--scope",
        "api",
        "--scope",
        "read_repository",
        "--duration",
        "10d",
        "--description",
        "made by a test",
        "--json",
    )
    assert result.code == 0, result.err
    row = result.json()
    assert tuple(row)[: len(FIELDS)] == FIELDS and row["token"].startswith("glpat-")
    assert row["token"] not in result.err
    assert row["expires_at"] == (today() + timedelta(days=10)).isoformat()
    record = sim.state.tokens[row["id"]]
    assert record.user_id == 4 and record.scopes == ("api", "read_repository")
    assert record.description == "made by a test"


def test_create_project_token_with_access_level(sim, cli) -> None:
    result = cli(
        "create",
        "--project",
        "platform/api",
        "--name",
        "deployer",
        "--scope",
        "read_api",
        "--access-level",
        "developer",
        "--duration",
        "2w",
        "--json",
        token=sim.maintainer_token,
    )
    assert result.code == 0, result.err
    row = result.json()
    assert row["kind"] == "project" and row["access_level"] == 30
    record = sim.state.tokens[row["id"]]
    assert sim.state.bot_access_level(record) == 30


def test_create_scope_a_regular_user_cannot_have_is_refused_before_the_post(sim, cli) -> None:
    result = cli("create", "--name", "x", "--scope", "api", token=sim.user_token)
    assert result.code == 2
    assert "k8s_proxy, self_rotate" in result.err
    assert writes(sim) == []


def test_create_gitlab_refusal_shows_gitlabs_message(sim, cli) -> None:
    # alice is no member of platform/api: GitLab refuses, and its answer reaches stderr.
    result = cli(
        "create",
        "--project",
        "platform/api",
        "--name",
        "not-mine",
        "--scope",
        "api",
        token=sim.user_token,
    )
    assert result.code == 2
    assert result.err.startswith("tokentui: error: ")
    assert len(result.err.splitlines()) == 1
    assert_no_traceback(result)
    assert not any(t.name == "not-mine" for t in sim.state.tokens.values())


# --- rotate -----------------------------------------------------------------------------------


def _active_personal(sim, user_id: int):
    now = datetime.now(UTC)
    return next(
        t
        for t in sim.state.tokens.values()
        if t.user_id == user_id
        and not t.revoked
        and t.kind.value == "personal"
        and (t.expires_at is None or expiry_instant(t.expires_at) > now + timedelta(days=1))
        and t.id != sim.state.token_by_secret(sim.admin_token).id
    )


def test_rotate_by_id(sim, cli) -> None:
    old = _active_personal(sim, 3)
    result = cli("rotate", str(old.id), "--duration", "7d")
    assert result.code == 0, result.err
    value = result.out.strip()
    assert result.out == value + "\n" and value not in result.err
    new = sim.state.token_by_secret(value)
    assert new.id != old.id and new.name == old.name and new.scopes == old.scopes
    assert sim.state.tokens[old.id].revoked
    assert new.expires_at == today() + timedelta(days=7)


def test_rotate_json(sim, cli) -> None:
    old = _active_personal(sim, 4)
    row = cli("rotate", str(old.id), "--json").json()
    assert row["rotated_from_id"] == old.id and row["token"].startswith("glpat-")
    assert sim.state.tokens[row["id"]].name == old.name


def test_rotate_self_from_gitlab_token_prints_value_and_warns(sim, cli) -> None:
    old_value = sim.user_token
    result = cli("rotate", "self", token=old_value)
    assert result.code == 0, result.err
    value = result.out.strip()
    assert value.startswith("glpat-") and value not in result.err
    assert "GITLAB_TOKEN" in result.err
    assert api_get(sim, old_value, "/user").status_code == 401
    assert api_get(sim, value, "/user").status_code == 200


# --- revoke -----------------------------------------------------------------------------------


def test_revoke_refuses_without_a_terminal(sim, cli) -> None:
    target = _active_personal(sim, 4)
    count = len(sim.request_log)
    result = cli("revoke", str(target.id))
    assert result.code == 2
    assert "--yes" in result.err and "terminal" in result.err
    assert len(sim.request_log) == count
    assert not sim.state.tokens[target.id].revoked


def test_revoke_with_yes(sim, cli) -> None:
    target = _active_personal(sim, 4)
    result = cli("revoke", str(target.id), "--yes")
    assert result.code == 0, result.err
    assert sim.state.tokens[target.id].revoked
    assert result.out == ""


def test_revoke_project_token(sim, cli) -> None:
    rows = cli("list", "--project", "platform/api", "--state", "active", "--json").json()
    target = rows[0]["id"]
    result = cli("revoke", str(target), "--project", "platform/api", "--yes")
    assert result.code == 0, result.err
    assert sim.state.tokens[target].revoked


# --- expiring ---------------------------------------------------------------------------------


def _quiet_user(sim, user_id: int) -> None:
    """Revoke every token of ``user_id`` that would expire within a year (test set-up)."""
    for record in sim.state.tokens.values():
        if record.user_id == user_id and record.expires_at is not None:
            record.revoked = True


def test_expiring_exit_codes(sim, cli) -> None:
    _quiet_user(sim, 5)
    quiet = cli("expiring", "--within", "14d", "--user", "5", "--json")
    assert quiet.code == 0, quiet.err
    assert quiet.json() == []
    sim.issue_token(
        5, name="expires-soon", scopes=("read_api",), expires_at=today() + timedelta(days=3)
    )
    sim.issue_token(
        5, name="expires-later", scopes=("read_api",), expires_at=today() + timedelta(days=40)
    )
    found = cli("expiring", "--within", "14d", "--user", "5", "--json")
    assert found.code == 1
    assert [row["name"] for row in found.json()] == ["expires-soon"]
    text = cli("expiring", "--within", "14d", "--user", "5")
    assert text.code == 1 and "expires-soon" in text.out and "expires-later" not in text.out
    wider = cli("expiring", "--within", "60d", "--user", "5", "--json")
    assert wider.code == 1 and len(wider.json()) == 2


def test_expiring_errors_exit_2(sim, cli) -> None:
    bad = cli("expiring", "--within", "soon")
    assert bad.code == 2 and "--within" in bad.err
    unauthorized = cli("expiring", token="glpat-notavalidtoken00000")
    assert unauthorized.code == 2 and unauthorized.err.startswith("tokentui: error: ")
    refused = cli("expiring", url="http://127.0.0.1:9")
    assert refused.code == 2
    for result in (bad, unauthorized, refused):
        assert_no_traceback(result)


# --- bad arguments: refused before any request --------------------------------------------------

BAD_ARGUMENTS = [
    (["list", "--created-after", "2026-13-01"], "--created-after"),
    (["list", "--last-used-before", "last week"], "--last-used-before"),
    (["list", "--expiring-within", "two weeks"], "--expiring-within"),
    (["list", "--scope", "everything"], "--scope"),
    (["list", "--user", "bob smith"], "--user takes a user id or a username"),
    (["list", "--service-account", "platform"], "GROUP:USER_ID"),
    (["create", "--name", "", "--scope", "api"], "--name must not be empty"),
    (["create", "--name", "x" * 256, "--scope", "api"], "at most 255"),
    (["create", "--name", "n"], "at least one --scope"),
    (["create", "--name", "n", "--scope", "bogus"], "bogus: not valid"),
    (["create", "--project", "1", "--name", "n", "--scope", "read_user"], "read_user: not valid"),
    (["create", "--name", "n", "--scope", "api", "--duration", "400d"], "365"),
    (
        ["create", "--name", "n", "--scope", "api", "--expires-at", "2020-01-01"],
        "not in the future",
    ),
    (["create", "--name", "n", "--scope", "api", "--expires-at", "31/12/2026"], "not a date"),
    (
        ["create", "--group", "1", "--name", "n", "--scope", "api", "--access-level", "boss"],
        "does not exist",
    ),
    (
        ["create", "--name", "n", "--scope", "api", "--access-level", "developer"],
        "project and group tokens only",
    ),
    (["create", "--name", "n", "--scope", "api", "--description", "d" * 256], "at most 255"),
    (["show", "abc"], "positive number or 'self'"),
    (["rotate", "12x"], "positive number or 'self'"),
    (["rotate", "3", "--duration", "366d"], "365"),
    (["revoke", "-5", "--yes"], "positive number or 'self'"),
    (["revoke", "5"], "--yes"),
]


@pytest.mark.parametrize("argv, message", BAD_ARGUMENTS, ids=lambda v: str(v)[:40])
def test_bad_arguments_are_refused_before_any_request(sim, cli, argv, message) -> None:
    count = len(sim.request_log)
    result = cli(*argv)
    assert result.code == 2
    assert message in result.err
    assert result.err.startswith("tokentui: ")
    assert_no_traceback(result)
    assert len(sim.request_log) == count


def test_missing_configuration_is_explained(cli, monkeypatch, capsys) -> None:
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    monkeypatch.delenv("GITLAB_HOST", raising=False)
    code = main(["list"])
    err = capsys.readouterr().err
    assert code == 2 and "auth login" in err and "Traceback" not in err


def test_url_flag_beats_gitlab_host(sim, cli) -> None:
    result = cli(
        "list", "--mine", "--json", "--url", sim.url, url="http://127.0.0.1:9", token=sim.user_token
    )
    assert result.code == 0, result.err


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["list", "show", "create", "rotate", "revoke", "expiring"])
def test_each_command_has_complete_help(command, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--profile" in text and "--url" in text and "Exit codes:" in text
    if command != "create":
        assert "ID|self" in text or command in ("list", "expiring")


def test_top_level_help_lists_the_commands(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("list", "show", "create", "rotate", "revoke", "expiring"):
        assert command in text


# --- profiles ---------------------------------------------------------------------------------


@pytest.fixture
def work_profile(sim, cli) -> str:
    """A profile 'work' for ``sim`` whose token (alice's) is in the opt-in credentials file."""
    from pydantic import SecretStr

    from tokentui.core import config, credentials

    credentials.file_set("work", SecretStr(sim.user_token))
    settings = config.load_settings()
    settings.put(config.Profile(name="work", url=sim.url, storage="file"), make_default=True)
    settings.save()
    return "work"


def test_profile_supplies_url_and_token(sim, cli, work_profile) -> None:
    result = cli("list", "--profile", work_profile, "--json", token="", url="")
    assert result.code == 0, result.err
    alice = next(u for u in sim.state.users.values() if u.username == "alice")
    assert {row["user_id"] for row in result.json()} == {alice.id}
    unknown = cli("list", "--profile", "nope", token="", url="")
    assert unknown.code == 2 and "no profile named 'nope'" in unknown.err


def test_rotate_self_stores_the_new_value_in_the_profile(sim, cli, work_profile) -> None:
    from tokentui.core import credentials

    result = cli("rotate", "self", "--json", "--profile", work_profile, token="", url="")
    assert result.code == 0, result.err
    row = result.json()
    assert row["stored"] is True
    assert credentials.file_get(work_profile).get_secret_value() == row["token"]
    assert row["token"] not in result.err
    # tokentui keeps working with the stored value; the old one is dead.
    assert cli("show", "self", "--json", token="", url="").json()["id"] == row["id"]
    assert api_get(sim, sim.user_token, "/user").status_code == 401


# --- faults -----------------------------------------------------------------------------------


def test_list_is_exact_under_server_errors_and_says_it_retries(sim, cli) -> None:
    expected = all_ids(sim, sim.admin_token)
    sim.faults.fail_rate = 0.2
    sim.faults.burst_429(2, retry_after=1)
    result = cli("list", "--all", "--json")
    sim.faults.reset()
    assert result.code == 0, result.err
    ids = [row["id"] for row in result.json()]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert "retrying" in result.err


def test_a_lost_create_answer_is_not_retried_and_is_explained(sim, cli) -> None:
    sim.faults.drop_after_action("POST", r"/personal_access_tokens$")
    result = cli("create", "--user", "4", "--name", "lost-answer", "--scope", "read_api")
    assert result.code == 2
    assert "may" in result.err
    assert_no_traceback(result)
    posts = [r for r in sim.request_log if r.method == "POST"]
    assert len(posts) == 1
    # It did happen on the server: the user was told to check.
    assert any(t.name == "lost-answer" for t in sim.state.tokens.values())


def test_a_lost_rotate_answer_is_not_retried(sim, cli) -> None:
    old = _active_personal(sim, 4)
    sim.faults.drop_after_action("POST", r"/rotate$")
    result = cli("rotate", str(old.id))
    assert result.code == 2 and "may" in result.err and result.out == ""
    assert len([r for r in sim.request_log if r.method == "POST"]) == 1


# --- self, for every kind -----------------------------------------------------------------------


def test_revoke_self(sim, cli) -> None:
    value = sim.issue_token(2, name="throwaway", scopes=("api",))
    record = sim.state.token_by_secret(value)
    result = cli("revoke", "self", "--yes", token=value)
    assert result.code == 0, result.err
    assert sim.state.tokens[record.id].revoked
    assert api_get(sim, value, "/user").status_code == 401


def test_rotate_self_of_a_project_token(sim, cli) -> None:
    made = cli(
        "create",
        "--project",
        "platform/api",
        "--name",
        "bot-self",
        "--scope",
        "api",
        "--duration",
        "30d",
        token=sim.maintainer_token,
    )
    assert made.code == 0, made.err
    project_value = made.out.strip()
    result = cli("rotate", "self", "--project", "platform/api", "--json", token=project_value)
    assert result.code == 0, result.err
    row = result.json()
    assert row["stored"] is False and "GITLAB_TOKEN" in result.err
    assert row["kind"] == "project" and row["name"] == "bot-self"
    assert api_get(sim, row["token"], "/projects/1").status_code == 200
    assert sim.state.token_by_secret(project_value).revoked


def test_profile_default_source_applies_without_a_flag(sim, cli) -> None:
    from pydantic import SecretStr

    from tokentui.core import config, credentials

    credentials.file_set("admin", SecretStr(sim.admin_token))
    settings = config.load_settings()
    profile = config.Profile(name="admin", url=sim.url, storage="file", default_source="mine")
    settings.put(profile, make_default=True)
    settings.save()
    rows = cli("list", "--json", token="", url="").json()
    assert {row["user_id"] for row in rows} == {1}
    everyone = cli("list", "--all", "--json", token="", url="").json()
    assert len({row["user_id"] for row in everyone}) > 1


def test_list_search_and_last_used_filters(sim, cli) -> None:
    every = cli("list", "--all", "--json").json()
    found = cli("list", "--all", "--search", "deploy", "--json").json()
    assert found
    assert {row["id"] for row in found} == {
        row["id"] for row in every if "deploy" in row["name"].casefold()
    }
    since = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = cli("list", "--all", "--last-used-after", since, "--json").json()
    assert recent
    assert {row["id"] for row in recent} == {
        row["id"]
        for row in every
        if row["last_used_at"] is not None and row["last_used_at"] >= since[:-1] + ".000Z"
    }


def test_rotate_by_id_of_the_token_in_use_stores_it_like_self(sim, cli, work_profile) -> None:
    from tokentui.core import credentials

    in_use = sim.state.token_by_secret(sim.user_token).id
    result = cli("rotate", str(in_use), "--json", token="", url="")
    assert result.code == 0, result.err
    row = result.json()
    assert row["rotated_from_id"] == in_use and row["stored"] is True
    assert credentials.file_get(work_profile).get_secret_value() == row["token"]
    assert cli("show", "self", "--json", token="", url="").json()["id"] == row["id"]


def test_top_level_flags_before_the_command_apply(sim, cli) -> None:
    mine = cli("--url", sim.url, "--mine", "list", "--json", url="http://127.0.0.1:9")
    assert mine.code == 0, mine.err
    assert {row["user_id"] for row in mine.json()} == {1}
    # The command's own flags still win.
    both = cli("--mine", "list", "--user", "2", "--json")
    assert {row["user_id"] for row in both.json()} == {2}


def test_access_level_above_the_creators_is_gitlabs_refusal(sim, cli) -> None:
    dave = sim.issue_token(5, name="dave-cli", scopes=("api",))  # Maintainer of platform/web
    result = cli(
        "create",
        "--project",
        "platform/web",
        "--name",
        "too-strong",
        "--scope",
        "api",
        "--access-level",
        "owner",
        token=dave,
    )
    assert result.code == 2
    assert result.err.startswith("tokentui: error: ") and "access level" in result.err.lower()
    assert_no_traceback(result)
    ok = cli(
        "create",
        "--project",
        "platform/web",
        "--name",
        "fine",
        "--scope",
        "api",
        "--access-level",
        "maintainer",
        token=dave,
    )
    assert ok.code == 0, ok.err


def test_service_account_tokens_for_a_group_owner(sim, cli) -> None:
    bob = sim.maintainer_token  # Owner of group platform, which provisioned user 6
    made = cli(
        "create",
        "--service-account",
        "platform:6",
        "--name",
        "sa-cli",
        "--scope",
        "api",
        "--json",
        token=bob,
    ).json()
    assert made["kind"] == "service_account" and made["user_id"] == 6
    shown = cli("show", str(made["id"]), "--service-account", "platform:6", "--json", token=bob)
    assert shown.code == 0, shown.err
    assert shown.json()["name"] == "sa-cli"
    rotated = cli("rotate", str(made["id"]), "--service-account", "platform:6", token=bob)
    assert rotated.code == 0, rotated.err
    new_id = sim.state.token_by_secret(rotated.out.strip()).id
    revoked = cli("revoke", str(new_id), "--service-account", "platform:6", "--yes", token=bob)
    assert revoked.code == 0, revoked.err
    assert sim.state.tokens[new_id].revoked
    missing = cli("show", "99999", "--service-account", "platform:6", token=bob)
    assert missing.code == 2 and "no token 99999" in missing.err


# --- the first requests go out together (issue 6; see test_startup_requests.py) -------------


def test_list_all_is_fetched_while_the_viewer_is_checked(sim, cli: Run) -> None:
    slow_user(sim)
    result = cli("list", "--all", "--json")
    assert result.code == 0, result.err
    order = answered(sim)
    assert {t["id"] for t in result.json()} == all_ids(sim, sim.admin_token)
    assert order.index("list p1") < order.index("user")
    assert order.count("list p1") == 1


def test_mine_waits_for_the_viewer(sim, cli: Run) -> None:
    slow_user(sim)
    result = cli("list", "--mine", "--json", token=sim.user_token)
    assert result.code == 0, result.err
    assert answered(sim)[:2] == ["user", "list p1"]


def test_a_non_admin_asking_for_all_is_refused_though_the_list_was_asked(sim, cli: Run) -> None:
    slow_user(sim)
    result = cli("list", "--all", "--json", token=sim.user_token)
    assert result.code == 2
    assert "needs an administrator" in result.err
    assert result.out == ""  # the own tokens GitLab answered to the early request are dropped
