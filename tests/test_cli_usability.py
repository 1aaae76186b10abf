"""What a new user hit on the command line (issue 11, items 15 and 16): the real commands,
in process, against the simulator over loopback HTTP (or a port nothing listens on)."""

from __future__ import annotations

import io
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# ``cli``: the fixture of test_cli.py (the real command in process against ``sim``).
from test_cli import (  # noqa: F401
    Result,
    Run,
    _active_personal,
    assert_no_traceback,
    cli,
    writes,
)

from tokentui.cli.main import main

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring

    from tokentui.simulator import Simulator


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``run(*argv)``: tokentui in process with stdin not a terminal; a :class:`Result`."""

    def call(*argv: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return call


# --- item 16: nothing listening is said at once ------------------------------------------------


def test_a_refused_connection_is_reported_at_once_without_retries(cli: Run) -> None:  # noqa: F811
    port = closed_port()
    result = cli("list", url=f"http://127.0.0.1:{port}")
    assert result.code == 2
    assert result.err.startswith("tokentui: error: ")
    assert f"Nothing answers at 127.0.0.1:{port} (connection refused)" in result.err
    assert "retrying" not in result.err  # no retry was announced: there was none
    assert len(result.err.strip().splitlines()) == 1
    assert_no_traceback(result)


# --- item 15: auth status ----------------------------------------------------------------------


def test_auth_status_with_the_server_down_blames_the_server(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, run
) -> None:
    assert run("auth", "login", "--url", sim.url, stdin=sim.admin_token).code == 0
    down = f"http://127.0.0.1:{closed_port()}"
    # The profile now points at a server that is down.
    text = (config_home / "config.toml").read_text()
    (config_home / "config.toml").write_text(text.replace(sim.url, down))
    result = run("auth", "status")
    assert result.code == 2
    assert f"! cannot reach the server at {down}, so the token was not checked" in result.out
    assert "connection refused" in result.out
    assert "token does not work" not in result.out
    assert "retrying" not in result.err


def test_auth_status_url_checks_that_urls_profiles_and_gitlab_token(
    sim: Simulator,
    config_home: Path,
    memory_keyring: MemoryKeyring,
    run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run("auth", "login", "--url", sim.url, stdin=sim.admin_token).code == 0
    other = "https://gitlab.other.example"
    result = run("auth", "status", "--url", sim.url)
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("profile default (default)")
    assert "user: root (Administrator)" in result.out
    # The top-level --url works the same (README: every command takes --url).
    assert run("--url", sim.url, "auth", "status").out == result.out
    # No profile for that URL: said, exit 2, nothing else checked.
    none = run("auth", "status", "--url", other)
    assert none.code == 2
    assert f"No profile for {other}" in none.out and "profile default" not in none.out
    mismatch = run("auth", "status", "--url", other, "--profile", "default")
    assert mismatch.code == 2 and f"profile 'default' is for {sim.url}, not {other}" in mismatch.err
    # GITLAB_TOKEN is checked against the URL given.
    monkeypatch.setenv("GITLAB_TOKEN", sim.user_token)
    env = run("auth", "status", "--url", sim.url)
    assert env.code == 0
    env_part, _ = env.out.split("profile default")
    assert f"url: {sim.url}" in env_part and "user: alice" in env_part
    down = f"http://127.0.0.1:{closed_port()}"
    unreachable = run("auth", "status", "--url", down)
    assert unreachable.code == 2
    assert f"url: {down}" in unreachable.out
    assert f"! cannot reach the server at {down}" in unreachable.out
    assert "profile default" not in unreachable.out  # not that URL's profile


# --- item 15: --demo with the scripting commands ------------------------------------------------


@pytest.mark.usefixtures("config_home", "memory_keyring")
def test_demo_works_with_every_scripting_command(run) -> None:
    """Nothing configured, no GITLAB_*: ``--demo`` runs the bundled simulator in process, as
    the TUI's demo does, before or after the command name."""
    listed = run("--demo", "list", "--json")
    assert listed.code == 0, listed.err
    rows = listed.json()
    assert len(rows) > 100
    assert listed.err.startswith("tokentui: demo: the bundled simulator runs in this process")
    after = run("list", "--demo", "--mine", "--json")
    assert after.code == 0 and 0 < len(after.json()) < len(rows)
    target = next(r for r in rows if r["state"] == "active" and r["kind"] == "personal")
    shown = run("--demo", "show", str(target["id"]), "--json")
    assert shown.code == 0 and shown.json()["name"] == target["name"]
    created = run("--demo", "create", "--name", "demo-made", "--scope", "read_api")
    assert created.code == 0, created.err
    assert created.out.count("\n") == 1 and created.out.startswith("glpat-")
    assert "This is a demo value" in created.err and "store it now" not in created.err
    rotated = run("--demo", "rotate", str(target["id"]), "--json")
    assert rotated.code == 0, rotated.err
    assert rotated.json()["rotated_from_id"] == target["id"] and "demo value" in rotated.err
    revoked = run("--demo", "revoke", str(target["id"]), "--yes")
    assert revoked.code == 0 and f"revoked token {target['id']}" in revoked.err
    expiring = run("--demo", "expiring", "--within", "365d")
    assert expiring.code == 1 and expiring.out  # the demo has tokens expiring within a year
    for result in (listed, after, shown, created, rotated, revoked, expiring):
        assert "not logged in" not in result.err
        assert_no_traceback(result)


