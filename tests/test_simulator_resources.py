"""Simulator: project/group access tokens, group service accounts, impersonation tokens."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tokentui.simulator import Simulator
from tokentui.simulator.rules import TokenKind


def api(sim: Simulator, token: str | None = None) -> httpx.Client:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return httpx.Client(base_url=f"{sim.url}/api/v4", headers=headers)


def in_a_month(sim: Simulator) -> str:
    return (sim.today() + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("kind", "ident", "resource_id"),
    [("project", "platform%2Fapi", 1), ("project", "1", 1), ("group", "platform", 1)],
)
def test_resource_token_lifecycle(sim: Simulator, kind: str, ident: str, resource_id: int) -> None:
    base = f"/{kind}s/{ident}/access_tokens"
    with api(sim, sim.maintainer_token) as client:
        listed = client.get(base, params={"per_page": 100})
        assert listed.status_code == 200
        expected = sorted(
            t.id
            for t in sim.state.tokens.values()
            if t.resource_type == kind and t.resource_id == resource_id
        )
        assert [t["id"] for t in listed.json()] == expected
        assert all(isinstance(t["access_level"], int) for t in listed.json())
        created = client.post(
            base,
            json={
                "name": "deploy-staging",
                "scopes": ["read_registry", "write_registry"],
                "access_level": 30,
                "expires_at": in_a_month(sim),
                "description": "pushes images",
            },
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["token"].startswith("glpat-") and body["access_level"] == 30
        assert (body["resource_type"], body["resource_id"]) == (kind, resource_id)
        record = sim.state.tokens[body["id"]]
        bot = sim.state.users[record.user_id]
        assert bot.user_type == "project_bot" and bot.username.startswith(
            f"{kind}_{resource_id}_bot_"
        )
        assert record.kind is (TokenKind.PROJECT if kind == "project" else TokenKind.GROUP)
        got = client.get(f"{base}/{body['id']}").json()
        assert got["id"] == body["id"] and "token" not in got
        rotated = client.post(f"{base}/{body['id']}/rotate")
        assert rotated.status_code == 200
        new = rotated.json()
        assert new["access_level"] == 30 and new["user_id"] == body["user_id"]
        assert new["expires_at"] == (sim.today() + timedelta(days=7)).isoformat()
        assert record.revoked and sim.state.tokens[new["id"]].previous_id == record.id
        assert client.delete(f"{base}/{new['id']}").status_code == 204
        assert sim.state.tokens[new["id"]].revoked
        missing = client.get(f"{base}/99999999")
        assert missing.status_code == 404
        assert missing.json() == {"message": f"404 {kind} Access Token Not Found"}


def test_resource_permissions(sim: Simulator) -> None:
    with api(sim, sim.user_token) as client:  # alice: Developer in platform
        r = client.get("/projects/platform%2Fapi/access_tokens")
        assert r.status_code == 401 and r.json() == {"message": "401 Unauthorized"}
        assert client.get("/groups/1/access_tokens").status_code == 401
        create = client.post(
            "/projects/1/access_tokens",
            json={"name": "x", "scopes": ["api"], "expires_at": in_a_month(sim)},
        )
        assert create.json() == {
            "message": "400 Bad request - User does not have permission to create project "
            "access token"
        }
        token = next(t for t in sim.state.tokens.values() if t.resource_type == "project")
        rotate = client.post(f"/projects/{token.resource_id}/access_tokens/{token.id}/rotate")
        assert rotate.status_code == 401
        revoke = client.delete(f"/projects/{token.resource_id}/access_tokens/{token.id}")
        assert revoke.status_code == 400 and "cannot delete" in revoke.json()["message"]
        assert not client.get("/projects/data%2Fwarehouse/access_tokens").is_success
        hidden = client.get("/projects/data%2Fwarehouse")
        assert hidden.status_code == 404 and hidden.json() == {"message": "404 Project Not Found"}
    with api(sim, sim.admin_token) as client:
        gone = client.post("/projects/1/access_tokens/99999999/rotate")
        assert gone.status_code == 404
        nothing = client.get("/projects/no%2Fsuch/access_tokens")
        assert nothing.json() == {"message": "404 Project Not Found"}
        assert client.get("/groups/nope").json() == {"message": "404 Group Not Found"}


def test_resource_validation(sim: Simulator) -> None:
    limit = (sim.today() + timedelta(days=365)).isoformat()
    with api(sim, sim.maintainer_token) as client:
        no_expiry = client.post("/projects/1/access_tokens", json={"name": "x", "scopes": ["api"]})
        assert no_expiry.json() == {"message": "400 Bad request - expires_at is missing"}
        user_scope = client.post(
            "/projects/1/access_tokens",
            json={"name": "x", "scopes": ["read_user"], "expires_at": in_a_month(sim)},
        )
        assert user_scope.json() == {"error": "scopes does not have a valid value"}
        level = client.post(
            "/projects/1/access_tokens",
            json={"name": "x", "scopes": ["api"], "expires_at": in_a_month(sim), "access_level": 5},
        )
        assert level.json() == {"error": "access_level does not have a valid value"}
        late = client.post(
            "/groups/1/access_tokens",
            json={"name": "x", "scopes": ["api"], "expires_at": "2099-01-01"},
        )
        assert late.json() == {
            "message": f"400 Bad request - Expiration date must be before {limit}"
        }
        missing = client.post("/groups/1/access_tokens", json={})
        assert missing.json() == {"error": "name is missing, scopes is missing"}
    # dave: Maintainer of platform/web cannot grant Owner.
    dave = sim.issue_token(5, name="dave-cli", scopes=["api"])
    with api(sim, dave) as client:
        owner = client.post(
            "/projects/platform%2Fweb/access_tokens",
            json={
                "name": "x",
                "scopes": ["api"],
                "expires_at": in_a_month(sim),
                "access_level": 50,
            },
        )
        assert owner.json() == {
            "message": "400 Bad request - Access level of the token contains permissions not "
            "held by the creating user"
        }


def test_resource_self_rotate(sim: Simulator) -> None:
    value = sim.issue_resource_token("project", 2, name="release-bot", scopes=["self_rotate"])
    record = sim.token_record(value)
    with api(sim, value) as client:
        wrong = client.post("/projects/1/access_tokens/self/rotate")
        assert wrong.status_code == 401
        r = client.post("/projects/platform%2Fweb/access_tokens/self/rotate")
        assert r.status_code == 200 and r.json()["access_level"] == 40
        assert record.revoked and r.json()["token"] != value
        me = client.get(
            "/personal_access_tokens/self", headers={"PRIVATE-TOKEN": r.json()["token"]}
        )
        assert me.json()["id"] == r.json()["id"]
    with api(sim, sim.maintainer_token) as client:
        human = client.post("/projects/1/access_tokens/self/rotate")
        assert human.status_code == 405 and human.json() == {"message": "405 Method Not Allowed"}


def test_service_accounts(sim: Simulator) -> None:
    with api(sim, sim.maintainer_token) as client:  # bob owns platform
        accounts = client.get("/groups/platform/service_accounts").json()
        ids = [a["id"] for a in accounts]
        assert ids == sorted(ids, reverse=True) and len(ids) == 2
        assert all(a["username"].startswith("service_account_group_1_") for a in accounts)
        sa = ids[-1]
        base = f"/groups/1/service_accounts/{sa}/personal_access_tokens"
        listed = client.get(base, params={"per_page": 100}).json()
        assert [t["id"] for t in listed] == sim.state.by_user[sa]
        assert all("last_used_ips" not in t for t in listed)
        made = client.post(base, json={"name": "vault-engine", "scopes": ["api"]})
        assert made.status_code == 201
        record = sim.state.tokens[made.json()["id"]]
        assert record.kind is TokenKind.SERVICE_ACCOUNT and record.user_id == sa
        by_id = client.get(f"/personal_access_tokens/{record.id}")  # sources.py get_path
        assert by_id.status_code == 200 and by_id.json()["user_id"] == sa
        rotated = client.post(f"{base}/{record.id}/rotate")
        assert rotated.status_code == 200 and record.revoked
        assert client.delete(f"{base}/{rotated.json()['id']}").status_code == 204
        foreign = next(t.id for t in sim.state.tokens.values() if t.user_id == 2)
        assert client.delete(f"{base}/{foreign}").json() == {
            "message": "404 Personal Access Token Not Found"
        }
        assert client.get("/groups/1/service_accounts/2/personal_access_tokens").json() == {
            "message": "404 User Not Found"
        }
        keyset = client.get("/groups/1/service_accounts", params={"pagination": "keyset"})
        assert keyset.status_code == 405 and keyset.json() == {
            "error": "Keyset pagination is not yet available for this type of request"
        }
        new_sa = client.post("/groups/1/service_accounts", json={"name": "Nightly"})
        assert new_sa.status_code == 201 and new_sa.json()["name"] == "Nightly"
    with api(sim, sim.user_token) as client:
        assert client.get(f"/personal_access_tokens/{record.id}").status_code == 401
        r = client.get("/groups/1/service_accounts")
        assert r.status_code == 403 and r.json() == {"message": "403 Forbidden"}


def test_impersonation_tokens(sim: Simulator) -> None:
    today = sim.today()
    with api(sim, sim.admin_token) as client:
        listed = client.get("/users/2/impersonation_tokens", params={"per_page": 100}).json()
        expected = [t.id for t in sim.state.tokens.values() if t.user_id == 2 and t.impersonation]
        assert [t["id"] for t in listed] == expected and all(t["impersonation"] for t in listed)
        active = client.get(
            "/users/2/impersonation_tokens", params={"state": "active", "per_page": 100}
        ).json()
        assert [t["id"] for t in active] == [
            i for i in expected if sim.state.tokens[i].active(today)
        ]
        made = client.post(
            "/users/2/impersonation_tokens",
            json={"name": "support-debug", "scopes": ["api"], "expires_at": in_a_month(sim)},
        )
        assert made.status_code == 201 and made.json()["impersonation"] is True
        tid = made.json()["id"]
        assert client.get(f"/users/2/impersonation_tokens/{tid}").json()["id"] == tid
        assert client.get(f"/users/3/impersonation_tokens/{tid}").json() == {
            "message": "404 Impersonation Token Not Found"
        }
        no_expiry = client.post(
            "/users/2/impersonation_tokens", json={"name": "x", "scopes": ["api"]}
        )
        assert no_expiry.json() == {"message": {"expires_at": ["can't be blank"]}}
        bad_scope = client.post(
            "/users/2/impersonation_tokens",
            json={"name": "x", "scopes": ["nope"], "expires_at": in_a_month(sim)},
        )
        assert bad_scope.json() == {"message": {"scopes": ["can only contain available scopes"]}}
        assert client.post("/users/2/impersonation_tokens", json={}).json() == {
            "error": "name is missing"
        }
        assert client.delete(f"/users/2/impersonation_tokens/{tid}").status_code == 204
        assert sim.state.tokens[tid].revoked
        assert client.get("/users/999/impersonation_tokens").json() == {
            "message": "404 User Not Found"
        }
    with api(sim, sim.user_token) as client:
        assert client.get("/users/2/impersonation_tokens").status_code == 403


def test_lookups(sim: Simulator) -> None:
    with api(sim, sim.user_token) as client:
        project = client.get("/projects/platform%2Fapi").json()
        assert (project["id"], project["path_with_namespace"]) == (1, "platform/api")
        group = client.get("/groups/platform%2Finfra").json()
        assert (group["id"], group["full_path"], group["parent_id"]) == (2, "platform/infra", 1)
        bob = client.get("/users/3").json()
        assert bob["username"] == "bob" and "is_admin" not in bob
        assert client.get("/users/99999").json() == {"message": "404 User Not Found"}
        version = client.get("/version").json()
        assert version["version"].startswith("19.")
        assert client.get("/metadata").json()["version"] == version["version"]
        assoc = client.get("/personal_access_tokens/self/associations").json()
        assert {g["id"] for g in assoc["groups"]} == {1, 2}
        assert {p["id"] for p in assoc["projects"]} == {1, 2}
    with httpx.Client(base_url=sim.url) as client:
        page = client.get("/users/sign_in")
        assert page.headers["content-type"].startswith("text/html")
