"""Simulator: deploy tokens (gitlab-api.md §7.3) over real HTTP, one rule at a time.

Cast: bob is Maintainer of platform/api and Owner of group platform; alice is a Developer of
platform; dave is Maintainer of group platform/infra (id 2) and of project platform/web;
data/warehouse is private.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tokentui.simulator import Simulator

DAVE = 5


def api(sim: Simulator, token: str | None = None) -> httpx.Client:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return httpx.Client(base_url=f"{sim.url}/api/v4", headers=headers)


def dave_token(sim: Simulator) -> str:
    return sim.issue_token(DAVE, name="dave-api", scopes=["api"])


def ids_of(sim: Simulator, kind: str, resource_id: int) -> list[int]:
    return [
        t.id
        for t in sim.state.deploy_tokens.values()
        if t.resource_type == kind and t.resource_id == resource_id
    ]


# -- seeded data and the entity ------------------------------------------------------------------


def test_seeded_on_every_project_and_group_in_every_state(sim: Simulator) -> None:
    records = list(sim.state.deploy_tokens.values())
    assert {(t.resource_type, t.resource_id) for t in records} == {
        ("project", 1),
        ("project", 2),
        ("project", 3),
        ("group", 1),
        ("group", 2),
        ("group", 3),
    }
    now = sim.now()
    assert any(t.revoked for t in records)
    assert any(t.expired(now.date()) for t in records)
    assert any(t.expires_at is None for t in records)
    assert any(t.active(now) and t.expires_at is not None for t in records)


def test_entity_fields_in_gitlabs_order_and_no_value(sim: Simulator) -> None:
    with api(sim, sim.maintainer_token) as client:
        listed = client.get("/projects/1/deploy_tokens").json()
        one = client.get(f"/projects/1/deploy_tokens/{listed[0]['id']}").json()
    assert list(one) == ["id", "name", "username", "expires_at", "scopes", "revoked", "expired"]
    assert all("token" not in row for row in listed)
    never = next(row for row in listed if row["name"] == "gitlab-deploy-token")
    assert never["expires_at"] is None and never["username"] == f"gitlab+deploy-token-{never['id']}"
    dated = next(row for row in listed if row["expires_at"] is not None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", dated["expires_at"])


# -- who may do what -----------------------------------------------------------------------------


def test_instance_list_is_for_administrators(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        answer = client.get("/deploy_tokens", params={"per_page": 100})
    assert answer.status_code == 200
    assert [t["id"] for t in answer.json()] == sorted(sim.state.deploy_tokens)
    with api(sim, sim.user_token) as client:
        refused = client.get("/deploy_tokens")
    assert (refused.status_code, refused.json()) == (403, {"message": "403 Forbidden"})
    with api(sim) as client:
        anonymous = client.get("/deploy_tokens")
    assert (anonymous.status_code, anonymous.json()) == (401, {"message": "401 Unauthorized"})


def test_project_reads_and_writes_need_maintainer(sim: Simulator) -> None:
    with api(sim, sim.user_token) as client:  # alice: Developer through the group
        for answer in (
            client.get("/projects/1/deploy_tokens"),
            client.get(f"/projects/1/deploy_tokens/{ids_of(sim, 'project', 1)[0]}"),
            client.post(
                "/projects/1/deploy_tokens", json={"name": "x", "scopes": ["read_registry"]}
            ),
            client.delete(f"/projects/1/deploy_tokens/{ids_of(sim, 'project', 1)[0]}"),
        ):
            assert (answer.status_code, answer.json()) == (403, {"message": "403 Forbidden"})
        hidden = client.get("/projects/data%2Fwarehouse/deploy_tokens")
    assert (hidden.status_code, hidden.json()) == (404, {"message": "404 Project Not Found"})
    with api(sim, dave_token(sim)) as client:  # Maintainer of platform/web
        allowed = client.post(
            "/projects/platform%2Fweb/deploy_tokens",
            json={"name": "web", "scopes": ["read_repository"]},
        )
    assert allowed.status_code == 201, allowed.text
    assert len(ids_of(sim, "project", 1)) == 4  # nothing was created or deleted on platform/api


def test_group_reads_need_maintainer_writes_need_owner(sim: Simulator) -> None:
    with api(sim, dave_token(sim)) as client:  # Maintainer of platform/infra
        listed = client.get("/groups/platform%2Finfra/deploy_tokens")
        assert [t["id"] for t in listed.json()] == ids_of(sim, "group", 2)
        token_id = ids_of(sim, "group", 2)[0]
        assert client.get(f"/groups/2/deploy_tokens/{token_id}").status_code == 200
        create = client.post(
            "/groups/2/deploy_tokens", json={"name": "x", "scopes": ["read_registry"]}
        )
        delete = client.delete(f"/groups/2/deploy_tokens/{token_id}")
    assert (create.status_code, create.json()) == (403, {"message": "403 Forbidden"})
    assert delete.status_code == 403 and token_id in sim.state.deploy_tokens
    with api(sim, sim.user_token) as client:  # alice: Developer of platform
        assert client.get("/groups/platform/deploy_tokens").status_code == 403
    with api(sim, sim.maintainer_token) as client:  # bob: Owner of platform
        created = client.post(
            "/groups/platform/deploy_tokens", json={"name": "g", "scopes": ["read_registry"]}
        )
        assert created.status_code == 201
        assert client.delete(f"/groups/1/deploy_tokens/{created.json()['id']}").status_code == 204


def test_anonymous_and_deploy_token_credentials(sim: Simulator) -> None:
    with api(sim) as client:
        anonymous = client.get("/projects/1/deploy_tokens")
    assert (anonymous.status_code, anonymous.json()) == (404, {"message": "404 Project Not Found"})
    value = sim.issue_deploy_token("project", 1, name="pull", scopes=["read_repository"])
    assert value.startswith("gldt-")
    with api(sim, value) as client:  # not an API credential
        for answer in (client.get("/projects/1/deploy_tokens"), client.get("/user")):
            assert (answer.status_code, answer.json()) == (401, {"message": "401 Unauthorized"})


# -- create: validation, defaults, values --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"scopes": ["read_registry"]}, {"error": "name is missing"}),
        ({"name": "x"}, {"error": "scopes is missing"}),
        ({}, {"error": "name is missing, scopes is missing"}),
        (
            {"name": "x", "scopes": ["read_registry", "api"]},
            {"error": "scopes does not have a valid value"},
        ),
        (
            {"name": "x", "scopes": ["read_repository"], "expires_at": "soon"},
            {"error": "expires_at is invalid"},
        ),
        ({"name": "x", "scopes": []}, {"message": "Scopes can't be blank"}),
        (
            {"name": "x", "scopes": ["read_registry"], "username": "ci deployer"},
            {"message": "Username can contain only letters, digits, '_', '-', '+', and '.'"},
        ),
        (
            {"name": "n" * 256, "scopes": [], "username": "é" * 256},
            {
                "message": "Scopes can't be blank, "
                "Username is too long (maximum is 255 characters), "
                "Username can contain only letters, digits, '_', '-', '+', and '.', "
                "and Name is too long (maximum is 255 characters)"
            },
        ),
    ],
)
def test_create_is_refused_with_gitlabs_messages(
    sim: Simulator, body: dict[str, object], answer: dict[str, str]
) -> None:
    before = dict(sim.state.deploy_tokens)
    with api(sim, sim.maintainer_token) as client:
        refused = client.post("/projects/1/deploy_tokens", json=body)
    assert (refused.status_code, refused.json()) == (400, answer)
    assert sim.state.deploy_tokens == before


def test_create_defaults_value_and_scopes_order(sim: Simulator) -> None:
    with api(sim, sim.maintainer_token) as client:
        created = client.post(
            "/projects/platform%2Fapi/deploy_tokens",
            # a comma string, in another order than GitLab's, blank username and expiry
            json={
                "name": "ci-pull",
                "scopes": "read_registry,read_repository",
                "username": "",
                "expires_at": "",
            },
        )
    assert created.status_code == 201, created.text
    body = created.json()
    assert list(body) == [
        "id",
        "name",
        "username",
        "expires_at",
        "scopes",
        "revoked",
        "expired",
        "token",
    ]
    assert body["username"] == f"gitlab+deploy-token-{body['id']}"
    assert body["scopes"] == ["read_repository", "read_registry"]
    assert body["expires_at"] is None and not body["expired"] and not body["revoked"]
    assert re.fullmatch(r"gldt-[A-Za-z0-9_-]{20}", body["token"])
    record = sim.deploy_token_record(body["token"])
    assert (record.id, record.resource_type, record.resource_id) == (body["id"], "project", 1)
    assert body["id"] == max(sim.state.deploy_tokens)


def test_username_charset_and_expiry_formats(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    with api(sim, sim.maintainer_token) as client:
        named = client.post(
            "/groups/1/deploy_tokens",
            json={
                "name": "x",
                "scopes": ["read_registry"],
                "username": "GitLab+deploy_token-3.14",
                "expires_at": "2027-03-01",
            },
        ).json()
        timed = client.post(
            "/groups/1/deploy_tokens",
            json={"name": "y", "scopes": ["read_registry"], "expires_at": "2027-03-01T08:30:00Z"},
        ).json()
        past = client.post(
            "/groups/1/deploy_tokens",
            json={"name": "z", "scopes": ["read_registry"], "expires_at": "2020-01-01"},
        )
    assert named["username"] == "GitLab+deploy_token-3.14"
    assert named["expires_at"] == "2027-03-01T00:00:00.000Z"
    assert timed["expires_at"] == "2027-03-01T08:30:00.000Z"
    # No validation refuses a past expiry: the token is born expired (docs/simulator.md).
    assert past.status_code == 201 and past.json()["expired"] is True


# -- the active filter, expiry to the day and to the instant ------------------------------------


def test_active_filter(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    now = sim.now()
    midnight = datetime.combine(now.date(), datetime.min.time(), UTC)
    expiring_today = sim.issue_deploy_token("project", 1, name="today", expires_at=midnight)
    later_today = sim.issue_deploy_token(
        "project", 1, name="tonight", expires_at=now + timedelta(hours=3)
    )
    with api(sim, sim.maintainer_token) as client:
        every = client.get("/projects/1/deploy_tokens", params={"active": "false"}).json()
        active = client.get("/projects/1/deploy_tokens", params={"active": "true"}).json()
        bad = client.get("/projects/1/deploy_tokens", params={"active": "maybe"})
    assert [t["id"] for t in every] == ids_of(sim, "project", 1)
    expected = [
        t.id
        for t in sim.state.deploy_tokens.values()
        if t.resource_id == 1 and t.resource_type == "project" and t.active(now)
    ]
    assert [t["id"] for t in active] == expected
    assert all(not t["revoked"] and not t["expired"] for t in active)
    today = next(t for t in every if t["id"] == sim.deploy_token_record(expiring_today).id)
    # Expires at 00:00 today: not "expired" (day granularity) yet not active (instant).
    assert today["expired"] is False and today["id"] not in [t["id"] for t in active]
    assert sim.deploy_token_record(later_today).id in [t["id"] for t in active]
    assert (bad.status_code, bad.json()) == (400, {"error": "active is invalid"})
    with api(sim, sim.admin_token) as client:
        everywhere = client.get("/deploy_tokens", params={"active": "true", "per_page": 100}).json()
    assert [t["id"] for t in everywhere] == [
        t.id for t in sim.state.deploy_tokens.values() if t.active(now)
    ]


# -- pagination ----------------------------------------------------------------------------------


def test_pagination_headers_like_the_other_lists(sim: Simulator) -> None:
    for n in range(21):
        sim.issue_deploy_token("group", 3, name=f"fleet-{n}")
    expected = ids_of(sim, "group", 3)
    with api(sim, sim.admin_token) as client:
        first = client.get("/groups/data/deploy_tokens", params={"per_page": 10})
        last = client.get("/groups/data/deploy_tokens", params={"per_page": 10, "page": 3})
        default = client.get("/groups/data/deploy_tokens")
    assert first.headers["X-Total"] == str(len(expected)) == "23"
    assert (
        first.headers["X-Total-Pages"],
        first.headers["X-Page"],
        first.headers["X-Next-Page"],
    ) == ("3", "1", "2")
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    assert last.headers["X-Next-Page"] == "" and last.headers["X-Prev-Page"] == "2"
    assert [t["id"] for t in first.json() + last.json()] == expected[:10] + expected[20:]
    assert default.headers["X-Per-Page"] == "20" and len(default.json()) == 20


# -- get and delete ------------------------------------------------------------------------------


def test_get_and_delete_by_id(sim: Simulator) -> None:
    other_project = ids_of(sim, "project", 2)[0]
    mine = ids_of(sim, "project", 1)[0]
    with api(sim, sim.maintainer_token) as client:
        foreign = client.get(f"/projects/1/deploy_tokens/{other_project}")
        invalid = client.get("/projects/1/deploy_tokens/12abc")
        deleted = client.delete(f"/projects/1/deploy_tokens/{mine}")
        again = client.delete(f"/projects/1/deploy_tokens/{mine}")
        gone = client.get(f"/projects/1/deploy_tokens/{mine}")
        created = client.post(
            "/projects/1/deploy_tokens", json={"name": "n", "scopes": ["read_repository"]}
        )
    assert (foreign.status_code, foreign.json()) == (404, {"message": "404 Not found"})
    assert (invalid.status_code, invalid.json()) == (400, {"error": "token_id is invalid"})
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert mine not in sim.state.deploy_tokens  # the row is gone, not marked revoked
    assert again.status_code == 404 and gone.status_code == 404
    assert created.json()["id"] > max(other_project, mine)  # ids are never reused


# -- the two rule tables -------------------------------------------------------------------------

#: ``DeployToken::AVAILABLE_SCOPES`` in GitLab 19.2 (gitlab-api.md §7.3), written out here so a
#: wrong entry in either table fails.
GITLAB_DEPLOY_SCOPES = (
    "read_repository",
    "read_registry",
    "write_registry",
    "read_package_registry",
    "write_package_registry",
    "read_virtual_registry",
    "write_virtual_registry",
)


def test_simulator_and_client_tables_state_gitlabs_rules() -> None:
    from tokentui.gitlab import scopes as client_rules
    from tokentui.simulator import rules as simulator_rules

    assert simulator_rules.DEPLOY_TOKEN_SCOPES == GITLAB_DEPLOY_SCOPES
    assert client_rules.DEPLOY_TOKEN_SCOPES == GITLAB_DEPLOY_SCOPES
    assert set(client_rules.DEPLOY_SCOPE_ABBREVIATIONS) == set(GITLAB_DEPLOY_SCOPES)
    for side in (client_rules, simulator_rules):
        assert side.DEPLOY_TOKEN_PREFIX == "gldt-"
        assert side.DEPLOY_USERNAME_PATTERN == r"[a-zA-Z0-9.+_-]+"
        assert side.MAX_DEPLOY_USERNAME_LENGTH == 255


@pytest.mark.parametrize("scope", GITLAB_DEPLOY_SCOPES)
def test_every_deploy_scope_is_accepted_alone(sim: Simulator, scope: str) -> None:
    with api(sim, sim.maintainer_token) as client:
        created = client.post("/projects/1/deploy_tokens", json={"name": scope, "scopes": [scope]})
    assert created.status_code == 201 and created.json()["scopes"] == [scope]