@pytest.mark.usefixtures("config_home", "memory_keyring")
def test_demo_refuses_what_it_cannot_do_with_a_reason(run) -> None:
    status = run("--demo", "auth", "status")
    assert status.code == 2
    assert "--demo works with the TUI and with list, show" in status.err
    assert "not with 'auth'" in status.err
    elsewhere = run("--demo", "list", "--url", "https://gitlab.example.com")
    assert elsewhere.code == 2 and "drop --url/--profile" in elsewhere.err


# --- item 15: revoking a revoked token ----------------------------------------------------------


def test_revoking_an_already_revoked_token_says_so(sim: Simulator, cli: Run) -> None:  # noqa: F811
    target = _active_personal(sim, 4)
    first = cli("revoke", str(target.id), "--yes")
    assert first.code == 0, first.err
    assert f"revoked token {target.id} '{target.name}'" in first.err
    deletes = len(writes(sim))
    again = cli("revoke", str(target.id), "--yes")
    assert again.code == 0, again.err
    assert f"token {target.id} '{target.name}' was already revoked; nothing to do" in again.err
    assert "tokentui: revoked" not in again.err
    assert len(writes(sim)) == deletes  # checked first: no second DELETE


# --- item 15: a project, group or user that does not exist --------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("list", "--project", "nonexist/x"),
            "project 'nonexist/x' was not found, or your account cannot see it",
        ),
        (("show", "5", "--group", "nope"), "group 'nope' was not found, or your account"),
        (
            ("create", "--name", "n", "--scope", "api", "--project", "nonexist/x"),
            "project 'nonexist/x' was not found",
        ),
        (("revoke", "5", "--yes", "--project", "nonexist/x"), "project 'nonexist/x' was not"),
        (
            ("list", "--service-account", "platform:999"),
            "user 999 is not a service account of group 'platform'",
        ),
        (
            ("show", "99999999", "--project", "platform/api"),
            "there is no token 99999999 in project platform/api",
        ),
    ],
)
def test_a_missing_project_group_or_user_is_named(
    sim: Simulator,
    cli: Run,  # noqa: F811
    argv: tuple[str, ...],
    message: str,
) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert result.err.startswith("tokentui: error: ") and message in result.err
    assert "pass the token's source" not in result.err  # it was passed
    assert not [w for w in writes(sim) if w.status < 400]  # nothing changed
    assert_no_traceback(result)


# --- item 15: --sort urgency, the table's default -----------------------------------------------


def _table_ids(text: str) -> list[int]:
    return [int(line.split()[0]) for line in text.splitlines()[1:]]


def test_list_sorts_by_urgency_like_the_tui(sim: Simulator, cli: Run) -> None:  # noqa: F811
    urgent = cli("list", "--all", "--sort", "urgency", "--json")
    assert urgent.code == 0, urgent.err
    rows = urgent.json()
    # The TUI's order: active by soonest expiry, never-expiring, expired, revoked.
    group = {"active": 0, "expired": 2, "revoked": 3}
    ranks = [
        (1 if r["state"] == "active" and r["expires_at"] is None else group[r["state"]])
        for r in rows
    ]
    assert ranks == sorted(ranks) and set(ranks) == {0, 1, 2, 3}
    active = [r["expires_in_s"] for r, rank in zip(rows, ranks, strict=True) if rank == 0]
    assert active == sorted(active)
    # Without --sort, the table is in that order; --json keeps GitLab's (by id).
    table = cli("list", "--all")
    assert table.code == 0, table.err
    assert _table_ids(table.out) == [r["id"] for r in rows]
    plain = [r["id"] for r in cli("list", "--all", "--json").json()]
    assert plain == sorted(plain)
    reverse = cli("list", "--all", "--reverse")
    backwards = cli("list", "--all", "--sort", "urgency", "--reverse", "--json").json()
    assert _table_ids(reverse.out) == [r["id"] for r in backwards] != _table_ids(table.out)


# --- sources by name: --user alice, --project platform/api ---------------------------------------


def _ids(result: Result) -> list[int]:
    assert result.code == 0, result.err
    return [row["id"] for row in result.json()]  # type: ignore[union-attr]


def test_user_and_impersonation_take_a_username(sim: Simulator, cli: Run) -> None:  # noqa: F811
    alice = sim.state.user_by_username("alice")
    assert alice is not None
    by_id = _ids(cli("list", "--user", str(alice.id), "--json"))
    assert by_id
    assert _ids(cli("list", "--user", "alice", "--json")) == by_id
    assert _ids(cli("list", "--user", "@alice", "--json")) == by_id
    assert _ids(cli("list", "--impersonation", "alice", "--json")) == _ids(
        cli("list", "--impersonation", str(alice.id), "--json")
    )
    # A non-administrator may name themselves.
    own = _ids(cli("list", "--user", "alice", "--json", token=sim.user_token))
    assert own and set(own) <= set(by_id)
    target = _active_personal(sim, alice.id)
    shown = cli("show", str(target.id), "--user", "alice", "--json")
    assert shown.code == 0, shown.err
    assert shown.json()["owner"] == "alice"  # type: ignore[index]
    # The username was looked up with GitLab's own user search, once.
    assert any("username=alice" in r.query for r in sim.requests("GET", "/users"))


