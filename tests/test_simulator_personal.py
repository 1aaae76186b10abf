"""Simulator: personal access token endpoints, auth and pagination over loopback HTTP."""

from __future__ import annotations

import httpx
import pytest

from tokentui.simulator import Simulator


def api(sim: Simulator, token: str | None = None) -> httpx.Client:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return httpx.Client(base_url=f"{sim.url}/api/v4", headers=headers)


def test_admin_lists_every_token_exactly_once(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        seen: list[int] = []
        page = "1"
        while page:
            r = client.get("/personal_access_tokens", params={"per_page": 100, "page": page})
            assert r.status_code == 200
            seen += [t["id"] for t in r.json()]
            page = r.headers["X-Next-Page"]
    assert seen == sorted(sim.state.tokens)


def test_pagination_headers_like_gitlab(sim: Simulator) -> None:
    total = len(sim.state.tokens)
    with api(sim, sim.admin_token) as client:
        r = client.get("/personal_access_tokens", params={"per_page": 7, "page": 2})
    h = r.headers
    pages = -(-total // 7)
    assert (h["X-Page"], h["X-Per-Page"], h["X-Prev-Page"], h["X-Next-Page"]) == (
        "2",
        "7",
        "1",
        "3",
    )
    assert (h["X-Total"], h["X-Total-Pages"]) == (str(total), str(pages))
    base = f"{sim.url}/api/v4/personal_access_tokens"
    assert h["Link"] == ", ".join(
        [
            f'<{base}?page=1&per_page=7>; rel="prev"',
            f'<{base}?page=3&per_page=7>; rel="next"',
            f'<{base}?page=1&per_page=7>; rel="first"',
            f'<{base}?page={pages}&per_page=7>; rel="last"',
        ]
    )
    assert [t["id"] for t in r.json()] == sorted(sim.state.tokens)[7:14]


def test_pagination_edges(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        first = client.get("/personal_access_tokens")
        assert first.headers["X-Per-Page"] == "20" and first.headers["X-Prev-Page"] == ""
        assert len(first.json()) == 20
        clamped = client.get("/personal_access_tokens", params={"per_page": 500})
        assert clamped.headers["X-Per-Page"] == "100" and len(clamped.json()) == 100
        zero = client.get("/personal_access_tokens", params={"per_page": 0})
        assert zero.status_code == 400
        assert zero.json() == {"error": "per_page has a value not allowed"}
        beyond = client.get("/personal_access_tokens", params={"page": 999})
        assert beyond.json() == []
        assert beyond.headers["X-Next-Page"] == "" and beyond.headers["X-Prev-Page"] == ""
        empty = client.get("/personal_access_tokens", params={"search": "no-such-token-name"})
        assert empty.json() == [] and empty.headers["X-Total-Pages"] == "1"
        assert empty.headers["X-Total"] == "0"
        link = empty.headers["Link"]
        assert "search=no-such-token-name" in link and 'rel="last"' in link


def test_user_sees_only_own_non_impersonation_tokens(sim: Simulator) -> None:
    alice = 2
    expected = sorted(
        t.id for t in sim.state.tokens.values() if t.user_id == alice and not t.impersonation
    )
    assert any(t.impersonation for t in sim.state.tokens.values() if t.user_id == alice)
    with api(sim, sim.user_token) as client:
        r = client.get("/personal_access_tokens", params={"per_page": 100})
        assert [t["id"] for t in r.json()] == expected
        own = client.get("/personal_access_tokens", params={"user_id": alice})
        assert own.status_code == 200
        other = client.get("/personal_access_tokens", params={"user_id": 1})
        assert other.status_code == 401 and other.json() == {"message": "401 Unauthorized"}


def test_admin_user_id_filter(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        r = client.get("/personal_access_tokens", params={"user_id": 3, "per_page": 100})
        assert {t["user_id"] for t in r.json()} == {3}
        assert client.get("/personal_access_tokens", params={"user_id": 99999}).json() == {
            "message": "404 Not Found"
        }
        bad = client.get("/personal_access_tokens", params={"user_id": "abc"})
        assert bad.status_code == 400 and bad.json() == {"error": "user_id is invalid"}


def test_auth_failures(sim: Simulator) -> None:
    expired = sim.issue_token(2, name="old", scopes=["api"], expires_at=sim.today())
    revoked = sim.issue_token(2, name="gone", scopes=["api"], revoked=True)
    read_only = sim.issue_token(2, name="ro", scopes=["read_api"])
    with api(sim) as client:
        assert client.get("/user").json() == {"message": "401 Unauthorized"}
        unknown = client.get("/user", headers={"PRIVATE-TOKEN": "glpat-nothing"})
        assert unknown.status_code == 401 and unknown.json() == {"message": "401 Unauthorized"}
        r = client.get("/user", headers={"PRIVATE-TOKEN": expired})
        assert r.status_code == 401 and r.json() == {
            "error": "invalid_token",
            "error_description": "Token is expired. You can either do re-authorization or "
            "token refresh.",
        }
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        r = client.get("/user", headers={"Authorization": f"Bearer {revoked}"})
        assert r.status_code == 401 and r.json()["error_description"] == (
            "Token was revoked. You have to re-authorize from the user."
        )
        ok = client.get("/personal_access_tokens", headers={"PRIVATE-TOKEN": read_only})
        assert ok.status_code == 200
        r = client.delete("/personal_access_tokens/self", headers={"PRIVATE-TOKEN": read_only})
        assert r.status_code == 204  # any scope may revoke itself
        ro2 = sim.issue_token(2, name="ro2", scopes=["read_api"])
        r = client.post("/personal_access_tokens/self/rotate", headers={"PRIVATE-TOKEN": ro2})
        assert r.status_code == 403 and r.json() == {
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by "
            "the access token.",
            "scope": "api self_rotate",
        }


def test_get_self_and_by_id(sim: Simulator) -> None:
    bob_cred = sim.token_record(sim.maintainer_token)
    with api(sim, sim.maintainer_token) as client:
        me = client.get("/personal_access_tokens/self").json()
        assert me["id"] == bob_cred.id and me["user_id"] == 3 and "token" not in me
        assert me["last_used_ips"] == ["127.0.0.1"] and me["active"] is True
        assert client.get(f"/personal_access_tokens/{bob_cred.id}").json()["id"] == bob_cred.id
        other = next(t.id for t in sim.state.tokens.values() if t.user_id == 1)
        assert client.get(f"/personal_access_tokens/{other}").status_code == 401
        assert client.get("/personal_access_tokens/99999999").status_code == 401
        assert client.get("/personal_access_tokens/abc").json() == {"error": "id is invalid"}
    with api(sim, sim.admin_token) as client:
        assert client.get("/personal_access_tokens/99999999").json() == {"message": "404 Not Found"}
        assert client.get(f"/personal_access_tokens/{bob_cred.id}").status_code == 200


def test_unknown_path(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        r = client.get("/no/such/thing")
    assert r.status_code == 404 and r.json() == {"error": "404 Not Found"}


def test_current_user(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        root = client.get("/user").json()
    assert (root["id"], root["username"], root["is_admin"]) == (1, "root", True)
    with api(sim, sim.user_token) as client:
        alice = client.get("/user").json()
    assert (alice["id"], alice["username"], alice["name"]) == (2, "alice", "Alice Anders")
    assert alice.get("is_admin", False) is False


@pytest.mark.parametrize("header", ["PRIVATE-TOKEN", "Authorization", "query"])
def test_every_credential_channel(sim: Simulator, header: str) -> None:
    with httpx.Client(base_url=f"{sim.url}/api/v4") as client:
        if header == "PRIVATE-TOKEN":
            r = client.get("/user", headers={"PRIVATE-TOKEN": sim.user_token})
        elif header == "Authorization":
            r = client.get("/user", headers={"Authorization": f"Bearer {sim.user_token}"})
        else:
            r = client.get("/user", params={"private_token": sim.user_token})
    assert r.status_code == 200 and r.json()["username"] == "alice"


def test_read_api_cannot_write(sim: Simulator) -> None:
    read_only = sim.issue_token(2, name="ro", scopes=["read_api"])
    own = sim.token_record(sim.issue_token(2, name="target", scopes=["api"]))
    with api(sim, read_only) as client:
        r = client.delete(f"/personal_access_tokens/{own.id}")
        assert r.status_code == 403 and r.json()["scope"] == "api"
        head = client.head("/personal_access_tokens")
        assert head.status_code == 200 and head.headers["X-Page"] == "1"
    assert own.revoked is False
    k8s = sim.issue_token(2, name="k8s", scopes=["k8s_proxy"])
    with api(sim, k8s) as client:
        denied = client.get("/user")
        assert denied.status_code == 403 and denied.json()["scope"] == "api read_api read_user"
        assert client.get("/personal_access_tokens/self").status_code == 200


def test_filtered_links_keep_the_query(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        r = client.get(
            "/personal_access_tokens", params={"state": "active", "per_page": 3, "sort": "name_asc"}
        )
    links = r.headers["Link"]
    next_url = (
        f"{sim.url}/api/v4/personal_access_tokens?page=2&per_page=3&sort=name_asc&state=active"
    )
    assert f'<{next_url}>; rel="next"' in links and "private_token" not in links


def test_blank_user_id_and_bad_association_level(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        assert client.get("/personal_access_tokens?user_id=").json() == {"message": "404 Not Found"}
        bad = client.get(
            "/personal_access_tokens/self/associations", params={"min_access_level": 7}
        )
        assert bad.json() == {"error": "min_access_level does not have a valid value"}
        owner_only = client.get(
            "/personal_access_tokens/self/associations", params={"min_access_level": 50}
        ).json()
        assert [g["id"] for g in owner_only["groups"]] == [1, 2]


def test_sudo(sim: Simulator) -> None:
    sudo = sim.issue_token(1, name="sudo", scopes=["api", "sudo"])
    with api(sim, sudo) as client:
        assert client.get("/user", headers={"Sudo": "alice"}).json()["username"] == "alice"
        mine = client.get(
            "/personal_access_tokens", headers={"Sudo": "2"}, params={"per_page": 100}
        )
        assert {t["user_id"] for t in mine.json()} == {2}
        missing = client.get("/user", headers={"Sudo": "123456"})
        assert missing.status_code == 404
        assert missing.json() == {"message": "404 User with ID or username '123456' Not Found"}
    with api(sim, sim.admin_token) as client:  # admin token without the sudo scope
        r = client.get("/user", headers={"Sudo": "alice"})
        assert r.status_code == 403 and r.json()["scope"] == "sudo"
    with api(sim, sim.user_token) as client:
        r = client.get("/user", params={"sudo": "root"})
        assert r.json() == {"message": "403 Forbidden - Must be admin to use sudo"}
