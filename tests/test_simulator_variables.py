"""Simulator: CI/CD variables (gitlab-api.md §7.6) and the token information API (§7.4) over
real HTTP, and python-gitlab's view of them.

Cast: bob is Maintainer of platform/api (project 1) and Owner of group platform (group 1);
alice is a Developer of platform; dave is Maintainer of platform/web (project 2) only.
"""

from __future__ import annotations

from datetime import timedelta

import gitlab
import httpx
import pytest

from tokentui.simulator import Simulator

DAVE = 5
MASKABLE = "glpat-abcdefghij0123456789"


def api(sim: Simulator, token: str | None = None) -> httpx.Client:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return httpx.Client(base_url=f"{sim.url}/api/v4", headers=headers)


# -- CI/CD variables ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["projects", "groups"])
def test_create_get_update_delete(sim: Simulator, kind: str) -> None:
    with api(sim, sim.maintainer_token) as http:
        made = http.post(
            f"/{kind}/1/variables",
            json={"key": "DEPLOY_TOKEN", "value": MASKABLE, "masked": True, "protected": True},
        )
        assert made.status_code == 201
        assert made.json() == {
            "variable_type": "env_var",
            "key": "DEPLOY_TOKEN",
            "value": MASKABLE,
            "hidden": False,
            "protected": True,
            "masked": True,
            "raw": False,
            "environment_scope": "*",
            "description": None,
        }
        assert http.get(f"/{kind}/1/variables/DEPLOY_TOKEN").json()["value"] == MASKABLE
        changed = http.put(f"/{kind}/1/variables/DEPLOY_TOKEN", json={"value": "x" * 12})
        assert changed.status_code == 200
        # Only what was sent changes: masked and protected stay.
        assert (changed.json()["masked"], changed.json()["protected"]) == (True, True)
        owner = "project" if kind == "projects" else "group"
        assert sim.variable(owner, 1, "DEPLOY_TOKEN").value == "x" * 12
        assert http.delete(f"/{kind}/1/variables/DEPLOY_TOKEN").status_code == 204
        gone = http.get(f"/{kind}/1/variables/DEPLOY_TOKEN")
        name = "Variable" if kind == "projects" else "GroupVariable"
        assert (gone.status_code, gone.json()) == (404, {"message": f"404 {name} Not Found"})


def test_list_is_paginated(sim: Simulator) -> None:
    for n in range(25):
        sim.add_variable("project", 1, f"V{n}", "value")
    with api(sim, sim.maintainer_token) as http:
        first = http.get("/projects/1/variables")
        second = http.get("/projects/1/variables", params={"page": 2})
    assert [v["key"] for v in first.json()] == [f"V{n}" for n in range(20)]
    assert [v["key"] for v in second.json()] == [f"V{n}" for n in range(20, 25)]
    assert first.headers["X-Total"] == "25"
    assert first.headers["X-Next-Page"] == "2"


def test_permissions(sim: Simulator) -> None:
    sim.add_variable("project", 1, "K", "v")
    sim.add_variable("group", 1, "K", "v")
    dave = sim.issue_token(DAVE, name="dave", scopes=["api"])
    with api(sim, sim.user_token) as alice:  # Developer: neither
        for path in ("/projects/1/variables", "/projects/1/variables/K", "/groups/1/variables"):
            answer = alice.get(path)
            assert (answer.status_code, answer.json()) == (403, {"message": "403 Forbidden"})
    with api(sim, dave) as http:  # Maintainer of another project
        assert http.put("/projects/1/variables/K", json={"value": "w"}).status_code == 403
        assert http.get("/projects/2/variables").status_code == 200
    with api(sim, sim.admin_token) as http:
        assert http.get("/groups/1/variables/K").status_code == 200
    with api(sim) as anonymous:
        assert anonymous.get("/projects/1/variables").status_code == 401
    assert sim.variable("project", 1, "K").value == "v"


def test_key_and_type_rules(sim: Simulator) -> None:
    with api(sim, sim.maintainer_token) as http:
        bad_key = http.post("/projects/1/variables", json={"key": "MY-KEY", "value": "v"})
        assert bad_key.status_code == 400
        assert bad_key.json() == {"message": {"key": ["can contain only letters, digits and '_'."]}}
        long_key = http.post("/projects/1/variables", json={"key": "K" * 256, "value": "v"})
        assert long_key.json() == {"message": {"key": ["is too long (maximum is 255 characters)"]}}
        missing = http.post("/projects/1/variables", json={})
        assert missing.json() == {"error": "key is missing, value is missing"}
        bad_type = http.post(
            "/projects/1/variables", json={"key": "K", "value": "v", "variable_type": "x"}
        )
        assert bad_type.json() == {"error": "variable_type does not have a valid value"}
        assert (
            http.post("/projects/1/variables", json={"key": "K", "value": "v"}).status_code == 201
        )
        taken = http.post("/projects/1/variables", json={"key": "K", "value": "w"})
        assert taken.json() == {"message": {"key": ["(K) has already been taken"]}}