def test_a_service_account_is_named_by_its_username(sim: Simulator, cli: Run) -> None:  # noqa: F811
    account = next(u for u in sim.state.users.values() if u.user_type == "service_account")
    group = next(g for g in sim.state.groups.values() if f"group_{g.id}_" in account.username)
    by_id = _ids(cli("list", "--service-account", f"{group.full_path}:{account.id}", "--json"))
    named = cli("list", "--service-account", f"{group.full_path}:{account.username}", "--json")
    assert _ids(named) == by_id


def test_an_unknown_username_is_named_with_the_instance(sim: Simulator, cli: Run) -> None:  # noqa: F811
    mark = len(sim.request_log)
    result = cli("list", "--user", "nobody-here")
    assert result.code == 2
    assert result.err.startswith(f"tokentui: error: no user named 'nobody-here' on {sim.url}")
    assert len(result.err.splitlines()) == 1
    assert_no_traceback(result)
    # Looked up, then nothing else: no token list was asked for.
    paths = [r.path for r in sim.request_log[mark:]]
    assert paths and not [p for p in paths if "access_tokens" in p]
    malformed = cli("show", "5", "--user", "bob smith")
    assert malformed.code == 2 and "--user takes a user id or a username" in malformed.err


def test_project_and_group_take_a_url_encoded_path(sim: Simulator, cli: Run) -> None:  # noqa: F811
    project = sim.state.find_project("platform/api")
    group = sim.state.find_group("platform")
    assert project is not None and group is not None
    mark = len(sim.request_log)
    by_path = _ids(cli("list", "--project", "platform/api", "--json"))
    assert by_path == _ids(cli("list", "--project", str(project.id), "--json"))
    assert "/api/v4/projects/platform%2Fapi/access_tokens" in [
        r.path for r in sim.request_log[mark:]
    ]
    assert _ids(cli("list", "--group", "platform", "--json")) == _ids(
        cli("list", "--group", str(group.id), "--json")
    )


# --- a bare 401 checked: the credential is dead, or this is not allowed --------------------------


def _self_asked(sim: Simulator, mark: int) -> bool:
    return any(
        r.method == "GET" and r.path == "/api/v4/personal_access_tokens/self"
        for r in sim.request_log[mark:]
    )


def test_a_revoked_credential_says_it_is_no_longer_valid(sim: Simulator, cli: Run) -> None:  # noqa: F811
    value = sim.issue_token(2, name="rotated-elsewhere", scopes=("api",), revoked=True)
    result = cli("list", "--user", "3", token=value)
    assert result.code == 2
    assert result.err.startswith(
        "tokentui: error: the credential is no longer valid (revoked): GitLab: Token was revoked"
    )
    assert "tokentui auth login" in result.err and "GITLAB_TOKEN" in result.err
    assert "not allowed" not in result.err
    assert len(result.err.splitlines()) == 1
    # A token GitLab does not know at all: a bare 401, checked on the self endpoint.
    mark = len(sim.request_log)
    unknown = cli("list", "--user", "3", token="glpat-" + "0" * 20)
    assert unknown.code == 2
    assert unknown.err.startswith("tokentui: error: the credential is no longer valid (")
    assert "tokentui auth login" in unknown.err and "not allowed" not in unknown.err
    assert _self_asked(sim, mark)


def test_a_live_credential_refused_says_what_it_may_not_do(sim: Simulator, cli: Run) -> None:  # noqa: F811
    # alice (not an administrator) asks for bob's tokens: GitLab answers a bare 401.
    mark = len(sim.request_log)
    listed = cli("list", "--user", "bob", token=sim.user_token)
    assert listed.code == 2
    assert listed.err.startswith(
        "tokentui: error: not allowed: this token may not list the tokens of user 3 "
        "(HTTP 401 from GitLab on GET /personal_access_tokens)"
    )
    assert "auth login" not in listed.err and "no longer valid" not in listed.err
    assert len(listed.err.splitlines()) == 1
    assert _self_asked(sim, mark)  # checked, not guessed
    bobs = _active_personal(sim, 3)
    shown = cli("show", str(bobs.id), token=sim.user_token)
    assert shown.code == 2
    assert (
        f"not allowed: this token may not read token {bobs.id} (HTTP 401 from GitLab on "
        f"GET /personal_access_tokens/{bobs.id})"
    ) in shown.err
    project = cli("list", "--project", "platform/api", token=sim.user_token)
    assert (
        "not allowed: this token may not list the tokens of project platform/api (HTTP 401 "
        "from GitLab on GET /projects/platform%2Fapi/access_tokens)"
    ) in project.err
