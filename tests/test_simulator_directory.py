"""``GET /users``, ``/projects``, ``/groups``: the simulator's rules and the client, over HTTP.

Cast (seeded): 1 root (admin), 2 alice (Developer of platform), 3 bob (Owner of platform,
Maintainer of platform/api), 4 carol (Owner of the private group data), 5 dave (Maintainer of
platform/infra and platform/web, Developer of data).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tokentui.gitlab import errors
from tokentui.gitlab.client import GitLabClient
from tokentui.simulator.records import GroupRecord, ProjectRecord

ALICE, BOB, CAROL, DAVE = 2, 3, 4, 5


def client_for(sim, token: str | None) -> GitLabClient:
    async def no_wait(delay: float) -> None:
        return None

    return GitLabClient(sim.url, token, sleep=no_wait)


def add_projects(sim, count: int) -> list[int]:
    """``count`` more internal projects in platform/infra (ids after the seeded ones)."""
    state = sim.state
    ids = []
    for number in range(count):
        pid = max(state.projects) + 1
        state.projects[pid] = ProjectRecord(
            pid,
            f"svc-{number:03d}",
            f"svc-{number:03d}",
            2,
            f"platform/infra/svc-{number:03d}",
            sim.now() - timedelta(days=10),
        )
        ids.append(pid)
    state.touch()
    return ids


def add_groups(sim, count: int, *, parent: int = 1) -> list[int]:
    state = sim.state
    ids = []
    parent_path = state.groups[parent].full_path
    for number in range(count):
        gid = max(state.groups) + 1
        path = f"team-{number:03d}"
        state.groups[gid] = GroupRecord(
            gid,
            f"Team {number:03d}",
            path,
            f"{parent_path}/{path}",
            sim.now() - timedelta(days=10),
            parent_id=parent,
        )
        ids.append(gid)
    state.touch()
    return ids


# --- users -----------------------------------------------------------------------------------


async def test_users_by_username_and_search(sim) -> None:
    async with client_for(sim, sim.user_token) as client:
        bob = await client.user_by_username("BOB")
        assert bob is not None and (bob.id, bob.username) == (BOB, "bob")
        assert await client.user_by_username("@bob") is not None
        assert await client.user_by_username("nobody-here") is None
        found = await client.list_users(search="car")
        assert [u.username for u in found] == ["carol"]
        # Searching by the name, any case; short queries must match whole.
        assert [u.id for u in await client.list_users(search="bob brenner")] == [BOB]
        assert await client.list_users(search="bo") == []
        # Non-admins get UserBasic: no e-mail, no admin flag.
        assert found[0].email is None and not found[0].is_admin
    query = sim.requests("GET", "/users")[-1].query
    assert "search=bo" in query


async def test_users_exact_match_first_then_by_name(sim) -> None:
    state = sim.state
    from tokentui.simulator.records import UserRecord

    uid = state.next_user_id()
    state.add_user(
        UserRecord(uid, "dave2", "Aaron dave", "d2@example.com", sim.now()),
    )
    async with client_for(sim, sim.admin_token) as client:
        found = await client.list_users(search="dave")
        assert [u.username for u in found][:2] == ["dave", "dave2"]
        # An admin sees e-mail addresses and can search by one, exactly.
        assert found[0].email == "dave@" + found[0].email.split("@")[1]
        by_mail = await client.list_users(search="d2@example.com")
        assert [u.id for u in by_mail] == [uid]


async def test_users_list_is_paginated_newest_first(sim_factory) -> None:
    sim = sim_factory(tokens=1500)  # plenty of token bots
    async with client_for(sim, sim.admin_token) as client:
        everyone = await client.list_users()
        assert [u.id for u in everyone] == sorted(sim.state.users, reverse=True)
        assert len(everyone) > 100  # more than one page of 100
        assert len(sim.requests("GET", "/users")) >= 2
        first = await client.list_users(limit=7)
        assert [u.id for u in first] == [u.id for u in everyone[:7]]
        humans = await client.list_users(humans=True)
        assert {u.id for u in humans} == {
            u.id for u in sim.state.users.values() if u.user_type == "human"
        }
        bots = await client.list_users(exclude_humans=True, exclude_internal=True)
        assert bots and all(u.bot for u in bots)


async def test_users_without_a_credential_need_a_username(sim) -> None:
    async with httpx.AsyncClient(base_url=sim.url + "/api/v4") as http:
        refused = await http.get("/users")
        assert refused.status_code == 403
        assert refused.json() == {
            "message": "403 Forbidden - Not authorized to access /api/v4/users"
        }
        one = await http.get("/users", params={"username": "alice"})
        assert one.status_code == 200 and [u["id"] for u in one.json()] == [ALICE]


async def test_a_token_bots_name_is_hidden_from_who_cannot_read_its_resource(sim) -> None:
    bots = [
        u
        for u in sim.state.users.values()
        if u.user_type == "project_bot" and u.id in sim.state.projects[3].members
    ]
    assert bots  # bots of the private project data/warehouse
    bot = bots[0]
    async with client_for(sim, sim.user_token) as alice:
        seen = await alice.user_by_username(bot.username)
        assert seen is not None and seen.name == "****"
    async with client_for(sim, sim.admin_token) as root:
        seen = await root.user_by_username(bot.username)
        assert seen is not None and seen.name == bot.name


# --- projects --------------------------------------------------------------------------------


async def test_projects_visibility_membership_and_access_levels(sim) -> None:
    async with client_for(sim, sim.user_token) as alice:
        visible = await alice.list_projects()
        # Internal projects for any signed-in user; the private data/warehouse is hidden.
        assert sorted(p.path_with_namespace for p in visible) == ["platform/api", "platform/web"]
        # alice is a Developer of platform: inherited membership of both projects.
        member = await alice.list_projects(membership=True)
        assert len(member) == 2
        assert await alice.list_projects(min_access_level=40) == []
        api = next(p for p in member if p.path_with_namespace == "platform/api")
        assert api.permissions is not None and api.permissions.project_access is None
        assert api.permissions.group_access is not None
        assert api.permissions.group_access.access_level == 30
    async with client_for(sim, sim.maintainer_token) as bob:
        maintained = await bob.list_projects(min_access_level=40, simple=True)
        assert sorted(p.path_with_namespace for p in maintained) == [
            "platform/api",
            "platform/web",
        ]
        assert all(p.permissions is None for p in maintained)  # simple=true
        owned = await bob.list_projects(owned=True)
        assert len(owned) == 2  # Owner of platform, inherited
    async with client_for(sim, sim.admin_token) as root:
        everything = await root.list_projects()
        assert sorted(p.id for p in everything) == sorted(sim.state.projects)
        with pytest.raises(errors.GitLabError) as bad:
            await root.list_projects(min_access_level=35)
        assert bad.value.status == 400
        assert "min_access_level does not have a valid value" in str(bad.value)


async def test_projects_search_by_path_and_namespace(sim) -> None:
    async with client_for(sim, sim.admin_token) as client:
        assert [p.path_with_namespace for p in await client.list_projects(search="api")] == [
            "platform/api"
        ]
        # The namespace matches only with search_namespaces.
        assert await client.list_projects(search="platform/ap") == []
        found = await client.list_projects(search="platform/ap", search_namespaces=True)
        assert [p.path_with_namespace for p in found] == ["platform/api"]
        assert [p.name for p in await client.list_projects(search="wa")] == []  # < 3: whole
        assert [p.name for p in await client.list_projects(search="warehouse")] == ["warehouse"]


async def test_projects_offset_and_keyset_pages(sim) -> None:
    added = add_projects(sim, 130)
    async with client_for(sim, sim.admin_token) as client:
        every = await client.list_projects(order_by="id", sort="asc")
        assert [p.id for p in every] == sorted(sim.state.projects)
        assert len(sim.requests("GET", "/projects")) >= 2
        newest = await client.list_projects(limit=5)
        assert [p.id for p in newest] == sorted(sim.state.projects, reverse=True)[:5]
    assert added
    async with httpx.AsyncClient(
        base_url=sim.url + "/api/v4", headers={"PRIVATE-TOKEN": sim.admin_token}
    ) as http:
        params = {"pagination": "keyset", "order_by": "id", "sort": "asc", "per_page": "50"}
        url: str | None = "/projects"
        seen: list[int] = []
        while url:
            page = await http.get(url, params=params if url == "/projects" else None)
            assert page.status_code == 200 and "x-total" not in page.headers
            seen += [p["id"] for p in page.json()]
            url = page.links.get("next", {}).get("url")
        assert seen == sorted(sim.state.projects)
        wrong = await http.get("/projects", params={**params, "order_by": "name"})
        assert wrong.status_code == 405


# --- groups ----------------------------------------------------------------------------------


async def test_groups_default_all_available_owned_and_min_access_level(sim) -> None:
    async with client_for(sim, sim.user_token) as alice:
        # Direct membership of platform only (the private data is not even listed).
        assert [g.full_path for g in await alice.list_groups()] == ["platform"]
        available = await alice.list_groups(all_available=True)
        assert sorted(g.full_path for g in available) == ["platform", "platform/infra"]
        assert await alice.list_groups(owned=True) == []
    async with client_for(sim, sim.maintainer_token) as bob:
        assert [g.full_path for g in await bob.list_groups(owned=True)] == ["platform"]
        # min_access_level includes the descendants; owned does not.
        owner = await bob.list_groups(min_access_level=50)
        assert sorted(g.full_path for g in owner) == ["platform", "platform/infra"]
    async with client_for(sim, sim.admin_token) as root:
        everything = await root.list_groups()
        assert sorted(g.id for g in everything) == sorted(sim.state.groups)
        # Ordered by name by default.
        assert [g.name for g in everything] == sorted(g.name for g in everything)
        top = await root.list_groups(top_level_only=True)
        assert sorted(g.full_path for g in top) == ["data", "platform"]


async def test_groups_search_and_pages(sim) -> None:
    add_groups(sim, 120)
    async with client_for(sim, sim.admin_token) as client:
        found = await client.list_groups(search="infra")
        assert [g.full_path for g in found] == ["platform/infra"]
        every = await client.list_groups(order_by="id")
        assert [g.id for g in every] == sorted(sim.state.groups)
        assert len(sim.requests("GET", "/groups")) >= 2
        teams = await client.list_groups(search="platform/team-01")
        assert [g.full_path for g in teams] == [f"platform/team-01{n}" for n in range(10)]