def test_masking_rules(sim: Simulator) -> None:
    with api(sim, sim.maintainer_token) as http:
        for value in ("short", "has space in it", "new\nline12345"):
            refused = http.post(
                "/projects/1/variables", json={"key": "M", "value": value, "masked": True}
            )
            assert refused.json() == {"message": {"value": ["is invalid"]}}, value
        # A raw masked value may hold any non-space character.
        raw = http.post(
            "/projects/1/variables",
            json={"key": "M", "value": "a$b%c&d*e", "masked": True, "raw": True},
        )
        assert raw.status_code == 201
        # Masking an existing variable checks its value too.
        http.post("/projects/1/variables", json={"key": "N", "value": "tiny"})
        assert http.put("/projects/1/variables/N", json={"masked": True}).status_code == 400


def test_hidden_variable(sim: Simulator) -> None:
    with api(sim, sim.maintainer_token) as http:
        made = http.post(
            "/projects/1/variables",
            json={"key": "H", "value": MASKABLE, "masked_and_hidden": True, "masked": True},
        )
        assert (made.json()["hidden"], made.json()["masked"], made.json()["value"]) == (
            True,
            True,
            None,
        )
        assert http.get("/projects/1/variables/H").json()["value"] is None
        assert http.get("/projects/1/variables").json()[0]["value"] is None
        unmask = http.put("/projects/1/variables/H", json={"masked": False})
        assert unmask.json() == {
            "message": {
                "base": [
                    "The visibility setting cannot be changed for masked and hidden variables."
                ]
            }
        }
        assert http.put("/projects/1/variables/H", json={"value": "y" * 10}).status_code == 200
        unmasked = http.post(
            "/projects/1/variables",
            json={"key": "H2", "value": MASKABLE, "masked_and_hidden": True, "masked": False},
        )
        assert unmasked.json() == {
            "message": {"masked": ["should be true when variable is hidden"]}
        }
    assert sim.variable("project", 1, "H").value == "y" * 10


def test_environment_scopes(sim: Simulator) -> None:
    conflict = {
        "message": "There are multiple variables with provided parameters. "
        "Please use 'filter[environment_scope]'"
    }
    with api(sim, sim.maintainer_token) as http:
        for scope in ("production", "staging"):
            answer = http.post(
                "/projects/1/variables",
                json={"key": "T", "value": scope, "environment_scope": scope},
            )
            assert answer.status_code == 201
        for method in ("GET", "PUT", "DELETE"):
            answer = http.request(method, "/projects/1/variables/T", json={"value": "z"})
            assert (answer.status_code, answer.json()) == (409, conflict), method
        one = http.put(
            "/projects/1/variables/T",
            params={"filter[environment_scope]": "staging"},
            json={"value": "new-staging"},
        )
        assert one.status_code == 200
        # The same filter as a JSON object.
        other = http.get(
            "/projects/1/variables/T", params={"filter[environment_scope]": "production"}
        )
        assert other.json()["value"] == "production"
        # A group's PUT without the filter is GitLab's legacy: it updates one of them.
        sim.add_variable("group", 1, "T", "a", environment_scope="production")
        sim.add_variable("group", 1, "T", "b", environment_scope="staging")
        assert http.get("/groups/1/variables/T").status_code == 409
        assert http.put("/groups/1/variables/T", json={"value": "c"}).status_code == 200
    assert sim.variable("project", 1, "T", "staging").value == "new-staging"
    assert sim.variable("project", 1, "T", "production").value == "production"


def test_python_gitlab_agrees(sim: Simulator) -> None:
    gl = gitlab.Gitlab(sim.url, private_token=sim.maintainer_token, retry_transient_errors=False)
    project = gl.projects.get(1, lazy=True)
    project.variables.create({"key": "PG", "value": MASKABLE, "masked": True})
    fetched = project.variables.get("PG")
    assert (fetched.value, fetched.masked, fetched.environment_scope) == (MASKABLE, True, "*")
    fetched.value = "y" * 10
    fetched.save()
    assert sim.variable("project", 1, "PG").value == "y" * 10
    assert sim.variable("project", 1, "PG").masked
    group = gl.groups.get("platform", lazy=True)
    group.variables.create({"key": "GV", "value": "v", "environment_scope": "prod"})
    assert [v.key for v in group.variables.list(get_all=True)] == ["GV"]
    group.variables.delete("GV", filter={"environment_scope": "prod"})
    assert sim.state.variables_of("group", 1) == []
    with pytest.raises(gitlab.GitlabGetError) as info:
        project.variables.get("NOPE")
    assert info.value.response_code == 404


# -- POST / DELETE /admin/token ----------------------------------------------------------------


