"""The simulator's rule table and the client's scope table, checked against each other and GitLab.

The simulator keeps its own statement of GitLab's rules (``tokentui/simulator/rules.py``) so that
a wrong entry in the client's table (``tokentui/gitlab/scopes.py``) cannot pass on both sides.
Three witnesses: the two tables must agree entry for entry; both must agree with the facts of
``/work/shared/gitlab-api.md`` written out below; and the simulator, driven over loopback HTTP by
python-gitlab (an independent client) and by tokentui's client, must accept every scope the tables
allow and refuse the others with GitLab's exact answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import gitlab
import pytest

from tokentui.gitlab import scopes as client_rules
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.models import TokenKind as ClientKind
from tokentui.gitlab.sources import (
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenSource,
)
from tokentui.simulator import Simulator
from tokentui.simulator import rules as sim_rules
from tokentui.simulator.rules import TokenKind as SimKind

# --- GitLab's facts (gitlab-api.md), written here rather than read from either table ---------

#: §3.1: the admin-only scopes (``ADMIN_SCOPES``).
GITLAB_ADMIN_SCOPES = {"sudo", "admin_mode", "read_service_ping"}
#: §3.1: PAT scopes a project/group token may not hold besides the admin ones.
GITLAB_PERSONAL_ONLY = {"read_user"}
#: §3.1: ``all_available_scopes`` of a 19.x instance with the registry, the dependency proxy and
#: Duo on and observability off (the instance both tables describe).
GITLAB_PAT_SCOPES = {
    "api",
    "read_api",
    "read_user",
    "create_runner",
    "manage_runner",
    "k8s_proxy",
    "self_rotate",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "read_virtual_registry",
    "write_virtual_registry",
    "ai_features",
    "sudo",
    "admin_mode",
    "read_service_ping",
}
#: §3.1: OAuth-only names, never token scopes.
NOT_TOKEN_SCOPES = {"openid", "profile", "email", "ai_workflows"}
#: §4.11 (19.x): the only scopes of ``POST /user/personal_access_tokens``.
GITLAB_SELF_SERVICE = {"k8s_proxy", "self_rotate"}
#: §4.8: scopes that allow ``…/self/rotate``.
GITLAB_SELF_ROTATE = {"api", "self_rotate"}
#: §3.2: ``access_level`` values and the default.
GITLAB_ACCESS_LEVELS = {
    10: "Guest",
    15: "Planner",
    20: "Reporter",
    30: "Developer",
    40: "Maintainer",
    50: "Owner",
}
GITLAB_DEFAULT_ACCESS_LEVEL = 40
#: §1.7: maximum lifetime (inclusive) and the rotation default.
GITLAB_MAX_LIFETIME_DAYS = 365
GITLAB_ROTATE_DEFAULT_DAYS = 7

#: GitLab's answers (§3.1, §3.2, §1.2).
INVALID_SCOPES = {"error": "scopes does not have a valid value"}
INVALID_LEVEL = {"error": "access_level does not have a valid value"}
IMPERSONATION_INVALID_SCOPES = {"message": {"scopes": ["can only contain available scopes"]}}

ALICE, CAROL = 2, 4


#: The kinds of GitLab's ``personal_access_tokens`` table, which the simulator's kinds name;
#: deploy tokens live in a table of their own (their scopes are compared below).
ACCESS_KINDS = [k for k in ClientKind if k is not ClientKind.DEPLOY]


def client_sources() -> dict[ClientKind, TokenSource]:
    """One client source of each kind (created by an admin where that matters)."""
    return {
        ClientKind.PERSONAL: PersonalTokens(user_id=CAROL),
        ClientKind.IMPERSONATION: ImpersonationTokens(user_id=CAROL),
        ClientKind.PROJECT: ProjectTokens(resource="1"),
        ClientKind.GROUP: GroupTokens(resource="1"),
        ClientKind.SERVICE_ACCOUNT: ServiceAccountTokens(group="1", user_id=6),
    }


def client_scopes(kind: ClientKind) -> tuple[str, ...]:
    route = client_sources()[kind].create_route(viewer_is_admin=True)
    assert route is not None, kind
    return route.scopes


# --- the two tables against each other ---------------------------------------------------------


def test_both_sides_know_the_same_token_kinds() -> None:
    assert [k.value for k in ACCESS_KINDS] == [k.value for k in SimKind]


def test_both_sides_know_the_same_deploy_token_scopes() -> None:
    assert set(client_rules.DEPLOY_TOKEN_SCOPES) == set(sim_rules.DEPLOY_TOKEN_SCOPES)


@pytest.mark.parametrize("kind", ACCESS_KINDS)
def test_scopes_per_kind_agree(kind: ClientKind) -> None:
    client = client_scopes(kind)
    simulator = sim_rules.SCOPES_BY_KIND[SimKind(kind.value)]
    assert len(set(client)) == len(client) and len(set(simulator)) == len(simulator)
    assert set(client) == set(simulator), (
        f"client only: {set(client) - set(simulator)}, simulator only: "
        f"{set(simulator) - set(client)}"
    )


def test_the_other_tables_agree() -> None:
    mine = PersonalTokens(mine=True).create_route(viewer_is_admin=False)
    assert mine is not None and mine.self_service
    assert set(mine.scopes) == set(sim_rules.SELF_SERVICE_SCOPES)
    assert set(client_rules.ADMIN_SCOPES) == set(sim_rules.ADMIN_SCOPES)
    assert set(client_rules.SELF_ROTATE_SCOPES) == set(sim_rules.SELF_ROTATE_SCOPES)
    assert dict(client_rules.ACCESS_LEVELS) == dict(sim_rules.ACCESS_LEVELS)
    project = ProjectTokens(resource="1").create_route(viewer_is_admin=True)
    assert project is not None and project.access_levels == tuple(sim_rules.ACCESS_LEVELS)
    assert client_rules.DEFAULT_ACCESS_LEVEL == sim_rules.DEFAULT_ACCESS_LEVEL
    assert client_rules.MAX_LIFETIME_DAYS == sim_rules.MAX_LIFETIME_DAYS
    assert client_rules.ROTATE_DEFAULT_DAYS == sim_rules.ROTATE_DEFAULT_DAYS
    assert client_rules.MAX_NAME_LENGTH == sim_rules.MAX_NAME_LENGTH
    assert client_rules.MAX_DESCRIPTION_LENGTH == sim_rules.MAX_DESCRIPTION_LENGTH
    # Every scope the client offers has a meaning and a short form for the UI.
    assert set(client_rules.SCOPE_ABBREVIATIONS) == set(client_rules.SCOPE_MEANINGS)


# --- each table against GitLab's facts ------------------------------------------------------


@pytest.mark.parametrize("side", ["client", "simulator"])
def test_tables_state_gitlabs_rules(side: str) -> None:
    if side == "client":
        by_kind = {k.value: set(client_scopes(k)) for k in ACCESS_KINDS}
        admin, self_service = set(client_rules.ADMIN_SCOPES), set(client_rules.SELF_SERVICE_SCOPES)
        self_rotate, levels = set(client_rules.SELF_ROTATE_SCOPES), client_rules.ACCESS_LEVELS
        default_level = client_rules.DEFAULT_ACCESS_LEVEL
        lifetime, rotate_days = client_rules.MAX_LIFETIME_DAYS, client_rules.ROTATE_DEFAULT_DAYS
    else:
        by_kind = {k.value: set(s) for k, s in sim_rules.SCOPES_BY_KIND.items()}
        admin, self_service = set(sim_rules.ADMIN_SCOPES), set(sim_rules.SELF_SERVICE_SCOPES)
        self_rotate, levels = set(sim_rules.SELF_ROTATE_SCOPES), sim_rules.ACCESS_LEVELS
        default_level = sim_rules.DEFAULT_ACCESS_LEVEL
        lifetime, rotate_days = sim_rules.MAX_LIFETIME_DAYS, sim_rules.ROTATE_DEFAULT_DAYS
    personal = by_kind["personal"]
    assert admin == GITLAB_ADMIN_SCOPES
    assert by_kind["impersonation"] == by_kind["service_account"] == personal
    assert by_kind["project"] == by_kind["group"] == personal - admin - GITLAB_PERSONAL_ONLY
    assert personal == GITLAB_PAT_SCOPES
    assert not NOT_TOKEN_SCOPES & personal
    assert self_service == GITLAB_SELF_SERVICE and self_rotate == GITLAB_SELF_ROTATE
    assert dict(levels) == GITLAB_ACCESS_LEVELS and default_level == GITLAB_DEFAULT_ACCESS_LEVEL
    assert (lifetime, rotate_days) == (GITLAB_MAX_LIFETIME_DAYS, GITLAB_ROTATE_DEFAULT_DAYS)


# --- the simulator answers as GitLab does ------------------------------------------------------


def python_gitlab(sim: Simulator, token: str) -> gitlab.Gitlab:
    return gitlab.Gitlab(sim.url, private_token=token, retry_transient_errors=False)


def refusal(err: pytest.ExceptionInfo[gitlab.exceptions.GitlabError]) -> tuple[int, object]:
    body = err.value.response_body
    assert body is not None
    return err.value.response_code or 0, json.loads(body)


def in_days(sim: Simulator, days: int) -> str:
    return (sim.today() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("kind", ["personal", "service_account", "impersonation"])
def test_every_personal_scope_is_accepted_one_by_one(sim: Simulator, kind: str) -> None:
    gl = python_gitlab(sim, sim.admin_token)
    if kind == "personal":
        manager = gl.users.get(CAROL, lazy=True).personal_access_tokens
    elif kind == "impersonation":
        manager = gl.users.get(CAROL, lazy=True).impersonationtokens
    else:
        accounts = gl.groups.get(1, lazy=True).service_accounts.list(get_all=True)
        manager = next(a for a in accounts if a.id == 6).access_tokens
    for scope in sim_rules.SCOPES_BY_KIND[SimKind(kind)]:
        made = manager.create(
            {"name": f"only-{scope}", "scopes": [scope], "expires_at": in_days(sim, 30)}
        )
        record = sim.state.tokens[made.id]
        assert (record.scopes, record.kind) == ((scope,), SimKind(kind)), scope
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as err:
        manager.create({"name": "x", "scopes": ["openid"], "expires_at": in_days(sim, 30)})
    answer = IMPERSONATION_INVALID_SCOPES if kind == "impersonation" else INVALID_SCOPES
    assert refusal(err) == (400, answer)


@pytest.mark.parametrize("kind", ["project", "group"])
def test_resource_tokens_take_resource_scopes_only(sim: Simulator, kind: str) -> None:
    gl = python_gitlab(sim, sim.admin_token)
    owner = gl.projects.get(1, lazy=True) if kind == "project" else gl.groups.get(1, lazy=True)
    for scope in sim_rules.SCOPES_BY_KIND[SimKind(kind)]:
        made = owner.access_tokens.create(
            {"name": f"only-{scope}", "scopes": [scope], "expires_at": in_days(sim, 30)}
        )
        assert sim.state.tokens[made.id].scopes == (scope,), scope
    # read_user and the admin scopes are personal-token scopes only (§3.1).
    for scope in sorted(GITLAB_PERSONAL_ONLY | GITLAB_ADMIN_SCOPES):
        with pytest.raises(gitlab.exceptions.GitlabCreateError) as err:
            owner.access_tokens.create(
                {"name": "x", "scopes": [scope], "expires_at": in_days(sim, 30)}
            )
        assert refusal(err) == (400, INVALID_SCOPES), scope


def test_read_user_on_a_personal_token_but_not_a_project_token(sim: Simulator) -> None:
    gl = python_gitlab(sim, sim.admin_token)
    made = gl.users.get(CAROL, lazy=True).personal_access_tokens.create(
        {"name": "profile-reader", "scopes": ["read_user"], "expires_at": in_days(sim, 30)}
    )
    assert made.scopes == ["read_user"]
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as err:
        gl.projects.get(1, lazy=True).access_tokens.create(
            {"name": "profile-reader", "scopes": ["read_user"], "expires_at": in_days(sim, 30)}
        )
    assert refusal(err) == (400, INVALID_SCOPES)


def test_self_service_scopes(sim: Simulator) -> None:
    gl = python_gitlab(sim, sim.user_token)
    for scope in sorted(GITLAB_SELF_SERVICE):
        made = gl.http_post(
            "/user/personal_access_tokens", post_data={"name": scope, "scopes": [scope]}
        )
        assert isinstance(made, dict) and made["scopes"] == [scope] and made["user_id"] == ALICE
    with pytest.raises(gitlab.exceptions.GitlabHttpError) as err:
        gl.http_post("/user/personal_access_tokens", post_data={"name": "x", "scopes": ["api"]})
    assert refusal(err) == (400, INVALID_SCOPES)


def test_access_levels(sim: Simulator) -> None:
    gl = python_gitlab(sim, sim.admin_token)
    project = gl.projects.get(1, lazy=True)
    for level in GITLAB_ACCESS_LEVELS:
        made = project.access_tokens.create(
            {
                "name": f"l{level}",
                "scopes": ["api"],
                "access_level": level,
                "expires_at": in_days(sim, 30),
            }
        )
        assert made.access_level == level
    default = project.access_tokens.create(
        {"name": "d", "scopes": ["api"], "expires_at": in_days(sim, 30)}
    )
    assert default.access_level == GITLAB_DEFAULT_ACCESS_LEVEL
    for level in (0, 5, 60):
        with pytest.raises(gitlab.exceptions.GitlabCreateError) as err:
            project.access_tokens.create(
                {
                    "name": "x",
                    "scopes": ["api"],
                    "access_level": level,
                    "expires_at": in_days(sim, 30),
                }
            )
        assert refusal(err) == (400, INVALID_LEVEL), level


def test_lifetime_and_rotation_default(sim: Simulator) -> None:
    gl = python_gitlab(sim, sim.admin_token)
    tokens = gl.users.get(CAROL, lazy=True).personal_access_tokens
    last = tokens.create({"name": "a", "scopes": ["api"], "expires_at": in_days(sim, 365)})
    assert last.expires_at == in_days(sim, GITLAB_MAX_LIFETIME_DAYS)
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as err:
        tokens.create({"name": "b", "scopes": ["api"], "expires_at": in_days(sim, 366)})
    assert refusal(err) == (422, {"message": f"Expiration date must be before {in_days(sim, 365)}"})
    rotated = gl.personal_access_tokens.rotate(last.id)
    assert rotated["expires_at"] == in_days(sim, GITLAB_ROTATE_DEFAULT_DAYS)


async def test_the_client_creates_every_scope_it_offers(sim: Simulator) -> None:
    """Each scope of the client's table, as tokentui sends it, is one GitLab accepts."""
    async with GitLabClient(sim.url, sim.admin_token) as client:
        for kind, source in client_sources().items():
            scopes = client_scopes(kind)
            new = await client.create_token(
                source,
                CreateTokenRequest(
                    name=f"all-{kind}", scopes=scopes, expires_at=sim.today() + timedelta(days=30)
                ),
                viewer_is_admin=True,
            )
            assert set(sim.state.tokens[new.id].scopes) == set(scopes), kind


def test_the_simulator_loads_nothing_of_the_client() -> None:
    """Every simulator module, imported, loads nothing of tokentui outside the simulator."""
    code = (
        "import pkgutil, sys, tokentui.simulator as pkg\n"
        "for m in pkgutil.walk_packages(pkg.__path__, 'tokentui.simulator.'):\n"
        "    __import__(m.name)\n"
        "pkg.Simulator(pkg.SimulatorConfig(seed=1, tokens=20))\n"
        "print(sorted(m for m in sys.modules if m.startswith('tokentui')"
        " and not m.startswith('tokentui.simulator')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['tokentui']"
