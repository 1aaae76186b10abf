"""Simulator: create, rotate (chains, reuse detection), revoke, filters and seeded data."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import httpx
import pytest

from tokentui.simulator import Simulator, SimulatorConfig
from tokentui.simulator.rules import TokenKind

VALUE = re.compile(r"^glpat-[A-Za-z0-9_-]{20}$")


def api(sim: Simulator, token: str | None = None) -> httpx.Client:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return httpx.Client(base_url=f"{sim.url}/api/v4", headers=headers)


def all_pages(client: httpx.Client, path: str, **params: object) -> list[dict]:
    rows: list[dict] = []
    page: str = "1"
    while page:
        r = client.get(path, params={**params, "per_page": 100, "page": page})
        assert r.status_code == 200, r.text
        rows += r.json()
        page = r.headers["X-Next-Page"]
    return rows


# -- rotation --------------------------------------------------------------------------------
def test_rotate_by_id_links_chain_and_revokes_old(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    value = sim.issue_token(
        2, name="ci-deploy", scopes=["api", "read_user"], description="d", expires_at=None
    )
    old = sim.token_record(value)
    with api(sim, sim.user_token) as client:
        r = client.post(f"/personal_access_tokens/{old.id}/rotate")
    assert r.status_code == 200
    body = r.json()
    assert VALUE.match(body["token"])
    assert body["id"] > old.id and body["name"] == "ci-deploy" and body["description"] == "d"
    assert body["scopes"] == ["api", "read_user"] and body["active"] is True
    assert body["expires_at"] == (sim.today() + timedelta(days=7)).isoformat()
    new = sim.state.tokens[body["id"]]
    assert old.revoked is True and new.previous_id == old.id and not new.revoked
    assert sim.token_record(body["token"]) is new
    with api(sim) as client:
        assert client.get("/user", headers={"PRIVATE-TOKEN": body["token"]}).status_code == 200
        gone = client.get("/user", headers={"PRIVATE-TOKEN": value})
        assert gone.status_code == 401 and gone.json()["error"] == "invalid_token"


def test_rotate_with_expiry_and_its_limits(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    target = sim.token_record(sim.issue_token(2, name="t", scopes=["api"]))
    limit = (sim.today() + timedelta(days=365)).isoformat()
    with api(sim, sim.user_token) as client:
        too_far = client.post(
            f"/personal_access_tokens/{target.id}/rotate",
            json={"expires_at": (sim.today() + timedelta(days=366)).isoformat()},
        )
        assert too_far.status_code == 400
        assert too_far.json() == {
            "message": f"400 Bad request - Expiration date must be before {limit}"
        }
        assert target.revoked is False  # rolled back
        junk = client.post(
            f"/personal_access_tokens/{target.id}/rotate", json={"expires_at": "next week"}
        )
        assert junk.status_code == 400 and junk.json() == {"error": "expires_at is invalid"}
        ok = client.post(f"/personal_access_tokens/{target.id}/rotate", json={"expires_at": limit})
        assert ok.status_code == 200 and ok.json()["expires_at"] == limit
        again = client.post(f"/personal_access_tokens/{target.id}/rotate")
        assert again.status_code == 400
        assert again.json() == {"message": "400 Bad request - Token already revoked"}


def test_rotate_permissions(sim: Simulator) -> None:
    root_token = next(t for t in sim.state.tokens.values() if t.user_id == 1)
    with api(sim, sim.user_token) as client:
        assert client.post(f"/personal_access_tokens/{root_token.id}/rotate").status_code == 401
        assert client.post("/personal_access_tokens/99999999/rotate").status_code == 401
    with api(sim, sim.admin_token) as client:
        missing = client.post("/personal_access_tokens/99999999/rotate")
        assert missing.status_code == 404 and missing.json() == {"message": "404 Not Found"}
    assert root_token.revoked is root_token.revoked  # unchanged by the refused attempts
    assert not any(t.previous_id == root_token.id for t in sim.state.tokens.values())


def test_self_rotate_and_reuse_detection(sim: Simulator) -> None:
    first = sim.issue_token(4, name="renovate-bot", scopes=["self_rotate"])
    with api(sim) as client:
        r = client.post("/personal_access_tokens/self/rotate", headers={"PRIVATE-TOKEN": first})
        assert r.status_code == 200
        second = r.json()["token"]
        child = sim.token_record(second)
        # A revoked token on a non-rotate path: 401, the family is untouched.
        assert client.get("/user", headers={"PRIVATE-TOKEN": first}).status_code == 401
        assert child.revoked is False
        # The old value presented to a rotate path revokes its active descendants.
        reuse = client.post("/personal_access_tokens/self/rotate", headers={"PRIVATE-TOKEN": first})
        assert reuse.status_code == 401
        assert reuse.json()["error_description"].startswith("Token was revoked")
    assert child.revoked is True


def test_reuse_detection_reaches_grandchildren_by_id_path(sim: Simulator) -> None:
    a = sim.issue_token(2, name="chain", scopes=["api"])
    with api(sim) as client:
        b = client.post("/personal_access_tokens/self/rotate", headers={"PRIVATE-TOKEN": a})
        c = client.post(
            "/personal_access_tokens/self/rotate", headers={"PRIVATE-TOKEN": b.json()["token"]}
        )
        newest = sim.token_record(c.json()["token"])
        rec_a = sim.token_record(a)
        r = client.post(f"/personal_access_tokens/{rec_a.id}/rotate", headers={"PRIVATE-TOKEN": a})
    assert r.status_code == 401 and newest.revoked is True


def test_rotating_revoked_token_with_valid_admin_does_not_revoke_family(sim: Simulator) -> None:
    a = sim.issue_token(2, name="fam", scopes=["api"])
    with api(sim) as client:
        b = client.post("/personal_access_tokens/self/rotate", headers={"PRIVATE-TOKEN": a})
    child = sim.token_record(b.json()["token"])
    with api(sim, sim.admin_token) as client:
        r = client.post(f"/personal_access_tokens/{sim.token_record(a).id}/rotate")
    assert r.json() == {"message": "400 Bad request - Token already revoked"}
    assert child.revoked is False


# -- revoke ----------------------------------------------------------------------------------
def test_revoke_by_id(sim: Simulator) -> None:
    own = sim.token_record(sim.issue_token(2, name="own", scopes=["api"]))
    imp = sim.token_record(sim.issue_token(2, name="imp", scopes=["api"], impersonation=True))
    other = next(t for t in sim.state.tokens.values() if t.user_id == 3 and not t.revoked)
    with api(sim, sim.user_token) as client:
        assert client.delete(f"/personal_access_tokens/{own.id}").status_code == 204
        assert own.revoked is True
        assert client.delete(f"/personal_access_tokens/{own.id}").status_code == 204
        denied = client.delete(f"/personal_access_tokens/{other.id}")
        assert denied.status_code == 400
        assert denied.json() == {"message": "400 Bad request - Not permitted to revoke"}
        assert other.revoked is False
        assert client.delete(f"/personal_access_tokens/{imp.id}").status_code == 400
        missing = client.delete("/personal_access_tokens/99999999")
        assert missing.status_code == 404 and missing.json() == {"message": "404 Not found"}
    with api(sim, sim.admin_token) as client:
        assert client.delete(f"/personal_access_tokens/{other.id}").status_code == 204
    assert other.revoked is True


def test_revoke_self(sim: Simulator) -> None:
    value = sim.issue_token(5, name="me", scopes=["read_user"])
    with api(sim, value) as client:
        r = client.delete("/personal_access_tokens/self")
        assert r.status_code == 204 and r.content == b""
        assert client.get("/personal_access_tokens/self").status_code == 401
    assert sim.token_record(value).revoked


# -- create ----------------------------------------------------------------------------------
def test_admin_creates_token_for_user(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    with api(sim, sim.admin_token) as client:
        r = client.post(
            "/users/4/personal_access_tokens",
            json={"name": "grafana-datasource", "scopes": "read_api,read_user"},
        )
        assert r.status_code == 201
        body = r.json()
        assert VALUE.match(body["token"]) and body["user_id"] == 4
        assert body["scopes"] == ["read_api", "read_user"]
        assert body["expires_at"] == (sim.today() + timedelta(days=365)).isoformat()
        assert "last_used_ips" not in body
        record = sim.state.tokens[body["id"]]
        assert record.kind is TokenKind.PERSONAL and record.name == "grafana-datasource"
        listed = client.get(f"/personal_access_tokens/{body['id']}").json()
        assert "token" not in listed
        missing = client.post("/users/4/personal_access_tokens", json={"scopes": ["api"]})
        assert missing.json() == {"error": "name is missing"}
        both = client.post("/users/4/personal_access_tokens", json={})
        assert both.json() == {"error": "name is missing, scopes is missing"}
        bad = client.post("/users/4/personal_access_tokens", json={"name": "x", "scopes": ["x"]})
        assert bad.json() == {"error": "scopes does not have a valid value"}
        nobody = client.post(
            "/users/999/personal_access_tokens", json={"name": "x", "scopes": ["api"]}
        )
        assert nobody.status_code == 404 and nobody.json() == {"message": "404 User Not Found"}
        late = client.post(
            "/users/4/personal_access_tokens",
            json={"name": "x", "scopes": ["api"], "expires_at": "2030-01-01"},
        )
        assert late.status_code == 422
        assert late.json() == {"message": "Expiration date must be before 2027-11-23"}
    with api(sim, sim.user_token) as client:
        r = client.post("/users/2/personal_access_tokens", json={"name": "x", "scopes": ["api"]})
        assert r.status_code == 403 and r.json() == {"message": "403 Forbidden"}


def test_self_service_create(sim: Simulator) -> None:
    with api(sim, sim.user_token) as client:
        r = client.post("/user/personal_access_tokens", json={"name": "k8s", "scopes": ["api"]})
        assert r.status_code == 400 and r.json() == {"error": "scopes does not have a valid value"}
        ok = client.post(
            "/user/personal_access_tokens", json={"name": "k8s", "scopes": ["k8s_proxy"]}
        )
        assert ok.status_code == 201 and sim.state.tokens[ok.json()["id"]].user_id == 2


# -- last used -------------------------------------------------------------------------------
async def test_last_used_updated_at_most_every_ten_minutes_in_process() -> None:
    now = [datetime.fromisoformat("2026-11-23T12:00:00+00:00")]
    sim = Simulator(SimulatorConfig(tokens=10), clock=lambda: now[0])
    value = sim.issue_token(2, name="x", scopes=["api"])
    record = sim.token_record(value)
    transport = httpx.ASGITransport(app=sim.app)
    headers = {"PRIVATE-TOKEN": value}
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/api/v4") as client:
        assert (await client.get("/user", headers=headers)).status_code == 200
        assert record.last_used_at == now[0]
        first = now[0]
        now[0] = first + timedelta(minutes=5)
        await client.get("/user", headers=headers)
        assert record.last_used_at == first
        now[0] = first + timedelta(minutes=10)
        await client.get("/user", headers=headers)
        assert record.last_used_at == now[0]


# -- filters ---------------------------------------------------------------------------------
def _ids(rows: list[dict]) -> list[int]:
    return [r["id"] for r in rows]


def test_state_and_revoked_filters(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    today = sim.today()
    tokens = sorted(sim.state.tokens.values(), key=lambda t: t.id)
    with api(sim, sim.admin_token) as client:
        active = all_pages(client, "/personal_access_tokens", state="active")
        assert _ids(active) == [t.id for t in tokens if t.active(today)]
        inactive = all_pages(client, "/personal_access_tokens", state="inactive")
        assert _ids(inactive) == [t.id for t in tokens if not t.active(today)]
        not_revoked = all_pages(client, "/personal_access_tokens", revoked="false")
        assert _ids(not_revoked) == [t.id for t in tokens if not t.revoked]
        assert any(t.expired(today) for t in tokens if not t.revoked)
        bad = client.get("/personal_access_tokens", params={"state": "x", "revoked": "maybe"})
        assert bad.status_code == 400
        assert bad.json() == {"error": "revoked is invalid, state does not have a valid value"}


def test_date_filters(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    tokens = sorted(sim.state.tokens.values(), key=lambda t: t.id)
    cut = date(2026, 12, 1)
    with api(sim, sim.admin_token) as client:
        before = all_pages(client, "/personal_access_tokens", expires_before=cut.isoformat())
        assert _ids(before) == [t.id for t in tokens if t.expires_at and t.expires_at < cut]
        after = all_pages(client, "/personal_access_tokens", expires_after=cut.isoformat())
        assert _ids(after) == [t.id for t in tokens if t.expires_at and t.expires_at >= cut]
        moment = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
        created = all_pages(client, "/personal_access_tokens", created_after="2026-06-01")
        assert _ids(created) == [t.id for t in tokens if t.created_at >= moment]
        used = all_pages(client, "/personal_access_tokens", last_used_before="2026-06-01")
        assert _ids(used) == [t.id for t in tokens if t.last_used_at and t.last_used_at <= moment]
        bad = client.get("/personal_access_tokens", params={"created_before": "soon"})
        assert bad.json() == {"error": "created_before is invalid"}


def test_search_is_gitlab_fuzzy(sim: Simulator) -> None:
    for name in ("deploy-prod", "Deploy-Staging", "ab", "xab"):
        sim.issue_token(4, name=name, scopes=["api"])
    with api(sim, sim.admin_token) as client:

        def names(query: str) -> set[str]:
            rows = all_pages(client, "/personal_access_tokens", search=query, user_id=4)
            return {r["name"] for r in rows}

        assert {"deploy-prod", "Deploy-Staging"} <= names("deploy")
        assert names("deploy prod") == {"deploy-prod"}
        assert names("AB") == {"ab"}  # short query: whole-name, case-insensitive match
        assert names('"deploy-st"') == {"Deploy-Staging"}
        everything = all_pages(client, "/personal_access_tokens", search="", user_id=4)
        assert _ids(everything) == sim.state.by_user[4]


def test_sorts(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    with api(sim, sim.admin_token) as client:
        rows = all_pages(client, "/personal_access_tokens", sort="expires_asc")
        expiries = [r["expires_at"] for r in rows]
        dated = [e for e in expiries if e is not None]
        assert dated == sorted(dated) and expiries[len(dated) :] == [None] * (
            len(rows) - len(dated)
        )
        desc = all_pages(client, "/personal_access_tokens", sort="expires_desc")
        assert desc[0]["expires_at"] is None
        names = [r["name"] for r in all_pages(client, "/personal_access_tokens", sort="name_asc")]
        assert names == sorted(names)
        created = all_pages(client, "/personal_access_tokens", sort="created_desc")
        stamps = [r["created_at"] for r in created]
        assert stamps == sorted(stamps, reverse=True)
        ignored = all_pages(client, "/personal_access_tokens", sort="bogus")
        assert _ids(ignored) == sorted(sim.state.tokens)


# -- seeded data -----------------------------------------------------------------------------
def test_seed_is_deterministic(frozen_now: datetime) -> None:
    one = Simulator(SimulatorConfig(seed=7, tokens=150), clock=lambda: frozen_now)
    two = Simulator(SimulatorConfig(seed=7, tokens=150), clock=lambda: frozen_now)
    other = Simulator(SimulatorConfig(seed=8, tokens=150), clock=lambda: frozen_now)
    assert one.admin_token == two.admin_token != other.admin_token
    assert VALUE.match(one.admin_token) and VALUE.match(one.user_token)
    assert [(t.id, t.name, t.expires_at) for t in one.state.tokens.values()] == [
        (t.id, t.name, t.expires_at) for t in two.state.tokens.values()
    ]
    assert len(one.state.tokens) == 150


def test_seed_covers_every_kind_in_every_state(frozen_sim: Simulator) -> None:
    sim = frozen_sim
    today = sim.today()
    tokens = list(sim.state.tokens.values())
    for kind in TokenKind:
        mine = [t for t in tokens if t.kind is kind]
        assert any(t.expires_at and t.expires_at < today for t in mine), kind
        assert any(t.expires_at == today for t in mine), kind
        assert any(t.expires_at == today + timedelta(days=1) for t in mine), kind
        for low, high in ((2, 7), (8, 30), (31, 60), (61, 365)):
            assert any(t.expires_at and low <= (t.expires_at - today).days <= high for t in mine), (
                kind,
                low,
            )
        assert any(t.expires_at is None for t in mine), kind
        assert any(t.revoked and t.previous_id is None for t in mine), kind
        assert any(t.previous_id is not None for t in mine), kind
    assert any(t.last_used_at is None for t in tokens)
    assert any(
        t.last_used_at and t.last_used_at > sim.now() - timedelta(hours=1) and t.last_used_ips
        for t in tokens
    )
    assert len({t.scopes for t in tokens}) >= 10
    users = sim.state.users
    assert [users[i].username for i in range(1, 6)] == ["root", "alice", "bob", "carol", "dave"]
    assert users[1].is_admin and not users[2].is_admin
    sa = [u for u in users.values() if u.user_type == "service_account"]
    assert any(u.username.startswith("service_account_group_1_") for u in sa)
    assert {g.full_path for g in sim.state.groups.values()} == {
        "platform",
        "platform/infra",
        "data",
    }
    assert [p.path_with_namespace for p in sim.state.projects.values()] == [
        "platform/api",
        "platform/web",
        "data/warehouse",
    ]


@pytest.mark.parametrize("who", ["admin", "user", "maintainer"])
def test_credentials_are_active_tokens_of_the_cast(sim: Simulator, who: str) -> None:
    value = getattr(sim, f"{who}_token")
    record = sim.token_record(value)
    assert record.user_id == {"admin": 1, "user": 2, "maintainer": 3}[who]
    assert record.active(sim.today()) and "api" in record.scopes
    assert value not in repr(sim) and value not in repr(record)


def test_blank_name_and_scopes_are_model_errors(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        blank = client.post("/users/2/personal_access_tokens", json={"name": "", "scopes": []})
        assert blank.status_code == 422
        assert blank.json() == {"message": "Name can't be blank, Scopes can't be blank"}
        long = client.post(
            "/users/2/personal_access_tokens", json={"name": "n" * 256, "scopes": ["api"]}
        )
        assert long.json() == {"message": "Name is too long (maximum is 255 characters)"}
        imp = client.post(
            "/users/2/impersonation_tokens",
            json={"name": "", "scopes": ["api"], "expires_at": sim.today().isoformat()},
        )
        assert imp.json() == {"message": {"name": ["can't be blank"]}}