def test_admin_token_lookup(sim: Simulator) -> None:
    leaked = sim.issue_token(2, name="leaked", scopes=["read_api"])
    expired = sim.issue_token(
        2, name="old", scopes=["api"], expires_at=sim.today() - timedelta(days=1)
    )
    deploy = sim.issue_deploy_token("project", 1, name="ci")
    with api(sim, sim.admin_token) as http:
        found = http.post("/admin/token", json={"token": leaked})
        assert found.status_code == 200
        body = found.json()
        assert (body["name"], body["user_id"], body["active"], body["revoked"]) == (
            "leaked",
            2,
            True,
            False,
        )
        assert "token" not in body
        assert http.post("/admin/token", json={"token": expired}).json()["active"] is False
        assert http.post("/admin/token", json={"token": deploy}).json()["name"] == "ci"
        unknown = http.post("/admin/token", json={"token": "glpat-" + "x" * 20})
        assert (unknown.status_code, unknown.json()) == (404, {"message": {"error": "Not found"}})
        feed = http.post("/admin/token", json={"token": "glft-" + "x" * 20})
        assert feed.status_code == 404
        other = http.post("/admin/token", json={"token": "hello-world"})
        assert (other.status_code, other.json()) == (422, {"message": "Token type not supported."})
        missing = http.post("/admin/token", json={})
        assert (missing.status_code, missing.json()) == (400, {"error": "token is missing"})
    with api(sim, sim.user_token) as http:
        refused = http.post("/admin/token", json={"token": leaked})
        assert (refused.status_code, refused.json()) == (403, {"message": "403 Forbidden"})
        assert http.post("/admin/token", json={}).status_code == 403  # before the params
    with api(sim) as anonymous:
        assert anonymous.post("/admin/token", json={"token": leaked}).status_code == 401


def test_admin_token_revoke(sim: Simulator) -> None:
    leaked = sim.issue_token(2, name="leaked", scopes=["api"])
    deploy = sim.issue_deploy_token("project", 1, name="ci")
    with api(sim, sim.admin_token) as http:
        assert http.request("DELETE", "/admin/token", json={"token": leaked}).status_code == 204
        assert sim.token_record(leaked).revoked
        again = http.request("DELETE", "/admin/token", json={"token": leaked})
        assert again.status_code == 204
        assert http.request("DELETE", "/admin/token", json={"token": deploy}).status_code == 204
        assert sim.deploy_token_record(deploy).revoked
    with api(sim, sim.user_token) as http:
        other = sim.issue_token(3, name="bobs", scopes=["api"])
        assert http.request("DELETE", "/admin/token", json={"token": other}).status_code == 403
        assert not sim.token_record(other).revoked


def test_admin_token_revoke_behind_its_flag(sim_factory) -> None:
    sim = sim_factory(admin_token_revoke=False)
    leaked = sim.issue_token(2, name="leaked", scopes=["api"])
    with api(sim, sim.admin_token) as http:
        answer = http.request("DELETE", "/admin/token", json={"token": leaked})
    assert (answer.status_code, answer.json()) == (
        404,
        {"message": "'api_admin_token_revoke' feature flag is disabled"},
    )
    assert not sim.token_record(leaked).revoked


def test_custom_prefix(sim_factory) -> None:
    sim = sim_factory(token_prefix="acme-")
    value = sim.issue_token(2, name="custom", scopes=["api"])
    assert value.startswith("acme-")
    with api(sim, sim.admin_token) as http:
        assert http.post("/admin/token", json={"token": value}).json()["name"] == "custom"


def test_python_gitlab_admin_token(sim: Simulator) -> None:
    """python-gitlab 8 has no manager for /admin/token: its raw ``http_post`` reaches it."""
    leaked = sim.issue_token(2, name="leaked", scopes=["api"])
    gl = gitlab.Gitlab(sim.url, private_token=sim.admin_token, retry_transient_errors=False)
    assert not hasattr(gl, "admin_token")
    answer = gl.http_post("/admin/token", post_data={"token": leaked})
    assert isinstance(answer, dict) and answer["name"] == "leaked"


def test_an_impersonation_token_may_not_revoke_itself(sim: Simulator) -> None:
    """§7.5: 400 ``Not permitted to revoke`` unless the impersonated user is an admin."""
    value = sim.issue_token(2, name="support", scopes=["api"], impersonation=True)
    with api(sim, value) as http:
        answer = http.delete("/personal_access_tokens/self")
    assert (answer.status_code, answer.json()) == (
        400,
        {"message": "400 Bad request - Not permitted to revoke"},
    )
    assert not sim.token_record(value).revoked
    admins = sim.issue_token(1, name="root-imp", scopes=["api"], impersonation=True)
    with api(sim, admins) as http:
        assert http.delete("/personal_access_tokens/self").status_code == 204
